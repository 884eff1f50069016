// int32 and bool tensors, NumPy promotion, casts, integer results and NumPy-style indexing,
// against NumPy's answers in fixtures/numpy_dtypes.json (written by fixtures/make_numpy_dtypes.py).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as gl from '../../src/index.js';
import type { DType, Tensor } from '../../src/index.js';

interface Binary { op: string; a: DType; b: DType; dtype?: string; values?: number[]; error?: string }
interface Golden {
  binary: Binary[];
  casts: { to: DType; from: number[]; values: number[] }[];
  argmax: { x: number[][]; axis: number | null; argmax: number | number[]; argmin: number | number[] }[];
  take_along_axis: { indices: number[][][]; axis: number; shape: number[]; values: number[] }[];
  slices: { spec: string; shape: number[]; values: number[] }[];
  masked: { mask: number[]; values: number[] }[];
}
const golden = JSON.parse(readFileSync(new URL('../../../test/tensor/fixtures/numpy_dtypes.json', import.meta.url), 'utf8')) as Golden;

const A = [0, 1, 3, -2];
const B = [1, 1, 2, 5];
const make = (v: number[], dtype: DType): Tensor => gl.tensor(dtype === 'bool' ? v.map((x) => x !== 0) : v, { dtype });

const OPS: Record<string, (a: Tensor, b: Tensor) => Tensor> = {
  add: gl.add, subtract: gl.sub, multiply: gl.mul, true_divide: gl.div, maximum: gl.maximum, minimum: gl.minimum,
  power: gl.pow, greater: gl.gt, equal: gl.eq, logical_and: gl.logicalAnd, logical_xor: gl.logicalXor,
};

/**
 * gradlab's dtype for NumPy's, with its two documented departures: no float64 unless an operand is
 * float64 (int32 with float32, and true division of integers, give float32 as in PyTorch), and
 * int32 for NumPy's int8 (bool ** bool).
 */
function expectedDType(numpy: string, a: DType, b: DType): string {
  if (numpy === 'int8') return 'int32';
  if (numpy === 'float64' && a !== 'float64' && b !== 'float64') return 'float32';
  return numpy;
}

test('the promotion table of the four dtypes follows NumPy (with float32 for int32 x float32, as PyTorch)', () => {
  assert.ok(golden.binary.length >= 11 * 16);
  for (const c of golden.binary) {
    const f = OPS[c.op];
    const a = make(A, c.a);
    const b = make(B, c.b);
    const label = `${c.op}(${c.a}, ${c.b})`;
    if (c.error) {
      assert.throws(() => f(a, b), gl.DTypeError, label);
      continue;
    }
    const r = f(a, b);
    assert.equal(r.dtype, expectedDType(c.dtype!, c.a, c.b), label);
    const tol = r.dtype === 'float32' ? 1e-6 : 1e-12;
    r.toFlatArray().forEach((v, i) => assert.ok(Math.abs(v - c.values![i]) <= tol * Math.max(1, Math.abs(c.values![i])), `${label}[${i}]: ${v} vs NumPy ${c.values![i]}`));
  }
  // The table in words, as the README states it.
  const table: [DType, DType, DType][] = [
    ['bool', 'bool', 'bool'], ['bool', 'int32', 'int32'], ['bool', 'float32', 'float32'], ['bool', 'float64', 'float64'],
    ['int32', 'int32', 'int32'], ['int32', 'float32', 'float32'], ['int32', 'float64', 'float64'],
    ['float32', 'float32', 'float32'], ['float32', 'float64', 'float64'], ['float64', 'float64', 'float64'],
  ];
  for (const [a, b, r] of table) {
    assert.equal(gl.promoteTypes(a, b), r);
    assert.equal(gl.promoteTypes(b, a), r);
    assert.equal(gl.add(make(A, a), make(B, b)).dtype, r, `${a} + ${b}`);
  }
});

