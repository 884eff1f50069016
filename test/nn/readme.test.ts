// The README's functional-API snippets run as written (against this build instead of the package).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..', '..');

test('the README tour of the functional API runs', async () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const from = readme.indexOf('Graphs, as Keras');
  const to = readme.indexOf('Options are checked in plain JavaScript');
  assert.ok(from > 0 && to > from, 'the README has the functional-API section');
  const blocks = [...readme.slice(from, to).matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.equal(blocks.length, 4);
  const index = pathToFileURL(join(root, 'dist', 'src', 'index.js')).href;
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-readme-'));
  const file = join(dir, 'tour.mjs');
  const lines: string[] = [];
  writeFileSync(file, `import * as gl from '${index}';\n${blocks.join('\n')}\nexport { net, two, clf, base, digits, bigs, fromOnnx, fromWeb };\n`);
  const log = console.log;
  console.log = (...a: unknown[]) => { lines.push(a.join(' ')); };
  let mod: Record<string, { countParams(): number; trainableWeights: { size: number }[]; shape?: number[] }>;
  const cwd = process.cwd();
  process.chdir(dir); // the snippets write net.onnx and net-web/ where they run
  try {
    mod = await import(pathToFileURL(file).href);
  } finally {
    console.log = log;
    process.chdir(cwd);
  }
  assert.match(lines.join('\n'), /Connected to/);
  assert.deepEqual(mod.digits.shape, [8, 10]);
  assert.deepEqual(mod.bigs.shape, [8, 1]);
  // only the head trains: the frozen trunk's 14 x 14 x 8 features into one sigmoid unit
  assert.equal(mod.clf.trainableWeights.reduce((n, w) => n + w.size, 0), 14 * 14 * 8 + 1);
  assert.equal(mod.clf.countParams(), mod.base.countParams() + 14 * 14 * 8 + 1);
  // the ONNX and TF.js copies of net hold its parameters
  assert.equal(mod.fromWeb.countParams(), mod.net.countParams());
  assert.equal(mod.fromOnnx.countParams(), mod.net.countParams());
});
