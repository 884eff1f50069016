import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as gl from '../../src/index.js';

test('summary shows parameters and multiplications (COURSE A3: 1,820 and 5,133,600)', () => {
  const model = gl.sequential({ layers: [gl.layers.conv2d({ inputShape: [48, 64, 10], filters: 20, kernelSize: 3, activation: 'relu', name: 'conv' })] });
  const text = model.summary({ print: false });
  assert.match(text, /conv \(Conv2D\)\s+\(None, 46, 62, 20\)\s+1,820\s+5,133,600/);
  assert.match(text, /Total params: 1,820/);
  assert.match(text, /Trainable params: 1,820/);
  assert.match(text, /Multiplications per sample: 5,133,600/);
  assert.equal(model.countParams(), 1820);
});

test('shapes are inferred layer by layer and every layer reports them', () => {
  const m = gl.sequential();
  m.add(gl.layers.conv1d({ inputShape: [20, 3], filters: 4, kernelSize: 3, padding: 'same' }));
  m.add(gl.layers.maxPooling1d({ poolSize: 2 }));
  m.add(gl.layers.averagePooling1d({ poolSize: 2, padding: 'same' }));
  m.add(gl.layers.flatten());
  m.add(gl.layers.dropout({ rate: 0.5, seed: 1 }));
  m.add(gl.layers.dense({ units: 2, activation: 'softmax' }));
  assert.deepEqual(m.layers.map((l) => l.outputShape), [[20, 4], [10, 4], [5, 4], [20], [20], [2]]);
  const c = gl.sequential({ layers: [
    gl.layers.conv2d({ inputShape: [9, 9, 2], filters: 3, kernelSize: [3, 2], strides: 2, padding: 'same' }),
    gl.layers.batchNormalization(),
    gl.layers.averagePooling2d({ poolSize: 2, padding: 'same' }),
    gl.layers.globalMaxPooling2d(),
    gl.layers.reshape({ targetShape: [3, 1] }),
    gl.layers.activation({ activation: 'tanh' }),
  ] });
  assert.deepEqual(c.outputShape, [3, 1]);
  const bn = c.layers[1];
  assert.equal(bn.countParams(), 12);
  assert.equal(bn.trainableWeights.length, 2);
  assert.match(c.summary({ print: false }), /Non-trainable params: 6/);
});

test('a shape the first layer cannot take is a clear error', () => {
  assert.throws(() => gl.sequential({ layers: [gl.layers.conv2d({ inputShape: [28, 28], filters: 2, kernelSize: 3 })] }),
    /conv2d.*Conv2D needs per-sample input \[H,W,C\], got \[28,28\]/);
  assert.throws(() => gl.sequential({ layers: [gl.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 5 })] }),
    /cannot take input of shape \[batch,4,4,1\]: conv2d: kernel 5x5/);
  const m = gl.sequential({ layers: [gl.layers.dense({ inputShape: [3], units: 2 })] });
  assert.throws(() => m.predict(gl.zeros([4, 5])), /expects input \[batch,3\] but x has shape \[4,5\]/);
  assert.throws(() => gl.layers.dense({ units: 0 }), /dense: units must be a positive integer, got 0/);
  assert.throws(() => gl.layers.dense({ units: 2, activation: 'swishy' as 'relu' }), /dense: unknown activation 'swishy'/);
});

test('weights set by hand and every z and u inspectable (COURSE C1)', () => {
  const model = gl.sequential({ layers: [
    gl.layers.dense({ inputShape: [1], units: 2, activation: 'step', name: 'hidden' }),
    gl.layers.dense({ units: 1, activation: 'step', name: 'output' }),
  ] });
  model.layers[0].setWeights([[[1, 1]], [-1, -3]]);
  model.layers[1].setWeights([[[-1], [2]], [0.5]]);
  const x = gl.tensor([[0], [0.5], [1], [2], [2.999], [3], [10]]);
  const [h, o] = model.trace(x);
  assert.deepEqual(Array.from(o.z.data), [0.5, 0.5, -0.5, -0.5, -0.5, 1.5, 1.5]);
  assert.deepEqual(Array.from(o.u.data), [1, 1, 0, 0, 0, 1, 1]);
  assert.deepEqual(h.z.shape, [7, 2]);
  assert.throws(() => model.layers[0].setWeights([[1, 1], [-1, -3]]), /hidden.setWeights: kernel must have shape \[1,2\], got \[2\]/);
  assert.throws(() => model.layers[0].setWeights([[[1, 1]]]), /hidden.setWeights: expected 2 arrays \(kernel \[1,2\], bias \[2\]\), got 1/);
});

test('initializers are seeded and have the right scale', () => {
  gl.manualSeed(7);
  const a = gl.layers.dense({ inputShape: [100], units: 50 });
  gl.sequential({ layers: [a] });
  gl.manualSeed(7);
  const b = gl.layers.dense({ inputShape: [100], units: 50 });
  gl.sequential({ layers: [b] });
  assert.deepEqual(Array.from(a.getWeights()[0].data), Array.from(b.getWeights()[0].data));
  const lim = Math.sqrt(6 / 150);
  assert.ok(Array.from(a.getWeights()[0].data).every((v) => Math.abs(v) <= lim));
  const he = gl.layers.dense({ inputShape: [200], units: 100, kernelInitializer: 'heNormal' });
  gl.sequential({ layers: [he] });
  const std = gl.std(he.getWeights()[0]).item();
  assert.ok(Math.abs(std - Math.sqrt(2 / 200)) < 0.01, `he std ${std}`);
});

test('dropout and batch norm behave differently in training and inference', () => {
  const d = gl.layers.dropout({ rate: 0.5, seed: 3 });
  const x = gl.ones([1000]).reshape([10, 100]);
  d.build([100]);
  const yt = d.apply(x, true);
  const kept = Array.from(yt.data).filter((v) => v !== 0);
  assert.ok(kept.every((v) => v === 2) && Math.abs(kept.length - 500) < 60);
  assert.deepEqual(Array.from(d.apply(x, false).data), Array.from(x.data));
  const bn = gl.layers.batchNormalization({ momentum: 0.5 });
  const xb = gl.tensor([[1, 10], [3, 30]]);
  bn.build([2]);
  const yb = bn.apply(xb, true);
  assert.ok(Math.abs(yb.data[0] + yb.data[2]) < 1e-6 && Math.abs(yb.data[2] - 0.9995) < 1e-3);
  assert.deepEqual(Array.from(bn.getWeights()[2].data), [1, 10]); // moving mean: 0.5*0 + 0.5*[2,20]
});