test('JS numbers do not upcast a tensor of their kind (NumPy 2 scalar rule)', () => {
  const f32 = gl.tensor([1, 2]);
  const f64 = gl.tensor([1, 2], { dtype: 'float64' });
  const i32 = gl.tensor([1, 2], { dtype: 'int32' });
  const b = gl.tensor([true, false]);
  assert.equal(f32.add(2.5).dtype, 'float32');
  assert.equal(f64.mul(3).dtype, 'float64');
  assert.equal(i32.add(2).dtype, 'int32');
  assert.equal(i32.add(2.5).dtype, 'float32');
  assert.deepEqual(i32.add(2.5).toFlatArray(), [3.5, 4.5]);
  assert.equal(b.add(1).dtype, 'int32');
  assert.deepEqual(b.add(1).toFlatArray(), [2, 1]);
  assert.equal(gl.sub(1, b.astype('float32')).dtype, 'float32');
  assert.equal(i32.div(2).dtype, 'float32');
  assert.deepEqual(i32.div(2).toFlatArray(), [0.5, 1]);
  assert.equal(i32.gt(1.5).dtype, 'bool');
  assert.deepEqual(i32.gt(1.5).tolist(), [false, true]);
});

test('int32 arithmetic wraps modulo 2^32 as NumPy int32 does; negative integer powers are refused', () => {
  const big = gl.tensor([2147483647, -2147483648, 65536], { dtype: 'int32' });
  assert.deepEqual(big.add(1).toFlatArray(), [-2147483648, -2147483647, 65537]);
  assert.deepEqual(big.mul(gl.tensor([2, 2, 65536], { dtype: 'int32' })).toFlatArray(), [-2, 0, 0]);
  assert.deepEqual(big.neg().toFlatArray(), [-2147483647, -2147483648, -65536]);
  assert.deepEqual(gl.tensor([3, -3], { dtype: 'int32' }).pow(gl.tensor([21, 3], { dtype: 'int32' })).toFlatArray(), [1870418611, -27]); // 3**21 mod 2^32 (np.int32(3) ** 21)
  assert.throws(() => gl.tensor([2], { dtype: 'int32' }).pow(gl.tensor([-1], { dtype: 'int32' })), /pow: integers to negative integer powers are not allowed/);
  assert.throws(() => gl.tensor([true]).neg(), /neg: negating a bool tensor \[1\] is not supported/);
  assert.throws(() => gl.sub(gl.tensor([true]), gl.tensor([false])), /sub: subtracting bool tensors is not supported/);
  assert.deepEqual(gl.abs(gl.tensor([-3, 4], { dtype: 'int32' })).toFlatArray(), [3, 4]);
  assert.equal(gl.exp(gl.tensor([0, 1], { dtype: 'int32' })).dtype, 'float32');
});

test('astype: float to int32 truncates toward zero; NaN, inf and overflow are ValueErrors; bool is nonzero', () => {
  for (const c of golden.casts) {
    const r = gl.tensor(c.from, { dtype: 'float64' }).astype(c.to);
    assert.equal(r.dtype, c.to);
    assert.deepEqual(r.toFlatArray().map((v) => (Object.is(v, -0) ? 0 : v)), c.values.map((v) => (Object.is(v, -0) ? 0 : v)), `to ${c.to}`);
  }
  for (const [v, what] of [[NaN, 'NaN'], [Infinity, 'inf'], [-Infinity, '-inf'], [2147483648, "2147483648, outside int32's range"], [-2147483649, "-2147483649, outside int32's range"]] as const) {
    assert.throws(() => gl.tensor([1, v], { dtype: 'float64' }).astype('int32'), (e: unknown) => e instanceof gl.ValueError && e.message.startsWith(`astype: cannot convert ${what}`) && e.message.includes('flat index 1'));
  }
  assert.throws(() => gl.tensor([0.5, NaN], { dtype: 'int32' }), /tensor: cannot convert NaN at flat index 1 to int32/);
  assert.deepEqual(gl.tensor([NaN, 0, -0.1]).astype('bool').tolist(), [true, false, true]);
  const x = gl.tensor([1.5]);
  assert.equal(x.astype('float32'), x, 'the same dtype gives the tensor back');
  assert.equal(x.cast('float64').dtype, 'float64');
  assert.equal(gl.cast, gl.astype);
  assert.throws(() => x.astype('int64' as DType), (e: unknown) => e instanceof gl.DTypeError && /astype: dtype the string "int64" is not supported \(use 'bool', 'int32', 'float32', 'float64'\)/.test((e as Error).message));
});

