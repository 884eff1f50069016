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

test('grouped, depthwise and transposed convolution errors', () => {
  const x = gl.zeros([2, 8, 8, 6]);
  // groups: channels must divide, the kernel holds C/groups input channels
  throwsWith(() => gl.conv2d(x, gl.zeros([3, 3, 1, 8]), { groups: 4 }), gl.ShapeError,
    /^conv2d: input has 6 channels, not divisible by groups 4 \(input \[2,8,8,6\], kernel \[3,3,1,8\]\)$/);
  throwsWith(() => gl.conv2d(x, gl.zeros([3, 3, 2, 5]), { groups: 3 }), gl.ShapeError,
    /^conv2d: kernel has 5 output channels, not divisible by groups 3 \(input \[2,8,8,6\], kernel \[3,3,2,5\]\)$/);
  throwsWith(() => gl.conv2d(x, gl.zeros([3, 3, 6, 4]), { groups: 2 }), gl.ShapeError,
    /^conv2d: input has 6 channels in 2 groups of 3, but the kernel expects 6 per group \(kernel \[KH,KW,C\/groups,M\]\) \(input \[2,8,8,6\], kernel \[3,3,6,4\]\)$/);
  throwsWith(() => gl.conv2d(x, gl.zeros([3, 3, 3, 4]), { groups: 0 }), gl.ValueError, /^conv2d: groups must be a positive integer, got number 0$/);
  throwsWith(() => gl.conv2d(x, gl.zeros([3, 3, 3, 4]), { groups: 1.5 }), gl.ValueError, /conv2d: groups must be a positive integer/);
  throwsWith(() => gl.conv2d(x, gl.zeros([3, 3, 3, 4]), { groups: 2, bias: gl.zeros([3]) }), gl.ShapeError,
    /^conv2d: bias \[3\] must have shape \[4\] for kernel \[3,3,3,4\]$/);
  // depthwise: [KH,KW,C,depthMultiplier]
  throwsWith(() => gl.depthwiseConv2d(x, gl.zeros([3, 3, 4, 1])), gl.ShapeError,
    /^depthwiseConv2d: input has 6 channels but the kernel \[KH,KW,C,depthMultiplier\] has 4 \(input \[2,8,8,6\], kernel \[3,3,4,1\]\)$/);
  throwsWith(() => gl.depthwiseConv2d(x, gl.zeros([3, 3, 6])), gl.ShapeError, /depthwiseConv2d: kernel must be \[KH,KW,C,depthMultiplier\] \(rank 4\), got \[3,3,6\]/);
  throwsWith(() => gl.depthwiseConv2d(x, gl.zeros([3, 3, 6, 2]), { bias: gl.zeros([6]) }), gl.ShapeError,
    /^depthwiseConv2d: bias \[6\] must have shape \[12\] for kernel \[3,3,6,2\]$/);
  throwsWith(() => gl.depthwiseConv2d(gl.zeros([1, 2, 2, 1]), gl.zeros([3, 3, 1, 1])), gl.ShapeError,
    /^depthwiseConv2d: kernel 3x3 \(dilated 3x3\) is larger than the padded input 2x2 \(input \[1,2,2,1\], kernel \[3,3,1,1\], padding "valid"\)$/);
  throwsWith(() => gl.depthwiseConv2d(x, gl.zeros([3, 3, 6, 1], { dtype: 'float64' })), gl.DTypeError, /depthwiseConv2d: operands have different dtypes/);
  // transposed: [KH,KW,filters,C], Keras's paddings, outputPadding below the stride
  throwsWith(() => gl.conv2dTranspose(x, gl.zeros([3, 3, 4, 5])), gl.ShapeError,
    /^conv2dTranspose: input has 6 channels but the kernel \[KH,KW,filters,C\] expects 5 \(input \[2,8,8,6\], kernel \[3,3,4,5\]\)$/);
  throwsWith(() => gl.conv2dTranspose(x, gl.zeros([3, 3, 4, 6]), { padding: 'full' as 'same' }), gl.ValueError,
    /^conv2dTranspose: padding must be 'valid' or 'same', got "full"$/);
  throwsWith(() => gl.conv2dTranspose(x, gl.zeros([3, 3, 4, 6]), { stride: 2, outputPadding: 2 }), gl.ValueError,
    /^conv2dTranspose: outputPadding 2 must be smaller than the stride 2 on each axis$/);
  throwsWith(() => gl.conv2dTranspose(x, gl.zeros([3, 3, 4, 6]), { stride: [2, 1], outputPadding: [1, 1] }), gl.ValueError,
    /conv2dTranspose: outputPadding \[1,1\] must be smaller than the stride \[2,1\]/);
  throwsWith(() => gl.conv2dTranspose(x, gl.zeros([3, 3, 4, 6]), { stride: 2, outputPadding: -1 }), gl.ValueError,
    /conv2dTranspose: outputPadding must be a non-negative integer or a pair of them, got -1/);
  throwsWith(() => gl.conv2dTranspose(x, gl.zeros([3, 3, 4, 6]), { bias: gl.zeros([6]) }), gl.ShapeError,
    /^conv2dTranspose: bias \[6\] must have shape \[4\] for kernel \[3,3,4,6\]$/);
  throwsWith(() => gl.conv2dTranspose(x, gl.zeros([3, 3, 4, 6]), { stride: 0 }), gl.ValueError, /conv2dTranspose: stride must be a positive integer/);
  throwsWith(() => gl.conv2dTranspose(x, gl.zeros([3, 3, 4, 6]), { activation: 'gelu' as 'relu' }), gl.ValueError,
    /conv2dTranspose: activation must be one of linear, relu, sigmoid, tanh, got "gelu"/);
});

