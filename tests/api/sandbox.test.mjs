// The Lua cage of the rule engine, probed through dry runs of drafts:
// every escape attempt, resource bomb or bad result ends in a clean JSON
// error (rule_error, rule_timeout, rule_memory, rule_missing) in bounded
// time, and the server stays healthy afterwards.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { call, ok, err, show, as, uniq } from './lib.mjs';

const RP = '/api/v1/admin/rule-packs';
const BOUND_MS = 5000;
let canton;
before(async () => { canton = await as('canton', 'canton-admin'); });

/** Create a draft with this source; returns its id. */
async function draft(source, extra = {}) {
  const r = ok(await call('POST', RP, {
    session: canton,
    body: { name: uniq('sb'), version: '1', valid_from: '2020-01-01', source, ...extra },
  }), 201);
  assert.equal(r.json.status, 'draft');
  return r.json.id;
}

/** Dry-run fn(input); returns {res, ms}. */
async function dry(id, fn, input = {}) {
  const t0 = Date.now();
  const res = await call('POST', `${RP}/${id}/dry-run`, { session: canton, body: { function: fn, input } });
  return { res, ms: Date.now() - t0 };
}

async function healthy() {
  const h = await call('GET', '/healthz');
  assert.equal(h.status, 200, `server unhealthy afterwards: ${show(h)}`);
  assert.equal(h.json.status, 'ok', show(h));
}

/** Dry run expected to fail with one of codes, within the bound. */
async function refused(id, fn, codes, input = {}, luaRe) {
  const { res, ms } = await dry(id, fn, input);
  assert.ok(res.status === 422 && ms < BOUND_MS, `${fn}: a clean 422 within ${BOUND_MS} ms expected; got ${res.status} after ${ms} ms: ${show(res)}`);
  const e = err(res, 422, codes);
  assert.ok(ms < BOUND_MS, `took ${ms} ms (bound ${BOUND_MS}): ${show(res)}`);
  if (luaRe) {
    assert.ok(e.detail && typeof e.detail.lua === 'string', `detail.lua expected: ${show(res)}`);
    assert.match(e.detail.lua, luaRe, show(res));
  }
  await healthy();
  return e;
}

async function output(id, fn, input = {}) {
  const { res, ms } = await dry(id, fn, input);
  ok(res, 200);
  assert.ok(ms < BOUND_MS, `took ${ms} ms`);
  return res.json.output;
}

test('no os, io, require, load, dofile, loadfile, debug, coroutine, print', async () => {
  const id = await draft(`
function exec() return os.execute("ls") end
function open() return io.open("/etc/passwd"):read("a") end
function req() return require("os") end
function ld() return load("return 1")() end
function lddump() return load(string.dump(function() return 1 end))() end
function dof() return dofile("/etc/passwd") end
function ldf() return loadfile("/etc/passwd") end
function dbg() return debug.getinfo(1) end
function co() return coroutine.wrap(function() return 1 end)() end
function pr() print("x") return 1 end
function gc() return collectgarbage("count") end
function g() return _G end
function ok() return "ok" end
`);
  await refused(id, 'exec', 'rule_error', {}, /os/);
  await refused(id, 'open', 'rule_error', {}, /io/);
  await refused(id, 'req', 'rule_error', {}, /require/);
  await refused(id, 'ld', 'rule_error', {}, /load/);
  await refused(id, 'lddump', 'rule_error');
  await refused(id, 'dof', 'rule_error', {}, /dofile/);
  await refused(id, 'ldf', 'rule_error', {}, /loadfile/);
  await refused(id, 'dbg', 'rule_error', {}, /debug/);
  await refused(id, 'co', 'rule_error', {}, /coroutine/);
  await refused(id, 'pr', 'rule_error', {}, /print/);
  await refused(id, 'gc', 'rule_error', {}, /collectgarbage/);
  assert.equal(await output(id, 'g'), null, '_G is gone');
  assert.equal(await output(id, 'ok'), 'ok');
});

test('pcall and xpcall are gone: a rule cannot catch the errors that stop it', async () => {
  const id = await draft(`
function p() return pcall(error, "x") end
function xp() return xpcall(error, function() return 1 end) end
function types() return type(pcall) .. "," .. type(xpcall) end
`);
  await refused(id, 'p', 'rule_error', {}, /pcall/);
  await refused(id, 'xp', 'rule_error', {}, /xpcall/);
  assert.equal(await output(id, 'types'), 'nil,nil');
});

