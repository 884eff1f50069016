// Keras files: each fixture (written by fixtures/keras/make_fixtures.py with Keras' own h5py calls)
// loads and matches PyTorch's outputs; loadWeights in Keras' orders; errors; and the fuzz tests
// of the HDF5 and zip readers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync, zipSync } from 'fflate';
import { FormatError, GradlabError, ShapeError, ValueError } from '../../src/core/errors.js';
import { tensor } from '../../src/tensor/creation.js';
import { Random } from '../../src/tensor/random.js';
import { layers, sequential, type Model } from '../../src/nn/index.js';
import { loadKeras } from '../../src/interop/index.js';
import { H5File } from '../../src/interop/keras/hdf5.js';
import { kerasSnakeCase } from '../../src/interop/keras/files.js';
import { readZipEntries } from '../../src/interop/keras/zip.js';
import { crc32 } from '../../src/core/crc32.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/interop/fixtures/keras');
const fixture = (name: string) => path.join(FIXTURES, name);

interface Golden { input: { shape: number[]; data: number[] }; output: { shape: number[]; data: number[] } }
const golden = (name: string): Golden => JSON.parse(fs.readFileSync(fixture(`${name}.golden.json`), 'utf8')) as Golden;

function maxError(model: Model, g: Golden): number {
  const y = model.predict(tensor(Float32Array.from(g.input.data)).reshape(g.input.shape));
  assert.deepEqual([...y.shape], g.output.shape);
  let e = 0;
  for (let i = 0; i < g.output.data.length; i++) e = Math.max(e, Math.abs(y.data[i] - g.output.data[i]));
  return e;
}

function assertMatches(model: Model, name: string): void {
  const e = maxError(model, golden(name));
  assert.ok(e < 1e-5, `${name}: max |gradlab - PyTorch| = ${e}`);
}

// ---------- every fixture against PyTorch ----------

for (const name of ['seq_cnn', 'seq_list', 'functional_residual', 'model_residual', 'nested', 'h5py2_style', 'split_names']) {
  test(`loadKeras: ${name}.h5 matches PyTorch's outputs`, async () => {
    const model = await loadKeras(fixture(`${name}.h5`));
    assertMatches(model, name);
  });
}

test('loadKeras: the Sequential CNN keeps its layers, and training_config compiles it', async () => {
  const model = await loadKeras(fixture('seq_cnn.h5'));
  assert.deepEqual(model.layers.map((l) => l.className), ['Conv2D', 'BatchNormalization', 'MaxPooling2D', 'Conv2D', 'Flatten', 'Dense', 'Dropout', 'Dense']);
  assert.deepEqual(model.compileConfig()?.loss, ['categorical_crossentropy']);
});

test('loadKeras: from bytes, the same model as from the path', async () => {
  const a = await loadKeras(fixture('nested.h5'));
  const b = await loadKeras(new Uint8Array(fs.readFileSync(fixture('nested.h5'))));
  const g = golden('nested');
  assert.equal(maxError(a, g), maxError(b, g));
});

test('loadKeras: a Keras 3 .keras zip with a nested Sequential matches PyTorch', async () => {
  const model = await loadKeras(fixture('keras3.keras'));
  assertMatches(model, 'keras3');
});

test("the split layer_names0/layer_names1 attributes read as one list, in Keras' order", () => {
  const f = H5File.open(new Uint8Array(fs.readFileSync(fixture('split_names.h5'))), 'split_names.h5');
  const mw = f.root.group('model_weights');
  assert.equal(mw.attr('layer_names'), undefined);
  assert.ok(mw.attr('layer_names0') !== undefined && mw.attr('layer_names1') !== undefined);
  const names = mw.stringListAttr('layer_names')!;
  assert.equal(names.length, 66);
  assert.equal(names[0], 'dense');
  assert.equal(names[64], `activation_${'x'.repeat(1000)}`);
  assert.equal(names[65], 'dense_1');
});