test('creation: dtype option, booleans, typed arrays, and requiresGrad only on floats', () => {
  assert.equal(gl.tensor([[1, 2]], { dtype: 'int32' }).data.constructor, Int32Array);
  assert.equal(gl.tensor([true, false]).dtype, 'bool');
  assert.equal(gl.tensor([true, false]).data.constructor, Uint8Array);
  assert.equal(gl.tensor(true).dtype, 'bool');
  assert.equal(gl.tensor([1, 0]).dtype, 'float32');
  const ints = new Int32Array([4, 5]);
  assert.equal(gl.tensor(ints).data, ints, 'an Int32Array is used without a copy');
  assert.equal(gl.tensor(new Uint8Array([0, 255])).dtype, 'float32', 'bytes stay numbers');
  assert.deepEqual(gl.tensor(new Uint8Array([0, 255]), { dtype: 'bool' }).tolist(), [false, true]);
  assert.deepEqual(gl.zeros([2], { dtype: 'int32' }).toFlatArray(), [0, 0]);
  assert.deepEqual(gl.ones([2], { dtype: 'bool' }).tolist(), [true, true]);
  assert.deepEqual(gl.full([2], true).tolist(), [true, true]);
  assert.deepEqual(gl.full([2], -2.7, { dtype: 'int32' }).toFlatArray(), [-2, -2]);
  assert.deepEqual(gl.arange(0, 5, 1, { dtype: 'int32' }).toFlatArray(), [0, 1, 2, 3, 4]);
  assert.equal(gl.arange(0, 6, 2, { dtype: 'int32' }).dtype, 'int32');
  assert.throws(() => gl.arange(0, 1, 0.5, { dtype: 'int32' }), /arange: an int32 range needs integer start and step/);
  assert.equal(gl.randint(0, 10, [3], { dtype: 'int32', seed: 1 }).dtype, 'int32');
  assert.equal(gl.randint(0, 10, [3], { seed: 1 }).dtype, 'float32', 'randint stays float32 by default');
  assert.deepEqual(gl.eye(2, 2, { dtype: 'bool' }).tolist(), [[true, false], [false, true]]);
  assert.throws(() => gl.randn([2], { dtype: 'int32' }), gl.DTypeError);
  assert.throws(() => gl.tensor([1], { dtype: 'int32', requiresGrad: true }), /tensor: only float32 and float64 tensors can require gradients, not int32/);
  assert.throws(() => { gl.tensor([true]).requiresGrad = true; }, gl.DTypeError);
  assert.throws(() => gl.zeros([2], { dtype: 'uint8' as DType }), /zeros: dtype the string "uint8" is not supported/);
});

test('printing: int32 without decimals and tagged, bool as true/false; tolist, array and dataSync', async () => {
  assert.equal(gl.tensor([1, -20, 3], { dtype: 'int32' }).toString(), 'tensor([  1, -20,   3], dtype=int32)');
  assert.equal(gl.tensor([[true, false], [false, true]]).toString(), 'tensor([[ true, false],\n        [false,  true]])');
  assert.equal(gl.tensor(true).toString(), 'tensor(true)');
  assert.equal(gl.tensor([1, 2]).toString(), 'tensor([1., 2.])');
  assert.deepEqual(gl.tensor([[true], [false]]).tolist(), [[true], [false]]);
  assert.deepEqual(gl.tensor([[1, 2]], { dtype: 'int32' }).tolist(), [[1, 2]]);
  assert.deepEqual(gl.tensor([[true], [false]]).toArray(), [[1], [0]]);
  assert.deepEqual(gl.tensor([[true], [false]]).arraySync(), [[true], [false]]);
  assert.deepEqual(await gl.tensor([true, false]).array(), [true, false]);
  const d = gl.tensor([true, false]).dataSync();
  assert.ok(d instanceof Uint8Array);
  assert.deepEqual([...d], [1, 0]);
});

test('argmax and argmin give int32 indices; ties take the first index, as NumPy', () => {
  for (const c of golden.argmax) {
    const x = gl.tensor(c.x);
    const axis = c.axis ?? undefined;
    const am = gl.argmax(x, axis);
    assert.equal(am.dtype, 'int32');
    assert.deepEqual(am.tolist(), c.argmax, `argmax axis ${c.axis}`);
    assert.deepEqual(gl.argmin(x, axis).tolist(), c.argmin, `argmin axis ${c.axis}`);
    assert.deepEqual(gl.argmax(x.astype('int32'), axis).tolist(), c.argmax, 'of int32 values too');
  }
  assert.deepEqual(gl.argmax(gl.tensor([false, true, true])).tolist(), 1);
});