test('a precompiled (bytecode) chunk is refused as source', async () => {
  // The JSON layer may already refuse the control character; either way no bytecode loads.
  const src = '\x1bLua\x54\x00\x19\x93\r\n\x1a\nfunction f() return 1 end';
  const r = await call('POST', RP, { session: canton, body: { name: uniq('sb'), version: '1', valid_from: '2020-01-01', source: src } });
  if (r.status === 400) err(r, 400, ['invalid_value', 'malformed_json']);
  else {
    const e = err(r, 422, 'rule_error');
    assert.match(e.detail.lua, /binary|text|attempt to load/, show(r));
  }
  // an ESC alone, right at the start
  const r2 = await call('POST', RP, { session: canton, body: { name: uniq('sb'), version: '1', valid_from: '2020-01-01', source: '\x1bLua' } });
  assert.ok([400, 422].includes(r2.status), show(r2));
  err(r2, r2.status, r2.status === 400 ? 'invalid_value' : 'rule_error');
  await healthy();
});

test('a source that does not compile: 422 rule_error naming the line', async () => {
  const name = uniq('sb');
  const r = await call('POST', RP, { session: canton, body: { name, version: '3.1', valid_from: '2020-01-01', source: 'function f()\n  return 1\nend\nfunction g(\n' } });
  const e = err(r, 422, 'rule_error');
  assert.ok(e.detail && typeof e.detail.lua === 'string', show(r));
  assert.match(e.detail.lua, new RegExp(`^${name}@3\\.1:\\d+: `), show(r));
  assert.match(e.detail.lua, /:5: |:4: /, show(r));
  // nothing stored
  const l = ok(await call('GET', RP, { session: canton }), 200);
  assert.ok(!l.json.items.some((p) => p.name === name), 'refused draft is not stored');
});

test('memory bombs end in rule_memory, and the pack still works afterwards', async () => {
  const id = await draft(`
function rep() return #string.rep("x", 1e9) end
function rep2() local s = "x" for i = 1, 40 do s = s .. s end return #s end
function tab() local t = {} for i = 1, 1e9 do t[i] = i end return #t end
function strs() local t = {} for i = 1, 1e9 do t[#t + 1] = string.rep("y", 100) .. i end return #t end
function concat() local t = {} for i = 1, 1e6 do t[i] = "abcdefghij" end return #table.concat(t):rep(100) end
function ok() return ("x"):upper() end
`);
  // The quick ones always hit the memory budget first; filling 32 MiB
  // element by element may reach the deadline first on a slow machine.
  for (const fn of ['rep', 'rep2', 'tab', 'strs', 'concat']) {
    await refused(id, fn, ['rep', 'rep2', 'concat'].includes(fn) ? 'rule_memory' : ['rule_memory', 'rule_timeout']);
    assert.equal(await output(id, 'ok'), 'X', `pack usable after ${fn}`);
  }
});

test('endless loops end in rule_timeout; deep recursion in rule_error or rule_memory', async () => {
  const id = await draft(`
function loop() while true do end end
function loop2() local x = 0 while true do x = x + 1 end end
function rec() local function f() return 1 + f() end return f() end
function rec2() local function f(n) return f(n + 1) end return f(1) end
function sorty() local t = {} for i = 1, 200 do t[i] = i end table.sort(t, function(a, b) while true do end end) end
function gs() return (string.gsub("aaaa", "a", function() while true do end end)) end
function ok() return 7 end
`);
  await refused(id, 'loop', 'rule_timeout', {}, /time/);
  await refused(id, 'loop2', 'rule_timeout');
  await refused(id, 'rec', ['rule_error', 'rule_memory']);
  // a proper tail call loops forever without growing: time
  await refused(id, 'rec2', ['rule_timeout', 'rule_memory', 'rule_error']);
  await refused(id, 'sorty', 'rule_timeout');
  await refused(id, 'gs', 'rule_timeout');
  assert.equal(await output(id, 'ok'), 7);
});

test('the deadline also holds inside library calls (pattern matching backtracking)', async () => {
  // string.find with a backtracking pattern runs in C without a VM instruction;
  // unbounded, this call takes ~10 s on the ASan build.
  const id = await draft('function f(i) return string.find(string.rep("a", i.n), ".-.-.-.-b") end');
  // refused up front (pattern cost bound) or stopped by the deadline
  await refused(id, 'f', ['rule_error', 'rule_timeout'], { n: 180 }, /too complex|ran out of time/);
});

