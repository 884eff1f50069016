// The storage pool: backward recycles the intermediate gradients it made once nothing refers to
// them, and fit recycles the weights' gradients after a built-in optimizer's step. Reuse must
// never change a value someone still holds: shared and passed-through gradients, the caller's
// seed, createGraph, custom optimizers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as gl from '../../src/index.js';
import { allocate, newPooledSizeArrays, poolCapacity, pooledStorageBytes, releaseStorage, setStoragePooling } from '../../src/tensor/dtype.js';
import { releaseGradients } from '../../src/tensor/tensor.js';

const N = 4096; // above the pool's minimum size
const ramp = (n: number, scale = 1) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * scale);
const param = (n: number, scale = 1) => gl.tensor(ramp(n, scale), { requiresGrad: true });

/** Allocates (and dirties) everything the pool holds, so a recycled buffer still in use would change. */
function churn(): void {
  for (let k = 0; k < 64; k++) allocate('float32', N).fill(12345);
}

test('gradients that share a buffer (a + b, x + x, views) survive the recycling of dead ones', () => {
  for (let round = 0; round < 3; round++) {
    const a = param(N), b = param(N, 0.5);
    // a + b passes one gradient to both; reshape passes a view; x * x and x + x meet at x
    const s = gl.add(a, b);
    const x = gl.reshape(gl.mul(s, 2), [64, 64]);
    const loss = gl.sum(gl.add(gl.mul(x, x), gl.add(x, x)));
    loss.backward();
    churn();
    const av = ramp(N), bv = ramp(N, 0.5);
    // d/da = d/db = 2 * (2 * x + 2) with x = 2 (a + b)
    for (const i of [0, 1, 17, N - 1]) {
      const want = 2 * (2 * (2 * (av[i] + bv[i])) + 2);
      assert.ok(Math.abs(a.grad!.data[i] - want) < 1e-4, `a.grad[${i}] ${a.grad!.data[i]} vs ${want}`);
      assert.ok(Math.abs(b.grad!.data[i] - want) < 1e-4, `b.grad[${i}] ${b.grad!.data[i]} vs ${want}`);
    }
  }
});

test("the caller's seed gradient and a createGraph pass are never recycled", () => {
  const a = param(N);
  const y = gl.mul(gl.exp(gl.mul(a, 0.1)), 3);
  const seed = gl.tensor(ramp(N, 2));
  const before = Float32Array.from(seed.data as Float32Array);
  y.backward(seed);
  churn();
  assert.deepEqual(seed.data, before);

  const b = param(N);
  const z = gl.sum(gl.mul(gl.mul(b, b), b));
  z.backward(undefined, { createGraph: true });
  const g = b.grad!;
  const gBefore = Float32Array.from(g.data as Float32Array);
  churn();
  assert.deepEqual(g.data, gBefore);
  // the graph of the gradient still differentiates: d/db sum(3 b^2) = 6 b
  b.grad = null;
  gl.sum(g).backward();
  const bv = ramp(N);
  assert.ok(Math.abs(b.grad!.data[5] - 6 * bv[5]) < 1e-4);
});

test('releaseGradients recycles a shared leaf gradient once, and only the engine-made ones', () => {
  const a = param(N), b = param(N);
  gl.sum(gl.add(a, b)).backward();
  assert.equal(a.grad!.data.buffer, b.grad!.data.buffer, 'a + b gives both leaves one gradient');
  const before = pooledStorageBytes();
  releaseGradients([a, b]);
  assert.equal(a.grad, null);
  assert.equal(b.grad, null);
  const after = pooledStorageBytes();
  assert.ok(after - before <= N * 4, `one buffer at most went in (${after - before} bytes)`);
  // a gradient the caller set stays theirs
  const c = param(N);
  const mine = gl.tensor(ramp(N, 3));
  c.grad = mine;
  releaseGradients([c]);
  churn();
  assert.deepEqual(mine.data, ramp(N, 3));
});

test('fit with a custom optimizer leaves the gradients it kept intact', async () => {
  gl.manualSeed(3);
  const model = gl.sequential({ layers: [gl.layers.dense({ inputShape: [64], units: 64, activation: 'relu' }), gl.layers.dense({ units: 1 })] });
  const kept: { grad: gl.Tensor; copy: Float32Array }[] = [];
  const optimizer = {
    name: 'sgd' as const,
    learningRate: 0.01,
    step(params: readonly gl.Tensor[]) {
      for (const p of params) {
        if (!p.grad) continue;
        kept.push({ grad: p.grad, copy: Float32Array.from(p.grad.data as Float32Array) });
        const w = p.data, g = p.grad.data;
        for (let i = 0; i < w.length; i++) w[i] -= 0.01 * g[i];
      }
    },
    getConfig() { return { learningRate: 0.01 }; },
  };
  model.compile({ optimizer, loss: 'mse' });
  const x = gl.randn([256, 64], { seed: 1 });
  const y = gl.randn([256, 1], { seed: 2 });
  await model.fit(x, y, { epochs: 2, batchSize: 32, verbose: 0, seed: 1 });
  churn();
  assert.ok(kept.length > 0);
  for (const k of kept) assert.deepEqual(k.grad.data, k.copy);
});