test('HDF5 strings: NUL-padded fixed-length (h5py 2) and variable-length (h5py 3) attributes', () => {
  const old = H5File.open(new Uint8Array(fs.readFileSync(fixture('h5py2_style.h5'))), 'h5py2_style.h5');
  assert.equal(old.root.stringAttr('backend'), 'tensorflow');
  assert.equal(old.root.stringAttr('keras_version'), '2.2.4');
  assert.deepEqual(old.root.group('model_weights').stringListAttr('layer_names'), ['dense_1', 'dense_2']);
  const v3 = H5File.open(new Uint8Array(fs.readFileSync(fixture('seq_cnn.h5'))), 'seq_cnn.h5');
  assert.equal(v3.root.stringAttr('keras_version'), '2.11.0');
  assert.deepEqual(v3.root.group('model_weights/conv2d').stringListAttr('weight_names'), ['conv2d/kernel:0', 'conv2d/bias:0']);
  // an int64 scalar (Keras 3's optimizer iteration count)
  const k3 = H5File.open(new Uint8Array(fs.readFileSync(fixture('keras3.weights.h5'))), 'keras3.weights.h5');
  const it = k3.root.dataset('optimizer/vars/0');
  assert.deepEqual([it.shape, it.dtype, [...it.data]], [[], '<i8', [3]]);
});

test('HDF5 datasets: float16/32/64 and integers of either byte order; chunked, compressed and string data refused', () => {
  const f = H5File.open(new Uint8Array(fs.readFileSync(fixture('dtypes.h5'))), 'dtypes.h5');
  const floats = Float32Array.from([-1.5, 0.25, 3.0, 65504.0, -0.0, 1e-3]);
  for (const name of ['f4', 'f8', 'f4be', 'f8be']) {
    const a = f.root.dataset(name);
    assert.deepEqual(a.shape, [2, 3]);
    assert.deepEqual([...a.data], [...floats], name);
  }
  const h = f.root.dataset('f2');
  assert.equal(h.dtype, '<f2');
  assert.deepEqual([...h.data.slice(0, 5)], [-1.5, 0.25, 3, 65504, -0]);
  assert.ok(Math.abs(h.data[5] - 0.0010004043579101562) < 1e-9);
  for (const name of ['i1', 'i2', 'i4', 'i8', 'u1', 'u2', 'u4', 'i4be']) assert.deepEqual([...f.root.dataset(name).data], [0, 1, 2, 3, 100, 127], name);
  assert.deepEqual([...f.root.dataset('neg').data], [-128, -1, 5]);
  assert.deepEqual([f.root.dataset('scalar').shape, [...f.root.dataset('scalar').data]], [[], [2.5]]);
  assert.deepEqual([f.root.dataset('empty').shape, f.root.dataset('empty').data.length], [[0, 3], 0]);
  assert.throws(() => f.root.dataset('chunked'), (e: unknown) => e instanceof FormatError && /\/chunked: uses chunked storage/.test(e.message));
  assert.throws(() => f.root.dataset('compressed'), (e: unknown) => e instanceof FormatError && /compressed or filtered/.test(e.message));
  assert.throws(() => f.root.dataset('strings'), (e: unknown) => e instanceof FormatError && /datatype S2/.test(e.message));
  assert.throws(() => f.root.dataset('nothing'), (e: unknown) => e instanceof FormatError && /dtypes\.h5: HDF5 object \/nothing: not found/.test(e.message));
  assert.throws(() => f.root.group('f4'), (e: unknown) => e instanceof FormatError && /is a dataset/.test(e.message));
  // attributes: prototype names are plain names, lists of bytes and of str alike
  // jsfive collects attributes in a plain object, where a '__proto__' string is dropped: absent, not inherited
  assert.equal(f.root.attr('__proto__'), undefined);
  assert.ok(!f.root.attrNames().includes('__proto__'));
  assert.deepEqual(f.root.attr('constructor'), [1, 2]);
  assert.equal(f.root.attr('toString'), undefined);
  assert.deepEqual(f.root.attr('ints'), [1, 2, 3]);
  assert.deepEqual(f.root.stringListAttr('bytes_list'), ['x', 'yz']);
  assert.deepEqual(f.root.stringListAttr('str_list'), ['x', 'yz']);
  assert.equal(f.root.stringAttr('vlen_str'), 'variable');
  assert.equal(f.root.attr('pi'), 3.25);
  // jsfive drops a member named '__proto__' too: reading it is a FormatError, never Object.prototype
  assert.throws(() => f.root.group('__proto__'), (e: unknown) => e instanceof FormatError && /__proto__: not found/.test(e.message));
  assert.equal(f.root.has('constructor'), false);
  assert.equal(f.root.has('__proto__/constructor'), false);
  assert.ok(!f.root.keys().includes('constructor'));
});

