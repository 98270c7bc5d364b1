// The web application's layout rules (no browser): the casework screens
// every module shares live in web/src/casework/ and depend on no module;
// a module is a folder under web/src/modules/ registered by one line in
// modules/index.tsx; message files register themselves (glob) instead of
// a hand-kept import list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, messageFiles } from './lib.mjs';

const SRC = path.join(ROOT, 'web', 'src');
const read = (rel) => readFileSync(path.join(SRC, rel), 'utf8');
const imports = (text) => [...text.matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]);

test('the casework screens are shared: in web/src/casework/, importing no module', () => {
  for (const f of ['Persons.tsx', 'Household.tsx', 'Dossier.tsx', 'Documents.tsx', 'Worklist.tsx', 'Transfer.tsx', 'QuickSearch.tsx', 'routes.tsx'])
    assert.ok(existsSync(path.join(SRC, 'casework', f)), `casework/${f}`);
  for (const f of readdirSync(path.join(SRC, 'casework')).filter((n) => /\.tsx?$/.test(n))) {
    const bad = imports(read(`casework/${f}`)).filter((i) => i.startsWith('../modules/') && i !== '../modules/types');
    assert.deepEqual(bad, [], `casework/${f} imports a module`);
  }
  const sh = readdirSync(path.join(SRC, 'modules', 'sozialhilfe'));
  for (const f of ['Persons.tsx', 'Household.tsx', 'Documents.tsx', 'Worklist.tsx', 'Transfer.tsx', 'QuickSearch.tsx', 'Dossier.tsx'])
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
