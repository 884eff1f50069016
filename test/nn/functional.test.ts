// The functional API: graphs of layer calls, nested models, frozen bases, several inputs and
// outputs, saving; trained on a few hundred MNIST digits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as gl from '../../src/index.js';

const { train, test: held } = gl.datasets.mnist({ trainSize: 600, testSize: 300 });
// pixels in [0, 1]
const xTrain = train.x;
const xTest = held.x;

/** A ResNet-style block: conv-bn-relu-conv-bn, plus the block's input, then relu. */
function residualModel(): gl.Model {
  gl.manualSeed(11);
  const { layers } = gl;
  const x = gl.input({ shape: [28, 28, 1], name: 'image' });
  const stem = layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'stem' }).apply(x);
  let y = layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'res_conv1' }).apply(stem);
  y = layers.batchNormalization({ name: 'res_bn1', momentum: 0.9 }).apply(y);
  y = layers.activation({ activation: 'relu', name: 'res_relu1' }).apply(y);
  y = layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'res_conv2' }).apply(y);
  y = layers.batchNormalization({ name: 'res_bn2', momentum: 0.9 }).apply(y);
  const sum = layers.add({ name: 'skip' }).apply([y, stem]);
  const act = layers.activation({ activation: 'relu', name: 'res_out' }).apply(sum);
  const pooled = layers.maxPooling2d({ poolSize: 2, name: 'pool' }).apply(act);
  const out = layers.dense({ units: 10, activation: 'softmax', name: 'classes' }).apply(layers.flatten({ name: 'flat' }).apply(pooled));
  return gl.model({ inputs: x, outputs: out, name: 'residual' });
}