test("Keras' snake_case of class names, as Keras 3 paths use them", () => {
  assert.deepEqual(['Conv2D', 'MaxPooling2D', 'BatchNormalization', 'InputLayer', 'GlobalAveragePooling2D', 'Dense', 'Functional', 'ReLU', 'Conv2DTranspose'].map(kerasSnakeCase),
    ['conv2d', 'max_pooling2d', 'batch_normalization', 'input_layer', 'global_average_pooling2d', 'dense', 'functional', 're_lu', 'conv2d_transpose']);
});

// ---------- model.loadWeights ----------

test("loadWeights: a save_weights file in Keras' topological order", async () => {
  const model = await loadKeras(fixture('seq_cnn.h5'));
  await model.loadWeights(fixture('seq_cnn.weights_only.h5'));
  assertMatches(model, 'seq_cnn.weights_only');
});

test('loadWeights: a full-model .h5 file (weights under model_weights)', async () => {
  const model = await loadKeras(fixture('seq_cnn.h5'));
  await model.loadWeights(fixture('seq_cnn.weights_only.h5'));
  await model.loadWeights(fixture('seq_cnn.h5'));
  assertMatches(model, 'seq_cnn');
});

test('loadWeights: a Keras 3 .weights.h5 file and a .keras file', async () => {
  const model = await loadKeras(fixture('keras3.keras'));
  await model.loadWeights(fixture('keras3.weights.h5'));
  assertMatches(model, 'keras3.weights');
  await model.loadWeights(fixture('keras3.keras'));
  assertMatches(model, 'keras3');
});

function vggLike(names: boolean): Model {
  const conv = (filters: number, name: string, inputShape?: number[]) =>
    layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu', ...(names ? { name } : {}), ...(inputShape ? { inputShape } : {}) });
  return sequential([
    conv(4, 'block1_conv1', [8, 8, 3]), conv(4, 'block1_conv2'), layers.maxPooling2d({ poolSize: 2 }),
    conv(8, 'block2_conv1'), conv(8, 'block2_conv2'), layers.maxPooling2d({ poolSize: 2 }),
  ]);
}

test('loadWeights: Keras-1-era names (block1_conv1_W_1:0), by order into a model with other layer names', async () => {
  const model = vggLike(false);
  await model.loadWeights(fixture('vgg_keras1.h5'));
  assertMatches(model, 'vgg_keras1');
});

test("loadWeights: Keras 1 names without ':0' (dense_1_W, dense_1_b)", async () => {
  const model = sequential([layers.dense({ inputShape: [3], units: 4, activation: 'relu' }), layers.dense({ units: 2 })]);
  await model.loadWeights(fixture('keras1_dense.h5'));
  assertMatches(model, 'keras1_dense');
});