test('finalizers cannot outlive the deadline (__gc run when a stopped state is closed)', async () => {
  // The rule times out; the server then closes its Lua state, which runs
  // pending __gc finalizers. They must be bounded too (an endless one would
  // hang the worker for good; this one is finite: ~1e9 loop steps per 2 s).
  const id = await draft(`
function f(i)
  setmetatable({}, {__gc = function() local x = 0 for k = 1, i.n do x = x + k end end})
  while true do end
end`);
  // finalizers are refused when set; either way the call ends in time
  await refused(id, 'f', ['rule_error', 'rule_timeout'], { n: 4e9 }, /finalizers|ran out of time/);
});

test('library tables and the string metatable are read-only and survive', async () => {
  const id = await draft(`
function meta() getmetatable("").__index.upper = nil return 1 end
function rep() string.rep = nil return 1 end
function raw() rawset(string, "rep", nil) return 1 end
function unprot() setmetatable(string, nil) return 1 end
function mathx() math.floor = function() return 99 end return 1 end
function tbl() table.insert = nil return 1 end
function smeta() return getmetatable("") end
function up() return ("x"):upper() .. string.rep("y", 2) .. math.floor(2.5) end
`);
  await refused(id, 'meta', 'rule_error');
  assert.equal(await output(id, 'up'), 'Xyy2');
  await refused(id, 'rep', 'rule_error', {}, /read-only/);
  await refused(id, 'raw', 'rule_error', {}, /rawset/);
  await refused(id, 'unprot', 'rule_error');
  await refused(id, 'mathx', 'rule_error', {}, /read-only/);
  await refused(id, 'tbl', 'rule_error', {}, /read-only/);
  assert.equal(await output(id, 'smeta'), false, 'the string metatable is hidden');
  // and in another pack (another state) everything is intact too
  const id2 = await draft('function up() return ("x"):upper() .. string.rep("y", 2) end');
  assert.equal(await output(id2, 'up'), 'Xyy');
  assert.equal(await output(id, 'up'), 'Xyy2');
});

test('a global set in one evaluation is not visible in the next (fresh _ENV)', async () => {
  const id = await draft(`
counter = 0
function set() leaked = 42 counter = counter + 1 return counter end
function get() return leaked end
function cnt() return counter end
`);
  for (let i = 0; i < 20; i++) {
    assert.equal(await output(id, 'set'), 1, 'chunk-level globals start afresh');
    assert.equal(await output(id, 'get'), null, 'a global from an earlier evaluation leaked');
    assert.equal(await output(id, 'cnt'), 0);
  }
});

test('nothing survives an evaluation through the metatable of _ENV either', async () => {
  // getmetatable(_ENV).__index is the state's shared globals table; writing
  // to it would leak data from one evaluation (and one tenant) to the next.
  const id = await draft(`
function set(i) local m = getmetatable(_ENV) if m and type(m.__index) == "table" then m.__index.leaked = i.v end return 1 end
function get() return leaked end
function poison() local m = getmetatable(_ENV) if m and type(m.__index) == "table" then m.__index.tostring = function() return "pwned" end end return 1 end
function ts() return tostring(1) end
`);
  for (let i = 0; i < 10; i++) {
    const { res } = await dry(id, 'set', { v: 'secret-' + i });
    assert.ok(res.status === 200 || res.status === 422, show(res));
  }
  const seen = [];
  for (let i = 0; i < 10; i++) seen.push(await output(id, 'get'));
  assert.deepEqual(seen, Array(10).fill(null), `values written in earlier evaluations are visible: ${JSON.stringify(seen)}`);
  for (let i = 0; i < 10; i++) await dry(id, 'poison');
  const ts = [];
  for (let i = 0; i < 10; i++) ts.push(await output(id, 'ts'));
  assert.deepEqual(ts, Array(10).fill('1'), `a base function replaced by an earlier evaluation: ${JSON.stringify(ts)}`);
});