test('a residual block built with the functional API trains on 600 digits', async () => {
  const m = residualModel();
  assert.deepEqual(m.layers.map((l) => l.name), ['image', 'stem', 'res_conv1', 'res_bn1', 'res_relu1', 'res_conv2', 'res_bn2', 'skip', 'res_out', 'pool', 'flat', 'classes']);
  assert.deepEqual(m.outputShape, [10]);
  m.compile({ optimizer: gl.optimizers.adam({ learningRate: 0.01 }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  const h = await m.fit(xTrain, train.y, { epochs: 8, batchSize: 32, seed: 1, verbose: 0 });
  assert.ok(h.history.loss[7] < h.history.loss[0] * 0.6, `loss ${h.history.loss[0]} -> ${h.history.loss[7]}`);
  const ev = m.evaluate(xTest, held.y);
  console.log(`residual block: held-out accuracy ${(ev.accuracy * 100).toFixed(1)}% after 8 epochs on 600 digits`);
  assert.ok(ev.accuracy >= 0.8, `held-out accuracy ${ev.accuracy}`);
  const text = m.summary({ print: false });
  assert.match(text, /skip \(Add\)\s+\(None, 14, 14, 8\)\s+0\s+0\s+res_bn2\[0\]\[0\]\n\s+stem\[0\]\[0\]/);
  assert.match(text, /image \(InputLayer\)\s+\[\(None, 28, 28, 1\)\]\s+0\s+0\n/);
  // stem 3*3*1*8+8, two convs 3*3*8*8+8, two batch norms 4*8 (their moving statistics not trainable), dense 392*10+10
  assert.match(text, /Total params: 5,242\nTrainable params: 5,210\nNon-trainable params: 32\nMultiplications per sample: 250,096\n/);
  assert.match(text, /res_conv1 \(Conv2D\)\s+\(None, 14, 14, 8\)\s+584\s+112,896\s+stem\[0\]\[0\]\n/);
});

test('an Inception-style block joins its branches with concatenate', async () => {
  gl.manualSeed(12);
  const { layers } = gl;
  const x = gl.input({ shape: [28, 28, 1] });
  const stem = layers.maxPooling2d({ poolSize: 2 }).apply(layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(x));
  const b1 = layers.conv2d({ filters: 4, kernelSize: 1, activation: 'relu' }).apply(stem);
  const b3 = layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(layers.conv2d({ filters: 4, kernelSize: 1, activation: 'relu' }).apply(stem));
  const b5 = layers.conv2d({ filters: 4, kernelSize: 5, padding: 'same', activation: 'relu' }).apply(stem);
  const bp = layers.conv2d({ filters: 4, kernelSize: 1, activation: 'relu' }).apply(layers.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same' }).apply(stem));
  const joined = layers.concatenate({ axis: -1 }).apply([b1, b3, b5, bp]);
  assert.deepEqual(joined.shape, [null, 14, 14, 16]);
  const out = layers.dense({ units: 10, activation: 'softmax' }).apply(layers.flatten().apply(layers.maxPooling2d({ poolSize: 2 }).apply(joined)));
  const m = gl.model({ inputs: x, outputs: out });
  m.compile({ optimizer: gl.optimizers.adam({ learningRate: 0.01 }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  await m.fit(xTrain, train.y, { epochs: 8, batchSize: 32, seed: 2, verbose: 0 });
  const ev = m.evaluate(xTest, held.y);
  console.log(`inception block: held-out accuracy ${(ev.accuracy * 100).toFixed(1)}% after 8 epochs on 600 digits`);
  assert.ok(ev.accuracy >= 0.75, `held-out accuracy ${ev.accuracy}`);
});

test('a two-input, two-output model trains with a loss per output and Keras log names', async () => {
  gl.manualSeed(13);
  const { layers } = gl;
  const image = gl.input({ shape: [28, 28, 1], name: 'image' });
  const hint = gl.input({ shape: [2], name: 'hint' });
  const features = layers.dense({ units: 32, activation: 'relu' }).apply(layers.flatten().apply(image));
  const joined = layers.concatenate().apply([features, hint]);
  const digit = layers.dense({ units: 10, activation: 'softmax', name: 'digit' }).apply(joined);
  // a second task: is the digit >= 5 (a regression target in [0, 1])
  const big = layers.dense({ units: 1, activation: 'sigmoid', name: 'big' }).apply(joined);
  const m = gl.model({ inputs: [image, hint], outputs: [digit, big] });
  assert.deepEqual(m.inputNames, ['image', 'hint']);
  assert.deepEqual(m.outputNames, ['digit', 'big']);
  const n = train.x.shape[0];
  const hints = gl.zeros([n, 2]);
  const isBig = gl.zeros([n, 1]);
  for (let i = 0; i < n; i++) {
    hints.data[2 * i + (train.y.data[i] % 2)] = 1; // parity as a hint
    isBig.data[i] = train.y.data[i] >= 5 ? 1 : 0;
  }
  m.compile({
    optimizer: gl.optimizers.adam({ learningRate: 0.005 }),
    loss: { digit: 'sparse_categorical_crossentropy', big: 'binary_crossentropy' },
    lossWeights: { digit: 1, big: 0.5 },
    metrics: { digit: ['accuracy'], big: ['accuracy', 'mse'] },
  });
  const h = await m.fit({ image: xTrain, hint: hints }, { digit: train.y, big: isBig }, { epochs: 6, batchSize: 32, seed: 3, verbose: 0, validationSplit: 0.2 });
  assert.deepEqual(Object.keys(h.history).sort(), [
    'big_accuracy', 'big_loss', 'big_mse', 'digit_accuracy', 'digit_loss', 'loss',
    'val_big_accuracy', 'val_big_loss', 'val_big_mse', 'val_digit_accuracy', 'val_digit_loss', 'val_loss',
  ]);
  const last = (k: string) => h.history[k][h.history[k].length - 1];
  // the total is the weighted sum of the outputs' losses
  assert.ok(Math.abs(last('loss') - (last('digit_loss') + 0.5 * last('big_loss'))) < 1e-5);
  assert.ok(last('digit_loss') < h.history.digit_loss[0] * 0.7 && last('big_loss') < h.history.big_loss[0] * 0.8);
  assert.ok(last('val_digit_accuracy') > 0.7 && last('val_big_accuracy') > 0.7, JSON.stringify({ d: last('val_digit_accuracy'), b: last('val_big_accuracy') }));
  const [pd, pb] = m.predictAll([xTrain, hints], { batchSize: 100 });
  assert.deepEqual([pd.shape, pb.shape], [[n, 10], [n, 1]]);
  const ev = m.evaluate([xTrain, hints], [train.y, isBig]);
  assert.deepEqual(Object.keys(ev).sort(), ['big_accuracy', 'big_loss', 'big_mse', 'digit_accuracy', 'digit_loss', 'loss']);
  assert.throws(() => m.predict([xTrain, hints]), /has 2 outputs \(digit, big\); use predictAll/);
  assert.throws(() => m.predict(xTrain), /the model has 2 inputs \(image, hint\); pass x as an array of 2 tensors or an object keyed by input name/);
  assert.throws(() => m.predict({ image: xTrain, hnt: hints }), /x has key 'hnt' but the model's inputs are 'image', 'hint'/);
  assert.throws(() => m.compile({ optimizer: 'adam', loss: ['mse'] }), /loss has 1 entries but the model has 2 outputs \(digit, big\)/);
  assert.throws(() => m.compile({ optimizer: 'adam', loss: { digit: 'mse' } }), /loss has no entry for output 'big'/);
  await assert.rejects(m.fit([xTrain, hints], [train.y]), /the model has 2 outputs \(digit, big\); pass y as an array of 2 targets/);
});

/** A VGG-style base: two conv blocks with batch norm, ending in a pooling layer. */
function vggBase(): gl.Sequential {
  const { layers } = gl;
  return gl.sequential({ name: 'base', layers: [
    layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', name: 'block1_conv1' }),
    layers.batchNormalization({ name: 'block1_bn' }),
    layers.maxPooling2d({ poolSize: 2, name: 'block1_pool' }),
    layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', name: 'block2_conv1' }),
    layers.maxPooling2d({ poolSize: 2, name: 'block2_pool' }),
  ] });
}

test('a frozen VGG-style base inside sequential keeps every weight bit-identical through fit', async () => {
  gl.manualSeed(14);
  const base = vggBase();
  const m = gl.sequential([base, gl.layers.flatten(), gl.layers.dense({ units: 1, activation: 'sigmoid' })]);
  base.trainable = false;
  assert.ok(base.layers.every((l) => !l.trainable), 'freezing the model freezes every layer inside it');
  const before = base.getWeights().map((w) => Array.from(w.data));
  const head = Array.from(m.layers[2].getWeights()[0].data);
  const isSeven = new gl.Tensor(new Float32Array(train.y.data.map((v) => (v === 7 ? 1 : 0))), [train.y.shape[0], 1]);
  m.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });
  assert.match(m.summary({ print: false }), /base \(Sequential\)\s+\(None, 7, 7, 16\)\s+1,280\s+/);
  assert.match(m.summary({ print: false }), /Trainable params: 785\nNon-trainable params: 1,280/);
  await m.fit(xTrain, isSeven, { epochs: 2, batchSize: 32, seed: 4, verbose: 0 });
  // batch norm's moving statistics included: a frozen batch norm runs in inference mode
  assert.deepEqual(base.getWeights().map((w) => Array.from(w.data)), before);
  assert.notDeepEqual(Array.from(m.layers[2].getWeights()[0].data), head);
  // unfreezing for fine-tuning makes them trainable again
  base.trainable = true;
  assert.equal(m.trainableWeights.length, 2 + 2 + 2 + 2, 'kernels and biases, gamma and beta');
});

test('functional and nested models save and load with identical predictions', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-functional-'));
  const res = residualModel();
  res.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  await res.fit(xTrain, train.y, { epochs: 1, batchSize: 64, seed: 5, verbose: 0 });
  await res.save(join(dir, 'residual'));
  const r2 = await gl.loadModel(join(dir, 'residual'));
  assert.equal(r2.className, 'Functional');
  assert.deepEqual(Array.from(r2.predict(xTest).data), Array.from(res.predict(xTest).data));
  assert.deepEqual(r2.evaluate(xTest, held.y), res.evaluate(xTest, held.y));
  assert.equal(r2.summary({ print: false }), res.summary({ print: false }));

  // a sequential base inside a functional model inside a sequential model, with a shared layer
  gl.manualSeed(15);
  const base = vggBase();
  base.trainable = false;
  const shared = gl.layers.dense({ units: 4, activation: 'tanh', name: 'shared' });
  const a = gl.input({ shape: [28, 28, 1], name: 'a' });
  const fa = gl.layers.flatten({ name: 'fa' }).apply(base.apply(a));
  const h1 = shared.apply(gl.layers.dense({ units: 4, name: 'proj' }).apply(fa));
  const h2 = shared.apply(h1);
  const inner = gl.model({ inputs: a, outputs: gl.layers.average().apply([h1, h2]), name: 'inner' });
  const outer = gl.sequential({ name: 'outer', layers: [inner, gl.layers.dense({ units: 3, activation: 'softmax', name: 'head' })] });
  assert.equal(outer.countParams(), 1280 + (784 * 4 + 4) + (4 * 4 + 4) + (4 * 3 + 3));
  assert.match(inner.summary({ print: false }), /shared \(Dense\)\s+multiple\s+20\s+\d[\d,]*\s+proj\[0\]\[0\]\n\s+shared\[0\]\[0\]/);
  outer.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy' });
  await outer.fit(xTrain, gl.clip(train.y, 0, 2), { epochs: 1, verbose: 0, seed: 6 });
  await outer.save(join(dir, 'nested'));
  const o2 = await gl.loadModel(join(dir, 'nested'));
  assert.deepEqual(Array.from(o2.predict(xTest).data), Array.from(outer.predict(xTest).data));
  const loadedInner = o2.getLayer('inner') as gl.Model;
  assert.equal(loadedInner.getLayer('base').trainable, false, 'the frozen flag survives saving');
  assert.equal(o2.trainableWeights.length, outer.trainableWeights.length);
});

test('layers and models called on real tensors compute; graphs are checked when built', () => {
  gl.manualSeed(16);
  const x = gl.input({ shape: [3] });
  const d = gl.layers.dense({ units: 2, name: 'd' });
  const m = gl.model({ inputs: x, outputs: d.apply(x) });
  const t = gl.randn([4, 3], { seed: 1 });
  // a model is a layer: applying it computes the same as the layer it wraps
  assert.deepEqual(Array.from(m.apply(t).data), Array.from(d.apply(t).data));
  assert.equal(m.getLayer('d'), d);
  assert.equal(m.getLayer(1), d);
  assert.throws(() => m.getLayer('e'), /no layer named 'e' \(layers: input_\d+, d\)/);
  assert.throws(() => m.getLayer(5), /index 5 is out of range/);
  assert.equal(m.countParams(), 8);
  // errors at graph-building time
  const other = gl.input({ shape: [3], name: 'other' });
  const y = gl.layers.add().apply([x, other]);
  assert.throws(() => gl.model({ inputs: x, outputs: y }), /the outputs depend on input 'other', which is not in inputs/);
  assert.throws(() => gl.layers.add().apply(x), /takes a list of 2 or more inputs, got 1/);
  assert.throws(() => d.apply(gl.input({ shape: [5] })), /built for input \[batch,3\] but called on input_\d+\/0:0 of shape \[batch,5\]/);
  assert.throws(() => d.apply([t, x] as never), /inputs must all be Tensors \(to compute\) or all SymbolicTensors/);
  assert.throws(() => gl.model({ inputs: d.apply(x), outputs: x }), /inputs\[0\] must be a symbolic tensor made by gl.input/);
  const twin = gl.layers.dense({ units: 2, name: 'd' });
  assert.throws(() => gl.model({ inputs: x, outputs: twin.apply(d.apply(x)) }), /two different layers are named 'd'/);
  assert.throws(() => gl.layers.concatenate({ axis: 0 }), /axis 0 is the batch/);
  assert.throws(() => gl.input({ shape: [0, 3] }), /input: shape \[0,3\] must be a positive integer/);
});

test('a sequential model without an input shape builds on its first data; add and pop keep the graph', async () => {
  gl.manualSeed(17);
  const m = gl.sequential({ name: 'lazy' });
  m.add(gl.layers.dense({ units: 4, activation: 'relu' }));
  m.add(gl.layers.dense({ units: 3, name: 'top' }));
  assert.equal(m.built, false);
  assert.throws(() => m.summary({ print: false }), /lazy.summary: the model is not built yet/);
  // 'accuracy' with a regression loss and 3 outputs is categorical accuracy, decided when the output size is known
  m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['accuracy'] });
  const x = gl.randn([6, 5], { seed: 2 });
  const y = gl.oneHot(gl.tensor([0, 1, 2, 0, 1, 2]), 3);
  const ev = m.evaluate(x, y);
  assert.deepEqual(Object.keys(ev), ['loss', 'accuracy']);
  assert.equal(ev.accuracy * 6, Math.round(ev.accuracy * 6), 'a fraction of the 6 rows');
  assert.deepEqual(m.inputs[0].shape, [null, 5]);
  assert.deepEqual(m.outputShape, [3]);
  const top = m.pop();
  assert.equal(top.name, 'top');
  assert.deepEqual(m.outputShape, [4]);
  m.add(gl.layers.dense({ units: 2 }));
  assert.deepEqual(m.predict(x).shape, [6, 2]);
  assert.throws(() => m.add(gl.layers.add()), /takes several inputs; a sequential model passes one tensor/);
  assert.throws(() => m.add(gl.layers.dense({ units: 2, inputShape: [3] })), /only the first layer takes inputShape/);
  assert.throws(() => gl.sequential([gl.input({ shape: [2] }), gl.layers.dense({ units: 1, name: 'x1' }), gl.input({ shape: [2] })]), /gl.input\(\) can only come first/);
});