test("loadWeights: a file in HDF5's newer format (h5py libver='latest': superblock v3, v2 object headers)", async () => {
  const model = sequential([layers.dense({ inputShape: [3], units: 4, activation: 'relu' }), layers.dense({ units: 2 })]);
  await model.loadWeights(fixture('latest_format.weights.h5'));
  assertMatches(model, 'latest_format');
});

test('loadWeights: byName loads the layers the file names and leaves the others', async () => {
  const model = vggLike(true);
  await model.loadWeights(fixture('vgg_keras1.h5'), { byName: true });
  assertMatches(model, 'vgg_keras1');
  // a model holding only some of the file's layers, in another order, plus one of its own
  const part = sequential([
    layers.conv2d({ inputShape: [4, 4, 4], filters: 8, kernelSize: 3, padding: 'same', name: 'block2_conv1' }),
    layers.dense({ units: 2, name: 'extra' }),
  ]);
  const before = part.getLayer('extra').getWeights().map((t) => [...t.data]);
  await part.loadWeights(fixture('vgg_keras1.h5'), { byName: true });
  const f = H5File.open(new Uint8Array(fs.readFileSync(fixture('vgg_keras1.h5'))), 'vgg');
  assert.deepEqual([...part.getLayer('block2_conv1').getWeights()[0].data], [...f.root.dataset('block2_conv1/block2_conv1_W_1:0').data]);
  assert.deepEqual(part.getLayer('extra').getWeights().map((t) => [...t.data]), before);
});

test('loadWeights: skipMismatch skips the layers whose shapes differ, and says which', async (t) => {
  const model = sequential([
    layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, padding: 'same', name: 'block1_conv1' }),
    layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', name: 'block1_conv2' }), // the file has 4 filters
  ]);
  const before = [...model.getLayer('block1_conv2').getWeights()[0].data];
  await assert.rejects(model.loadWeights(fixture('vgg_keras1.h5'), { byName: true }), (e: unknown) =>
    e instanceof FormatError && /block1_conv2/.test(e.message) && /\[3,3,4,4\]/.test(e.message) && /\[3,3,4,5\]/.test(e.message));
  const warn = t.mock.method(console, 'warn', () => {});
  await model.loadWeights(fixture('vgg_keras1.h5'), { byName: true, skipMismatch: true });
  assert.equal(warn.mock.callCount(), 1);
  assert.match(String(warn.mock.calls[0].arguments[0]), /skipped .*block1_conv2/);
  assert.deepEqual([...model.getLayer('block1_conv2').getWeights()[0].data], before);
  const f = H5File.open(new Uint8Array(fs.readFileSync(fixture('vgg_keras1.h5'))), 'vgg');
  assert.deepEqual([...model.getLayer('block1_conv1').getWeights()[0].data], [...f.root.dataset('block1_conv1/block1_conv1_W_1:0').data]);
});

test('loadWeights: a Keras 3 file refuses byName (its paths are positions, not names)', async () => {
  const model = await loadKeras(fixture('keras3.keras'));
  await assert.rejects(model.loadWeights(fixture('keras3.weights.h5'), { byName: true }), ValueError);
});

// ---------- errors ----------

test('errors: a wrong shape names the layer, the weight and both shapes', async () => {
  const model = sequential([
    layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, padding: 'same' }),
    layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }),
    layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same' }),
    layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same' }),
  ]);
  await assert.rejects(model.loadWeights(fixture('vgg_keras1.h5')), (e: unknown) =>
    e instanceof FormatError && /block2_conv2/.test(e.message) && /block2_conv2_W_1:0/.test(e.message) && /\[3,3,8,8\]/.test(e.message) && /\[3,3,8,6\]/.test(e.message));
});

test('errors: a layer count that differs, and a layer_names entry with no group', async () => {
  const small = sequential([layers.dense({ inputShape: [3], units: 2 })]);
  await assert.rejects(small.loadWeights(fixture('vgg_keras1.h5')), (e: unknown) => e instanceof FormatError && /4 layers/.test(e.message));
  await assert.rejects(small.loadWeights(fixture('bad_missing_layer.h5')), (e: unknown) => e instanceof FormatError && /dense_9/.test(e.message));
});

