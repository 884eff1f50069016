import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as gl from '../../src/index.js';

function blobs(n: number, seed: number): { x: gl.Tensor; y: gl.Tensor } {
  const r = new gl.Random(seed);
  const x = gl.zeros([n, 2]);
  const y = gl.zeros([n]);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    y.data[i] = c;
    x.data[2 * i] = [0, 3, 0][c] + r.normal(0, 0.5);
    x.data[2 * i + 1] = [0, 0, 3][c] + r.normal(0, 0.5);
  }
  return { x, y };
}

function mlp(seed = 1): gl.Sequential {
  gl.manualSeed(seed);
  return gl.sequential({ layers: [gl.layers.dense({ inputShape: [2], units: 8, activation: 'tanh' }), gl.layers.dense({ units: 3, activation: 'softmax' })] });
}

test('an Adam step matches the update computed by hand', () => {
  const w = gl.tensor([1, -2], { dtype: 'float64', requiresGrad: true });
  const opt = gl.optimizers.adam({ learningRate: 0.1 });
  w.grad = gl.tensor([0.5, -1], { dtype: 'float64' });
  opt.step([w]);
  // t=1: m = 0.1 g, v = 0.001 g^2, alpha = 0.1 sqrt(0.001) / 0.1; w -= alpha m / (sqrt(v) + 1e-7)
  const expected = [0.5, -1].map((g, i) => {
    const m = 0.1 * g;
    const v = 0.001 * g * g;
    const alpha = (0.1 * Math.sqrt(1 - 0.999)) / (1 - 0.9);
    return [1, -2][i] - (alpha * m) / (Math.sqrt(v) + 1e-7);
  });
  assert.ok(Math.abs(w.data[0] - expected[0]) < 1e-15 && Math.abs(w.data[1] - expected[1]) < 1e-15);
  assert.ok(Math.abs(w.data[0] - 0.9) < 1e-6, 'the first Adam step moves each weight by about lr');
  w.grad = gl.tensor([0.5, -1], { dtype: 'float64' });
  const before = Array.from(w.data);
  opt.step([w]);
  const m2 = 0.9 * 0.05 + 0.1 * 0.5;
  const v2 = 0.999 * 0.00025 + 0.001 * 0.25;
  const a2 = (0.1 * Math.sqrt(1 - 0.999 ** 2)) / (1 - 0.9 ** 2);
  assert.ok(Math.abs(w.data[0] - (before[0] - (a2 * m2) / (Math.sqrt(v2) + 1e-7))) < 1e-15);
  const s = gl.tensor([1], { dtype: 'float64', requiresGrad: true });
  s.grad = gl.tensor([2], { dtype: 'float64' });
  gl.optimizers.sgd({ learningRate: 0.1, momentum: 0.9 }).step([s]);
  assert.ok(Math.abs(s.data[0] - 0.8) < 1e-15);
});

