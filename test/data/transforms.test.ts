import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  concatDatasets, minMaxScaler, shuffle, standardScaler, trainTestSplit, takeRows,
} from '../../src/data/transforms.js';
import { oneHot } from '../../src/ops/index.js';
import { tensor } from '../../src/tensor/creation.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { DTypeError, ShapeError, ValueError } from '../../src/core/errors.js';

/** x row i is [i, 10i, 100i] (so rows identify themselves), y[i] = i. */
function indexed(n: number): { x: Tensor; y: Tensor } {
  const x = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) x.set([i, 10 * i, 100 * i], 3 * i);
  return { x: new Tensor(x, [n, 3]), y: new Tensor(Float32Array.from({ length: n }, (_, i) => i), [n]) };
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-6): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol * Math.max(1, Math.abs(expected[i])), `[${i}] ${actual[i]} vs ${expected[i]}`);
  }
}

test('shuffle permutes rows of x and y together, reproducibly by seed, for any rank', () => {
  const { x, y } = indexed(50);
  const a = shuffle(x, y, { seed: 3 });
  const b = shuffle(x, y, { seed: 3 });
  assert.deepEqual([...a.x.data], [...b.x.data]);
  assert.notDeepEqual([...a.y.data], [...y.data]);
  assert.deepEqual([...a.y.data].sort((p, q) => p - q), [...y.data]);
  for (let i = 0; i < 50; i++) assert.deepEqual([...a.x.data.subarray(3 * i, 3 * i + 3)], [a.y.data[i], 10 * a.y.data[i], 100 * a.y.data[i]]);
  assert.notDeepEqual([...shuffle(x, { seed: 4 }).data], [...a.x.data]);
  const img = new Tensor(Float32Array.from({ length: 4 * 2 * 2 * 1 }, (_, i) => Math.floor(i / 4)), [4, 2, 2, 1]);
  const s = shuffle(img, { seed: 1 });
  assert.deepEqual(s.shape, [4, 2, 2, 1]);
  for (let i = 0; i < 4; i++) assert.equal(new Set(s.data.subarray(4 * i, 4 * i + 4)).size, 1);
  assert.throws(() => shuffle(x, indexed(3).y), /x has 50 samples but y has 3/);
});

