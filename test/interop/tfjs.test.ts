// TensorFlow.js' layers format against TensorFlow.js itself: models tfjs built and saved (also
// quantized) load with tfjs' predictions; models gradlab saves load in tfjs with gradlab's
// predictions; and a fuzz of model.json + .bin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import * as gl from '../../src/index.js';
import { FormatError, GradlabError } from '../../src/core/errors.js';
import { loadTfjs, loadTfjsArtifacts, tfjsArtifactsFromModel } from '../../src/interop/tfjs.js';
import type { Model } from '../../src/nn/model.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const fixtures = fileURLToPath(new URL('../../../test/interop/fixtures/tfjs/', import.meta.url));
const { layers } = gl;
await tf.setBackend('cpu');

interface Golden { inputs: { shape: number[]; data: number[] }[]; outputs: { shape: number[]; data: number[] }[] }

function close(got: ArrayLike<number>, want: ArrayLike<number>, what: string, tol = 1e-5): number {
  assert.equal(got.length, want.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i]));
    worst = Math.max(worst, d);
    if (!(d <= tol)) assert.fail(`${what}[${i}]: ${got[i]} vs ${want[i]}`);
  }
  return worst;
}

function gradlabPredict(m: Model, xs: { shape: number[]; data: ArrayLike<number> }[]): Tensor[] {
  const ts = xs.map((x) => gl.tensor(Array.from(x.data)).reshape(x.shape));
  return m.predictAll(ts.length === 1 ? ts[0] : ts);
}

test('models tfjs built and saved load in gradlab with tfjs\' predictions (also uint8/uint16/float16 quantized)', async () => {
  const names = readdirSync(fixtures).filter((n) => !n.endsWith('.mjs')).sort();
  assert.ok(names.length >= 10, names.join(', '));
  for (const name of names) {
    const m = await loadTfjs(join(fixtures, name, 'model.json'));
    const g = JSON.parse(readFileSync(join(fixtures, name, 'golden.json'), 'utf8')) as Golden;
    const ys = gradlabPredict(m, g.inputs);
    assert.equal(ys.length, g.outputs.length, name);
    const worst = Math.max(...ys.map((y, i) => {
      assert.deepEqual(y.shape, g.outputs[i].shape, `${name} output ${i} shape`);
      return close(y.data, g.outputs[i].data, `${name} output ${i}`);
    }));
    console.log(`${name}: largest relative difference to tfjs ${worst.toExponential(2)}`);
  }
});

test('quantized weights really are quantized, and dequantized as tfjs does', async () => {
  const full = await loadTfjs(join(fixtures, 'seq_cnn', 'model.json'));
  for (const [dtype, tol] of [['uint8', 1e-1], ['uint16', 1e-3], ['float16', 1e-2]] as const) {
    const q = await loadTfjs(join(fixtures, `seq_cnn-${dtype}`, 'model.json'));
    const a = full.weights[0].tensor.data;
    const b = q.weights[0].tensor.data;
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
    assert.ok(diff > 0 && diff < tol, `${dtype}: ${diff}`);
  }
});

test('loadTfjsArtifacts from memory gives the same model as the files', async () => {
  const dir = join(fixtures, 'nested-uint8');
  const j = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { modelTopology: unknown; weightsManifest: { weights: never[] }[] };
  const bin = readFileSync(join(dir, 'group1-shard1of1.bin'));
  const m = loadTfjsArtifacts({ modelTopology: j.modelTopology, weightSpecs: j.weightsManifest[0].weights, weightData: new Uint8Array(bin) });
  const f = await loadTfjs(dir);
  assert.deepEqual(m.weights.map((w) => Array.from(w.tensor.data)), f.weights.map((w) => Array.from(w.tensor.data)));
});

/** tfjs in plain Node has no file:// loader: a handler that reads model.json and its shard. */
function fileHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const j = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[]; format: string };
      const bin = readFileSync(join(dir, j.weightsManifest[0].paths[0]));
      return { modelTopology: j.modelTopology, weightSpecs: j.weightsManifest[0].weights, weightData: new Uint8Array(bin).buffer, format: j.format };
    },
  };
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
}

