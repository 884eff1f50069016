import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hingeLoss, slack, functionalMargin, geometricMargin, onMargin } from '../../src/svm/index.js';
import { tensor } from '../../src/tensor/creation.js';
import { ShapeError, ValueError } from '../../src/core/errors.js';

// COURSE D1 by hand: z = -0.5, -0.2, 0.2, 0.5 for y = -1, -1, 1, 1 and w = (0, 1).
const y = [-1, -1, 1, 1];
const z = [-0.5, -0.2, 0.2, 0.5];

test('margins of COURSE D1', () => {
  assert.ok(Math.abs(functionalMargin(y, z) - 0.2) < 1e-15);
  assert.ok(Math.abs(geometricMargin(y, z, [0, 2]) - 0.1) < 1e-15); // scaling w halves the distance
  assert.deepEqual(onMargin(y, z), [1, 2]);
  assert.deepEqual(onMargin(y, z, { margin: 0.5 }), [0, 3]);
  assert.ok(functionalMargin([1, -1], [-1, -3]) === -1); // a misclassified point makes it negative
});

test('hinge loss: per sample, summed, averaged; slack is the per-sample loss', () => {
  const per = hingeLoss(y, z, 'none');
  assert.deepEqual(Array.from(per.data, (v) => Math.round(v * 10) / 10), [0.5, 0.8, 0.8, 0.5]);
  assert.ok(Math.abs(hingeLoss(y, z) - 2.6) < 1e-12);
  assert.ok(Math.abs(hingeLoss(y, z, 'mean') - 0.65) < 1e-12);
  assert.deepEqual(Array.from(slack(tensor(y, { dtype: 'float64' }), tensor(z, { dtype: 'float64' })).data), Array.from(per.data));
  assert.deepEqual(Array.from(slack([1, -1], [3, -1]).data), [0, 0]);
});

test('margin tools reject bad input', () => {
  assert.throws(() => hingeLoss([1, 0], [1, 2]), (e: Error) => e instanceof ValueError && /y must hold -1 or \+1, got y\[1\] = 0/.test(e.message));
  assert.throws(() => slack([1, -1, 1], [1, 2]), ShapeError);
  assert.throws(() => functionalMargin([1], [NaN]), ValueError);
  assert.throws(() => geometricMargin(y, z, [0, 0]), /zero vector/);
  assert.throws(() => hingeLoss(y, z, 'max' as 'sum'), /reduction/);
});