test('training with the pool gives the same weights, bit for bit, as training without it', async () => {
  const run = async () => {
    gl.manualSeed(7);
    const model = gl.sequential({ layers: [
      gl.layers.conv2d({ inputShape: [24, 24, 2], filters: 8, kernelSize: 3, activation: 'relu' }),
      gl.layers.maxPooling2d({ poolSize: 2 }),
      gl.layers.flatten(),
      gl.layers.dense({ units: 5, activation: 'softmax' }),
    ] });
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
    const x = gl.rand([96, 24, 24, 2], { seed: 4 });
    const y = gl.tensor(Int32Array.from({ length: 96 }, (_, i) => i % 5), { shape: [96], dtype: 'int32' });
    await model.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0, seed: 2 });
    return model.getWeights().map((w) => Array.from(w.data));
  };
  setStoragePooling(false);
  let without: number[][];
  try {
    without = await run();
  } finally {
    setStoragePooling(true);
  }
  churn();
  const first = await run();
  const second = await run();
  assert.deepEqual(first, without);
  assert.deepEqual(second, without);
});

const lenetLike = (extra: gl.Layer[] = []) => gl.sequential({ layers: [
  gl.layers.conv2d({ inputShape: [16, 16, 1], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
  gl.layers.batchNormalization(),
  gl.layers.maxPooling2d({ poolSize: 2 }),
  gl.layers.flatten(),
  gl.layers.dropout({ rate: 0.25, seed: 5 }),
  ...extra,
  gl.layers.dense({ units: 3, activation: 'softmax' }),
] });
const images = () => gl.rand([128, 16, 16, 1], { seed: 8 });
const labels = () => gl.tensor(Int32Array.from({ length: 128 }, (_, i) => i % 3), { shape: [128], dtype: 'int32' });

test("fit gives a step's activations and batch back to the pool: later epochs make no new arrays", async () => {
  gl.manualSeed(1);
  const model = lenetLike();
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  const x = images(), y = labels();
  await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0, seed: 1 });
  const before = newPooledSizeArrays();
  await model.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0, seed: 2 });
  // 24 steps: without recycling each makes its conv, normalization and pooling outputs, their
  // gradients and the batch anew (over 150 arrays); with it only fit's first step and final check do
  const made = newPooledSizeArrays() - before;
  assert.ok(made <= 12, `${made} new arrays of pooled size over 24 steps`);

  // evaluate (and so fit's validation) recycles each batch too, with the same numbers
  setStoragePooling(false);
  let want: gl.Logs;
  try { want = model.evaluate(x, y, { batchSize: 16 }); } finally { setStoragePooling(true); }
  model.evaluate(x, y, { batchSize: 16 });
  const beforeEval = newPooledSizeArrays();
  for (let k = 0; k < 3; k++) assert.deepEqual(model.evaluate(x, y, { batchSize: 16 }), want);
  assert.ok(newPooledSizeArrays() - beforeEval <= 2, `${newPooledSizeArrays() - beforeEval} new arrays over 3 evaluations of 8 batches`);
});

test('a step that allocates more than the default pool holds is recycled whole while fit runs, and the pool shrinks after', async () => {
  const defaultCap = poolCapacity();
  gl.manualSeed(2);
  // 8 MB activations ([64, 512, 64] float32): a step's forward and backward make over 100 MB
  const model = gl.sequential({ layers: [
    gl.layers.dense({ inputShape: [512, 64], units: 64 }), gl.layers.batchNormalization(), gl.layers.activation({ activation: 'relu' }),
    gl.layers.dense({ units: 64 }), gl.layers.batchNormalization(), gl.layers.activation({ activation: 'relu' }),
    gl.layers.globalAveragePooling1d(), gl.layers.dense({ units: 4, activation: 'softmax' }),
  ] });
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
  const x = gl.rand([512, 512, 64], { seed: 3 });
  const y = gl.randint(0, 4, [512], { seed: 4 });
  const one = [gl.slice(x, [0], [64]), gl.slice(y, [0], [64])] as const;
  await model.fit(one[0], one[1], { epochs: 1, batchSize: 64, verbose: 0 });
  let before = newPooledSizeArrays();
  await model.fit(one[0], one[1], { epochs: 1, batchSize: 64, verbose: 0 });
  const firstStep = newPooledSizeArrays() - before;
  assert.ok(firstStep > 0, 'a step outgrows the default pool');
  before = newPooledSizeArrays();
  await model.fit(x, y, { epochs: 2, batchSize: 64, verbose: 0 });
  const made = newPooledSizeArrays() - before;
  // 16 steps: without the reservation every step makes about as many as the first
  assert.ok(made <= firstStep + 4, `${made} new arrays over 16 steps, ${firstStep} in one`);
  assert.equal(poolCapacity(), defaultCap);
  assert.ok(pooledStorageBytes() <= defaultCap);
});