function randomize(m: Model, seed: number): void {
  const r = seeded(seed);
  for (const w of m.weights) for (let i = 0; i < w.tensor.size; i++) w.tensor.data[i] = /moving_variance|gamma/.test(w.role) ? 0.6 + Math.abs(r()) : r();
}

function exportModels(): Record<string, Model> {
  const lenet = gl.sequential({ name: 'lenet', layers: [
    layers.conv2d({ inputShape: [12, 12, 1], filters: 3, kernelSize: 5, padding: 'same', activation: 'relu' }),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.conv2d({ filters: 4, kernelSize: 3, activation: 'tanh' }),
    layers.averagePooling2d({ poolSize: 2 }),
    layers.flatten(),
    layers.dense({ units: 8, activation: 'relu' }),
    layers.dense({ units: 3, activation: 'softmax' }),
  ] });
  const img = gl.input({ shape: [6, 6, 2], name: 'img' });
  const hint = gl.input({ shape: [3], name: 'hint' });
  const c = layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', name: 'c' }).apply(img);
  const res = layers.activation({ activation: 'relu', name: 'act' }).apply(layers.add({ name: 'res' }).apply([img, c]));
  const joined = layers.concatenate({ name: 'join' }).apply([layers.globalAveragePooling2d({ name: 'gap' }).apply(res), hint]);
  const multi = gl.model({ name: 'multi', inputs: [img, hint], outputs: [
    layers.dense({ units: 4, activation: 'softmax', name: 'cls' }).apply(joined),
    layers.dense({ units: 1, activation: 'sigmoid', name: 'flag' }).apply(hint),
  ] });
  const inner = gl.sequential({ name: 'inner', layers: [layers.dense({ inputShape: [4], units: 5, activation: 'elu', name: 'i1' }), layers.batchNormalization({ name: 'ibn' })] });
  const x = gl.input({ shape: [4], name: 'x' });
  const shared = layers.dense({ units: 5, name: 'shared' });
  const nested = gl.model({ name: 'nested', inputs: x, outputs: layers.dense({ units: 2, name: 'head' }).apply(layers.multiply({ name: 'mul' }).apply([shared.apply(x), inner.apply(x)])) });
  // one of each layer class tfjs has
  const i2 = gl.input({ shape: [8, 8, 3], name: 'i2' });
  const i1 = gl.input({ shape: [9, 2], name: 'i1' });
  const iv = gl.input({ shape: [5], name: 'iv' });
  let t = layers.rescaling({ scale: 2, offset: -0.5, name: 'rs' }).apply(i2);
  t = layers.zeroPadding2d({ padding: [[1, 0], [2, 1]], name: 'zp' }).apply(t);
  t = layers.cropping2d({ cropping: [[0, 1], [1, 0]], name: 'cr' }).apply(t);
  t = layers.conv2d({ filters: 4, kernelSize: [3, 2], strides: [1, 2], dilationRate: 1, activation: 'selu', name: 'c2' }).apply(t);
  t = layers.batchNormalization({ momentum: 0.9, epsilon: 0.01, name: 'bn' }).apply(t);
  t = layers.depthwiseConv2d({ kernelSize: 2, depthMultiplier: 2, activation: 'relu6', name: 'dw' }).apply(t);
  t = layers.separableConv2d({ filters: 3, kernelSize: 2, padding: 'same', activation: 'softplus', name: 'sp' }).apply(t);
  t = layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', activation: 'swish', name: 'ct' }).apply(t);
  t = layers.upSampling2d({ size: [1, 2], name: 'up' }).apply(t);
  t = layers.layerNormalization({ epsilon: 1e-4, name: 'ln' }).apply(t);
  const p1 = layers.globalMaxPooling2d({ name: 'gmp' }).apply(layers.maxPooling2d({ poolSize: 2, padding: 'same', name: 'mp' }).apply(t));
  const p2 = layers.globalAveragePooling2d({ name: 'gap2' }).apply(layers.averagePooling2d({ poolSize: 2, name: 'ap' }).apply(t));
  let s = layers.conv1d({ filters: 3, kernelSize: 3, dilationRate: 2, padding: 'same', activation: 'gelu', name: 'c1' }).apply(i1);
  s = layers.maxPooling1d({ poolSize: 2, name: 'mp1' }).apply(s);
  const q1 = layers.globalMaxPooling1d({ name: 'gmp1' }).apply(layers.averagePooling1d({ poolSize: 2, padding: 'same', name: 'ap1' }).apply(s));
  const q2 = layers.globalAveragePooling1d({ name: 'gap1' }).apply(s);
  const d = layers.dense({ units: 6, name: 'd' }).apply(iv);
  const r1 = layers.relu({ maxValue: 0.4, name: 'relu' }).apply(d);
  const r2 = layers.leakyRelu({ negativeSlope: 0.2, name: 'leaky' }).apply(d);
  const r3 = layers.elu({ name: 'elu' }).apply(d);
  const r4 = layers.softmax({ name: 'sm' }).apply(d);
  const r5 = layers.activation({ activation: 'sigmoid', name: 'sig' }).apply(layers.dropout({ rate: 0.2, name: 'drop' }).apply(d));
  const merged = layers.minimum({ name: 'min' }).apply([layers.maximum({ name: 'max' }).apply([r1, r2]), layers.average({ name: 'avg' }).apply([r3, r4, r5])]);
  const flat = layers.flatten({ name: 'flat' }).apply(layers.reshape({ targetShape: [3, 2], name: 'rsh' }).apply(merged));
  const all = layers.concatenate({ name: 'all' }).apply([p1, p2, q1, q2, flat, layers.add({ name: 'add' }).apply([r1, r3])]);
  const every = gl.model({ name: 'every', inputs: [i2, i1, iv], outputs: [layers.dense({ units: 3, activation: 'tanh', name: 'out' }).apply(all), t] });
  const models = { lenet, multi, nested, every };
  Object.values(models).forEach((m, i) => randomize(m, 10 + i));
  return models;
}

