// Model stores (io/stores.ts): model.save/loadModel through a 'scheme://key' path, and models as
// bytes in memory (modelToFiles / loadModelFromFiles), with the same checks as a folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as gl from '../../src/index.js';
import { loadModel as loadFolderModel } from '../../src/nn/saving.js';
import { registerModelStore, storeFor, type ModelStore } from '../../src/io/stores.js';
import { env, nodeModule, setEnv } from '../../src/core/env.js';

function smallModel(): gl.Model {
  const m = gl.sequential({ layers: [
    gl.layers.dense({ inputShape: [3], units: 4, activation: 'relu' }),
    gl.layers.dense({ units: 2, activation: 'softmax' }),
  ] });
  m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
  return m;
}
const probe = gl.tensor([[0.5, -1, 2], [1, 1, 1]]);

test('modelToFiles -> loadModelFromFiles gives the same predictions; the files are a folder\'s', async () => {
  const m = smallModel();
  const files = await gl.modelToFiles(m);
  const names = Object.keys(files).sort();
  assert.equal(names.length, 2);
  assert.equal(names[0], 'model.json');
  assert.match(names[1], /^weights-[0-9a-f]{16}\.safetensors$/);
  const back = await gl.loadModelFromFiles(files);
  assert.deepEqual(Array.from(back.predict(probe).data), Array.from(m.predict(probe).data));
  // the same bytes as a folder on disk
  const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-stores-'));
  try {
    await m.save(dir);
    assert.deepEqual(new Uint8Array(readFileSync(join(dir, names[1]))), files[names[1]]);
    assert.equal(readFileSync(join(dir, 'model.json'), 'utf8'), new TextDecoder().decode(files['model.json']));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loadModelFromFiles checks sizes and checksums, and its arguments', async () => {
  const files = await gl.modelToFiles(smallModel());
  const w = Object.keys(files).find((n) => n.startsWith('weights-'))!;
  const flipped = files[w].slice();
  flipped[flipped.length - 1] ^= 1;
  await assert.rejects(gl.loadModelFromFiles({ ...files, [w]: flipped }), (e: unknown) => e instanceof gl.FormatError && /SHA-256/.test((e as Error).message));
  await assert.rejects(gl.loadModelFromFiles({ ...files, [w]: files[w].subarray(1) }), (e: unknown) => e instanceof gl.FormatError && /bytes/.test((e as Error).message));
  await assert.rejects(gl.loadModelFromFiles({ [w]: files[w] }), (e: unknown) => e instanceof gl.FormatError && /no model\.json/.test((e as Error).message));
  await assert.rejects(gl.loadModelFromFiles({ 'model.json': files['model.json'] }), (e: unknown) => e instanceof gl.FormatError && /missing/.test((e as Error).message));
  await assert.rejects(gl.loadModelFromFiles({ 'model.json': 'text' as unknown as Uint8Array }), gl.ValueError);
  await assert.rejects(gl.loadModelFromFiles(null as unknown as Record<string, Uint8Array>), gl.ValueError);
  await assert.rejects(gl.modelToFiles({} as gl.Model), gl.ValueError);
});

test('a registered store receives both files in one write; a read-only store refuses saves', async () => {
  const writes: Record<string, Record<string, Uint8Array>> = {};
  const store: ModelStore = {
    scheme: 'testdb',
    async write(key, files) { writes[key] = { ...files }; },
    async read(key, name) { return writes[key]?.[name]; },
  };
  registerModelStore(store);
  assert.equal(storeFor('testdb://a/b')?.key, 'a/b');
  assert.equal(storeFor('/tmp/testdb'), null);
  assert.equal(storeFor('unknown://x'), null);
  const m = smallModel();
  await m.save('testdb://a/b');
  assert.deepEqual(Object.keys(writes['a/b']).length, 2);
  const back = await loadFolderModel('testdb://a/b');
  assert.deepEqual(Array.from(back.predict(probe).data), Array.from(m.predict(probe).data));
  await back.loadWeights('testdb://a/b');
  registerModelStore({ scheme: 'readonly', read: async () => undefined });
  await assert.rejects(m.save('readonly://x'), (e: unknown) => e instanceof gl.IOError && /read-only/.test((e as Error).message));
  await assert.rejects(loadFolderModel('readonly://x'), gl.FormatError);
  assert.throws(() => registerModelStore({ scheme: 'Bad Scheme', read: async () => undefined }), gl.ValueError);
  assert.throws(() => registerModelStore({ scheme: 'x' } as unknown as ModelStore), gl.ValueError);
});

test('without Node modules (the page adapter), file access fails with an error that says what to use', () => {
  const node = env();
  setEnv({ ...node, name: 'browser', node: undefined });
  try {
    assert.throws(() => nodeModule('fs').readFileSync('x'), (e: unknown) => e instanceof gl.GradlabError && /not available in the browser.*indexeddb/.test((e as Error).message));
  } finally {
    setEnv(node);
  }
  assert.equal(typeof nodeModule('path').join, 'function');
});
