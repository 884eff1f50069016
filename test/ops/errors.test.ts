// Bad input is rejected before any work, with the function, the argument and the shapes named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as gl from '../../src/index.js';

function throwsWith(fn: () => unknown, cls: new (...a: never[]) => Error, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${(e as Error).constructor.name}: ${(e as Error).message}`);
    assert.match((e as Error).message, pattern);
    return true;
  });
}

test('conv2d errors', () => {
  const x = gl.zeros([8, 28, 28, 3]);
  throwsWith(() => gl.conv2d(x, gl.zeros([3, 3, 10, 20])), gl.ShapeError,
    /^conv2d: input has 3 channels but kernel expects 10 \(input \[8,28,28,3\], kernel \[3,3,10,20\]\)$/);
  throwsWith(() => gl.conv2d(gl.zeros([28, 28, 3]), gl.zeros([3, 3, 3, 1])), gl.ShapeError, /conv2d: input must be \[N,H,W,C\] \(rank 4\), got \[28,28,3\]/);
  throwsWith(() => gl.conv2d(x, gl.zeros([3, 3, 3, 1]), { stride: -1 }), gl.ValueError, /conv2d: stride must be a positive integer or a pair of them, got -1/);
  throwsWith(() => gl.conv2d(x, gl.zeros([3, 3, 3, 1]), { padding: 'circular' as 'same' }), gl.ValueError, /conv2d: padding must be 'valid', 'same', 'full'.*got "circular"/);
  throwsWith(() => gl.conv2d(gl.zeros([1, 4, 4, 1]), gl.zeros([5, 5, 1, 1])), gl.ShapeError, /conv2d: kernel 5x5 \(dilated 5x5\) is larger than the padded input 4x4/);
  throwsWith(() => gl.conv2d(gl.zeros([1, 4, 4, 1]), gl.zeros([3, 3, 1, 1]), { dilation: 2 }), gl.ShapeError, /dilated 5x5/);
  throwsWith(() => gl.conv1d(gl.zeros([1, 4, 2]), gl.zeros([3, 3, 1])), gl.ShapeError, /conv1d: input has 2 channels but kernel expects 3/);
  // the fused bias and activation options
  const w = gl.zeros([3, 3, 3, 4]);
  throwsWith(() => gl.conv2d(x, w, { bias: gl.zeros([5]) }), gl.ShapeError, /^conv2d: bias \[5\] must have shape \[4\] for kernel \[3,3,3,4\]$/);
  throwsWith(() => gl.conv2d(x, w, { bias: gl.zeros([4], { dtype: 'float64' }) }), gl.DTypeError, /conv2d: bias is float64 but the kernel is float32/);
  throwsWith(() => gl.conv2d(x, w, { activation: 'softmax' as 'relu' }), gl.ValueError, /conv2d: activation must be one of linear, relu, sigmoid, tanh, got "softmax"/);
  throwsWith(() => gl.conv1d(gl.zeros([1, 6, 2]), gl.zeros([3, 2, 4]), { bias: gl.zeros([2, 2]) }), gl.ShapeError, /conv1d: bias \[2,2\] must have shape \[4\]/);
});

test('pooling, matmul, shape and broadcasting errors', () => {
  throwsWith(() => gl.maxPool2d(gl.zeros([1, 2, 2, 1]), { size: 3 }), gl.ShapeError, /maxPool2d: window 3x3 is larger than the input 2x2/);
  throwsWith(() => gl.avgPool2d(gl.zeros([1, 4, 4, 1]), { padding: 'full' as 'same' }), gl.ValueError, /avgPool2d: padding must be 'valid' or 'same'/);
  throwsWith(() => gl.matmul(gl.zeros([2, 3]), gl.zeros([4, 5])), gl.ShapeError, /matmul: a \[2,3\] has 3 columns but b \[4,5\] has 4 rows/);
  throwsWith(() => gl.add(gl.zeros([2, 3]), gl.zeros([4])), gl.ShapeError, /add: shapes \[2,3\] and \[4\] cannot be broadcast together/);
  throwsWith(() => gl.reshape(gl.zeros([2, 3]), [4, 2]), gl.ShapeError, /reshape: cannot reshape \[2,3\] \(6 values\) into \[4,2\]/);
  throwsWith(() => gl.sum(gl.zeros([2, 3]), 2), gl.ValueError, /sum: axis 2 is out of range for a tensor of rank 2/);
  throwsWith(() => gl.dense(gl.zeros([4, 3]), gl.zeros([5, 2])), gl.ShapeError, /dense: x \[4,3\] has 3 features but kernel \[5,2\] expects 5/);
  throwsWith(() => gl.dense(gl.zeros([4, 3]), gl.zeros([3, 2]), gl.zeros([3])), gl.ShapeError, /dense: bias \[3\] must have shape \[2\] for kernel \[3,2\]/);
  throwsWith(() => gl.dense(gl.zeros([4, 3]), gl.zeros([3, 2]), null, 'toString' as 'relu'), gl.ValueError, /dense: activation must be one of linear, relu, sigmoid, tanh, got "toString"/);
  throwsWith(() => gl.dense(gl.zeros([4, 3]), gl.zeros([3, 2]), gl.zeros([2], { dtype: 'float64' })), gl.DTypeError, /dense: bias is float64 but the kernel is float32/);
  throwsWith(() => gl.concat([gl.zeros([2, 3]), gl.zeros([3, 3])], 1), gl.ShapeError, /concat: shapes \[2,3\], \[3,3\] differ outside axis 1/);
  throwsWith(() => gl.gather(gl.zeros([3]), [3]), gl.ValueError, /gather: index 3 at position 0 is out of range for an axis of size 3/);
});

test('loss errors: labels out of range, shapes that differ', () => {
  throwsWith(() => gl.losses.sparseCategoricalCrossentropy([0, 10], gl.zeros([2, 10])), gl.ValueError,
    /sparseCategoricalCrossentropy: label 10 at position 1 is out of range for 10 classes \(yPred \[2,10\]\)/);
  throwsWith(() => gl.losses.sparseCategoricalCrossentropy([0, 1, 2], gl.zeros([2, 10])), gl.ShapeError, /labels \[3\] do not match predictions \[2,10\]/);
  throwsWith(() => gl.losses.meanSquaredError(gl.zeros([2, 1]), gl.zeros([2])), gl.ShapeError, /meanSquaredError: yTrue \[2,1\] and yPred \[2\] must have the same shape/);
  throwsWith(() => gl.losses.hinge(gl.tensor([2]), gl.tensor([1])), gl.ValueError, /hinge: labels must be -1\/\+1 or 0\/1, got 2/);
  throwsWith(() => gl.oneHot([3], 3), gl.ValueError, /oneHot: label 3 at position 0 is not an integer in \[0, 3\)/);
});
