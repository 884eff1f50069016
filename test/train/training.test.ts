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

/** Every weight (moving statistics included) and the optimizer state before step k, as `states[k]` (states[0]: before training). */
function recordStates(m: gl.Model, opt: gl.Optimizer) {
  const states: { weights: number[][]; opt: gl.OptimizerState }[] = [];
  const take = (): void => { states.push({ weights: m.getWeights().map((w) => Array.from(w.data)), opt: opt.snapshotState!() }); };
  return { states, callback: { onTrainBegin: take, onBatchEnd: take } satisfies gl.Callback };
}

function sameOptimizerState(a: gl.OptimizerState, b: gl.OptimizerState, what: string): void {
  assert.deepEqual([...a.steps.values()], [...b.steps.values()], `${what}: step counts`);
  assert.equal(a.slots.size, b.slots.size, `${what}: slot count`);
  for (const [p, arrays] of a.slots) assert.deepEqual(b.slots.get(p)!.map((x) => Array.from(x)), arrays.map((x) => Array.from(x)), `${what}: slots`);
}

/** Runs fit with console.warn captured. */
async function fitCapturingWarnings(m: gl.Model, x: gl.Tensor, y: gl.Tensor, args: gl.FitArgs): Promise<{ h: gl.History; warnings: string[] }> {
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (msg: string) => { warnings.push(msg); };
  try {
    return { h: await m.fit(x, y, args), warnings };
  } finally {
    console.warn = warn;
  }
}

for (const [name, make] of [
  ['sgd with momentum', () => gl.optimizers.sgd({ learningRate: 1e30, momentum: 0.9 })],
  ['adam', () => gl.optimizers.adam({ learningRate: 1e30 })],
  ['rmsprop', () => gl.optimizers.rmsprop({ learningRate: 1e30 })],
] as const) {
  test(`a NaN loss (${name}) puts back the weights, moving statistics and optimizer state that last gave a finite loss, and says so at verbose 0`, async () => {
    const { x, y } = blobs(64, 4);
    gl.manualSeed(3);
    const m = gl.sequential({ layers: [gl.layers.dense({ inputShape: [2], units: 4 }), gl.layers.batchNormalization(), gl.layers.dense({ units: 1 })] });
    const opt = make();
    m.compile({ optimizer: opt, loss: 'mse' });
    const rec = recordStates(m, opt);
    const { h, warnings } = await fitCapturingWarnings(m, x, gl.reshape(y, [64, 1]), { epochs: 3, batchSize: 8, verbose: 0, callbacks: [rec.callback] });
    const r = h.stopReason;
    assert.ok(r && r.kind === 'nan', `training stopped: ${JSON.stringify(r)}`);
    assert.deepEqual(h.terminatedOnNaN, { epoch: r.epoch, batch: r.batch });
    const g = r.epoch * 8 + r.batch;
    assert.equal(rec.states.length, g + 1, 'batchEnd ran for the good steps only');
    // A bad loss at batch g condemns the step before it: the state before step g-1 comes back.
    const want = r.what === 'loss' ? rec.states[Math.max(0, g - 1)] : rec.states[g];
    assert.deepEqual(m.getWeights().map((w) => Array.from(w.data)), want.weights, 'weights and moving statistics');
    assert.ok(want.weights.flat().every(Number.isFinite));
    sameOptimizerState(opt.snapshotState!(), want.opt, name);
    assert.ok(Array.from(m.predict(x).data).every(Number.isFinite), 'predictions are finite');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], new RegExp(`fit: epoch ${r.epoch + 1}, batch ${r.batch + 1}: .*training stopped`));
  });
}

test('a NaN stop puts back the moving statistics of a batch norm inside a nested model too', async () => {
  const { x, y } = blobs(64, 4);
  gl.manualSeed(5);
  const base = gl.sequential({ layers: [gl.layers.dense({ inputShape: [2], units: 4 }), gl.layers.batchNormalization()] });
  const m = gl.sequential([base, gl.layers.dense({ units: 1 })]);
  const opt = gl.optimizers.adam({ learningRate: 1e30 });
  m.compile({ optimizer: opt, loss: 'mse' });
  const rec = recordStates(m, opt);
  const { h } = await fitCapturingWarnings(m, x, gl.reshape(y, [64, 1]), { epochs: 3, batchSize: 8, verbose: 0, callbacks: [rec.callback] });
  const r = h.stopReason;
  assert.ok(r && r.kind === 'nan');
  const g = r.epoch * 8 + r.batch;
  const want = r.what === 'loss' ? rec.states[Math.max(0, g - 1)] : rec.states[g];
  assert.deepEqual(m.getWeights().map((w) => Array.from(w.data)), want.weights);
  sameOptimizerState(opt.snapshotState!(), want.opt, 'nested');
});

