// The import graph of src/, read by scripts/import-cycles.mjs (static imports, re-exports,
// import() calls and type-only imports): no cycles anywhere, and every import goes down the
// layers of the architecture (README, "Layout").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CycleGroup { files: string[]; cycles: string[][]; edges: Record<string, string[]> }
interface Script {
  findImportCycles(root: string, options?: { types?: boolean }): CycleGroup[];
  importGraph(root: string, options?: { types?: boolean }): { succ: Map<string, string[]> };
}

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const src = join(repo, 'src');
const load = async (): Promise<Script> => (await import(new URL('../../../scripts/import-cycles.mjs', import.meta.url).href)) as Script;

// Lower numbers sit lower; a folder may import its own files and any lower folder.
const LAYERS: Record<string, number> = {
  core: 0, backend: 1, tensor: 2, ops: 3, io: 4, metrics: 4, optim: 5, data: 5, train: 5, svm: 5, nn: 6, apps: 7, interop: 7, plot: 7, web: 8, cli: 9,
};
// The command line sits on top: `gradlab lab` starts web/'s server.
// Model selection uses svm and nn; it must not import apps or interop.
LAYERS.selection = 7;

test('src/ has no import cycle, counting import() and type-only imports', async () => {
  const { findImportCycles } = await load();
  const groups = findImportCycles(src, { types: true });
  assert.deepEqual(groups.map((g) => g.cycles), []);
});

test('every import in src/ goes down the layers', async () => {
  const { importGraph } = await load();
  const { succ } = importGraph(src, { types: true });
  assert.ok(succ.size > 50, `found only ${succ.size} source files under ${src}`);
  const wrong: string[] = [];
  for (const [file, deps] of succ) {
    const rel = relative(src, file);
    if (!rel.includes('/')) continue; // src/index.ts re-exports everything
    const from = rel.split('/')[0];
    assert.ok(from in LAYERS, `src/${from}/ is not in the layer table; add it to LAYERS and the README's layout`);
    for (const d of deps) {
      const to = relative(src, d).split('/')[0];
      if (to !== from && !(LAYERS[to] < LAYERS[from])) wrong.push(`${rel} -> ${relative(src, d)}`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('the cycle finder sees static, re-export and dynamic links, and ignores comments, strings and type-only imports', async () => {
  const { findImportCycles: find } = await load();
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
