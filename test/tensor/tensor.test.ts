import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as gl from '../../src/index.js';

test('tensor() takes nested arrays, flat arrays with a shape, typed arrays and scalars', () => {
  const a = gl.tensor([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(a.shape, [2, 3]);
  assert.equal(a.dtype, 'float32');
  assert.equal(a.size, 6);
  assert.equal(a.rank, 2);
  assert.ok(a.data instanceof Float32Array);
  assert.deepEqual(gl.tensor([1, 2, 3, 4], { shape: [2, 2] }).toArray(), [[1, 2], [3, 4]]);
  const f64 = new Float64Array([1, 2, 3, 4, 5, 6]);
  const b = gl.tensor(f64, { shape: [3, 2] });
  assert.equal(b.dtype, 'float64');
  assert.equal(b.data, f64, 'matching typed arrays are not copied');
  assert.equal(gl.tensor(7).item(), 7);
  assert.deepEqual(gl.tensor(7).shape, []);
  assert.equal(gl.tensor([1, 2], { dtype: 'float64' }).dtype, 'float64');
  assert.throws(() => gl.tensor([[1, 2], [3]]), (e: unknown) => e instanceof gl.ShapeError && /ragged/.test((e as Error).message));
  assert.throws(() => gl.tensor([1, 2, 3], { shape: [2, 2] }), gl.ShapeError);
  assert.throws(() => gl.tensor([1], { dtype: 'int8' as 'float32' }), gl.DTypeError);
});

test('creation functions and the seeded generator', () => {
  assert.deepEqual(gl.zeros([2, 2]).toArray(), [[0, 0], [0, 0]]);
  assert.deepEqual(gl.ones([3]).toArray(), [1, 1, 1]);
  assert.deepEqual(gl.full([2], 7).toArray(), [7, 7]);
  assert.deepEqual(gl.arange(5).toArray(), [0, 1, 2, 3, 4]);
  assert.deepEqual(gl.arange(1, 2, 0.25).toArray(), [1, 1.25, 1.5, 1.75]);
  assert.deepEqual(gl.linspace(0, 1, 5).toArray(), [0, 0.25, 0.5, 0.75, 1]);
  assert.deepEqual(gl.eye(2, 3).toArray(), [[1, 0, 0], [0, 1, 0]]);
  gl.manualSeed(123);
  const r1 = gl.randn([1000]);
  gl.manualSeed(123);
  const r2 = gl.randn([1000]);
  assert.deepEqual(Array.from(r1.data), Array.from(r2.data));
  assert.ok(Math.abs(gl.mean(r1).item()) < 0.1 && Math.abs(gl.std(r1).item() - 1) < 0.1);
  const u = gl.rand([1000], { seed: 5 });
  assert.ok(Array.from(u.data).every((v) => v >= 0 && v < 1));
  assert.deepEqual(Array.from(gl.rand([5], { seed: 5 }).data), Array.from(u.data.subarray(0, 5)));
  const k = gl.randint(0, 3, [500], { seed: 1 });
  assert.deepEqual([...new Set(Array.from(k.data))].sort(), [0, 1, 2]);
  assert.throws(() => gl.randint(3, 3, [2]), /randint: need integers low < high/);
  assert.throws(() => gl.zeros([2, -1]), gl.ValueError);
});

test('toString prints like NumPy', () => {
  assert.equal(gl.tensor([[1, 2], [3, 4]]).toString(), 'tensor([[1., 2.],\n        [3., 4.]])');
  assert.equal(gl.tensor([0.5, -1.25], { dtype: 'float64' }).toString(), 'tensor([  0.5, -1.25], dtype=float64)');
  assert.equal(gl.tensor(3).toString(), 'tensor(3.)');
  assert.match(gl.zeros([2000]).toString(), /^tensor\(\[0\., 0\., 0\., \.\.\., 0\., 0\., 0\.\]\)$/);
  assert.match(gl.tensor([1], { requiresGrad: true }).toString(), /requiresGrad=true/);
});

test('methods chain like PyTorch', () => {
  const x = gl.tensor([1, 2, 3]);
  assert.equal(x.mul(x).sum().item(), 14);
  assert.deepEqual(x.reshape([3, 1]).matmul(x.reshape([1, 3])).shape, [3, 3]);
  assert.equal(x.add(1).div(2).mean().item(), 1.5);
});

test('autograd: accumulation, zeroGrad, detach, noGrad', () => {
  const w = gl.tensor([1, 2, 3], { requiresGrad: true });
  const loss = () => w.mul(w).sum();
  loss().backward();
  assert.deepEqual(w.grad!.toArray(), [2, 4, 6]);
  loss().backward();
  assert.deepEqual(w.grad!.toArray(), [4, 8, 12], 'gradients accumulate');
  w.zeroGrad();
  assert.equal(w.grad, null);
  const y = gl.noGrad(() => w.mul(2));
  assert.equal(y.requiresGrad, false);
  assert.equal(w.detach().requiresGrad, false);
  // a tensor used twice gets both contributions
  const a = gl.tensor(3, { requiresGrad: true });
  a.mul(a).add(a).backward();
  assert.equal(a.grad!.item(), 7);
  // backward with an explicit gradient
  const v = gl.tensor([1, 2], { requiresGrad: true });
  v.mul(3).backward(gl.tensor([1, 10]));
  assert.deepEqual(v.grad!.toArray(), [3, 30]);
});

test('backward errors say what is wrong', () => {
  const w = gl.tensor([1, 2], { requiresGrad: true });
  assert.throws(() => w.mul(2).backward(), /backward: tensor has shape \[2\], not a scalar; pass a gradient of that shape/);
  assert.throws(() => w.mul(2).backward(gl.tensor([1, 2, 3])), /backward: gradient has shape \[3\] but the tensor has shape \[2\]/);
  assert.throws(() => gl.tensor(1).backward(), /does not require grad/);
});

test('jacobian (COURSE B3)', () => {
  const f = (x: gl.Tensor) => gl.stack([
    x.gather([0]).add(x.gather([1]).mul(x.gather([2]))).reshape([]),
    x.gather([0]).square().add(x.gather([1]).mul(3)).reshape([]),
  ]);
  const J = gl.jacobian(f, gl.tensor([2, -1, 5], { dtype: 'float64' }));
  assert.deepEqual(J.toArray(), [[1, 5, -1], [4, 3, 0]]);
});

test('mixed dtypes promote as NumPy: float32 + float64 is float64', () => {
  assert.equal(gl.add(gl.zeros([2]), gl.zeros([2], { dtype: 'float64' })).dtype, 'float64');
});