test('comparisons and logical ops give bool; sum of bool/int32 is int32, mean float32', () => {
  const x = gl.tensor([[1, 5], [7, 2]]);
  for (const r of [x.gt(3), x.ge(5), x.lt(2), x.le(1), x.eq(7), x.ne(7), gl.logicalNot(x.gt(3)), x.gt(1).logicalAnd(x.lt(7)), x.gt(1).logicalOr(x.lt(7)), x.gt(1).logicalXor(x.lt(7))]) {
    assert.equal(r.dtype, 'bool');
  }
  assert.deepEqual(x.ne(7).tolist(), [[true, true], [false, true]]);
  assert.deepEqual(gl.ne(gl.tensor([NaN]), gl.tensor([NaN])).tolist(), [true]);
  assert.deepEqual(x.gt(1).logicalXor(x.lt(7)).tolist(), [[true, false], [true, false]]);
  assert.deepEqual(gl.logicalAnd(gl.tensor([2, 0, NaN]), 1).tolist(), [true, false, true]);
  const s = gl.sum(x.gt(3));
  assert.equal(s.dtype, 'int32');
  assert.equal(s.item(), 2);
  assert.deepEqual(gl.sum(x.gt(3), 0).toFlatArray(), [1, 1]);
  const i = gl.tensor([2147483647, 1], { dtype: 'int32' });
  assert.equal(gl.sum(i).item(), -2147483648, 'an int32 sum wraps as an int32 accumulator');
  assert.equal(gl.mean(i).dtype, 'float32');
  assert.equal(gl.mean(i).item(), Math.fround(1073741824), 'the mean is taken of the exact sum');
  assert.equal(gl.mean(x.gt(3)).item(), 0.5);
  assert.equal(gl.max(i).dtype, 'int32');
  assert.equal(gl.max(x.gt(3)).dtype, 'bool');
  assert.equal(gl.std(gl.tensor([1, 3], { dtype: 'int32' })).item(), 1);
});

test('where takes a bool condition (or nested booleans) and promotes its branches', () => {
  const x = gl.tensor([-1, 2, -3]);
  assert.deepEqual(gl.where(x.gt(0), x, 0).toFlatArray(), [0, 2, 0]);
  assert.deepEqual(gl.where([true, false, true], gl.tensor([1, 2, 3], { dtype: 'int32' }), 0).tolist(), [1, 0, 3]);
  assert.equal(gl.where([true, false, true], gl.tensor([1, 2, 3], { dtype: 'int32' }), 0).dtype, 'int32');
  assert.equal(gl.where(x.gt(0), x, gl.zeros([3], { dtype: 'float64' })).dtype, 'float64');
});

test('float32 + float64 promotes, and the backward hands each input a gradient of its own dtype', () => {
  const a = gl.tensor([1, 2, 3], { requiresGrad: true });
  const b = gl.tensor([0.5], { dtype: 'float64', requiresGrad: true });
  const y = gl.sum(gl.mul(a, b));
  assert.equal(y.dtype, 'float64');
  y.backward();
  assert.equal(a.grad!.dtype, 'float32');
  assert.equal(b.grad!.dtype, 'float64');
  assert.deepEqual(a.grad!.toFlatArray(), [0.5, 0.5, 0.5]);
  assert.deepEqual(b.grad!.toFlatArray(), [6]);
  const ops = gl.registeredOps().map((o) => o.name);
  for (const name of ['astype', 'takeAlongAxis', 'maskedSelect']) assert.ok(ops.includes(name), `${name} is in the gradient sweep`);
  const sliceLabels = gl.registeredOps().find((o) => o.name === 'slice')!.samples(new gl.Random(1)).map((s) => s.label);
  assert.ok(sliceLabels.some((l) => l.includes("'")), 'slice strings are in the gradient sweep');
});