test('trainTestSplit: sizes as scikit-learn, disjoint and complete, reproducible', () => {
  const { x, y } = indexed(10);
  const s = trainTestSplit(x, y, { seed: 0 });
  // ceil(0.25 * 10) = 3 test samples, as scikit-learn.
  assert.deepEqual(s.xTest.shape, [3, 3]);
  assert.deepEqual(s.xTrain.shape, [7, 3]);
  const all = [...s.yTrain.data, ...s.yTest.data].sort((a, b) => a - b);
  assert.deepEqual(all, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  for (let i = 0; i < 3; i++) assert.equal(s.xTest.data[3 * i], s.yTest.data[i]);
  const again = trainTestSplit(x, y, { seed: 0 });
  assert.deepEqual([...again.yTest.data], [...s.yTest.data]);
  const big = indexed(200);
  assert.notDeepEqual(
    [...trainTestSplit(big.x, big.y, { seed: 1 }).yTest.data],
    [...trainTestSplit(big.x, big.y, { seed: 2 }).yTest.data],
  );
  assert.deepEqual(trainTestSplit(x, y, { testSize: 4, seed: 0 }).yTest.shape, [4]);
  const noShuffle = trainTestSplit(x, y, { testSize: 0.2, shuffle: false });
  assert.deepEqual([...noShuffle.yTest.data], [8, 9]);
  assert.throws(() => trainTestSplit(x, y, { testSize: 10 }), /leaves no training samples/);
  assert.throws(() => trainTestSplit(x, y, { testSize: 1.5 }), ValueError);
  assert.throws(() => trainTestSplit(x, y, { testSize: -0.1 }), ValueError);
});

test('stratified split keeps class proportions exactly when they divide, within one otherwise', () => {
  const labels = [...Array(50).fill(0), ...Array(30).fill(1), ...Array(20).fill(2)];
  const x = new Tensor(Float32Array.from(labels.keys()), [100, 1]);
  const y = new Tensor(Float32Array.from(labels), [100]);
  const count = (t: Tensor, c: number) => [...t.data].filter((v) => v === c).length;
  const s = trainTestSplit(x, y, { testSize: 0.2, stratify: true, seed: 5 });
  assert.deepEqual([0, 1, 2].map((c) => count(s.yTest, c)), [10, 6, 4]);
  assert.deepEqual([0, 1, 2].map((c) => count(s.yTrain, c)), [40, 24, 16]);
  // x and y rows stay paired.
  for (let i = 0; i < 20; i++) assert.equal(labels[s.xTest.data[i]], s.yTest.data[i]);
  const t = trainTestSplit(x, y, { testSize: 0.2, stratify: true, seed: 5 });
  assert.deepEqual([...t.xTest.data], [...s.xTest.data]);
  // Uneven: 5/3/2 samples, 5 to test -> exact shares 2.5/1.5/1.
  const small = new Tensor(Float32Array.from([0, 0, 0, 0, 0, 1, 1, 1, 2, 2]), [10]);
  const u = trainTestSplit(small, small, { testSize: 0.5, stratify: true, seed: 1 });
  const got = [0, 1, 2].map((c) => count(u.yTest, c));
  assert.equal(got.reduce((a, b) => a + b), 5);
  [2.5, 1.5, 1].forEach((share, c) => assert.ok(Math.abs(got[c] - share) < 1, `class ${c}: ${got[c]}`));
  // One-hot targets stratify by their argmax; an explicit label list works too.
  const hot = oneHot(small, 3);
  const h = trainTestSplit(small, hot, { testSize: 0.5, stratify: true, seed: 1 });
  assert.deepEqual([...h.xTest.data].sort(), [...u.xTest.data].sort());
  const e = trainTestSplit(x, y, { testSize: 0.2, stratify: labels, seed: 5 });
  assert.deepEqual([...e.xTest.data], [...s.xTest.data]);
  assert.throws(() => trainTestSplit(small, tensor([0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), { stratify: true }), /class 1 has only 1 sample/);
  assert.throws(() => trainTestSplit(small, small, { testSize: 2, stratify: true }), /at least one sample of each of the 3 classes/);
});

test('standardScaler matches the closed form; zero std becomes 1; inverse restores', () => {
  const x = tensor([[1, 10], [2, 10], [3, 10], [6, 10]]);
  const sc = standardScaler();
  const z = sc.fitTransform(x);
  const sd = Math.sqrt(((1 - 3) ** 2 + (2 - 3) ** 2 + 0 + (6 - 3) ** 2) / 4);
  close(sc.mean.data, [3, 10]);
  close(sc.scale.data, [sd, 1]);
  close(sc.variance.data, [3.5, 0]);
  close(z.data, [-2 / sd, 0, -1 / sd, 0, 0, 0, 3 / sd, 0]);
  close(sc.inverseTransform(z).data, x.data);
  assert.equal(sc.nSamplesSeen, 4);
  // Any rank: every position after the sample axis is a feature.
  const img = new Tensor(Float64Array.from([0, 1, 2, 3, 4, 5, 6, 7]), [2, 2, 2]);
  const zi = standardScaler().fitTransform(img);
  assert.equal(zi.dtype, 'float64');
  assert.deepEqual(zi.shape, [2, 2, 2]);
  close(zi.data, [-1, -1, -1, -1, 1, 1, 1, 1], 1e-12);
  const noMean = standardScaler({ withMean: false }).fitTransform(x);
  close(noMean.data, [1 / sd, 10, 2 / sd, 10, 3 / sd, 10, 6 / sd, 10]);
  assert.throws(() => standardScaler().transform(x), /not fitted/);
  assert.throws(() => sc.transform(tensor([[1, 2, 3]])), ShapeError);
});

test('minMaxScaler matches the closed form, with featureRange and a constant feature', () => {
  const x = tensor([[1, 10], [2, 10], [3, 10], [6, 10]]);
  const sc = minMaxScaler();
  close(sc.fitTransform(x).data, [0, 0, 0.2, 0, 0.4, 0, 1, 0]);
  close(sc.dataMin.data, [1, 10]);
  close(sc.dataMax.data, [6, 10]);
  const r = minMaxScaler({ featureRange: [-1, 1] });
  const z = r.fitTransform(x);
  close(z.data, [-1, -1, -0.6, -1, -0.2, -1, 1, -1]);
  close(r.inverseTransform(z).data, x.data);
  // Unseen data extrapolates linearly.
  close(r.transform(tensor([[11, 10]])).data, [3, -1]);
  assert.throws(() => minMaxScaler({ featureRange: [1, 1] }), ValueError);
  assert.throws(() => minMaxScaler().inverseTransform(x), /not fitted/);
});

test('concatDatasets joins along the sample axis and checks shapes', () => {
  const a = { x: tensor([[1, 2]]), y: tensor([0]), labels: Int32Array.from([0]) };
  const b = { x: tensor([[3, 4], [5, 6]]), y: tensor([1, 2]), labels: Int32Array.from([1, 2]) };
  const c = concatDatasets(a, b);
  assert.deepEqual(c.x.toArray(), [[1, 2], [3, 4], [5, 6]]);
  assert.deepEqual(c.y.toArray(), [0, 1, 2]);
  assert.deepEqual([...(c.labels ?? [])], [0, 1, 2]);
  assert.throws(() => concatDatasets(a, { x: tensor([[1, 2, 3]]), y: tensor([0]) }), /set 1 has shape \[1,3\]/);
  assert.throws(() => concatDatasets(a, { x: tensor([[1, 2]], { dtype: 'float64' }), y: tensor([0]) }), DTypeError);
  assert.throws(() => concatDatasets(), ValueError);
});

test('oneHot (from the shape ops) names the label and the class count', () => {
  assert.deepEqual(oneHot([2, 0], 3).toArray(), [[0, 0, 1], [1, 0, 0]]);
  assert.throws(() => oneHot([1, 7], 3), (e: unknown) => e instanceof ValueError && /label 7/.test(e.message) && /3/.test(e.message));
});

test('takeRows gathers rows in order, repeats allowed', () => {
  const { x } = indexed(4);
  assert.deepEqual(takeRows(x, [3, 3, 0]).toArray(), [[3, 30, 300], [3, 30, 300], [0, 0, 0]]);
});