test('errors: a Keras 3 weights file whose paths do not fit the model', async () => {
  const model = sequential([layers.dense({ inputShape: [3], units: 2 })]);
  await assert.rejects(model.loadWeights(fixture('keras3.weights.h5')), (e: unknown) => e instanceof FormatError && /layers\//.test(e.message));
});

test('errors: an unknown layer class, a weights-only file, a truncated file, not HDF5 at all', async () => {
  await assert.rejects(loadKeras(fixture('bad_unknown_class.h5')), (e: unknown) => e instanceof FormatError && /FancyLayer/.test(e.message));
  await assert.rejects(loadKeras(fixture('seq_cnn.weights_only.h5')), (e: unknown) => e instanceof FormatError && /weights-only/.test(e.message));
  const bytes = new Uint8Array(fs.readFileSync(fixture('seq_cnn.h5')));
  for (const n of [10, 100, 2000, bytes.length >> 1, bytes.length - 8]) {
    await assert.rejects(loadKeras(bytes.subarray(0, n)), FormatError, `truncated to ${n} bytes`);
  }
  await assert.rejects(loadKeras(new TextEncoder().encode('{"class_name": "Sequential"}'.padEnd(100))), (e: unknown) => e instanceof FormatError && /not an HDF5 file/.test(e.message));
  await assert.rejects(loadKeras(fixture('no-such-file.h5')), FormatError);
  await assert.rejects(loadKeras(42 as unknown as string), ValueError);
});

// ---------- fuzz ----------

/** A seeded uniform [0, 1) source for the mutations: gradlab's own generator. */
function rng(seed: number): () => number {
  const g = new Random(seed);
  return () => g.random();
}

interface Mutation { label: string; bytes: Uint8Array; touched: number[]; outside?: Uint8Array }

function indexesOf(hay: Uint8Array, needle: Uint8Array): number[] {
  const out: number[] = [];
  const b = Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength);
  for (let i = b.indexOf(needle); i >= 0; i = b.indexOf(needle, i + 1)) out.push(i);
  return out;
}

type Outcome = 'typed' | 'identical' | 'different';

async function outcome(bytes: Uint8Array, x: ReturnType<typeof tensor>, baseline: Float32Array): Promise<Outcome> {
  let model: Model;
  try {
    model = await loadKeras(bytes);
  } catch (e) {
    if (e instanceof FormatError || e instanceof ValueError || e instanceof ShapeError) return 'typed';
    throw new Error(`untyped error: ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)}`);
  }
  let y: Float32Array;
  try {
    y = model.predict(x).data as Float32Array;
  } catch (e) {
    // a model that loads but cannot run on the original input (e.g. a changed input shape)
    if (e instanceof GradlabError) return 'different';
    throw e;
  }
  return y.length === baseline.length && y.every((v, i) => Object.is(v, baseline[i])) ? 'identical' : 'different';
}

