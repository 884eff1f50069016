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
  throwsWith(() => gl.conv2d(x, gl.zeros([3, 3, 3, 4]), { groups: 0 }), gl.ValueError, /^conv2d: groups must be a positive integer, got 0$/);
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

test('options objects are checked: unknown keys name the nearest known one, values are typed', () => {
  const t = gl.tensor([[1], [0]]);
  const p = gl.tensor([[0.3], [0.6]]);
  throwsWith(() => gl.losses.binaryCrossentropy(t, p, { from_logits: true } as never), gl.ValueError,
    /^losses\.binaryCrossentropy: unknown option 'from_logits' \(did you mean 'fromLogits'\?\)$/);
  throwsWith(() => gl.losses.categoricalCrossentropy(t, p, { fromLogit: true } as never), gl.ValueError,
    /^losses\.categoricalCrossentropy: unknown option 'fromLogit' \(did you mean 'fromLogits'\?\)$/);
  throwsWith(() => gl.losses.sparseCategoricalCrossentropy([0, 0], p, { logits: true } as never), gl.ValueError,
    /^losses\.sparseCategoricalCrossentropy: unknown option 'logits' \(known: 'fromLogits'\)$/);
  throwsWith(() => gl.losses.binaryCrossentropy(t, p, { fromLogits: 'yes' as never }), gl.ValueError,
    /^losses\.binaryCrossentropy: fromLogits must be true or false, got the string "yes"$/);
  throwsWith(() => gl.losses.binaryCrossentropy(t, p, null as never), gl.ValueError, /^losses\.binaryCrossentropy: options must be an object, got null$/);
  throwsWith(() => gl.losses.sparseCategoricalCrossentropy(3 as never, p), gl.ValueError, /sparseCategoricalCrossentropy: yTrue must be a Tensor or an array of integer labels, got number/);
  const x = gl.tensor([1, 2, 3, 4]);
  throwsWith(() => gl.variance(x, 0, { keep_dims: true } as never), gl.ValueError, /^variance: unknown option 'keep_dims' \(did you mean 'keepDims'\?\)$/);
  throwsWith(() => gl.std(x, 0, { dof: 1 } as never), gl.ValueError, /^std: unknown option 'dof' \(did you mean 'ddof'\?\)$/);
  throwsWith(() => x.variance(0, { correction: 1 } as never), gl.ValueError, /^variance: unknown option 'correction' \(known: 'keepDims', 'ddof'\)$/);
  throwsWith(() => gl.std(x, 0, { keepDims: 1 as never }), gl.ValueError, /^std: keepDims must be true or false, got 1$/);
  throwsWith(() => gl.variance(x, 0, { ddof: NaN }), gl.ValueError, /^variance: ddof must be a finite number, got NaN$/);
  throwsWith(() => gl.variance(x, 0, { ddof: 4 }), gl.ValueError, /^variance: ddof 4 leaves no degrees of freedom for 4 values$/);
  const x64 = gl.tensor([0.5], { dtype: 'float64' });
  throwsWith(() => gl.gradcheck(gl.tanh, [x64], { raise_exception: false } as never), gl.ValueError,
    /^gradcheck: unknown option 'raise_exception' \(did you mean 'raiseException'\?\)$/);
  throwsWith(() => gl.gradcheck(gl.tanh, [x64], { eps: 0 }), gl.ValueError, /^gradcheck: eps must be a positive finite number, got 0$/);
  throwsWith(() => gl.gradcheck(gl.tanh, [x64], { atol: -1 }), gl.ValueError, /^gradcheck: atol must not be negative, got -1$/);
  throwsWith(() => gl.gradcheck(gl.tanh, [x64], { raiseException: 0 as never }), gl.ValueError, /^gradcheck: raiseException must be true or false/);
  // valid options still work
  assert.equal(gl.gradcheck(gl.tanh, [x64], { atol: 1e-6, rtol: 0, eps: 1e-5, seed: 3, raiseException: true }).passed, true);
  assert.equal(gl.variance(x, 0, { ddof: 1, keepDims: true }).shape.length, 1);
});

