// gl.io.loadOnnx on models exported by PyTorch (fixtures/onnx/make_fixtures.py): outputs against
// PyTorch's, summary, saving as a gradlab folder and loading back, fine-tuning with fit, frozen
// batch norm statistics, and the errors for unsupported or refused files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, StringStringEntryProtoSchema } from 'onnx-buf';
import * as gl from '../../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
// compiled tests run from dist/test/interop; the fixtures stay in the source tree
const FIX = join(here, '..', '..', '..', 'test', 'interop', 'fixtures', 'onnx');

interface Golden { inputShape: number[]; input: number[]; outputShape: number[]; output: number[] }
const golden = (name: string): Golden => JSON.parse(readFileSync(join(FIX, `${name}.json`), 'utf8')) as Golden;

function maxDiff(a: gl.Tensor, b: readonly number[]): number {
  assert.equal(a.size, b.length);
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a.data[i] - b[i]));
  return m;
}

for (const name of ['rescnn', 'dwsep', 'mlp', 'upnet']) {
  for (const opset of name === 'upnet' ? [11, 13, 17] : [9, 11, 13, 17]) {
    test(`${name} exported by PyTorch at opset ${opset} matches PyTorch within 1e-4`, async () => {
      const g = golden(name);
      const model = await gl.io.loadOnnx(join(FIX, `${name}_opset${opset}.onnx`));
      const x = gl.tensor(Float32Array.from(g.input)).reshape(g.inputShape);
      const y = model.predict(x);
      assert.deepEqual(y.shape, g.outputShape);
      const err = maxDiff(y, g.output);
      console.log(`${name} opset ${opset}: max |gradlab - PyTorch| = ${err.toExponential(2)}`);
      assert.ok(err < 1e-4, `max error ${err}`);
      // one sample at a time gives the same rows (the batch axis is symbolic)
      const one = model.predict(gl.slice(x, [1], [1]));
      const per = g.output.length / g.outputShape[0];
      assert.ok(maxDiff(one, g.output.slice(per, 2 * per)) < 1e-4);
    });
  }
}

test('an imported model summarizes, saves as a gradlab folder and loads back with the same predictions', async () => {
  const g = golden('rescnn');
  const model = await gl.io.loadOnnx(join(FIX, 'rescnn_opset13.onnx'));
  const table = model.summary({ print: false });
  assert.match(table, /OnnxNode/);
  assert.equal(model.countParams(), 224 + 576 + 576 + 1168 + 170 + 3 * 4 * 8); // convs, fc, three batch norms
  // conv weights and biases train, batch norm statistics do not
  const bn = model.layers.find((l) => l instanceof gl.io.OnnxNode && l.opType === 'BatchNormalization')!;
  assert.deepEqual(bn.weights.map((w) => [w.role, w.trainable]), [['scale', true], ['B', true], ['mean', false], ['var', false]]);
  // the MLP's three Gemms train; GELU's scalars (0.5, sqrt 2, 1) stay constants
  const mlp = await gl.io.loadOnnx(join(FIX, 'mlp_opset13.onnx'));
  assert.deepEqual(mlp.trainableWeights.map((t) => t.shape), [[32, 20], [32], [16, 32], [16], [4, 16], [4]]);
  const dir = join(mkdtempSync(join(tmpdir(), 'gradlab-onnx-')), 'rescnn');
  await model.save(dir);
  const again = await gl.loadModel(dir);
  const x = gl.tensor(Float32Array.from(g.input)).reshape(g.inputShape);
  assert.deepEqual(Array.from(again.predict(x).data), Array.from(model.predict(x).data));
  assert.deepEqual(again.inputNames, ['x']);
  assert.deepEqual(again.outputNames, ['y']);
});

