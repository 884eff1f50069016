// The storage pool: backward recycles the intermediate gradients it made once nothing refers to
// them, and fit recycles the weights' gradients after a built-in optimizer's step. Reuse must
// never change a value someone still holds: shared and passed-through gradients, the caller's
// seed, createGraph, custom optimizers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as gl from '../../src/index.js';
import { allocate, pooledStorageBytes, setStoragePooling } from '../../src/tensor/dtype.js';
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