test('the last step of a run is checked too: one batch at learning rate 1e38 leaves the initial weights', async () => {
  const x = gl.randn([8, 2], { seed: 2 });
  const y = gl.randn([8, 1], { seed: 3 });
  gl.manualSeed(1);
  const m = gl.sequential({ layers: [gl.layers.dense({ inputShape: [2], units: 1 })] });
  const before = m.getWeights().map((w) => Array.from(w.data));
  m.compile({ optimizer: gl.optimizers.sgd({ learningRate: 1e38 }), loss: 'mse' });
  const { h, warnings } = await fitCapturingWarnings(m, x, y, { epochs: 1, batchSize: 8, verbose: 0 });
  assert.deepEqual(h.stopReason, { kind: 'nan', epoch: 0, batch: 0, what: 'loss' });
  assert.deepEqual(m.getWeights().map((w) => Array.from(w.data)), before);
  assert.ok(Array.from(m.predict(x).data).every(Number.isFinite));
  assert.equal(warnings.length, 1);
  // Without the check the weights stay as the step left them (the reason the check exists).
  const off = await m.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, terminateOnNaN: false });
  assert.equal(off.stopReason, null);
  assert.ok(!Array.from(m.predict(x).data).every(Number.isFinite));
});

test('a step that leaves an infinite weight is undone and named', async () => {
  const x = gl.tensor([[100, 100], [-100, 50]]);
  const y = gl.tensor([[1], [0]]);
  gl.manualSeed(2);
  const m = gl.sequential({ layers: [gl.layers.dense({ inputShape: [2], units: 1, name: 'lin' })] });
  m.compile({ optimizer: gl.optimizers.sgd({ learningRate: 3e38 }), loss: 'mse' });
  const before = m.getWeights().map((w) => Array.from(w.data));
  const { h } = await fitCapturingWarnings(m, x, y, { epochs: 2, verbose: 0 });
  assert.deepEqual(h.stopReason, { kind: 'nan', epoch: 0, batch: 0, what: 'lin/kernel' });
  assert.deepEqual(m.getWeights().map((w) => Array.from(w.data)), before);
});

test('NaN and infinite targets are refused before training, as inputs are', async () => {
  const m = mlp();
  m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
  await assert.rejects(m.fit(gl.zeros([2, 2]), [NaN, 1], { verbose: 0 }), /fit: label NaN at sample 0 is out of range/);
  await assert.rejects(m.fit(gl.zeros([2, 2]), [0, 1], { verbose: 0, validationData: [gl.zeros([2, 2]), [1, Infinity]] }), /fit: label Infinity at sample 1/);
  const r = gl.sequential({ layers: [gl.layers.dense({ inputShape: [2], units: 1 })] });
  r.compile({ optimizer: 'sgd', loss: 'mse' });
  await assert.rejects(r.fit(gl.zeros([2, 2]), gl.tensor([[0], [-Infinity]]), { verbose: 0 }), /fit: y holds -Infinity at flat index 1; targets must be finite/);
});

test('a callback that stops training is recorded as the stop reason', async () => {
  const { x, y } = blobs(64, 4);
  const m = mlp();
  m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
  const h = await m.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0, callbacks: [{ onBatchEnd(b) { if (b === 1) this.model!.stopTraining = true; } }] });
  assert.deepEqual(h.stopReason, { kind: 'callback', epoch: 0, batch: 1 });
  const full = await m.fit(x, y, { epochs: 1, verbose: 0 });
  assert.equal(full.stopReason, null);
});

test('optimizer state snapshots restore the exact continuation', () => {
  for (const make of [() => gl.optimizers.adam({ learningRate: 0.1 }), () => gl.optimizers.rmsprop(), () => gl.optimizers.sgd({ momentum: 0.5 })]) {
    const w = gl.tensor([1, -2, 3], { requiresGrad: true });
    const opt = make();
    const stepWith = (g: number[]) => { w.grad = gl.tensor(g); opt.step([w]); w.grad = null; };
    const empty = opt.snapshotState!();
    stepWith([0.5, -1, 2]);
    const saved = opt.snapshotState!();
    const w1 = Array.from(w.data);
    stepWith([1, 1, 1]);
    const w2 = Array.from(w.data);
    w.data.set(w1);
    opt.restoreState!(saved);
    stepWith([1, 1, 1]);
    assert.deepEqual(Array.from(w.data), w2, opt.name);
    opt.restoreState!(empty);
    assert.equal(opt.snapshotState!().slots.size, 0, `${opt.name}: a snapshot from before the first step empties the state`);
  }
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