test('fit fine-tunes an imported CNN: the loss falls; batch norm statistics move unless the layer is frozen', async () => {
  const model = await gl.io.loadOnnx(join(FIX, 'dwsep_opset13.onnx'));
  // a synthetic 5-class task: the class is the brightest of five image regions
  const n = 60;
  const x = gl.rand([n, 3, 16, 16], { seed: 5 });
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 5;
    labels.push(c);
    for (let ch = 0; ch < 3; ch++) for (let r = 0; r < 3; r++) for (let k = 0; k < 16; k++) x.data[((i * 3 + ch) * 16 + c * 3 + r) * 16 + k] += 1.5;
  }
  const bn = model.layers.find((l) => l instanceof gl.io.OnnxNode && l.opType === 'BatchNormalization')!;
  const statsBefore = Array.from(bn.weights[2].tensor.data);
  model.compile({ optimizer: gl.optimizers.adam({ learningRate: 0.01 }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  const before = model.evaluate(x, labels).loss;
  const history = await model.fit(x, labels, { epochs: 4, batchSize: 20, verbose: 0, seed: 1 });
  const after = model.evaluate(x, labels).loss;
  console.log(`fine-tuning dwsep: loss ${before.toFixed(3)} -> ${after.toFixed(3)} (epoch losses ${history.history.loss.map((v) => v.toFixed(3)).join(', ')})`);
  assert.ok(after < before * 0.8, `loss ${before} -> ${after}`);
  assert.notDeepEqual(Array.from(bn.weights[2].tensor.data), statsBefore, 'a trainable batch norm moves its statistics in fit');
  // frozen: Keras' rule, inference mode in fit, statistics and weights unchanged
  bn.trainable = false;
  const frozen = bn.weights.map((w) => Array.from(w.tensor.data));
  await model.fit(x, labels, { epochs: 1, batchSize: 20, verbose: 0, seed: 2 });
  assert.deepEqual(bn.weights.map((w) => Array.from(w.tensor.data)), frozen);
});

test('unsupported ops and refused files are FormatErrors that say what and where', async () => {
  const bytes = readFileSync(join(FIX, 'mlp_opset13.onnx'));
  const m = fromBinary(ModelProtoSchema, bytes);
  const k = m.graph!.node.findIndex((nd) => nd.opType === 'Erf');
  m.graph!.node[k].opType = 'FancyErf';
  await assert.rejects(gl.io.loadOnnx(toBinary(ModelProtoSchema, m)), (e: Error) => {
    assert.ok(e instanceof gl.FormatError);
    assert.match(e.message, /unsupported op 'FancyErf'/);
    assert.match(e.message, new RegExp(`node ${k} \\('${m.graph!.node[k].name.replace(/[/.]/g, '\\$&')}'\\)`));
    assert.match(e.message, /opset 13/);
    return true;
  });
  const ext = fromBinary(ModelProtoSchema, bytes);
  const init = ext.graph!.initializer[0];
  init.rawData = new Uint8Array(0);
  init.dataLocation = 1;
  init.externalData = [create(StringStringEntryProtoSchema, { key: 'location', value: 'weights.bin' })];
  await assert.rejects(gl.io.loadOnnx(toBinary(ModelProtoSchema, ext)), /external file/);
  await assert.rejects(gl.io.loadOnnx(join(FIX, 'missing.onnx')), (e: Error) => e instanceof gl.FormatError && /missing\.onnx/.test(e.message));
  await assert.rejects(gl.io.loadOnnx(new Uint8Array([0xff, 0xff, 0xff])), gl.FormatError);
  await assert.rejects(gl.io.loadOnnx(42 as unknown as string), gl.ValueError);
  const short = fromBinary(ModelProtoSchema, bytes);
  short.graph!.initializer[0].rawData = short.graph!.initializer[0].rawData.slice(4);
  await assert.rejects(gl.io.loadOnnx(toBinary(ModelProtoSchema, short)), /raw_data has \d+ bytes but dims/);
});

test('inputShapes gives the dims a graph leaves symbolic besides the batch', async () => {
  const file = join(FIX, 'rescnn_dynamic_hw.onnx');
  await assert.rejects(gl.io.loadOnnx(file), (e: Error) => e instanceof gl.FormatError && /dim 2 is symbolic \('h'\)/.test(e.message) && /inputShapes/.test(e.message));
  const g = golden('rescnn');
  const model = await gl.io.loadOnnx(file, { inputShapes: { x: [3, 16, 16] } });
  const y = model.predict(gl.tensor(Float32Array.from(g.input)).reshape(g.inputShape));
  assert.ok(maxDiff(y, g.output) < 1e-4);
  // the same graph on larger images
  const big = await gl.io.loadOnnx(file, { inputShapes: { x: [3, 24, 20] } });
  assert.deepEqual(big.predict(gl.zeros([2, 3, 24, 20])).shape, [2, 10]);
  await assert.rejects(gl.io.loadOnnx(file, { inputShapes: { image: [3, 16, 16] } }), /not an input/);
  await assert.rejects(gl.io.loadOnnx(file, { inputShapes: { x: [3, 16] } }), gl.ValueError);
  await assert.rejects(gl.io.loadOnnx(file, { inputShape: [3, 16, 16] } as never), /unknown option 'inputShape'/);
});

test('gradients through imported graphs match finite differences (every trainable weight, a few entries each)', async () => {
  for (const file of ['rescnn_opset11.onnx', 'upnet_opset13.onnx', 'mlp_opset17.onnx']) {
    const model = await gl.io.loadOnnx(join(FIX, file));
    const shape = model.inputs[0].perSampleShape;
    const x = gl.randn([2, ...shape], { seed: 3 });
    const outShape = model.predict(x).shape;
    const r = gl.randn(outShape, { seed: 4 });
    const loss = () => gl.sum(gl.mul(model.apply(x), r));
    const weights = model.trainableWeights;
    for (const w of weights) w.grad = null;
    loss().backward();
    const rand = (() => { let s = 7; return () => (s = (s * 48271) % 2147483647) / 2147483647; })();
    let worst = 0;
    let kinks = 0;
    let probes = 0;
    for (const w of weights) {
      for (let k = 0; k < 3; k++) {
        const i = Math.floor(rand() * w.size);
        const keep = w.data[i];
        const h = 1e-3 * Math.max(1, Math.abs(keep));
        const mid = gl.noGrad(() => loss().item());
        w.data[i] = keep + h;
        const up = gl.noGrad(() => loss().item());
        w.data[i] = keep - h;
        const down = gl.noGrad(() => loss().item());
        w.data[i] = keep;
        // a ReLU or max-pool kink within h: the one-sided slopes differ and no difference quotient is the gradient
        const right = (up - mid) / h;
        const left = (mid - down) / h;
        if (Math.abs(right - left) > 2e-2 * Math.max(1, Math.abs(right), Math.abs(left))) { kinks++; continue; }
        const fd = (up - down) / (2 * h);
        const an = w.grad!.data[i];
        const err = Math.abs(fd - an) / Math.max(1, Math.abs(fd), Math.abs(an));
        worst = Math.max(worst, err);
        probes++;
      }
    }
    console.log(`${file}: ${weights.length} trainable weights, ${probes} probes, worst relative gradient error ${worst.toExponential(2)} (${kinks} probes at kinks skipped)`);
    assert.ok(worst < 1e-2, `${file}: ${worst}`); // float32 differences; a wrong gradient is off by far more
    assert.ok(probes >= 2 * weights.length, `${file}: only ${probes} probes away from kinks`);
  }
});

test('a graph exported with a fixed batch predicts and trains on other batch sizes', async () => {
  // exported from 2 samples without dynamic axes: view(x.size(0), -1) became Reshape to [2, 16]
  const model = await gl.io.loadOnnx(join(FIX, 'rescnn_fixed_batch.onnx'));
  const g = golden('rescnn');
  const y = model.predict(gl.tensor(Float32Array.from(g.input)).reshape(g.inputShape)); // 3 samples
  assert.deepEqual(y.shape, [3, 10]);
  assert.ok(maxDiff(y, g.output) < 1e-4);
});
