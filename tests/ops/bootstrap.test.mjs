// A fresh machine has only what ops/bootstrap.sh installs. These tests read
// every script, the Makefile and every test for the programs they call and
// check that each one is in the bootstrap's program list (or comes with
// Debian's essential packages), and that the bootstrap names the package
// of a program that is missing. lua5.4 was once called by the tests and
// installed by nothing; CI passed only because the machine had it.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BOOT = fs.readFileSync(path.join(ROOT, 'ops/bootstrap.sh'), 'utf8');

/** program -> package, from the PROGS lists of the bootstrap. */
function bootstrapPrograms() {
  const progs = new Map();
  for (const m of BOOT.matchAll(/PROGS="([^"]*)"/g))
    for (const pp of m[1].replace('$PROGS', '').split(/\s+/).filter(Boolean)) {
      const [prog, pkg] = pp.split(':');
      progs.set(prog, pkg);
    }
  const pg = /PGPROGS="([^"]*)"/.exec(BOOT);
  for (const p of pg ? pg[1].split(/\s+/) : []) progs.set(p, 'postgresql-15');
  progs.set('node', 'nodejs');
  progs.set('npm', 'npm');
  return progs;
}

// Programs of Debian's essential packages (present on every installation:
// coreutils, bash, dash, sed, grep, findutils, diffutils, tar, gzip,
// hostname, util-linux's essentials, debianutils) and shell words that are
// not programs.
const ESSENTIAL = new Set(`
basename cat chmod chown cp cut date dd df dirname du echo env expr false
head id install kill ln ls mkdir mktemp mv nproc od printf pwd readlink
realpath rm rmdir seq sha256sum sleep sort stat tail tee test timeout touch
tr true uname uniq wc xargs yes bash sh grep egrep sed find diff cmp tar gzip
hostname setsid getopt dpkg dpkg-query apt-get which tput
`.split(/\s+/).filter(Boolean));
const SHELL_WORDS = new Set(`
if then else elif fi for while until do done case esac in function return
local export set unset shift exit trap wait read cd source . [ [[ ] ]] { }
! eval exec command type declare readonly ulimit umask break continue
builtin let printf echo true false : time select coproc mapfile alias getopts
`.split(/\s+/).filter(Boolean));

/** Files whose commands run on the machine during build, run, test, bench. */
function scripts() {
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(path.join(ROOT, d), { withFileTypes: true })) {
      const rel = path.join(d, e.name);
      if (e.isDirectory()) {
        if (!['node_modules', 'artifacts', 'fixtures'].includes(e.name)) walk(rel);
      } else if (/\.sh$/.test(e.name)) out.push(rel);
    }
  };
  walk('ops');
  walk('tests');
  out.push('.ci/run');
  return out;
}

/**
 * The shell text with comments, quoted data and here-documents blanked out;
 * command substitutions inside double quotes are kept (they run). Newlines
 * stay, so line numbers still point at the source.
 */
