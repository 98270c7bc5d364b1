// Operational checks of the module loader and the migrator:
//  - a module links against no core symbol (it reaches the core only
//    through struct ks_api), shown with `nm -u` on every built module;
//    it calls none of the libraries the core wraps (libmicrohttpd: the
//    request is opaque; hiredis, Lua, OpenSSL, libxml2), and includes no
//    core header but the SDK's (core/include/kasus/);
//  - `kasusd migrate` refuses an applied migration whose file changed, and
//    on the unchanged tree applies nothing new.
// Environment: KASUS_ROOT, KASUS_MODULE_DIR, KASUS_DB_OWNER (tests/run.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = process.env.KASUS_ROOT || path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const MODDIR = process.env.KASUS_MODULE_DIR || path.join(ROOT, 'build/asan/modules');
const KASUSD = path.join(ROOT, 'build/asan/kasusd');
const DB_OWNER = process.env.KASUS_DB_OWNER;

test('modules link no core symbol: nm -u lists nothing starting with ks_', () => {
  const files = fs.readdirSync(MODDIR).filter((f) => f.endsWith('.so'));
  for (const m of ['echo', 'badabi', 'dupname', 'initfail'])
    assert.ok(files.includes(`${m}.so`), `${m}.so built in ${MODDIR} (have: ${files.join(', ')})`);
  for (const f of files) {
    const out = execFileSync('nm', ['-u', '-D', path.join(MODDIR, f)], { encoding: 'utf8' });
    const undef = out.split('\n').map((l) => l.trim().split(/\s+/).pop()).filter(Boolean);
    const core = undef.filter((s) => /^ks_/.test(s));
    assert.deepEqual(core, [], `${f} needs core symbols: ${core.join(', ')}`);
    // the plain (non -D) listing as the brief states it, same result
    const out2 = execFileSync('nm', ['-u', path.join(MODDIR, f)], { encoding: 'utf8' });
    const core2 = out2.split('\n').map((l) => l.trim().split(/\s+/).pop()).filter((s) => s && /^ks_/.test(s));
    assert.deepEqual(core2, [], `${f} (nm -u) needs core symbols: ${core2.join(', ')}`);
  }
  // nor the libraries the core wraps for it: HTTP, Redis, Lua, OpenSSL
  const wrapped = /^(MHD_|redis|lua_|luaL_|EVP_|SSL_|xml)/;
  for (const f of files) {
    const out = execFileSync('nm', ['-u', '-D', path.join(MODDIR, f)], { encoding: 'utf8' });
    const foreign = out.split('\n').map((l) => l.trim().split(/\s+/).pop()).filter((s) => s && wrapped.test(s));
    assert.deepEqual(foreign, [], `${f} calls a library the core wraps: ${foreign.join(', ')}`);
    const dyn = execFileSync('readelf', ['-d', path.join(MODDIR, f)], { encoding: 'utf8' });
    assert.doesNotMatch(dyn, /libmicrohttpd|libhiredis|liblua|libssl|libxml2/, `${f} links a library the core wraps`);
  }
  // each module exports its descriptor function
  for (const f of files) {
    const def = execFileSync('nm', ['-D', '--defined-only', path.join(MODDIR, f)], { encoding: 'utf8' });
    assert.match(def, /\bkasus_module\b/, `${f} exports kasus_module`);
  }
});

