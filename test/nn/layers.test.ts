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

test('dropout masks drop each value with the given rate, from the seeded 32-bit stream', () => {
  for (const rate of [0.1, 0.25, 0.5]) {
    const d = gl.layers.dropout({ rate, seed: 11 });
    d.build([200]);
    const y = d.apply(gl.ones([500, 200]), true);
    const dropped = Array.from(y.data).filter((v) => v === 0).length / y.size;
    // 100k Bernoulli draws: 5 standard deviations is under 0.0075
    assert.ok(Math.abs(dropped - rate) < 0.0075, `rate ${rate}: dropped ${dropped}`);
    assert.ok(Array.from(y.data).every((v) => v === 0 || Math.abs(v - 1 / (1 - rate)) < 1e-6));
  }
  // the mask is the generator's own uint32 stream against rate * 2^32, value by value
  const a = new gl.Random(5);
  const b = new gl.Random(5);
  const mask = new Float64Array(1000);
  a.fillDropMask(mask, 0.3, 2);
  for (let i = 0; i < mask.length; i++) assert.equal(mask[i], b.nextUint32() < 0.3 * 2 ** 32 ? 0 : 2, `value ${i}`);
  assert.equal(a.nextUint32(), b.nextUint32(), 'the generator moves on by one draw per value');
});

test('batchNorm normalises each channel over batch and positions and moves the moving statistics', () => {
  const x = gl.add(gl.mul(gl.randn([8, 5, 5, 3], { seed: 4 }), gl.tensor([1, 10, 0.1])), gl.tensor([0, 100, -3]));
  const mm = gl.zeros([3]);
  const mv = gl.ones([3]);
  const y = gl.batchNorm(x, { epsilon: 0, gamma: gl.tensor([2, 1, 1]), beta: gl.tensor([0, 0, 5]), movingMean: mm, movingVariance: mv, momentum: 0.9 });
  const rows = 8 * 5 * 5;
  for (let c = 0; c < 3; c++) {
    let s = 0, ss = 0, sx = 0, sxx = 0;
    for (let r = 0; r < rows; r++) {
      const v = y.data[r * 3 + c];
      s += v; ss += v * v;
      sx += x.data[r * 3 + c]; sxx += x.data[r * 3 + c] ** 2;
    }
    const [g, b] = [[2, 0], [1, 0], [1, 5]][c];
    assert.ok(Math.abs(s / rows - b) < 1e-4, `channel ${c} mean ${s / rows}`);
    assert.ok(Math.abs(ss / rows - (s / rows) ** 2 - g * g) < 1e-3 * g * g, `channel ${c} variance ${ss / rows - (s / rows) ** 2}`);
    const m = sx / rows;
    assert.ok(Math.abs(mm.data[c] - 0.1 * m) < 1e-4 * (1 + Math.abs(m)), `moving mean ${c}`);
    assert.ok(Math.abs(mv.data[c] - (0.9 + 0.1 * (sxx / rows - m * m))) < 1e-3 * (1 + sxx / rows - m * m), `moving variance ${c}`);
  }
  assert.throws(() => gl.batchNorm(x, { gamma: gl.ones([4]) }), /batchNorm: gamma \[4\] must have shape \[3\]/);
  assert.throws(() => gl.batchNorm(gl.zeros([0, 3])), /batchNorm: x \[0,3\] is empty/);
  assert.throws(() => gl.batchNorm(x, { momentum: 2 }), /batchNorm: momentum/);
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