test('new activations, layerNorm, resize and upSampling2d reject bad arguments before any work', () => {
  const x = gl.zeros([2, 3]);
  throwsWith(() => gl.relu(x, { max_value: 6 } as never), gl.ValueError, /^relu: unknown option 'max_value' \(did you mean 'maxValue'\?\)$/);
  throwsWith(() => gl.relu(x, { maxValue: -1 }), gl.ValueError, /^relu: maxValue must not be negative, got -1$/);
  throwsWith(() => gl.relu(x, { negativeSlope: '0.1' as never }), gl.ValueError, /^relu: negativeSlope must be a finite number, got the string "0.1"$/);
  throwsWith(() => gl.relu(x, { threshold: -0.5 }), gl.ValueError, /^relu: threshold must not be negative, got -0.5$/);
  throwsWith(() => gl.relu([1, 2] as never), gl.ValueError, /^relu: x must be a Tensor, got object$/);
  throwsWith(() => gl.gelu(x, { approximate: 'tanh' as never }), gl.ValueError, /^gelu: approximate must be true or false, got the string "tanh"$/);
  throwsWith(() => gl.gelu(x, { approximat: true } as never), gl.ValueError, /^gelu: unknown option 'approximat' \(did you mean 'approximate'\?\)$/);
  throwsWith(() => gl.selu(null as never), gl.ValueError, /^selu: x must be a Tensor, got null$/);

  const t = gl.zeros([2, 3, 4]);
  throwsWith(() => gl.layerNorm(t, { gamma: gl.ones([3]) }), gl.ShapeError, /^layerNorm: gamma \[3\] must have shape \[4\] \(axes \[2\] of x \[2,3,4\]\)$/);
  throwsWith(() => gl.layerNorm(t, { axis: [0, 2], beta: gl.ones([4, 2]) }), gl.ShapeError, /^layerNorm: beta \[4,2\] must have shape \[2,4\] \(axes \[0,2\] of x \[2,3,4\]\)$/);
  throwsWith(() => gl.layerNorm(t, { gamma: gl.ones([4], { dtype: 'float64' }) }), gl.DTypeError, /^layerNorm: gamma is float64 but x is float32$/);
  throwsWith(() => gl.layerNorm(t, { axis: 3 }), gl.ValueError, /^layerNorm: axis 3 is out of range for a tensor of rank 3$/);
  throwsWith(() => gl.layerNorm(t, { axis: [] }), gl.ValueError, /^layerNorm: axis must name at least one axis, got \[\]$/);
  throwsWith(() => gl.layerNorm(t, { epsilon: -1e-3 }), gl.ValueError, /^layerNorm: epsilon must not be negative/);
  throwsWith(() => gl.layerNorm(t, { Epsilon: 1e-5 } as never), gl.ValueError, /^layerNorm: unknown option 'Epsilon' \(did you mean 'epsilon'\?\)$/);
  throwsWith(() => gl.layerNorm(t, { center: false } as never), gl.ValueError, /^layerNorm: unknown option 'center' \(known: 'axis', 'epsilon', 'gamma', 'beta'\)$/);
  throwsWith(() => gl.layerNorm(gl.tensor(1)), gl.ShapeError, /^layerNorm: x must have at least one axis, got a scalar$/);

  const img = gl.zeros([1, 4, 4, 3]);
  throwsWith(() => gl.resize(gl.zeros([4, 4]), [2, 2]), gl.ShapeError, /^resize: x must be \[N,H,W,C\] \(rank 4\) or \[H,W,C\] \(rank 3\), got \[4,4\]$/);
  throwsWith(() => gl.resize(img, [0, 3]), gl.ValueError, /^resize: size\[0\] \(height\) must be a positive integer, got 0$/);
  throwsWith(() => gl.resize(img, [2.5, 3]), gl.ValueError, /^resize: size\[0\] \(height\) must be a positive integer, got 2.5$/);
  throwsWith(() => gl.resize(img, [2] as never), gl.ValueError, /^resize: size must be \[height, width\], got \[2\]$/);
  throwsWith(() => gl.resize(img, [2, 2], { method: 'bicubic' as never }), gl.ValueError, /^resize: method must be 'nearest', 'bilinear'; got the string "bicubic"$/);
  throwsWith(() => gl.resize(img, [2, 2], { alignCorners: true, halfPixelCenters: true }), gl.ValueError, /^resize: halfPixelCenters and alignCorners cannot both be true$/);
  throwsWith(() => gl.resize(img, [2, 2], { align_corners: true } as never), gl.ValueError, /^resize: unknown option 'align_corners' \(did you mean 'alignCorners'\?\)$/);
  throwsWith(() => gl.resize(gl.zeros([1, 0, 4, 3]), [2, 2]), gl.ShapeError, /^resize: x \[1,0,4,3\] has an empty height or width$/);
  throwsWith(() => gl.upSampling2d(gl.zeros([4, 4, 3])), gl.ShapeError, /^upSampling2d: x must be \[N,H,W,C\] \(rank 4\), got \[4,4,3\]$/);
  throwsWith(() => gl.upSampling2d(img, { size: [2] as never }), gl.ValueError, /^upSampling2d: size must be a positive integer or a pair of them, got \[2\]$/);
  throwsWith(() => gl.upSampling2d(img, { size: 0 }), gl.ValueError, /^upSampling2d: size must be a positive integer, got 0$/);
  throwsWith(() => gl.upSampling2d(img, { interpolation: 'area' as never }), gl.ValueError, /^upSampling2d: interpolation must be 'nearest', 'bilinear'; got the string "area"$/);
  throwsWith(() => gl.upSampling2d(img, { data_format: 'channels_last' } as never), gl.ValueError, /^upSampling2d: unknown option 'data_format' \(known: 'size', 'interpolation'\)$/);
});