test('conv and pool options: unknown keys name the nearest known one, and non-objects are rejected', () => {
  const x = gl.zeros([1, 6, 6, 2]);
  const w = gl.zeros([3, 3, 2, 2]);
  throwsWith(() => gl.conv2d(x, w, { strides: 2 } as never), gl.ValueError, /^conv2d: unknown option 'strides' \(did you mean 'stride'\?\)$/);
  throwsWith(() => gl.conv2d(x, w, { group: 2 } as never), gl.ValueError, /^conv2d: unknown option 'group' \(did you mean 'groups'\?\)$/);
  throwsWith(() => gl.conv2d(x, w, { dilation_rate: 2 } as never), gl.ValueError, /conv2d: unknown option 'dilation_rate'/);
  throwsWith(() => gl.conv2d(x, w, 'same' as never), gl.ValueError, /^conv2d: options must be an object, got the string "same"$/);
  throwsWith(() => gl.conv1d(gl.zeros([1, 6, 2]), gl.zeros([3, 2, 2]), { paddings: 'same' } as never), gl.ValueError,
    /^conv1d: unknown option 'paddings' \(did you mean 'padding'\?\)$/);
  // nothing near: the known keys are listed
  throwsWith(() => gl.conv1d(gl.zeros([1, 6, 2]), gl.zeros([3, 2, 2]), { padd: 'same' } as never), gl.ValueError,
    /^conv1d: unknown option 'padd' \(known: 'stride', 'padding', 'dilation', 'flip', 'bias', 'activation'\)$/);
  throwsWith(() => gl.depthwiseConv2d(x, w, { depthMultiplier: 2 } as never), gl.ValueError, /^depthwiseConv2d: unknown option 'depthMultiplier'/);
  throwsWith(() => gl.depthwiseConv2d(x, w, { flip: true } as never), gl.ValueError, /^depthwiseConv2d: unknown option 'flip'/);
  throwsWith(() => gl.conv2dTranspose(x, w, { output_padding: 1 } as never), gl.ValueError,
    /^conv2dTranspose: unknown option 'output_padding' \(did you mean 'outputPadding'\?\)$/);
  throwsWith(() => gl.maxPool2d(x, { poolSize: 2 } as never), gl.ValueError, /^maxPool2d: unknown option 'poolSize'/);
  throwsWith(() => gl.avgPool2d(x, { sizes: 2 } as never), gl.ValueError, /^avgPool2d: unknown option 'sizes' \(did you mean 'size'\?\)$/);
  throwsWith(() => gl.maxPool1d(gl.zeros([1, 6, 2]), { strides: 2 } as never), gl.ValueError, /^maxPool1d: unknown option 'strides' \(did you mean 'stride'\?\)$/);
  throwsWith(() => gl.avgPool1d(gl.zeros([1, 6, 2]), null as never), gl.ValueError, /^avgPool1d: options must be an object, got null$/);
  // the options are checked before the tensors: no work, and the option error first
  throwsWith(() => gl.conv2d(null as never, w, { strides: 1 } as never), gl.ValueError, /unknown option 'strides'/);
  // undefined values of known keys are defaults, as before
  assert.deepEqual(gl.conv2d(x, w, { stride: undefined, padding: undefined }).shape, [1, 4, 4, 2]);
  assert.deepEqual(gl.maxPool2d(x, { size: 2, stride: undefined }).shape, [1, 3, 3, 2]);
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