function codeOnly(text) {
  let out = '';
  let i = 0;
  const n = text.length;
  const stack = []; // 'dq' inside double quotes, 'sub' inside $( ) within them
  let pendingDoc = null;
  let owed = 0;
  while (i < n) {
    const c = text[i];
    const top = stack[stack.length - 1];
    if (top === 'dq') {
      if (c === '\\') { i += 2; continue; }
      if (c === '"') { stack.pop(); out += '"'; i++; continue; }
      if (c === '$' && text[i + 1] === '(') { stack.push('sub'); out += ' ; '; i += 2; continue; }
      // kept as one word: a quoted program name still counts
      out += c === '\n' ? '\n"~' : /[\s;|&()`]/.test(c) ? '_' : c;
      i++;
      continue;
    }
    if (c === '\\') {
      if (text[i + 1] === '\n') owed++; // a continued line keeps its number
      out += ' ';
      i += 2;
      continue;
    }
    if (c === '$' && text.startsWith('$((', i)) { // arithmetic, not commands
      const e = text.indexOf('))', i);
      i = e < 0 ? n : e + 2;
      out += '0';
      continue;
    }
    if (c === '\n' && owed) { out += '\n'.repeat(owed + 1); owed = 0; i++; continue; }
    if (c === "'") {
      const e = text.indexOf("'", i + 1);
      const body = text.slice(i + 1, e < 0 ? n : e);
      out += "''" + body.replace(/[^\n]/g, '');
      i = e < 0 ? n : e + 1;
      continue;
    }
    if (c === '"') { stack.push('dq'); out += '"'; i++; continue; }
    if (c === ')' && top === 'sub') { stack.pop(); out += ' ; '; i++; continue; }
    if (c === '#' && (i === 0 || /[\s;|&(]/.test(text[i - 1]))) {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (c === '<' && text[i + 1] === '<' && text[i + 2] !== '<') {
      const m = /^<<-?\s*['"]?([A-Za-z_]+)['"]?/.exec(text.slice(i));
      if (m) { pendingDoc = m[1]; out += ' '; i += m[0].length; continue; }
    }
    if (c === '\n' && pendingDoc) {
      // skip the here-document up to its terminator line
      out += '\n';
      i++;
      while (i < n) {
        const e = text.indexOf('\n', i);
        const l = text.slice(i, e < 0 ? n : e);
        out += '\n';
        i = e < 0 ? n : e + 1;
        if (l.trim() === pendingDoc) break;
      }
      pendingDoc = null;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/** The first word of every simple command in a shell text. */
function shellCommands(text) {
  const found = new Map();
  const funcs = new Set();
  codeOnly(text).split('\n').forEach((full, i) => {
    const line = full.replace(/^\s*[\w*|.-]+\)/, ''); // a case label
    const fm = /^\s*([A-Za-z_][\w-]*)\s*\(\)/.exec(line);
    if (fm) funcs.add(fm[1]);
    const parts = line.split(/(\|\||&&|[|;&`()]|\$\(|\bthen\b|\bdo\b|\belse\b)/);
    for (let k = 0; k < parts.length; k += 2) {
      const seg = parts[k].trim();
      if (parts[k + 1] === ')' && !/\s/.test(seg)) continue; // case label
      const words = seg.split(/\s+/).filter(Boolean);
      while (words.length && /^[A-Za-z_]\w*(\[[^\]]*\])?\+?=/.test(words[0])) words.shift();
      while (words.length && ['!', 'if', 'while', 'until', 'exec', 'command', 'time', 'elif'].includes(words[0])) words.shift();
      if (words[0] === 'timeout') words.splice(0, 2);
      if (words[0] === 'runuser' || words[0] === 'as_pg' || words[0] === 'as_kasus') {
        if (words[0] === 'runuser') found.set('runuser', i + 1);
        const dd = words.indexOf('--');
        words.splice(0, dd >= 0 ? dd + 1 : 1);
      }
      let w = words[0];
      if (!w) continue;
      w = w.replace(/^"|"$/g, '');
      const pgm = /^\$\{?pgbin\}?\/([\w.-]+)/.exec(w);
      if (pgm) { found.set(pgm[1], i + 1); continue; }
      if (!/^[a-z][\w.+-]*$/.test(w)) continue; // variables, paths, redirections
      if (!found.has(w)) found.set(w, i + 1);
    }
  });
  for (const f of funcs) found.delete(f);
  return found;
}

