// make run's configuration points at what the build produces: every
// configured module exists where conf/kasus.conf says, the demo master key
// is well formed, and demo seeding is on only in the demo configuration;
// the production example fits ops/systemd's units and a cluster.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function conf(file) {
  const out = {};
  for (const line of fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n')) {
    const m = /^\s*([a-z_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m && !line.trim().startsWith('#')) out[m[1]] = m[2];
  }
  return out;
}

test('the demo configuration loads modules the release build made', () => {
  const c = conf('conf/kasus.conf');
  assert.ok(c.modules, 'modules configured');
  for (const m of c.modules.split(',').map((s) => s.trim()).filter(Boolean)) {
    const so = path.join(ROOT, c.module_dir, `${m}.so`);
    assert.ok(fs.existsSync(so), `${so} missing: module_dir does not match the build`);
  }
  assert.match(c.master_key, /^[0-9a-f]{64}$/);
  assert.equal(c.demo, '1');
});

test('the production example seeds no demo data and uses TLS settings', () => {
  const c = conf('conf/production.conf.example');
  assert.equal(c.demo, '0');
  assert.equal(c.behind_tls, '1');
  assert.ok(!('master_key' in c), 'no key in a file that is committed');
});

test('the production configuration example fits the units and a cluster', () => {
  const c = conf('conf/production.conf.example');
  assert.equal(c.root, '/opt/kasus/app', 'the root the units install to');
  assert.equal(c.user, 'kasus');
  assert.equal(c.seccomp, '1');
  assert.match(c.db_app, /target_session_attrs=read-write/);
  assert.match(c.db_app, /host=[^ ]+,[^ ]+/, 'several database hosts');
  assert.match(c.redis_sentinels, /^[\w.-]+:\d+(,[\w.-]+:\d+){2,}$/, 'three sentinels');
  assert.ok(Number(c.redis_wait_replicas) >= 1);
  assert.match(c.module_dir, /^\/opt\/kasus\/app\//);
});