test('fuzz: HDF5 truncations, bit flips, lying lengths and prototype names give typed errors or undetectable changes', { timeout: 120_000 }, async () => {
  const base = new Uint8Array(fs.readFileSync(fixture('fuzz_base.h5')));
  const good = await loadKeras(base);
  const x = tensor(Float32Array.from({ length: 8 }, (_, i) => (i - 3.5) / 2)).reshape([2, 4]);
  const baseline = good.predict(x).data as Float32Array;
  // what HDF5 cannot check (it has no checksums in these versions): the float data and the JSON text
  const payload: [number, number][] = [];
  for (const l of good.layers) {
    for (const w of l.weights) {
      const d = new Uint8Array(w.tensor.data.buffer, w.tensor.data.byteOffset, w.tensor.data.byteLength);
      for (const i of indexesOf(base, d)) payload.push([i, i + d.length]);
    }
  }
  const configText = H5File.open(base, 'fuzz_base.h5').root.stringAttr('model_config')!;
  for (const i of indexesOf(base, new TextEncoder().encode(configText))) payload.push([i, i + configText.length]);
  assert.ok(payload.length >= 5, 'found the weights and the config in the file');
  const inPayload = (o: number) => payload.some(([a, b]) => o >= a && o < b);
  const r = rng(11);
  const pick = (n: number) => Math.floor(r() * n);
  const muts: Mutation[] = [];
  const flip = (label: string, offsets: number[]) => {
    const b = base.slice();
    const outside = base.slice(); // the same flips, less those in the payload
    for (const o of offsets) {
      const bit = 1 << pick(8);
      b[o] ^= bit;
      if (!inPayload(o)) outside[o] ^= bit;
    }
    muts.push({ label: `${label} at ${offsets.join(', ')}`, bytes: b, touched: offsets, outside });
  };
  for (let i = 0; i < 25; i++) { const n = pick(base.length); muts.push({ label: `truncate to ${n}`, bytes: base.slice(0, n), touched: [] }); }
  for (let i = 0; i < 50; i++) flip('superblock bit', [pick(96)]);
  // object headers, B-trees and heaps are in the first few KB that h5py writes
  for (let i = 0; i < 60; i++) flip('metadata bit', [pick(Math.min(base.length, 4096))]);
  for (let i = 0; i < 40; i++) flip('anywhere bits', [pick(base.length), pick(base.length), pick(base.length)]);
  const attrNames = ['layer_names', 'weight_names', 'model_config', 'keras_version'].flatMap((s) => indexesOf(base, new TextEncoder().encode(s)));
  for (let i = 0; i < 40; i++) { const at = attrNames[pick(attrNames.length)]; flip('attribute message bit', [Math.max(0, Math.min(base.length - 1, at - 40 + pick(80)))]); }
  const huge = [0xffffffff, 0x7fffffff, 0x80000000, 1 << 20, 0];
  for (let i = 0; i < 50; i++) {
    const b = base.slice();
    const o = pick(Math.min(base.length, 4096) - 8) & ~3;
    new DataView(b.buffer).setUint32(o, huge[pick(huge.length)], true);
    if (r() < 0.5) new DataView(b.buffer).setUint32(o + 4, huge[pick(huge.length)], true);
    muts.push({ label: `lying length at ${o}`, bytes: b, touched: [o, o + 1, o + 2, o + 3, o + 4, o + 5, o + 6, o + 7] });
  }
  const rename = (from: string, to: string, which: 'all' | 'some') => {
    const b = base.slice();
    const idx = indexesOf(b, new TextEncoder().encode(from));
    idx.forEach((i, k) => { if (which === 'all' || k % 2 === 0) b.set(new TextEncoder().encode(to), i); });
    muts.push({ label: `rename ${from} -> ${to} (${which})`, bytes: b, touched: [] });
  };
  for (const which of ['all', 'some'] as const) {
    rename('dense_abcde', 'constructor', which);
    rename('dense_abc"', '__proto__"', which);
    rename('dense_abc', '__proto__', which);
  }
  const counts = { mutations: muts.length, typed: 0, identical: 0, different: 0 };
  const wrong: string[] = [];
  let slowest = 0;
  for (const m of muts) {
    const t0 = performance.now();
    const o = await outcome(m.bytes, x, baseline);
    slowest = Math.max(slowest, performance.now() - t0);
    counts[o]++;
    // a change is undetectable when it comes from the payload: without those flips, nothing changes
    if (o === 'different' && !(m.touched.some(inPayload) && m.outside && (await outcome(m.outside, x, baseline)) !== 'different')) wrong.push(m.label);
  }
  console.log('HDF5 fuzz:', JSON.stringify(counts), `slowest ${slowest.toFixed(0)} ms`);
  assert.deepEqual(wrong, [], 'mutations outside the float data and the JSON text that changed the model without an error');
  assert.ok(counts.typed > counts.mutations / 3);
  assert.ok(slowest < 10_000);
});