/** Programs the Node tests start (execFileSync, spawn, ...). */
function nodeCommands(text) {
  const found = new Map();
  for (const m of text.matchAll(/\b(?:execFileSync|execFile|spawnSync|spawn|execSync)\(\s*['"`]([^'"`\s]+)/g)) {
    const w = m[1];
    if (w.startsWith('build/') || w.startsWith('./') || w.includes('${')) continue;
    found.set(path.basename(w), true);
  }
  return found;
}

function testFiles() {
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(path.join(ROOT, d), { withFileTypes: true })) {
      const rel = path.join(d, e.name);
      if (e.isDirectory()) { if (!['node_modules', 'artifacts'].includes(e.name)) walk(rel); }
      else if (/\.m?js$/.test(e.name)) out.push(rel);
    }
  };
  walk('tests');
  return out;
}

/** Recipe lines of the Makefile (tab-indented), as shell. */
function makeRecipes() {
  return fs.readFileSync(path.join(ROOT, 'Makefile'), 'utf8').split('\n')
    .filter((l) => l.startsWith('\t'))
    .map((l) => {
      let r = l.replace(/^\t@?-?/, '').replace(/\$\$/g, '$').replace(/\$\(CC\)/g, 'cc');
      // make's own expansions, innermost first
      for (let k = 0; k < 5; k++) r = r.replace(/\$\([^()$]*\)/g, '$M').replace(/\$\((\w+) [^()]*\)/g, '$M');
      return r;
    })
    .join('\n');
}

// Functions of ops/lib.sh, which the ops scripts source.
const LIB_FUNCS = new Set([...fs.readFileSync(path.join(ROOT, 'ops/lib.sh'), 'utf8')
  .matchAll(/^([A-Za-z_][\w-]*)\s*\(\)/gm)].map((m) => m[1]));

test('every program the scripts, the Makefile and the tests call is installed by the bootstrap', () => {
  const progs = bootstrapPrograms();
  const missing = [];
  const consider = (file, cmds) => {
    for (const [c, where] of cmds) {
      if (SHELL_WORDS.has(c) || ESSENTIAL.has(c) || progs.has(c) || LIB_FUNCS.has(c)) continue;
      missing.push(`${c} (${file}${typeof where === 'number' ? `:${where}` : ''})`);
    }
  };
  for (const f of scripts()) consider(f, shellCommands(fs.readFileSync(path.join(ROOT, f), 'utf8')));
  consider('Makefile', shellCommands(makeRecipes()));
  for (const f of testFiles()) consider(f, nodeCommands(fs.readFileSync(path.join(ROOT, f), 'utf8')));
  assert.deepEqual(missing, [], 'add these to ops/bootstrap.sh (PROGS, program:package)');
});

test('the scan sees what a script calls (it found lua5.4 where the old bootstrap missed it)', () => {
  const cmds = shellCommands('set -e\nfoo() { :; }\nX=1 lua5.4 tests/rules/run.lua | jq . && "$pgbin/initdb" -D x\nif ! wrk -t1 x; then foo; fi\ncat <<EOF\nnotacommand here\nEOF\n');
  assert.ok(cmds.has('lua5.4') && cmds.has('jq') && cmds.has('initdb') && cmds.has('wrk'));
  assert.ok(!cmds.has('foo') && !cmds.has('notacommand'));
  assert.ok(nodeCommands("execFileSync('pdftotext', ['-layout'])").has('pdftotext'));
});

test('a missing program fails the bootstrap at once, naming its package', () => {
  // A PATH with everything the bootstrap itself needs, but not lua5.4.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kasus-path-'));
  try {
    for (const [prog] of bootstrapPrograms()) {
      if (prog === 'lua5.4') continue;
      const r = spawnSync('sh', ['-c', `command -v ${prog}`], { encoding: 'utf8' });
      if (r.status === 0) fs.symlinkSync(r.stdout.trim(), path.join(dir, prog));
    }
    for (const p of ['sh', 'dpkg-query', 'grep', 'sort', 'tr', 'id', 'cat']) {
      const r = spawnSync('sh', ['-c', `command -v ${p}`], { encoding: 'utf8' });
      if (r.status === 0 && !fs.existsSync(path.join(dir, p))) fs.symlinkSync(r.stdout.trim(), path.join(dir, p));
    }
    const r = spawnSync(path.join(dir, 'sh'), [path.join(ROOT, 'ops/bootstrap.sh'), '--check'],
      { encoding: 'utf8', env: { PATH: dir } });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /'lua5\.4' is missing \(Debian package lua5\.4\)/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