function inputsFor(m: Model, seed: number): { shape: number[]; data: Float32Array }[] {
  const r = seeded(seed);
  return m.inputs.map((t) => {
    const shape = [3, ...t.perSampleShape];
    return { shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 2 * r()) };
  });
}

test('gradlab models saved as tfjs load in TensorFlow.js with the same predictions, and back in gradlab bit for bit', async () => {
  const root = mkdtempSync(join(tmpdir(), 'gradlab-tfjs-'));
  try {
    for (const [name, m] of Object.entries(exportModels())) {
      for (const quantize of [undefined, 'uint8', 'uint16', 'float16'] as const) {
        const dir = join(root, `${name}-${quantize ?? 'f32'}`);
        await m.save(dir, { format: 'tfjs', ...(quantize ? { quantize } : {}) });
        const j = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as Record<string, unknown>;
        assert.equal(j.format, 'layers-model');
        assert.equal(j.convertedBy, null);
        assert.equal(typeof j.generatedBy, 'string');
        const back = await loadTfjs(join(dir, 'model.json'));
        const xs = inputsFor(m, 3);
        const mine = gradlabPredict(back, xs);
        if (!quantize) {
          assert.deepEqual(back.weights.map((w) => Array.from(w.tensor.data)), m.weights.map((w) => Array.from(w.tensor.data)), `${name} weights`);
          const orig = gradlabPredict(m, xs);
          orig.forEach((y, i) => assert.deepEqual(Array.from(mine[i].data), Array.from(y.data), `${name} round trip output ${i}`));
        }
        const tm = await tf.loadLayersModel(fileHandler(dir));
        let ys = tm.predict(xs.map((x) => tf.tensor(x.data, x.shape)).length === 1 ? tf.tensor(xs[0].data, xs[0].shape) : xs.map((x) => tf.tensor(x.data, x.shape)));
        if (!Array.isArray(ys)) ys = [ys];
        assert.equal(ys.length, mine.length);
        const worst = Math.max(...ys.map((y, i) => close(mine[i].data, y.dataSync(), `${name} (${quantize ?? 'float32'}) output ${i} vs tfjs`)));
        console.log(`${name} (${quantize ?? 'float32'}) in tfjs: largest relative difference ${worst.toExponential(2)}`);
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('refusals: layers tfjs computes otherwise, bad options, graph models, broken files', async () => {
  const up = gl.sequential([layers.upSampling2d({ inputShape: [2, 2, 1], interpolation: 'bilinear' })]);
  assert.throws(() => tfjsArtifactsFromModel(up), /bilinearly.*TensorFlow\.js layers cannot compute/);
  const a = gl.input({ shape: [2] });
  const b = gl.input({ shape: [2] });
  assert.throws(() => tfjsArtifactsFromModel(gl.model({ inputs: [a, b], outputs: layers.subtract({ name: 'minus' }).apply([a, b]) })), /layer 'minus' \(Subtract\)/);
  assert.throws(() => tfjsArtifactsFromModel(up, { quantize: 'int4' as never }), /quantize must be/);
  const root = mkdtempSync(join(tmpdir(), 'gradlab-tfjs-bad-'));
  try {
    const src = join(fixtures, 'functional');
    const put = (name: string, json: unknown, bin: Uint8Array = readFileSync(join(src, 'group1-shard1of1.bin'))) => {
      const d = join(root, name);
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'model.json'), typeof json === 'string' ? json : JSON.stringify(json));
      writeFileSync(join(d, 'group1-shard1of1.bin'), bin);
      return join(d, 'model.json');
    };
    const j = JSON.parse(readFileSync(join(src, 'model.json'), 'utf8')) as { modelTopology: { config: { layers: { config: Record<string, unknown> }[] } }; weightsManifest: { paths: string[]; weights: { name: string; shape: number[] }[] }[] };
    const clone = () => JSON.parse(JSON.stringify(j)) as typeof j;
    const cases: [string, unknown, RegExp, Uint8Array?][] = [
      ['graph', { ...clone(), format: 'graph-model' }, /graph model/],
      ['short', clone(), /holds \d+ bytes but its \d+ weights need/, readFileSync(join(src, 'group1-shard1of1.bin')).subarray(4)],
      ['escape', (() => { const c = clone(); c.weightsManifest[0].paths = ['../x.bin']; return c; })(), /not a file beside model.json/],
      ['missing', (() => { const c = clone(); c.weightsManifest[0].paths = ['nope.bin']; return c; })(), /nope\.bin is missing/],
      ['rename', (() => { const c = clone(); c.weightsManifest[0].weights[0].name = 'other/kernel'; return c; })(), /weight 'other\/kernel' belongs to no layer/],
      ['shape', (() => { const c = clone(); const w = c.weightsManifest[0].weights; const k = w.findIndex((x) => x.shape.length === 2); w[k].shape = [w[k].shape[1], w[k].shape[0]]; return c; })(), /has shape .* needs/],
      ['proto', (() => { const c = clone(); c.weightsManifest[0].weights[0].name = '__proto__'; return c; })(), /'__proto__' belongs to no layer/],
      ['notjson', '{"modelTopology": ', /is not JSON/],
      ['bilinear', (() => { const c = JSON.parse(readFileSync(join(fixtures, 'seq_cnn', 'model.json'), 'utf8')) as { modelTopology: { config: { layers: unknown[] } } }; c.modelTopology.config.layers.splice(1, 0, { class_name: 'UpSampling2D', config: { name: 'u', size: [2, 2], interpolation: 'bilinear' } }); return c; })(), /layer 'u' \(UpSampling2D\).*half-pixel/, readFileSync(join(fixtures, 'seq_cnn', 'group1-shard1of1.bin'))],
    ];
    for (const [name, json, re, bin] of cases) {
      const p = put(name, json, bin);
      await assert.rejects(loadTfjs(p), (e: unknown) => e instanceof FormatError && re.test(e.message) && e.message.includes(p), name);
    }
    const nan = readFileSync(join(src, 'group1-shard1of1.bin'));
    nan.writeFloatLE(NaN, 0);
    await assert.rejects(loadTfjs(put('nan', clone(), nan)), /holds NaN at index 0/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('int32 weights and int32 quantized weights are read as tfjs reads them', () => {
  const m = gl.sequential({ name: 'ints', layers: [layers.dense({ inputShape: [2], units: 2, name: 'd' })] });
  const kernel = new Int32Array([1, -2, 3, 70000]);
  const q = new Uint8Array([0, 10]);
  const data = new Uint8Array(16 + 2);
  data.set(new Uint8Array(kernel.buffer), 0);
  data.set(q, 16);
  const topology = { class_name: 'Sequential', config: { name: 'ints', layers: [{ class_name: 'Dense', config: { name: 'd', units: 2, batch_input_shape: [null, 2] } }] }, keras_version: 'tfjs-layers 4.22.0' };
  void m;
  const loaded = loadTfjsArtifacts({ modelTopology: topology, weightData: data, weightSpecs: [
    { name: 'd/kernel', shape: [2, 2], dtype: 'int32' },
    { name: 'd/bias', shape: [2], dtype: 'int32', quantization: { dtype: 'uint8', min: -1.2, scale: 0.35 } },
  ] });
  assert.deepEqual(Array.from(loaded.weights[0].tensor.data), [1, -2, 3, 70000]);
  // tfjs rounds dequantized int32 values: round(0 * 0.35 - 1.2) = -1, round(10 * 0.35 - 1.2) = 2
  assert.deepEqual(Array.from(loaded.weights[1].tensor.data), [-1, 2]);
});

test('fuzz: mutated model.json and .bin give a typed error or a model (no crash, no hang)', { timeout: 60_000 }, async () => {
  const src = join(fixtures, 'functional');
  const baseJson = readFileSync(join(src, 'model.json'), 'utf8');
  const baseBin = readFileSync(join(src, 'group1-shard1of1.bin'));
  const golden = JSON.parse(readFileSync(join(src, 'golden.json'), 'utf8')) as Golden;
  const reference = gradlabPredict(await loadTfjs(join(src, 'model.json')), golden.inputs).map((t) => Array.from(t.data));
  const r = seeded(Number(process.env.GRADLAB_FUZZ_SEED ?? 2024));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor((r() + 0.5) * xs.length) % xs.length];
  const weird: unknown[] = [null, -1, 0, 1.5, 2 ** 31, 1e9, 3e38, 'x', '__proto__', 'constructor', [], {}, [null, 2], [-1], true, 'channels_first', 'float16', 'bool', { dtype: 'uint8' }, 'bilinear'];
  /** Every [container, key] in the JSON tree. */
  const slots = (v: unknown, out: [Record<string, unknown> | unknown[], string | number][] = []) => {
    if (Array.isArray(v)) v.forEach((x, i) => { out.push([v, i]); slots(x, out); });
    else if (typeof v === 'object' && v !== null) for (const k of Object.keys(v)) { out.push([v as Record<string, unknown>, k]); slots((v as Record<string, unknown>)[k], out); }
    return out;
  };
  const root = mkdtempSync(join(tmpdir(), 'gradlab-tfjs-fuzz-'));
  const counts = { mutations: 0, typedErrors: 0, acceptedIdentical: 0, acceptedDifferent: 0 };
  const untyped: string[] = [];
  try {
    for (let n = 0; n < 400; n++) {
      let json = baseJson;
      let bin: Uint8Array = Uint8Array.from(baseBin);
      let what = '';
      const kind = pick(['json-value', 'json-value', 'json-value', 'json-delete', 'json-proto', 'json-truncate', 'json-flip', 'bin-truncate', 'bin-extend', 'bin-flip']);
      if (kind.startsWith('json-') && kind !== 'json-truncate' && kind !== 'json-flip') {
        const j = JSON.parse(baseJson) as unknown;
        const all = slots(j);
        const [c, k] = pick(all);
        if (kind === 'json-delete') {
          if (Array.isArray(c)) c.splice(k as number, 1); else delete c[k as string];
        } else if (kind === 'json-proto') {
          if (!Array.isArray(c)) { const v = c[k as string]; delete c[k as string]; Object.defineProperty(c, pick(['__proto__', 'constructor', 'toString', 'hasOwnProperty']), { value: v, enumerable: true, configurable: true, writable: true }); what = String(k); }
        } else {
          (c as Record<string | number, unknown>)[k] = pick(weird);
        }
        json = JSON.stringify(j);
      } else if (kind === 'json-truncate') {
        json = json.slice(0, Math.floor((r() + 0.5) * json.length));
      } else if (kind === 'json-flip') {
        const b = Buffer.from(json);
        b[Math.floor((r() + 0.5) * b.length) % b.length] ^= 1 << Math.floor((r() + 0.5) * 7);
        json = b.toString('latin1');
      } else if (kind === 'bin-truncate') {
        bin = bin.subarray(0, Math.floor((r() + 0.5) * bin.length));
      } else if (kind === 'bin-extend') {
        bin = Uint8Array.from([...bin, 1, 2, 3, 4]);
      } else {
        bin[Math.floor((r() + 0.5) * bin.length) % bin.length] ^= 1 << Math.floor((r() + 0.5) * 8);
      }
      const d = join(root, String(n));
      mkdirSync(d);
      writeFileSync(join(d, 'model.json'), json);
      writeFileSync(join(d, 'group1-shard1of1.bin'), bin);
      counts.mutations++;
      try {
        const m = await loadTfjs(join(d, 'model.json'));
        const ys = gradlabPredict(m, golden.inputs).map((t) => Array.from(t.data));
        if (JSON.stringify(ys) === JSON.stringify(reference)) counts.acceptedIdentical++;
        else {
          counts.acceptedDifferent++;
          // only a change the format cannot see may alter the results: float bits, or a number in the config
          assert.ok(kind === 'bin-flip' || kind === 'json-value' || kind === 'json-flip' || kind === 'json-delete', `mutation ${n} (${kind} ${what}) loaded a different model`);
        }
      } catch (e) {
        if (e instanceof GradlabError) counts.typedErrors++;
        else untyped.push(`mutation ${n} (${kind}): ${(e as Error).stack ?? String(e)}`);
      }
      rmSync(d, { recursive: true, force: true });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  console.log(`tfjs fuzz: ${counts.mutations} mutations, ${counts.typedErrors} typed errors, ${counts.acceptedIdentical} accepted-identical, ${counts.acceptedDifferent} accepted-different`);
  assert.deepEqual(untyped, []);
  assert.ok(counts.typedErrors > 100, 'most mutations should be caught');
});

test('model.loadWeights reads a tfjs model.json into a model of the same architecture', async () => {
  const dir = join(fixtures, 'functional');
  const m = await loadTfjs(join(dir, 'model.json'));
  const fresh = await loadTfjs(join(dir, 'model.json'));
  for (const w of fresh.weights) w.tensor.data.fill(0);
  await fresh.loadWeights(join(dir, 'model.json'));
  assert.deepEqual(fresh.weights.map((w) => Array.from(w.tensor.data)), m.weights.map((w) => Array.from(w.tensor.data)));
  const other = gl.sequential([layers.dense({ inputShape: [5], units: 3, name: 'hint_dense' })]);
  await assert.rejects(other.loadWeights(join(dir, 'model.json')), /holds weights model 'sequential[_0-9]*' has no place for \(conv\/kernel/);
  const before = other.weights.map((w) => Array.from(w.tensor.data));
  await other.loadWeights(join(dir, 'model.json'), { byName: true });
  assert.deepEqual(Array.from(other.weights[0].tensor.data), Array.from(m.getLayer('hint_dense').weights[0].tensor.data));
  assert.notDeepEqual(other.weights.map((w) => Array.from(w.tensor.data)), before);
});
