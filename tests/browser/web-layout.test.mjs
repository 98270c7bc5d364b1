// The web application's layout rules (no browser): the casework screens
// every module shares live in web/src/casework/ and depend on no module;
// a module is a folder under web/src/modules/ registered by one line in
// modules/index.tsx; message files register themselves (glob) instead of
// a hand-kept import list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, messageFiles } from './lib.mjs';

const SRC = path.join(ROOT, 'web', 'src');
const read = (rel) => readFileSync(path.join(SRC, rel), 'utf8');
const imports = (text) => [...text.matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]);
/** A pure file of the app (type imports only), transpiled and imported. */
async function transpiled(rel) {
  const ts = createRequire(path.join(ROOT, 'web', 'package.json'))('typescript');
  const out = ts.transpileModule(read(rel), { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'kasus-web-')), `${path.basename(rel, '.ts')}.mjs`);
  writeFileSync(file, out.outputText);
  return import(pathToFileURL(file).href);
}

test('the casework screens are shared: in web/src/casework/, importing no module', () => {
  for (const f of ['Persons.tsx', 'Household.tsx', 'Dossier.tsx', 'Documents.tsx', 'Worklist.tsx', 'Transfer.tsx', 'QuickSearch.tsx', 'Payments.tsx', 'routes.tsx'])
    assert.ok(existsSync(path.join(SRC, 'casework', f)), `casework/${f}`);
  for (const f of readdirSync(path.join(SRC, 'casework')).filter((n) => /\.tsx?$/.test(n))) {
    const bad = imports(read(`casework/${f}`)).filter((i) => i.startsWith('../modules/') && i !== '../modules/types');
    assert.deepEqual(bad, [], `casework/${f} imports a module`);
  }
  const sh = readdirSync(path.join(SRC, 'modules', 'sozialhilfe'));
  for (const f of ['Persons.tsx', 'Household.tsx', 'Documents.tsx', 'Worklist.tsx', 'Transfer.tsx', 'QuickSearch.tsx', 'Dossier.tsx', 'Payments.tsx'])
    assert.ok(!sh.includes(f), `modules/sozialhilfe/${f} is a casework screen`);
});