test('takeAlongAxis matches np.take_along_axis, and its gradient adds into the picked cells', () => {
  const y = gl.arange(0, 24, 1, { dtype: 'float64' }).reshape([2, 3, 4]);
  for (const c of golden.take_along_axis) {
    const r = gl.takeAlongAxis(y, gl.tensor(c.indices, { dtype: 'int32' }), c.axis);
    assert.deepEqual(r.shape, c.shape);
    assert.deepEqual(r.toFlatArray(), c.values, `indices ${JSON.stringify(c.indices)} axis ${c.axis}`);
  }
  // argmax with keepDims picks the maxima back (the usual gather of a label's score).
  const p = gl.tensor([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]], { requiresGrad: true });
  const picked = p.takeAlongAxis(gl.argmax(p, 1, true), 1);
  assert.deepEqual(picked.toArray(), [[Math.fround(0.7)], [0.5]]);
  gl.sum(gl.takeAlongAxis(p, [[1, 1], [0, 2]], 1)).backward();
  assert.deepEqual(p.grad!.toArray(), [[0, 2, 0], [1, 0, 1]]);
  assert.throws(() => gl.takeAlongAxis(y, gl.tensor([[[4]]], { dtype: 'int32' }), 2), /takeAlongAxis: index 4 at position \[0,0,0\] of indices \[1,1,1\] is out of range for axis 2 of x \[2,3,4\] \(size 4\)/);
  assert.throws(() => gl.takeAlongAxis(y, gl.tensor([[0]], { dtype: 'int32' }), 1), /takeAlongAxis: indices \[1,1\] must have the rank of x \[2,3,4\]/);
  assert.throws(() => gl.takeAlongAxis(y, gl.tensor([[[true]]]), 1), gl.DTypeError);
  assert.throws(() => gl.takeAlongAxis(y, gl.zeros([3, 3, 1], { dtype: 'int32' }), 2), /do not broadcast at axis 0 \(3 vs 2/);
});

test('maskedSelect matches x[mask] and differentiates into the selected cells', () => {
  const y = gl.arange(0, 24, 1, { dtype: 'float64' }).reshape([2, 3, 4]);
  const c = golden.masked[0];
  const mask = gl.tensor(c.mask, { dtype: 'bool', shape: [2, 3, 4] });
  assert.deepEqual(y.maskedSelect(mask).toFlatArray(), c.values);
  assert.deepEqual(y.maskedSelect(y.gt(20)).toFlatArray(), [21, 22, 23]);
  // The mask broadcasts (torch.masked_select): one row mask over every row.
  const x = gl.tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
  const sel = x.maskedSelect([true, false, true]);
  assert.deepEqual(sel.toFlatArray(), [1, 3, 4, 6]);
  gl.sum(gl.mul(sel, gl.tensor([1, 2, 3, 4]))).backward();
  assert.deepEqual(x.grad!.toArray(), [[1, 0, 2], [3, 0, 4]]);
  assert.deepEqual(gl.maskedSelect(x, x.gt(10)).shape, [0]);
  assert.throws(() => x.maskedSelect(x.gt(2).astype('float32')), /maskedSelect: mask \[2,3\] is float32, not bool/);
  assert.throws(() => x.maskedSelect([true, false]), /maskedSelect: mask \[2\] and x \[2,3\] cannot be broadcast together/);
});

