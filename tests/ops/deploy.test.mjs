// What a production deployment installs: the systemd units pass
// systemd-analyze verify (with the unit's paths pointed at this build) and
// keep their hardening (exposure at most 2.0 of 10); the load balancer's own error pages have Kasus's error shape and a code the
// web application can say in German and French.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const ROOT = process.env.KASUS_ROOT || path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const UNITS = ['kasusd.service', 'kasus-migrate.service'];

/** The unit with /opt/kasus/app and the config pointed at this checkout. */
function localUnit(name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kasus-unit-'));
  const text = fs.readFileSync(path.join(ROOT, 'ops/systemd', name), 'utf8')
    .replaceAll('/opt/kasus/app', ROOT)
    .replaceAll('/etc/kasus/kasus.conf', path.join(ROOT, 'conf/production.conf.example'));
  fs.writeFileSync(path.join(dir, name), text);
  return path.join(dir, name);
}

for (const name of UNITS) {
  test(`${name}: systemd-analyze verify finds nothing, and the exposure stays low`, () => {
    const unit = localUnit(name);
    const v = spawnSync('systemd-analyze', ['verify', '--man=no', unit], { encoding: 'utf8' });
    assert.equal(v.status, 0, v.stderr);
    assert.equal(v.stderr.trim(), '', `verify warns: ${v.stderr}`);
    const s = spawnSync('systemd-analyze', ['security', '--offline=true', '--threshold=20', '--no-pager', unit], { encoding: 'utf8' });
    assert.equal(s.status, 0, `exposure above 2.0:\n${s.stdout.split('\n').slice(-3).join('\n')}`);
    const text = fs.readFileSync(unit, 'utf8');
    for (const opt of ['NoNewPrivileges=yes', 'ProtectSystem=strict', 'PrivateTmp=yes', 'CapabilityBoundingSet=\n', 'User=kasus'])
      assert.ok(text.includes(opt), `${name} has ${opt.trim()}`);
    assert.doesNotMatch(text, /^User=root/m);
  });
}

test('HAProxy error pages: Kasus error shape, right length, a code with German and French text', () => {
  const i18n = (lang) => JSON.parse(fs.readFileSync(path.join(ROOT, `web/src/i18n/${lang}.ops.json`), 'utf8'));
  const de = i18n('de');
  const fr = i18n('fr');
  for (const status of [502, 503, 504]) {
    const raw = fs.readFileSync(path.join(ROOT, `ops/cluster/${status}.http`), 'latin1');
    const [head, body] = raw.split('\r\n\r\n');
    assert.match(head, new RegExp(`^HTTP/1\\.[01] ${status} `));
    assert.match(head, /\r\nContent-Type: application\/json\r\n/);
    assert.equal(Number(/Content-Length: (\d+)/.exec(head)[1]), Buffer.byteLength(body), `${status}: Content-Length`);
    const e = JSON.parse(body).error;
    assert.match(e.code, /^[a-z_]+$/);
    assert.ok(e.message.length > 0 && typeof e.request_id === 'string');
    assert.ok(de[`error.${e.code}`] && fr[`error.${e.code}`], `error.${e.code} in de.ops.json and fr.ops.json`);
  }
});