test('every module folder contributes through modules/index.tsx, one line each', () => {
  const index = read('modules/index.tsx');
  const dirs = readdirSync(path.join(SRC, 'modules'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  assert.ok(dirs.includes('sozialhilfe'));
  for (const d of dirs) {
    assert.ok(existsSync(path.join(SRC, 'modules', d, 'index.tsx')), `modules/${d}/index.tsx`);
    assert.match(index, new RegExp(`^import \\{ ${d} \\} from '\\./${d}';$`, 'm'), `modules/${d} registered`);
    assert.match(read(`modules/${d}/index.tsx`), new RegExp(`export const ${d}: ModuleContribution = \\{\\n  code: '${d}',`), `modules/${d} exports its contribution`);
  }
});

test('message files register themselves: the glob takes every one, no hand-kept list', () => {
  const i18n = read('i18n/index.ts');
  assert.deepEqual(imports(i18n).filter((i) => i.endsWith('.json')), [], 'i18n/index.ts imports message files by hand');
  for (const lang of ['de', 'fr'])
    assert.ok(i18n.includes(`['./${lang}.json', './${lang}.*.json', '../modules/*/${lang}.json']`), `the ${lang} glob`);
  // What the glob takes is what the tests read (lib.mjs messageFiles).
  assert.ok(messageFiles('de').includes('modules/sozialhilfe/de.json'));
  assert.ok(messageFiles('de').includes('i18n/de.dossier.json'));
});

test('a module\'s messages are in its own file: no <module>.* key elsewhere', () => {
  const mods = readdirSync(path.join(SRC, 'modules'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  for (const lang of ['de', 'fr'])
    for (const f of messageFiles(lang)) {
      const keys = Object.keys(JSON.parse(read(f)));
      for (const m of mods.filter((x) => f !== `modules/${x}/${lang}.json`))
        assert.deepEqual(keys.filter((k) => k.startsWith(`${m}.`)), [], `${f} has ${m}'s messages`);
    }
});

test('the work list merges every module\'s items, each linked to its own module', async () => {
  const { mergeWorklists, worklistModules, worklistOf } = await transpiled('casework/worklist-merge.ts');
  const dl = (id, due_on, module) => ({ id, due_on, kind: 'manual', text: 't', dossier_id: id, number: `D-${id}`, client: 'X', version: 1, ...(module ? { module } : {}) });
  const dossier = (id, module) => ({ id, number: `D-${id}`, state: 'intake', last_name: 'A', first_name: 'B', opened_on: '2026-01-01', transferred_from: null, ...(module ? { module } : {}) });
  // One list (today: Sozialhilfe's /api/v1/worklist): the server's order, items tagged with it.
  const one = mergeWorklists([{ code: 'sozialhilfe', wl: { overdue: [dl(2, '2026-03-01'), dl(1, '2026-01-01')], open_dossiers: [dossier(7)] } }]);
  assert.deepEqual(one.overdue.map((d) => [d.id, d.module]), [[2, 'sozialhilfe'], [1, 'sozialhilfe']]);
  assert.deepEqual(one.open_dossiers.map((d) => d.module), ['sozialhilfe']);
  assert.deepEqual(one.due_today, []);
  // Two modules' lists: merged by due date; an item naming its module keeps it.
  const two = mergeWorklists([
    { code: 'sozialhilfe', wl: { overdue: [dl(1, '2026-02-01'), dl(3, '2026-01-15', 'alimentenhilfe')] } },
    { code: 'alimentenhilfe', wl: { overdue: [dl(4, '2026-01-01')], unassigned: [dossier(9)] } },
  ]);
  assert.deepEqual(two.overdue.map((d) => [d.id, d.module]), [[4, 'alimentenhilfe'], [3, 'alimentenhilfe'], [1, 'sozialhilfe']]);
  assert.deepEqual(two.unassigned.map((d) => [d.id, d.module]), [[9, 'alimentenhilfe']]);
  // Which modules the list holds (each row then names its own), and one module's items.
  assert.deepEqual(worklistModules(one), ['sozialhilfe']);
  assert.deepEqual(worklistModules(two), ['alimentenhilfe', 'sozialhilfe']);
  const ah = worklistOf(two, 'alimentenhilfe');
  assert.deepEqual(ah.overdue.map((d) => d.id), [4, 3]);
  assert.deepEqual(ah.unassigned.map((d) => d.id), [9]);
  assert.deepEqual(worklistOf(two, 'sozialhilfe').overdue.map((d) => d.id), [1]);
  assert.deepEqual(worklistOf(two, 'sozialhilfe').unassigned, []);
  assert.equal(worklistOf(two, ''), two);
});

test('the casework screens speak casework\'s words: no module\'s message keys, no module\'s vocabulary', () => {
  const mods = readdirSync(path.join(SRC, 'modules'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  const de = JSON.parse(read('i18n/de.casework.json'));
  for (const f of readdirSync(path.join(SRC, 'casework')).filter((n) => /\.tsx?$/.test(n))) {
    const text = read(`casework/${f}`);
    for (const m of mods)
      assert.doesNotMatch(text, new RegExp(`['"\`]${m}\\.`), `casework/${f} uses a ${m}.* message key`);
    for (const [, k] of text.matchAll(/t\('(casework\.[a-z_.0-9]+)'/g)) assert.ok(k in de, `${k} (casework/${f}) is in de.casework.json`);
  }
  // Categories and deadline kinds come from GET /api/v1/vocabularies, not from lists in the app.
  assert.doesNotMatch(read('casework/types.ts'), /CATEGORIES|SYSTEM_DEADLINES/);
  assert.doesNotMatch(read('modules/types.ts'), /journalCategories/);
  for (const f of ['Documents.tsx', 'Transfer.tsx', 'Dossier.tsx']) assert.match(read(`casework/${f}`), /from '\.\/vocabulary'/, f);
});

test('a state badge\'s colour comes from the dossier kind: the module\'s tones, else the order of its states', async () => {
  const { stateTone } = await transpiled('casework/state-tone.ts');
  const kind = { states: ['open', 'waiting', 'done'] };
  assert.equal(stateTone(kind, 'open'), 'info');
  assert.equal(stateTone(kind, 'waiting'), 'info');
  assert.equal(stateTone(kind, 'done'), 'off', 'the last state is where a dossier ends');
  assert.equal(stateTone({ ...kind, stateTones: { waiting: 'warn', done: 'ok' } }, 'waiting'), 'warn');
  assert.equal(stateTone({ ...kind, stateTones: { done: 'ok' } }, 'done'), 'ok');
  assert.equal(stateTone({}, 'closed'), 'info', 'a module that names no states: no colour of another module');
  // Sozialhilfe names its own, so casework names none of its states.
  const sh = read('modules/sozialhilfe/index.tsx');
  assert.match(sh, /stateTones: \{ decision: 'warn', ongoing: 'ok', review: 'warn', closed: 'off' \}/);
  for (const f of readdirSync(path.join(SRC, 'casework')).filter((n) => /\.tsx?$/.test(n)))
    assert.doesNotMatch(read(`casework/${f}`), /'(ongoing|review|decision|intake|registration)'/, f);
});