test('slice strings read like NumPy basic indexing', () => {
  const y = gl.arange(0, 24, 1, { dtype: 'float64' }).reshape([2, 3, 4]);
  for (const c of golden.slices) {
    const r = y.slice(c.spec);
    assert.deepEqual(r.shape, c.shape, `'${c.spec}' shape`);
    assert.deepEqual(r.toFlatArray(), c.values, `'${c.spec}' values`);
    assert.deepEqual(gl.slice(y, c.spec).toFlatArray(), c.values);
  }
  const m = gl.tensor([[1, 2], [3, 4]], { dtype: 'int32' });
  assert.deepEqual(m.slice('::-1, 1').tolist(), [4, 2]);
  assert.deepEqual(m.T.tolist(), [[1, 3], [2, 4]]);
  assert.deepEqual(gl.arange(3).T.shape, [3]);
  assert.deepEqual(y.T.shape, [4, 3, 2], '.T reverses every axis as NumPy');
  // Errors quote the string and name the dimension.
  assert.throws(() => y.slice(':, 3'), (e: unknown) => e instanceof gl.ValueError && (e as Error).message === "slice: index 3 in ':, 3' is out of range for dimension 1 of x [2,3,4] (size 3)");
  assert.throws(() => y.slice('-3'), /index -3 in '-3' is out of range for dimension 0/);
  assert.throws(() => y.slice('1:x'), /slice: cannot read index '1:x': item 1 '1:x' has 'x', not an integer/);
  assert.throws(() => y.slice('::0'), /cannot read index '::0': item 1 '::0' has step 0/);
  assert.throws(() => y.slice('..., 1, ...'), /'\.\.\.' may appear once/);
  assert.throws(() => y.slice('0, 0, 0, 0'), /slice: index '0, 0, 0, 0' names 4 axes but x \[2,3,4\] has 3/);
  assert.throws(() => y.slice('1:2:3:4'), /item 1 '1:2:3:4' is not an integer/);
  assert.throws(() => y.slice(''), /cannot read index '': it is empty/);
  // The gradient scatters back into the sliced cells.
  const x = gl.tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
  gl.sum(x.slice(':, ::-2')).backward();
  assert.deepEqual(x.grad!.toArray(), [[1, 0, 1], [1, 0, 1]]);
});

test('float-only ops refuse int32 and bool with a DTypeError naming the op and the way out', () => {
  const i = gl.tensor([[1, 2], [3, 4]], { dtype: 'int32' });
  assert.throws(() => gl.matmul(i, i), (e: unknown) => e instanceof gl.DTypeError && (e as Error).message === "matmul: a [2,2] is int32, but matmul computes in floating point; convert it with a.astype('float32')");
  assert.throws(() => gl.softmax(i), /softmax: x \[2,2\] is int32/);
  assert.throws(() => gl.conv2d(gl.zeros([1, 3, 3, 1], { dtype: 'int32' }), gl.zeros([2, 2, 1, 1])), /conv2d: x \[1,3,3,1\] is int32/);
  assert.deepEqual(gl.matmul(i.astype('float32'), i.astype('float32')).toArray(), [[7, 10], [15, 22]]);
});

test('labels as int32 and bool tensors: losses, metrics, SVC and fit take them as floats', async () => {
  const yTrue = gl.tensor([0, 2, 1, 2], { dtype: 'int32' });
  const logits = gl.tensor([[2, 0, 0], [0, 0, 3], [0, 1, 0], [1, 0, 0]]);
  const pred = gl.argmax(logits, 1);
  assert.equal(gl.metrics.accuracyScore(yTrue, pred), 0.75);
  assert.deepEqual(gl.metrics.confusionMatrix(yTrue, pred), gl.metrics.confusionMatrix([0, 2, 1, 2], [0, 2, 1, 0]));
  assert.equal(gl.metrics.accuracyScore(gl.tensor([true, false, true]), gl.tensor([1, 0, 0])), 2 / 3);
  const l1 = gl.losses.sparseCategoricalCrossentropy(yTrue, logits, { fromLogits: true }).item();
  const l2 = gl.losses.sparseCategoricalCrossentropy(yTrue.astype('float32'), logits, { fromLogits: true }).item();
  assert.equal(l1, l2);
  assert.equal(gl.losses.binaryCrossentropy(gl.tensor([[true], [false]]), gl.tensor([[0.9], [0.2]])).dtype, 'float32');
  const x = gl.tensor([[0, 0], [0, 1], [1, 0], [1, 1], [3, 3], [3, 4], [4, 3], [4, 4]]);
  const y = gl.tensor([0, 0, 0, 0, 1, 1, 1, 1], { dtype: 'int32' });
  const svc = new gl.svm.SVC({ kernel: 'linear', C: 1 });
  svc.fit(x, y);
  assert.equal(svc.score(x, y), 1);
  assert.equal(svc.score(x, y.astype('bool')), 1);
  const model = gl.sequential([gl.layers.dense({ units: 2, activation: 'softmax', inputShape: [2] })]);
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  const h = await model.fit(x, y, { epochs: 2, verbose: 0, batchSize: 4 });
  assert.ok(Number.isFinite(h.history.loss[1]));
});