test('HDF5: a B-tree that fans out without end (8^12 node visits) ends in a FormatError, not a hang', { timeout: 30_000 }, async () => {
  const base = new Uint8Array(fs.readFileSync(fixture('fuzz_base.h5')));
  const v0 = new DataView(base.buffer);
  // the root group's B-tree (h5py writes it first) and the symbol node it points to
  const tree = Buffer.from(base).indexOf('TREE');
  const snod = v0.getBigUint64(tree + 32, true);
  // 12 levels of nodes, each with 8 children that are all the node one level down
  const L = 12;
  const F = 8;
  const size = 24 + F * 16 + 8;
  const out = new Uint8Array(base.length + L * size);
  out.set(base);
  const v = new DataView(out.buffer);
  for (let level = 0; level < L; level++) {
    const at = base.length + level * size;
    out.set(new TextEncoder().encode('TREE'), at);
    out[at + 5] = level;
    v.setUint16(at + 6, F, true);
    v.setBigUint64(at + 8, 0xffffffffffffffffn, true);
    v.setBigUint64(at + 16, 0xffffffffffffffffn, true);
    for (let i = 0; i < F; i++) v.setBigUint64(at + 32 + 16 * i, level === 0 ? snod : BigInt(at - size), true);
  }
  let patched = 0;
  for (let o = 0; o < 1200; o++) {
    if (v.getBigUint64(o, true) === BigInt(tree)) { v.setBigUint64(o, BigInt(base.length + (L - 1) * size), true); patched++; }
  }
  assert.ok(patched >= 1);
  v.setBigUint64(40, BigInt(out.length), true); // the superblock's end-of-file address
  const t0 = performance.now();
  await assert.rejects(loadKeras(out), (e: unknown) => e instanceof FormatError && /read too much/.test(e.message));
  console.log(`fan-out B-tree refused after ${(performance.now() - t0).toFixed(0)} ms`);
});

/** The central directory entries' offsets of a zip: [entry start, name]. */
function centralEntries(b: Uint8Array): [number, string][] {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let e = b.length - 22;
  while (v.getUint32(e, true) !== 0x06054b50) e--;
  const out: [number, string][] = [];
  let p = v.getUint32(e + 16, true);
  for (let i = 0; i < v.getUint16(e + 10, true); i++) {
    const nl = v.getUint16(p + 28, true);
    out.push([p, new TextDecoder().decode(b.subarray(p + 46, p + 46 + nl))]);
    p += 46 + nl + v.getUint16(p + 30, true) + v.getUint16(p + 32, true);
  }
  return out;
}

