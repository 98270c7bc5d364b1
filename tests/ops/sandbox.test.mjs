// Hardened workers: each worker runs as the unprivileged user (when the
// server was started as root), with no_new_privs and a seccomp filter; a
// forbidden system call ends the worker, the parent names the call and
// starts a new one, and the server keeps serving. The trigger is the test
// build's SIGUSR2 hook (a worker that tries to start a shell); the release
// build has no such hook.
// Environment: KASUS_ROOT, KASUS_PIDFILE, KASUS_URL (tests/run.sh).
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { call, until } from '../api/lib.mjs';

const ROOT = process.env.KASUS_ROOT || path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const PIDFILE = process.env.KASUS_PIDFILE;
const LOG = path.join(ROOT, 'var/test/kasusd.log');
const asRoot = process.getuid() === 0;

function parentPid() {
  const pid = Number(fs.readFileSync(PIDFILE, 'utf8').trim());
  process.kill(pid, 0);
  return pid;
}

function workers(parent) {
  const out = spawnSync('pgrep', ['-P', String(parent)], { encoding: 'utf8' }).stdout;
  return out.split('\n').filter(Boolean).map(Number);
}

function status(pid) {
  const s = {};
  for (const line of fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const m = /^([A-Za-z_]+):\s*(.*)$/.exec(line);
    if (m) s[m[1]] = m[2];
  }
  return s;
}

function expectedUid() {
  if (!asRoot) return process.getuid();
  return Number(execFileSync('id', ['-u', 'kasus'], { encoding: 'utf8' }).trim());
}

function assertHardened(pid) {
  const s = status(pid);
  const uid = expectedUid();
  assert.deepEqual(s.Uid.split(/\s+/).map(Number), [uid, uid, uid, uid], `worker ${pid} uids`);
  if (asRoot) assert.equal(s.Gid.split(/\s+/)[0], execFileSync('id', ['-g', 'kasus'], { encoding: 'utf8' }).trim());
  assert.equal(s.NoNewPrivs, '1', `worker ${pid} has no_new_privs`);
  assert.equal(s.Seccomp, '2', `worker ${pid} is in a seccomp filter`);
  assert.match(s.CapEff, /^0+$/, `worker ${pid} has no effective capability`);
}

test('workers run unprivileged, with no_new_privs and a seccomp filter; the parent keeps its user', () => {
  const parent = parentPid();
  const ws = workers(parent);
  assert.ok(ws.length >= 1, 'at least one worker');
  for (const w of ws) assertHardened(w);
  const p = status(parent);
  assert.equal(p.Seccomp, '0', 'the parent is not filtered: it must fork and respawn');
  if (asRoot) assert.match(fs.readFileSync(LOG, 'utf8'), /workers drop to user kasus/);
});

test('what workers read and write after the drop stays reachable for their user', { skip: !asRoot && 'needs root' }, () => {
  // web/dist, modules and rule packs are loaded by the parent before the
  // drop; a worker reads the payment schema at each export, spools
  // uploads in TMPDIR and writes sanitizer reports.
  const as = (...args) => spawnSync('runuser', ['-u', 'kasus', '--', 'test', ...args]).status === 0;
  const xsd = path.join(ROOT, '..', 'shared', 'refdata', 'pain001', 'pain.001.001.09.ch.03.xsd');
  if (fs.existsSync(xsd)) assert.ok(as('-r', xsd), `kasus reads ${xsd}`);
  assert.ok(as('-w', process.env.TMPDIR || '/tmp'), 'kasus writes the upload spool');
  assert.ok(as('-w', path.join(ROOT, 'var/test/san')), 'kasus writes sanitizer reports');
});

test('a forbidden system call ends the worker; the parent names it and starts a new one', async () => {
  const parent = parentPid();
  const before = workers(parent);
  const victim = before[0];
  const logBefore = fs.readFileSync(LOG, 'utf8').length;
  process.kill(victim, 'SIGUSR2');
  let fresh;
  await until(() => {
    const now = workers(parent);
    fresh = now.filter((p) => !before.includes(p));
    return !now.includes(victim) && fresh.length === 1;
  }, 15000, 100);
  assert.ok(fresh && fresh.length === 1, `a new worker replaced ${victim}`);
  const log = fs.readFileSync(LOG, 'utf8').slice(logBefore);
  assert.match(log, new RegExp(`worker \\d+ \\(pid ${victim}\\) made a forbidden system call \\(execve\\) and was ended`));
  await until(async () => (await call('GET', '/healthz')).status === 200, 15000, 100);
  // The new worker is as closed as the old one, and every worker serves.
  await until(() => { try { assertHardened(fresh[0]); return true; } catch { return false; } }, 5000, 100);
  assertHardened(fresh[0]);
  for (let i = 0; i < 20; i++) assert.equal((await call('GET', '/api/v1/ping')).status, 200);
});

test('only the test build has the hook; started as root with a user that does not exist, kasusd refuses to serve', { skip: !asRoot && 'needs root' }, () => {
  const nm = (bin) => execFileSync('nm', [path.join(ROOT, bin)], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.match(nm('build/asan/kasusd'), /on_test_escape/);
  assert.doesNotMatch(nm('build/release/kasusd'), /on_test_escape/);
  const r = spawnSync(path.join(ROOT, 'build/release/kasusd'), ['serve'], {
    encoding: 'utf8',
    timeout: 10000,
    env: { ...process.env, KASUS_USER: 'no-such-kasus-user', KASUS_PORT: '1', KASUS_PIDFILE: '' },
  });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /user "no-such-kasus-user" does not exist; workers never serve as root/);
});