test('fit learns, returns a Keras History, and is reproducible with a seed', async () => {
  const { x, y } = blobs(300, 1);
  const run = async () => {
    const m = mlp();
    m.compile({ optimizer: gl.optimizers.adam({ learningRate: 0.05 }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    const h = await m.fit(x, y, { epochs: 15, batchSize: 32, validationSplit: 0.2, seed: 4, verbose: 0 });
    return { m, h };
  };
  const { m, h } = await run();
  assert.deepEqual(Object.keys(h.history).sort(), ['accuracy', 'loss', 'val_accuracy', 'val_loss']);
  assert.deepEqual(h.epoch, [...Array(15).keys()]);
  assert.ok(h.history.loss[14] < h.history.loss[0] / 3, `loss ${h.history.loss[0]} -> ${h.history.loss[14]}`);
  assert.ok(h.history.val_accuracy[14] > 0.9);
  const ev = m.evaluate(x, y);
  assert.ok(ev.accuracy > 0.9 && ev.loss < 0.4);
  const again = await run();
  assert.deepEqual(again.h.history.loss, h.history.loss);
});

test('every callback hook is called in order with the documented logs', async () => {
  const { x, y } = blobs(50, 2);
  const m = mlp();
  m.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  const calls: string[] = [];
  const seen: Record<string, gl.Logs> = {};
  const cb: gl.Callback = {
    onTrainBegin: () => { calls.push('trainBegin'); },
    onEpochBegin: (e) => { calls.push(`epochBegin${e}`); },
    onBatchBegin: (b, logs) => { calls.push(`batchBegin${b}`); seen.batchBegin = logs; },
    onBatchEnd: async (b, logs) => { calls.push(`batchEnd${b}`); seen.batchEnd = logs; await Promise.resolve(); },
    onEpochEnd: (e, logs) => { calls.push(`epochEnd${e}`); seen.epochEnd = logs; },
    onTrainEnd: () => { calls.push('trainEnd'); },
  };
  await m.fit(x, y, { epochs: 2, batchSize: 25, callbacks: [cb], verbose: 0, validationData: [x, y] });
  assert.deepEqual(calls, ['trainBegin', 'epochBegin0', 'batchBegin0', 'batchEnd0', 'batchBegin1', 'batchEnd1', 'epochEnd0',
    'epochBegin1', 'batchBegin0', 'batchEnd0', 'batchBegin1', 'batchEnd1', 'epochEnd1', 'trainEnd']);
  assert.deepEqual(Object.keys(seen.batchBegin).sort(), ['batch', 'size']);
  assert.deepEqual(Object.keys(seen.batchEnd).sort(), ['accuracy', 'batch', 'loss', 'size']);
  assert.deepEqual(Object.keys(seen.epochEnd).sort(), ['accuracy', 'loss', 'val_accuracy', 'val_loss']);
});

test('a frozen layer keeps its weights through fit', async () => {
  const { x, y } = blobs(60, 3);
  const m = mlp();
  m.layers[0].trainable = false;
  const before = m.layers[0].getWeights().map((w) => Array.from(w.data));
  const head = Array.from(m.layers[1].getWeights()[0].data);
  m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
  await m.fit(x, y, { epochs: 2, verbose: 0 });
  assert.deepEqual(m.layers[0].getWeights().map((w) => Array.from(w.data)), before);
  assert.notDeepEqual(Array.from(m.layers[1].getWeights()[0].data), head);
  assert.match(m.summary({ print: false }), /Trainable params: 27\nNon-trainable params: 24/);
});

test('bad input is rejected before training starts', async () => {
  const m = mlp();
  m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
  const w0 = Array.from(m.layers[0].getWeights()[0].data);
  await assert.rejects(m.fit(gl.zeros([5, 2]), gl.zeros([4])), /fit: x and its targets have different numbers of samples \(x \[5,2\], y \[4\]\)/);
  await assert.rejects(m.fit(gl.zeros([2, 2]), [0, 3]), /fit: label 3 at sample 1 is out of range for the 3 outputs of 'dense_\d+' \(labels must be integers in \[0, 3\)\)/);
  await assert.rejects(m.fit(gl.tensor([[0, 1], [NaN, 2]]), [0, 1]), /fit: x holds NaN at sample 1 \(flat index 2\)/);
  await assert.rejects(m.fit(gl.zeros([2, 3]), [0, 1]), /fit: the first layer 'dense(_\d+)?' expects input \[batch,2\] but x has shape \[2,3\]/);
  await assert.rejects(mlp().fit(gl.zeros([2, 2]), [0, 1]), /call compile\(\{ optimizer, loss, metrics \}\) first/);
  assert.deepEqual(Array.from(m.layers[0].getWeights()[0].data), w0, 'nothing was trained');
});

test('a NaN loss stops training and keeps the last good weights', async () => {
  const { x, y } = blobs(64, 4);
  const m = gl.sequential({ layers: [gl.layers.dense({ inputShape: [2], units: 1 })] });
  m.compile({ optimizer: gl.optimizers.sgd({ learningRate: 1e30 }), loss: 'mse' });
  const h = await m.fit(x, gl.reshape(y, [64, 1]), { epochs: 3, batchSize: 8, verbose: 0 });
  assert.ok(h.terminatedOnNaN, 'training stopped');
  const ws = m.getWeights();
  assert.ok(ws.every((w) => Array.from(w.data).every(Number.isFinite)), 'weights are finite');
  const pred = m.predict(x);
  assert.ok(Array.from(pred.data).every(Number.isFinite));
});

test('save and load give identical predictions; corrupt files are clear errors', async () => {
  const { x, y } = blobs(60, 5);
  const m = gl.sequential({ layers: [
    gl.layers.dense({ inputShape: [2], units: 4, activation: 'relu' }),
    gl.layers.batchNormalization(),
    gl.layers.dense({ units: 3, activation: 'softmax' }),
  ] });
  m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  await m.fit(x, y, { epochs: 2, verbose: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-model-'));
  await m.save(dir);
  const loaded = await gl.loadModel(dir);
  assert.deepEqual(Array.from(loaded.predict(x).data), Array.from(m.predict(x).data));
  assert.deepEqual(loaded.evaluate(x, y), m.evaluate(x, y));
  const weightsFile = join(dir, (JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { weights: { file: string } }).weights.file);
  const bytes = readFileSync(weightsFile);
  writeFileSync(weightsFile, bytes.subarray(0, bytes.length - 10));
  await assert.rejects(gl.loadModel(dir), gl.FormatError);
  writeFileSync(join(dir, 'model.json'), '{"format": "gradlab-seq');
  await assert.rejects(gl.loadModel(dir), /loadModel: .*model.json is not valid JSON/);
  await assert.rejects(gl.loadModel(join(dir, 'nowhere')), /nowhere' does not exist/);
});

test('earlyStopping, modelCheckpoint and csvLogger', async () => {
  const { x, y } = blobs(60, 6);
  const m = mlp();
  m.compile({ optimizer: gl.optimizers.sgd({ learningRate: 1e-9 }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-cb-'));
  const es = gl.callbacks.earlyStopping({ monitor: 'loss', patience: 1, minDelta: 0.01, restoreBestWeights: true });
  const h = await m.fit(x, y, {
    epochs: 20, verbose: 0, shuffle: false,
    callbacks: [es, gl.callbacks.modelCheckpoint({ path: join(dir, 'best'), monitor: 'loss', saveBestOnly: true }), gl.callbacks.csvLogger(join(dir, 'log.csv'))],
  });
  assert.equal(h.epoch.length, 2, 'stopped after patience ran out');
  assert.ok(existsSync(join(dir, 'best', 'model.json')));
  const csv = readFileSync(join(dir, 'log.csv'), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'epoch,loss,accuracy');
  assert.equal(csv.length, 3);
  await assert.rejects(m.fit(x, y, { epochs: 1, verbose: 0, callbacks: [gl.callbacks.earlyStopping()] }), /monitor 'val_loss' is not in the logs/);
});

test('the progress bar prints Keras-style lines when not a terminal', async () => {
  const { x, y } = blobs(40, 7);
  const m = mlp();
  m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  let out = '';
  const stream = { write: (s: string) => { out += s; return true; }, isTTY: false } as unknown as NodeJS.WritableStream;
  await m.fit(x, y, { epochs: 2, batchSize: 10, verbose: 0, callbacks: [Object.assign(new gl.ProgressBar({ stream }), {})] });
  // verbose 0 silences the built-in bar; a user-added bar still needs params.verbose = 1 to print
  assert.equal(out, '');
  const bar = new gl.ProgressBar({ stream });
  await m.fit(x, y, { epochs: 2, batchSize: 10, verbose: 0, callbacks: [{ ...bar, onEpochBegin: (e) => { bar.params = { ...bar.params!, verbose: 1 }; bar.onEpochBegin(e); }, onEpochEnd: (e, l) => bar.onEpochEnd(e, l), set params(p) { bar.params = p; }, get params() { return bar.params; } }] });
  assert.match(out, /^Epoch 1\/2\n4\/4 \[=+\] - \d+s \d+ms\/step - loss: \d\.\d{4} - accuracy: \d\.\d{4}\nEpoch 2\/2\n/);
});

test('evaluateAndPredict gives evaluate\'s logs and predict\'s outputs from one pass', () => {
  gl.manualSeed(3);
  const model = gl.sequential({ layers: [gl.layers.dense({ inputShape: [4], units: 6, activation: 'relu' }), gl.layers.dense({ units: 3, activation: 'softmax' })] });
  model.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  const x = new gl.Tensor(new Float32Array(37 * 4).map((_, i) => Math.cos(i * 0.7)), [37, 4]);
  const y = new gl.Tensor(new Float32Array(37).map((_, i) => i % 3), [37]);
  const { logs, predictions } = model.evaluateAndPredict(x, y, { batchSize: 8 });
  assert.deepEqual(logs, model.evaluate(x, y, { batchSize: 8 }));
  const p = model.predict(x, { batchSize: 8 });
  assert.deepEqual(predictions.shape, [37, 3]);
  assert.deepEqual(Array.from(predictions.data), Array.from(p.data));
});
