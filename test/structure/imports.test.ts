// Import cycles in src/, found by scripts/import-cycles.mjs (static imports, re-exports and
// import() calls). The folders of this test's owners must be in none; cycles elsewhere are listed
// by `node scripts/import-cycles.mjs` for their owners.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CycleGroup { files: string[]; cycles: string[][]; edges: Record<string, string[]> }
type Finder = (root: string, options?: { types?: boolean }) => CycleGroup[];

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const script = new URL('../../../scripts/import-cycles.mjs', import.meta.url).href;
const load = async (): Promise<Finder> => ((await import(script)) as { findImportCycles: Finder }).findImportCycles;

const ACYCLIC = ['core/', 'svm/', 'data/', 'plot/', 'optim/'];

test('core, svm, data, plot and optim are in no import cycle, counting import() and type-only imports', async () => {
  const find = await load();
  for (const types of [false, true]) {
    const groups = find(join(repo, 'src'), { types });
    const ours = groups.filter((g) => g.files.some((f) => ACYCLIC.some((d) => f.startsWith(d))));
    assert.deepEqual(ours, [], `cycles${types ? ' (with type-only imports)' : ''}: ${JSON.stringify(ours.map((g) => g.cycles))}`);
  }
});

test('the cycle finder sees static, re-export and dynamic links, and ignores comments, strings and type-only imports', async () => {
  const find = await load();
  const root = mkdtempSync(join(tmpdir(), 'gradlab-cycles-'));
  try {
    mkdirSync(join(root, 'm'));
    writeFileSync(join(root, 'm', 'a.ts'), "import { b } from './b.js';\nexport const a = () => b;\n");
    writeFileSync(join(root, 'm', 'b.ts'), "export async function b() { return (await import('./a.js')).a; }\n");
    writeFileSync(join(root, 'm', 'index.ts'), "export * from './c.js';\n");
    writeFileSync(join(root, 'm', 'c.ts'), "import type { a } from './index.js';\n// import './index.js'\nconst s = \"import './index.js'\";\nconst r = /import('.\\/index.js')/;\nexport type C = typeof a;\n");
    writeFileSync(join(root, 'd.ts'), "export { a } from './m/a.js';\n");
    const groups = find(root);
    assert.deepEqual(groups.map((g) => g.files), [['m/a.ts', 'm/b.ts']]);
    assert.deepEqual(groups[0].cycles, [['m/a.ts', 'm/b.ts']]);
    assert.deepEqual(groups[0].edges, { 'm/a.ts -> m/b.ts': ['static'], 'm/b.ts -> m/a.ts': ['dynamic'] });
    // With type-only imports, index.ts and c.ts tie up too.
    assert.deepEqual(find(root, { types: true }).map((g) => g.files), [['m/a.ts', 'm/b.ts'], ['m/c.ts', 'm/index.ts']]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