test('a pool full of sizes nobody asks for any more makes room for the sizes in use', () => {
  // what a model's fit leaves behind: the pool filled with arrays of its sizes
  for (let size = 262_144; pooledStorageBytes() + 4 * size <= poolCapacity(); size++) {
    for (let k = 0; k < 16 && pooledStorageBytes() + 4 * size <= poolCapacity(); k++) releaseStorage(new Float32Array(size));
  }
  assert.ok(pooledStorageBytes() > poolCapacity() - 4 * 262_200, 'the pool is full');
  // the next model's steps: four arrays of another size, taken and given back
  const step = () => {
    const arrays = Array.from({ length: 4 }, () => allocate('float32', 300_000));
    for (const a of arrays) releaseStorage(a);
  };
  step();
  const before = newPooledSizeArrays();
  for (let i = 0; i < 8; i++) step();
  assert.equal(newPooledSizeArrays() - before, 0, 'every step after the first reuses its arrays');
  assert.ok(pooledStorageBytes() <= poolCapacity());
});

/** A user's layer that keeps every tensor it sees (as a debugging hook might). */
class Recorder extends gl.Layer {
  readonly className = 'Recorder';
  readonly seen: { t: gl.Tensor; copy: Float32Array }[] = [];
  constructor() { super({}, 'recorder'); }
  forward(x: gl.Tensor) {
    this.seen.push({ t: x, copy: Float32Array.from(x.data as Float32Array) });
    return { z: x, u: x };
  }
}

test("what a user's layer or metric keeps from a step is never recycled under it", async () => {
  gl.manualSeed(2);
  const recorder = new Recorder(); // sees [16, 256] activations
  const model = lenetLike([recorder]);
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  await model.fit(images(), labels(), { epochs: 2, batchSize: 16, verbose: 0, seed: 1 });
  churn();
  assert.ok(recorder.seen.length >= 16);
  for (const k of recorder.seen) assert.deepEqual(k.t.data, k.copy);

  // a subclass of one of gradlab's own layers is the user's too; so is a metric function
  class KeepingDense extends gl.Dense {
    readonly outs: { t: gl.Tensor; copy: Float32Array }[] = [];
    override forward(x: gl.Tensor, training = false, needZ = false) {
      const o = super.forward(x, training, needZ);
      this.outs.push({ t: o.u, copy: Float32Array.from(o.u.data as Float32Array) });
      return o;
    }
  }
  for (const custom of ['layer', 'metric'] as const) {
    const head = custom === 'layer' ? new KeepingDense({ units: 256, activation: 'softmax' }) : gl.layers.dense({ units: 256, activation: 'softmax' });
    const kept: { t: gl.Tensor; copy: Float32Array }[] = [];
    const meanPrediction = (_y: gl.Tensor, p: gl.Tensor) => {
      kept.push({ t: p, copy: Float32Array.from(p.data as Float32Array) });
      return gl.mean(p).item();
    };
    const m = gl.sequential({ layers: [gl.layers.flatten({ inputShape: [16, 16, 1] }), gl.layers.dense({ units: 64, activation: 'relu' }), head] });
    m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: custom === 'metric' ? [meanPrediction] : ['accuracy'] });
    await m.fit(images(), labels(), { epochs: 2, batchSize: 16, verbose: 0, seed: 1 });
    churn();
    if (custom === 'layer') kept.push(...(head as KeepingDense).outs);
    assert.ok(kept.length >= 16, custom);
    for (const k of kept) assert.deepEqual(k.t.data, k.copy, custom);
  }
});

test('predict recycles what each batch made but never the outputs it returns', () => {
  gl.manualSeed(4);
  const model = gl.sequential({ layers: [
    gl.layers.conv2d({ inputShape: [16, 16, 1], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
    gl.layers.flatten(), // the output is a view of the conv's array
  ] });
  const x = images();
  const want = (() => {
    setStoragePooling(false);
    try { return Float32Array.from(model.predict(x, { batchSize: 32 }).data as Float32Array); } finally { setStoragePooling(true); }
  })();
  const one = model.predict(gl.slice(x, [0], [16, 16, 16, 1]), { batchSize: 32 }); // one batch: returned as the model made it
  const oneCopy = Float32Array.from(one.data as Float32Array);
  const all = model.predict(x, { batchSize: 32 });
  const other = gl.mul(x, -1); // gives other values, so an output recycled under the caller would change
  model.predict(other, { batchSize: 32 });
  const before = newPooledSizeArrays();
  for (let k = 0; k < 3; k++) model.predict(other, { batchSize: 32 });
  const made = newPooledSizeArrays() - before;
  churn();
  assert.deepEqual(all.data, want);
  assert.deepEqual(one.data, oneCopy);
  assert.deepEqual(Array.from(one.data), Array.from(want.subarray(0, one.size)));
  // 12 batches: each makes its conv output anew without recycling; with it only the concatenations are new
  assert.ok(made <= 3, `${made} new arrays of pooled size over 3 predictions of 4 batches`);
});