test('the pack\'s own tables, local variables and functions do not carry over either (its top level runs once)', async () => {
  // The top level runs once per version and data; what it made is frozen
  // and its local variables are put back before every evaluation.
  const id = await draft(`
local PARAMS = { limit = 10, list = { 1, 2, 3 } }
local counter = 0
local function fmt(v) return "good:" .. v end
function helper() return "good" end
function bump()
  counter = counter + 1
  PARAMS = { limit = 99, list = {} }
  fmt = function() return "evil" end
  helper = function() return "evil" end
  return counter
end
function seen() return { counter = counter, limit = PARAMS.limit, n = #PARAMS.list, fmt = fmt(1), helper = helper() } end
function poke() PARAMS.limit = 99 return 1 end
function push() table.insert(PARAMS.list, 4) return 1 end
function keys() local n = 0 for _ in pairs(PARAMS) do n = n + 1 end return { n = n, list = PARAMS.list, first = next(PARAMS) ~= nil } end
`);
  const clean = { counter: 0, limit: 10, n: 3, fmt: 'good:1', helper: 'good' };
  for (let i = 0; i < 12; i++) {
    assert.equal(await output(id, 'bump'), 1, 'a local variable of the pack kept its value from an earlier evaluation');
    assert.deepEqual(await output(id, 'seen'), clean);
  }
  await refused(id, 'poke', 'rule_error', {}, /read-only/);
  await refused(id, 'push', 'rule_error', {}, /read-only/);
  for (let i = 0; i < 6; i++) assert.deepEqual(await output(id, 'seen'), clean);
  assert.deepEqual(await output(id, 'keys'), { n: 2, list: [1, 2, 3], first: true });
});

test('results must be data with whole numbers', async () => {
  const id = await draft(`
function frac() return 1.5 end
function nested() return {a = {b = 0.25}} end
function fn() return function() end end
function inf() return 1/0 end
function nan() return 0/0 end
function mixed() return {1, 2, x = 3} end
function deep() local t = {} local c = t for i = 1, 200 do c[1] = {} c = c[1] end return t end
function cyc() local t = {} t.self = t return t end
function whole() return 3.0 end
function data() return {n = 1, s = "x", b = true, l = {1, 2, 3}, e = {}} end
`);
  let e = await refused(id, 'frac', 'rule_error');
  assert.match(e.message, /whole number/, JSON.stringify(e));
  e = await refused(id, 'nested', 'rule_error');
  assert.match(e.message, /whole number/);
  await refused(id, 'fn', 'rule_error');
  await refused(id, 'inf', 'rule_error');
  await refused(id, 'nan', 'rule_error');
  await refused(id, 'mixed', 'rule_error');
  await refused(id, 'deep', 'rule_error');
  await refused(id, 'cyc', 'rule_error');
  assert.equal(await output(id, 'whole'), 3);
  assert.deepEqual(await output(id, 'data'), { n: 1, s: 'x', b: true, l: [1, 2, 3], e: [] });
});

test('errors a rule raises come back as rule_error with the Lua message', async () => {
  const id = await draft(`
function boom() error("kaputt") end
function obj() error({code = 1}) end
function nilcall() return undefined_fn() end
function arith(i) return i.x + 1 end
`);
  await refused(id, 'boom', 'rule_error', {}, /kaputt/);
  await refused(id, 'obj', 'rule_error');
  await refused(id, 'nilcall', 'rule_error', {}, /undefined_fn/);
  await refused(id, 'arith', 'rule_error', { x: 'abc' });
});

test('missing function: rule_missing; the chunk itself failing: rule_error', async () => {
  const id = await draft('function f() return 1 end\nnotafunction = 5');
  const e = await refused(id, 'g', 'rule_missing');
  assert.equal(e.detail && e.detail.lua, 'g', JSON.stringify(e));
  await refused(id, 'notafunction', 'rule_missing');
  await refused(id, 'string', 'rule_missing');
  const bad = await draft('error("at load time")\nfunction f() return 1 end');
  await refused(bad, 'f', 'rule_error', {}, /at load time/);
  const slow = await draft('while true do end\nfunction f() return 1 end');
  await refused(slow, 'f', 'rule_timeout');
});

test('input reaches the rule as Lua values; deep input is refused cleanly', async () => {
  const id = await draft(`
function echo(i) return i end
function types(i) return {math.type(i.n), type(i.s), type(i.b), #i.l, i.z == nil} end
`);
  assert.deepEqual(await output(id, 'echo', { a: 1, b: 'x', c: [1, 2], d: { e: true } }), { a: 1, b: 'x', c: [1, 2], d: { e: true } });
  assert.deepEqual(await output(id, 'types', { n: 5, s: 'x', b: false, l: [1, 2, 3], z: null }), ['integer', 'string', 'boolean', 3, true]);
  let deep = {};
  for (let i = 0; i < 150; i++) deep = { d: deep };
  await refused(id, 'echo', 'rule_error', deep);
});