test('module sources include only the SDK of the core (core/include/kasus/)', () => {
  const sdk = new Set(fs.readdirSync(path.join(ROOT, 'core/include/kasus')).map((f) => `kasus/${f}`));
  const dirs = [
    ...fs.readdirSync(path.join(ROOT, 'modules')).map((d) => path.join(ROOT, 'modules', d)),
    ...fs.readdirSync(path.join(ROOT, 'tests/fixtures/modules')).map((d) => path.join(ROOT, 'tests/fixtures/modules', d)),
  ].filter((d) => fs.statSync(d).isDirectory());
  let seen = 0;
  for (const dir of dirs) {
    const own = new Set(fs.readdirSync(dir));
    for (const f of fs.readdirSync(dir).filter((x) => /\.[ch]$/.test(x))) {
      const src = fs.readFileSync(path.join(dir, f), 'utf8');
      for (const m of src.matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)) {
        const inc = m[1];
        seen++;
        // the module's own headers, its generated statement table, the SDK
        const ok = own.has(inc) || inc === 'queries.h' || sdk.has(inc);
        assert.ok(ok, `${path.relative(ROOT, path.join(dir, f))} includes "${inc}", which is not the module's own nor in core/include/kasus/`);
      }
      assert.doesNotMatch(src, /#\s*include\s+<microhttpd\.h>/, `${f} includes libmicrohttpd`);
    }
  }
  assert.ok(seen > 10, `include lines found (${seen})`);
});

function copyTree(src, dst) {
  fs.cpSync(src, dst, { recursive: true });
}

/** A scratch KASUS_ROOT holding what `kasusd migrate` reads. */
function scratchRoot() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kasus-mig-'));
  copyTree(path.join(ROOT, 'core/sql/migrations'), path.join(dir, 'core/sql/migrations'));
  for (const d of ['tenants', 'plugins', 'conf', 'modules'])
    if (fs.existsSync(path.join(ROOT, d))) copyTree(path.join(ROOT, d), path.join(dir, d));
  // module migrations named by the configured modules (echo's fixture)
  const fx = path.join(ROOT, 'tests/fixtures/modules');
  if (fs.existsSync(fx)) copyTree(fx, path.join(dir, 'tests/fixtures/modules'));
  return dir;
}

function migrate(root) {
  assert.ok(DB_OWNER, 'KASUS_DB_OWNER set');
  const r = spawnSync(KASUSD, ['migrate'], {
    env: { ...process.env, KASUS_ROOT: root, KASUS_DB_OWNER: DB_OWNER },
    encoding: 'utf8', timeout: 60000,
  });
  return { code: r.status, signal: r.signal, out: `${r.stdout || ''}${r.stderr || ''}`, stderr: r.stderr || '' };
}

test('migrate on the unchanged tree exits 0 and applies nothing new', () => {
  const dir = scratchRoot();
  try {
    const r = migrate(dir);
    assert.equal(r.code, 0, `exit ${r.code} ${r.signal || ''}: ${r.out}`);
    assert.doesNotMatch(r.out, /applied migration/, `nothing new applied: ${r.out}`);
    assert.doesNotMatch(r.out, /changed after it was applied/, r.out);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('migrate refuses an applied migration whose file was changed', () => {
  const dir = scratchRoot();
  try {
    const migdir = path.join(dir, 'core/sql/migrations');
    const files = fs.readdirSync(migdir).filter((f) => /^\d+.*\.sql$/.test(f)).sort();
    assert.ok(files.length >= 2, `migrations present: ${files}`);
    const victim = files[1];
    fs.appendFileSync(path.join(migdir, victim), '\n-- edited after it was applied\n');
    const r = migrate(dir);
    assert.notEqual(r.code, 0, `a changed migration must fail the run: ${r.out}`);
    assert.match(r.stderr, /was changed after it was applied/, `stderr names the problem: ${r.stderr}`);
    assert.ok(r.stderr.includes(victim), `stderr names the file ${victim}: ${r.stderr}`);
    assert.doesNotMatch(r.out, /applied migration/, `nothing applied: ${r.out}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('migrate refuses a changed module migration too', () => {
  const dir = scratchRoot();
  try {
    const mdir = path.join(dir, 'tests/fixtures/modules/echo/migrations');
    if (!fs.existsSync(mdir) || !/(^|,)echo(,|$)/.test(process.env.KASUS_MODULES || '')) return;
    const f = fs.readdirSync(mdir).filter((x) => x.endsWith('.sql')).sort()[0];
    fs.appendFileSync(path.join(mdir, f), '\n-- edited\n');
    const r = migrate(dir);
    assert.notEqual(r.code, 0, `a changed module migration must fail the run: ${r.out}`);
    assert.match(r.stderr, /was changed after it was applied/, r.stderr);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