test('fuzz: .keras zips with lying sizes, truncated central directories and flipped bits give typed errors', { timeout: 120_000 }, async () => {
  const base = new Uint8Array(fs.readFileSync(fixture('keras3.keras')));
  const g = golden('keras3');
  const x = tensor(Float32Array.from(g.input.data)).reshape(g.input.shape);
  const baseline = (await loadKeras(base)).predict(x).data as Float32Array;
  const r = rng(23);
  const pick = (n: number) => Math.floor(r() * n);
  const entries = centralEntries(base);
  const cdStart = entries[0][0];
  const muts: { label: string; bytes: Uint8Array }[] = [];
  for (let i = 0; i < 20; i++) { const n = cdStart + pick(base.length - cdStart); muts.push({ label: `truncate in the central directory at ${n}`, bytes: base.slice(0, n) }); }
  for (let i = 0; i < 10; i++) { const n = pick(base.length); muts.push({ label: `truncate at ${n}`, bytes: base.slice(0, n) }); }
  const lies = [0, 1, 100, 0x7fffffff, 0xffffffff, 3_000_000_000, 64 << 20];
  for (const [p, name] of entries) {
    for (const field of [20, 24]) { // compressed, uncompressed size
      for (const value of lies) {
        const b = base.slice();
        new DataView(b.buffer).setUint32(p + field, value, true);
        muts.push({ label: `${name}: ${field === 20 ? 'compressed' : 'uncompressed'} size ${value}`, bytes: b });
      }
    }
    for (const field of [28, 42, 16]) { // name length, local header offset, CRC
      const b = base.slice();
      new DataView(b.buffer).setUint32(p + field, 0xfffff0 + pick(15), true);
      muts.push({ label: `${name}: field ${field} lies`, bytes: b });
    }
  }
  for (let i = 0; i < 60; i++) {
    const b = base.slice();
    const o = pick(base.length);
    b[o] ^= 1 << pick(8);
    muts.push({ label: `bit flip at ${o}`, bytes: b });
  }
  const counts = { mutations: muts.length, typed: 0, identical: 0, different: 0 };
  const wrong: string[] = [];
  for (const m of muts) {
    const o = await outcome(m.bytes, x, baseline);
    counts[o]++;
    if (o === 'different') wrong.push(m.label);
  }
  console.log('zip fuzz:', JSON.stringify(counts));
  // every entry is CRC-checked: nothing can change the model unnoticed
  assert.deepEqual(wrong, []);
  assert.ok(counts.typed > counts.mutations / 2);
});

test('zip: a zip bomb entry is refused before it is inflated, and the CRC catches a lying size', () => {
  const zeros = new Uint8Array(40 << 20);
  const bomb = zipSync({ 'config.json': new TextEncoder().encode('{}'), 'model.weights.h5': zeros }, { level: 9 });
  assert.ok(bomb.length < 200_000);
  assert.throws(() => readZipEntries(bomb, 'bomb.keras', ['model.weights.h5'], { maxEntryBytes: 16 << 20, maxTotalBytes: 1 << 30, maxEntries: 10 }),
    (e: unknown) => e instanceof FormatError && /would inflate to 41943040 bytes/.test(e.message));
  assert.throws(() => readZipEntries(bomb, 'bomb.keras', ['config.json', 'model.weights.h5'], { maxEntryBytes: 1 << 30, maxTotalBytes: 32 << 20, maxEntries: 10 }),
    (e: unknown) => e instanceof FormatError && /more than/.test(e.message));
  // a size claimed beyond what deflate can give from the compressed bytes
  const b = bomb.slice();
  const [[p]] = centralEntries(b).filter(([, n]) => n === 'model.weights.h5');
  new DataView(b.buffer).setUint32(p + 24, 2_000_000_000, true);
  assert.throws(() => readZipEntries(b, 'bomb.keras', ['model.weights.h5'], { maxEntryBytes: 2 ** 31 - 1, maxTotalBytes: 2 ** 31 - 1, maxEntries: 10 }), /claims 2000000000 bytes/);
  // a smaller claim inflates into a short buffer: the CRC-32 check catches it
  const c = bomb.slice();
  new DataView(c.buffer).setUint32(p + 24, 1000, true);
  assert.throws(() => readZipEntries(c, 'bomb.keras', ['model.weights.h5'], { maxEntryBytes: 1 << 30, maxTotalBytes: 1 << 30, maxEntries: 10 }), /CRC-32/);
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.ok(deflateSync(zeros).length < 100_000);
});

test('loadWeights of an .h5 goes through the registered keras-h5 format (files in a temporary folder)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-keras-'));
  try {
    const copy = path.join(dir, 'weights.hdf5');
    fs.copyFileSync(fixture('seq_cnn.weights_only.h5'), copy);
    const model = await loadKeras(fixture('seq_cnn.h5'));
    await model.loadWeights(copy);
    assertMatches(model, 'seq_cnn.weights_only');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