test('dry run input validation: 400 for wrong types and shapes', async () => {
  const id = await draft('function f(i) return 1 end');
  const p = `${RP}/${id}/dry-run`;
  for (const [body, code] of [
    [{ function: 5, input: {} }, 'invalid_type'],
    [{ function: ['f'], input: {} }, 'invalid_type'],
    [{ function: 'f', input: [] }, 'invalid_type'],
    [{ function: 'f', input: 'x' }, 'invalid_type'],
    [{ function: 'f', input: 3 }, 'invalid_type'],
    [{ function: 'f' }, 'missing_field'],
    [{ input: {} }, 'missing_field'],
    [{ function: '', input: {} }, 'invalid_length'],
    [{ function: 'f'.repeat(65), input: {} }, 'invalid_length'],
    [{ function: 'f', input: {}, date: '2025-01-01' }, 'unknown_field'],
  ]) {
    const r = await call('POST', p, { session: canton, body });
    err(r, 400, code);
  }
  err(await call('POST', p, { session: canton, raw: '{"function": "f", "input": {', headers: { 'content-type': 'application/json' } }), 400, 'malformed_json');
  err(await call('POST', p, { session: canton, raw: '[]', headers: { 'content-type': 'application/json' } }), 400);
  err(await call('POST', p, { session: canton, raw: 'function=f', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415);
  err(await call('POST', p, { session: canton }), 400, 'missing_body');
  ok(await call('POST', p, { session: canton, body: { function: 'f', input: {} } }), 200);
  await healthy();
});

test('many bombs in a row leave the server serving normal evaluations', async () => {
  const id = await draft(`
function loop() while true do end end
function mem() return string.rep("x", 1e9) end
function ok(i) return i.n * 2 end
`);
  const all = [];
  for (let i = 0; i < 4; i++) all.push(dry(id, 'loop'), dry(id, 'mem'));
  const rs = await Promise.all(all);
  for (const { res, ms } of rs) {
    err(res, 422, ['rule_timeout', 'rule_memory']);
    assert.ok(ms < 2 * BOUND_MS, `took ${ms} ms`);
  }
  assert.equal(await output(id, 'ok', { n: 21 }), 42);
  const t = await as('thun', 'caseworker');
  const ev = ok(await call('POST', '/api/v1/rules/evaluate', { session: t, body: { pack: 'rent-ceilings', function: 'ceiling', date: '2025-06-01', input: { bfs: 942, household_size: 1 } } }), 200);
  assert.deepEqual(ev.json.output, { rent_ceiling: 115000 });
  await healthy();
});

// ----------------------------------------------- work inside library calls

// The deadline (rules_timeout_ms, 2 s) must hold even when the work happens
// inside one C library call, where the instruction hook never runs. Each
// of these ran for 8-14 s (hours with larger arguments) before library
// calls were charged by the work their arguments cause.
const DEADLINE_MS = 2000;
const MARGIN_MS = 1500;

test('library calls are charged by their work: each ends within the deadline', async () => {
  const id = await draft(`
function rep() return #string.rep("", 4e9) end
function repsep() return #string.rep("", 4e9, "") end
function move() local t = {} table.move(t, 1, 4e8, 2) return #t end
function literal() local s = string.rep("a", 1e6) return s:match(string.rep("a", 5000) .. "b") end
function plain() local s = string.rep("a", 4e6) return s:find(string.rep("a", 8000) .. "b", 1, true) end
function gm() local s = string.rep("a", 1e6) local n = 0 for w in s:gmatch(string.rep("a", 4000) .. "b") do n = n + 1 end return n end
function gs() local s = string.rep("ab", 5e5) return (s:gsub(string.rep("ab", 3000) .. "c", "")) end
function concat() return #table.concat(setmetatable({}, {__index = function() return "" end}), "", 1, 4e9) end
function sort() local t = {} for i = 1, 3e5 do t[i] = (i * 7919) % 1000003 end for k = 1, 200 do table.sort(t) end return 1 end
function ulen() local s = string.rep("\\u{e9}", 4e6) local n = 0 for i = 1, 1e5 do n = n + utf8.len(s) end return n end
function bytes() local s = string.rep("x", 9e5) local n = 0 for i = 1, 1e5 do n = n + select("#", s:byte(1, -1)) end return n end
function cat() local a = string.rep("x", 8e6) local n = 0 for i = 1, 1e5 do n = n + #(a .. a) end return n end
function ins() local t = {} for i = 1, 1e6 do t[i] = i end for i = 1, 1e5 do table.insert(t, 1, i) table.remove(t, 1) end return #t end
function unp() local t = {} for i = 1, 5e5 do t[i] = i end local n = 0 for i = 1, 1e5 do n = n + select("#", table.unpack(t)) end return n end
function fine() return #string.rep("ab", 1000, ",") + #table.concat({"a", "b"}, "-") + select(2, ("x y z"):gsub(" ", "")) end
`);
  for (const fn of ['rep', 'repsep', 'move', 'literal', 'plain', 'gm', 'gs', 'concat', 'sort', 'ulen', 'bytes', 'cat', 'ins', 'unp']) {
    const { res, ms } = await dry(id, fn);
    assert.equal(res.status, 422, `${fn}: ${show(res)} after ${ms} ms`);
    err(res, 422, ['rule_timeout', 'rule_memory']);
    assert.ok(ms < DEADLINE_MS + MARGIN_MS, `${fn} took ${ms} ms (deadline ${DEADLINE_MS} ms)`);
  }
  // ordinary use of the same functions is not affected
  assert.equal(await output(id, 'fine'), 2999 + 3 + 2);
  await healthy();
});

test('twenty parallel dry runs of such calls end in time and do not starve other requests', async () => {
  // Before the calls were charged, each of these ran for 8-40 s and
  // twenty of them held every server thread; now each is refused at once.
  const id = await draft(`
function rep() return #string.rep("", 4e9) end
function move() local t = {} table.move(t, 1, 4e8, 2) return #t end
function plain() local s = string.rep("a", 4e6) return s:find(string.rep("a", 8000) .. "b", 1, true) end
`);
  const fns = ['rep', 'move', 'plain'];
  let running = true;
  const probes = [];
  const prober = (async () => {
    while (running) {
      const t0 = Date.now();
      const r = await call('GET', '/api/v1/ping');
      probes.push({ status: r.status, ms: Date.now() - t0 });
      await new Promise((r2) => setTimeout(r2, 20));
    }
  })();
  const t0 = Date.now();
  const runs = await Promise.all(Array.from({ length: 20 }, (_, i) => dry(id, fns[i % fns.length])));
  const wall = Date.now() - t0;
  running = false;
  await prober;
  for (const { res, ms } of runs) {
    err(res, 422, ['rule_timeout', 'rule_memory']);
    assert.ok(ms < DEADLINE_MS + MARGIN_MS, `a dry run took ${ms} ms`);
  }
  assert.ok(wall < DEADLINE_MS + MARGIN_MS, `twenty dry runs took ${wall} ms`);
  assert.ok(probes.length >= 1, `probes answered meanwhile: ${probes.length}`);
  assert.ok(probes.every((p) => p.status === 200), JSON.stringify(probes));
  const worst = Math.max(...probes.map((p) => p.ms));
  assert.ok(worst < DEADLINE_MS, `a request waited ${worst} ms during the dry runs`);
  await healthy();
});

test('a result that is not valid UTF-8 or has a field name with NUL is a rule_error with a message', async () => {
  const id = await draft(`
function bad() return "caf\\xe9" end
function nested() return {ok = "x", list = {"a", "\\xff\\xfe"}} end
function nulkey() return {["a\\0b"] = 1, a = 2} end
function badkey() return {["\\xff"] = 1} end
function msg() error("kaputt \\xff\\0 end") end
function good() return {["gr\\u{fc}n"] = "\\u{e9}t\\u{e9}", n = 1} end
`);
  for (const [fn, re] of [['bad', /UTF-8/], ['nested', /UTF-8/], ['nulkey', /NUL/], ['badkey', /UTF-8/]]) {
    const { res } = await dry(id, fn);
    const e = err(res, 422, 'rule_error');
    assert.match(e.message, re, show(res));
  }
  const m = err((await dry(id, 'msg')).res, 422, 'rule_error');
  assert.match(m.detail.lua, /kaputt \uFFFD\uFFFD end/, JSON.stringify(m));
  assert.deepEqual(await output(id, 'good'), { 'grün': 'été', n: 1 });
});
