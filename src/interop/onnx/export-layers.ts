// gradlab layers as ONNX nodes. Image ops (convolutions, pooling, batch norm, resizing) run
// channels-first, as ONNX defines them; elementwise ops, padding, cropping, softmax and
// same-layout merges run in whatever layout their input is in, so a run of them stays
// channels-first; Dense, Flatten, Reshape and layer norm read gradlab's channels-last order.
import { ValueError } from '../../core/errors.js';
import { resolvePadding } from '../../ops/conv.js';
import { resize } from '../../ops/resize.js';
import { SELU_ALPHA, SELU_SCALE } from '../../ops/activation.js';
import { Tensor, noGrad } from '../../tensor/tensor.js';
import type { Layer } from '../../nn/layer.js';
import {
  Activation, AveragePooling1D, AveragePooling2D, BatchNormalization, Conv1D, Conv2D, Dense, Dropout, Flatten, GlobalAveragePooling1D,
  GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D, MaxPooling1D, MaxPooling2D, Reshape,
} from '../../nn/layers.js';
import { Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract } from '../../nn/merge.js';
import { Cropping2D, Rescaling, ZeroPadding2D } from '../../nn/spatial.js';
import { ELU, LayerNormalization, LeakyReLU, ReLU, Resizing, Softmax, UpSampling2D } from '../../nn/activation-layers.js';
import { Conv2DTranspose, DepthwiseConv2D, SeparableConv2D } from '../../nn/conv-variants.js';
import { RandomFlip, RandomRotation, RandomTranslation, RandomZoom } from '../../nn/preprocessing.js';
import { GraphBuilder, Value, channelsFirstAxis, type AttrValue, type Layout } from './export-builder.js';

/** One layer call to convert: the layer, its input values, the per-sample output shapes, a name base. */
export interface Call {
  readonly layer: Layer;
  readonly inputs: readonly Value[];
  readonly outShapes: readonly (readonly number[])[];
  readonly base: string;
}

export type Converter = (b: GraphBuilder, c: Call) => Value[];

/** Raised for a layer or option that ONNX cannot express exactly. */
export function cannot(c: Call | Layer, why: string): ValueError {
  const l = 'base' in c ? c.layer : c;
  return new ValueError(`saveOnnx: layer '${l.name}' (${l.className}) cannot be exported to ONNX: ${why}`);
}

/** The channel axis (the last one of gradlab's layout) of a value in `layout`. */
function channelAxis(layout: Layout, rank: number): number {
  return layout === 'nchw' && rank >= 3 ? 1 : rank - 1;
}

/** The axis `a` (of gradlab's channels-last layout, batch counted) of a value in `layout`. */
function axisIn(layout: Layout, a: number, rank: number): number {
  return layout === 'nchw' && rank >= 3 ? channelsFirstAxis(a, rank) : a;
}

/**
 * An activation by gradlab's canonical name on `x`, whose channel axis is `axis` (for softmax);
 * the constants are gradlab's (ops/activation.ts).
 */
export function activation(b: GraphBuilder, act: string, x: string, base: string, axis: number, who: Call): string {
  const n = `${base}/${act}`;
  switch (act) {
    case 'linear': return x;
    case 'relu': return b.op('Relu', [x], n);
    case 'sigmoid': return b.op('Sigmoid', [x], n);
    case 'tanh': return b.op('Tanh', [x], n);
    case 'relu6': return b.op('Clip', [x, b.scalar(0), b.scalar(6)], n);
    case 'silu':
    case 'swish': return b.op('Mul', [x, b.op('Sigmoid', [x], `${n}/sigmoid`)], n);
    case 'gelu': {
      // x Phi(x) = x (1 + erf(x / sqrt 2)) / 2
      const e = b.op('Erf', [b.op('Div', [x, b.scalar(Math.SQRT2)], `${n}/scaled`)], `${n}/erf`);
      return b.op('Mul', [b.op('Mul', [x, b.scalar(0.5)], `${n}/half`), b.op('Add', [e, b.scalar(1)], `${n}/cdf2`)], n);
    }
    // relu6(x + 3) / 6 = clip(x / 6 + 1/2, 0, 1)
    case 'hard_sigmoid': return b.op('HardSigmoid', [x], n, { alpha: { float: 1 / 6 }, beta: { float: 0.5 } });
    case 'hard_swish':
      if (b.opset >= 14) return b.op('HardSwish', [x], n);
      return b.op('Mul', [x, b.op('HardSigmoid', [x], `${n}/gate`, { alpha: { float: 1 / 6 }, beta: { float: 0.5 } })], n);
    case 'selu': return b.op('Selu', [x], n, { alpha: { float: SELU_ALPHA }, gamma: { float: SELU_SCALE } });
    case 'softmax': return b.op('Softmax', [x], n, { axis });
    case 'log_softmax': return b.op('LogSoftmax', [x], n, { axis });
    case 'leaky_relu': return b.op('LeakyRelu', [x], n, { alpha: { float: 0.2 } });
    case 'elu': return b.op('Elu', [x], n, { alpha: { float: 1 } });
    case 'softplus': return b.op('Softplus', [x], n);
    case 'step': return b.op('Cast', [b.op('GreaterOrEqual', [x, b.scalar(0)], `${n}/mask`)], n, { to: 1 });
    default: throw cannot(who, `activation '${act}' has no ONNX form`);
  }
}

/** A layer-agnostic elementwise step: computed in the input's own layout. */
function elementwise(b: GraphBuilder, c: Call, f: (x: string, layout: Layout) => string): Value[] {
  const v = c.inputs[0];
  const layout = v.home;
  return [new Value(c.outShapes[0], layout, f(b.get(v, layout), layout))];
}

/** The activation after an affine layer's output `y` (channels-first when rank >= 3). */
function withActivation(b: GraphBuilder, c: Call, act: string, y: string, layout: Layout): Value[] {
  const rank = c.outShapes[0].length + 1;
  return [new Value(c.outShapes[0], layout, activation(b, act, y, c.base, channelAxis(layout, rank), c))];
}

function spatialPads(name: string, padding: 'valid' | 'same' | 'full', sizes: readonly number[], kernel: readonly number[], strides: readonly number[], dilations: readonly number[]): number[] {
  const per = sizes.map((s, i) => resolvePadding(name, padding, i === 0 ? 0 : 1, s, (kernel[i] - 1) * dilations[i] + 1, strides[i]));
  return [...per.map((p) => p[0]), ...per.map((p) => p[1])];
}

const convert: Record<string, Converter> = {
  Dense: (b, c) => {
    const l = c.layer as Dense;
    const x = c.inputs[0];
    const xs = b.get(x, 'nhwc');
    const w = b.weight(`${c.base}/kernel`, l.kernel!);
    const bias = l.bias ? b.weight(`${c.base}/bias`, l.bias) : null;
    let y: string;
    if (x.rank === 2) y = b.op('Gemm', bias ? [xs, w, bias] : [xs, w], `${c.base}/dense`);
    else {
      y = b.op('MatMul', [xs, w], `${c.base}/matmul`);
      if (bias) y = b.op('Add', [y, bias], `${c.base}/dense`);
    }
    return withActivation(b, c, l.activation, y, 'nhwc');
  },

  Conv2D: (b, c) => {
    const l = c.layer as Conv2D;
    const [H, W] = c.inputs[0].shape;
    const [kh, kw, cin, f] = l.kernel!.shape;
    const pads = spatialPads(l.name, l.padding, [H, W], l.kernelSize, l.strides, l.dilationRate);
    const w = b.weight(`${c.base}/kernel`, l.kernel!, [f, cin, kh, kw], [3, 2, 0, 1]);
    const bias = l.bias ? [b.weight(`${c.base}/bias`, l.bias)] : [];
    const y = b.op('Conv', [b.get(c.inputs[0], 'nchw'), w, ...bias], `${c.base}/conv`, {
      kernel_shape: [kh, kw], strides: l.strides, dilations: l.dilationRate, pads, group: l.groups,
    });
    return withActivation(b, c, l.activation, y, 'nchw');
  },

  Conv1D: (b, c) => {
    const l = c.layer as Conv1D;
    const [L] = c.inputs[0].shape;
    const [k, cin, f] = l.kernel!.shape;
    const pads = spatialPads(l.name, l.padding, [L], [k], [l.strides], [l.dilationRate]);
    const w = b.weight(`${c.base}/kernel`, l.kernel!, [f, cin, k], [2, 1, 0]);
    const bias = l.bias ? [b.weight(`${c.base}/bias`, l.bias)] : [];
    const y = b.op('Conv', [b.get(c.inputs[0], 'nchw'), w, ...bias], `${c.base}/conv`, {
      kernel_shape: [k], strides: [l.strides], dilations: [l.dilationRate], pads,
    });
    return withActivation(b, c, l.activation, y, 'nchw');
  },

  DepthwiseConv2D: (b, c) => {
    const l = c.layer as DepthwiseConv2D;
    const y = depthwise(b, c, l, true);
    return withActivation(b, c, l.activation, y, 'nchw');
  },

  SeparableConv2D: (b, c) => {
    const l = c.layer as SeparableConv2D;
    const d = depthwise(b, c, l, false);
    const [, , cd, f] = l.pointwiseKernel!.shape;
    const w = b.weight(`${c.base}/pointwise_kernel`, l.pointwiseKernel!, [f, cd, 1, 1], [3, 2, 0, 1]);
    const bias = l.bias ? [b.weight(`${c.base}/bias`, l.bias)] : [];
    const y = b.op('Conv', [d, w, ...bias], `${c.base}/pointwise`, { kernel_shape: [1, 1] });
    return withActivation(b, c, l.activation, y, 'nchw');
  },

  Conv2DTranspose: (b, c) => {
    const l = c.layer as Conv2DTranspose;
    const [H, W] = c.inputs[0].shape;
    const [OH, OW] = c.outShapes[0];
    const [kh, kw, f, cin] = l.kernel!.shape;
    // gradlab's output index o is index o + begin of the uncropped transposed convolution, whose
    // length is (in - 1) * stride + dilated kernel; ONNX crops `begin` and `end` and, when the
    // output is longer than that (a kernel shorter than its stride), adds output_padding.
    const pads = [0, 0, 0, 0];
    const outputPadding = [0, 0];
    [[H, OH, kh], [W, OW, kw]].forEach(([inSize, outSize, k], i) => {
      const s = l.strides[i];
      const ek = (k - 1) * l.dilationRate[i] + 1;
      const full = (inSize - 1) * s + ek;
      const begin = l.padding === 'same' ? Math.floor(Math.max(full - outSize, 0) / 2) : 0;
      const end = full - outSize - begin;
      pads[i] = begin;
      if (end >= 0) pads[i + 2] = end;
      else outputPadding[i] = -end;
    });
    const w = b.weight(`${c.base}/kernel`, l.kernel!, [cin, f, kh, kw], [3, 2, 0, 1]);
    const bias = l.bias ? [b.weight(`${c.base}/bias`, l.bias)] : [];
    const y = b.op('ConvTranspose', [b.get(c.inputs[0], 'nchw'), w, ...bias], `${c.base}/conv_transpose`, {
      kernel_shape: [kh, kw], strides: l.strides, dilations: l.dilationRate, pads,
      ...(outputPadding.some((p) => p > 0) ? { output_padding: outputPadding } : {}),
    });
    return withActivation(b, c, l.activation, y, 'nchw');
  },

  MaxPooling2D: (b, c) => pool2d(b, c, 'MaxPool'),
  AveragePooling2D: (b, c) => pool2d(b, c, 'AveragePool'),
  MaxPooling1D: (b, c) => pool1d(b, c, 'MaxPool'),
  AveragePooling1D: (b, c) => pool1d(b, c, 'AveragePool'),
  GlobalAveragePooling2D: (b, c) => globalPool(b, c, 'Average', (c.layer as GlobalAveragePooling2D).keepdims),
  GlobalMaxPooling2D: (b, c) => globalPool(b, c, 'Max', (c.layer as GlobalMaxPooling2D).keepdims),
  GlobalAveragePooling1D: (b, c) => globalPool(b, c, 'Average', (c.layer as GlobalAveragePooling1D).keepdims),
  GlobalMaxPooling1D: (b, c) => globalPool(b, c, 'Max', (c.layer as GlobalMaxPooling1D).keepdims),

  // gradlab's flatten order is channels-last
  Flatten: (b, c) => [new Value(c.outShapes[0], 'nhwc', b.op('Flatten', [b.get(c.inputs[0], 'nhwc')], `${c.base}/flatten`, { axis: 1 }))],

  Reshape: (b, c) => {
    const l = c.layer as Reshape;
    // 0 keeps the batch axis as it is
    const shape = b.ints([0, ...l.targetShape], `${c.base}/shape`);
    return [new Value(c.outShapes[0], 'nhwc', b.op('Reshape', [b.get(c.inputs[0], 'nhwc'), shape], `${c.base}/reshape`))];
  },

  // inference: the identity
  Dropout: (_b, c) => [c.inputs[0]],
  RandomFlip: (_b, c) => [c.inputs[0]],
  RandomRotation: (_b, c) => [c.inputs[0]],
  RandomZoom: (_b, c) => [c.inputs[0]],
  RandomTranslation: (_b, c) => [c.inputs[0]],

  Activation: (b, c) => {
    const l = c.layer as Activation;
    return elementwise(b, c, (x, layout) => activation(b, l.activation, x, c.base, channelAxis(layout, c.inputs[0].rank), c));
  },

  BatchNormalization: (b, c) => {
    const l = c.layer as BatchNormalization;
    const x = c.inputs[0];
    const ch = x.shape[x.shape.length - 1];
    const gamma = l.gamma ? b.weight(`${c.base}/gamma`, l.gamma) : b.scalar(1, [ch]);
    const beta = l.beta ? b.weight(`${c.base}/beta`, l.beta) : b.scalar(0, [ch]);
    const mean = b.weight(`${c.base}/moving_mean`, l.movingMean!);
    const variance = b.weight(`${c.base}/moving_variance`, l.movingVariance!);
    // ONNX's channel axis is 1: channels-first for rank 3 and more, and [N, C] as it is
    const y = b.op('BatchNormalization', [b.get(x, 'nchw'), gamma, beta, mean, variance], `${c.base}/batchnorm`, { epsilon: { float: l.epsilon } });
    return [new Value(c.outShapes[0], x.canBeChannelsFirst ? 'nchw' : 'nhwc', y)];
  },

  LayerNormalization: (b, c) => {
    const l = c.layer as LayerNormalization;
    const x = c.inputs[0];
    const r = x.rank;
    const axes = [...new Set(l.axis.map((a) => (a < 0 ? a + r : a)))].sort((p, q) => p - q);
    const xs = b.get(x, 'nhwc');
    const trailing = axes.every((a, i) => a === r - axes.length + i);
    const pshape = axes.map((a) => x.shape[a - 1]);
    if (b.opset >= 17 && trailing) {
      const scale = l.gamma ? b.weight(`${c.base}/gamma`, l.gamma) : b.scalar(1, pshape);
      const inputs = [xs, scale, ...(l.beta ? [b.weight(`${c.base}/beta`, l.beta)] : [])];
      return [new Value(c.outShapes[0], 'nhwc', b.op('LayerNormalization', inputs, `${c.base}/layernorm`, { axis: axes[0], epsilon: { float: l.epsilon } }))];
    }
    // below opset 17 (or over axes that are not the trailing ones): mean, biased variance, as gradlab
    const n = c.base;
    const mean = b.op('ReduceMean', [xs], `${n}/mean`, { axes, keepdims: 1 });
    const d = b.op('Sub', [xs, mean], `${n}/centered`);
    const variance = b.op('ReduceMean', [b.op('Mul', [d, d], `${n}/squared`)], `${n}/variance`, { axes, keepdims: 1 });
    let y = b.op('Div', [d, b.op('Sqrt', [b.op('Add', [variance, b.scalar(l.epsilon)], `${n}/var_eps`)], `${n}/std`)], `${n}/normalized`);
    // gamma and beta broadcast over the axes not normalised
    const dims = x.shape.map((s, i) => (axes.includes(i + 1) ? s : 1));
    if (l.gamma) y = b.op('Mul', [y, b.weight(`${n}/gamma`, l.gamma, dims)], `${n}/scaled`);
    if (l.beta) y = b.op('Add', [y, b.weight(`${n}/beta`, l.beta, dims)], `${n}/layernorm`);
    return [new Value(c.outShapes[0], 'nhwc', y)];
  },

  Add: (b, c) => merge(b, c, (xs, n) => xs.slice(1).reduce((s, x, i) => b.op('Add', [s, x], `${n}/add${i}`), xs[0])),
  Subtract: (b, c) => merge(b, c, (xs, n) => b.op('Sub', [xs[0], xs[1]], `${n}/sub`)),
  Multiply: (b, c) => merge(b, c, (xs, n) => xs.slice(1).reduce((s, x, i) => b.op('Mul', [s, x], `${n}/mul${i}`), xs[0])),
  Average: (b, c) => merge(b, c, (xs, n) => b.op('Div', [xs.slice(1).reduce((s, x, i) => b.op('Add', [s, x], `${n}/add${i}`), xs[0]), b.scalar(xs.length)], `${n}/average`)),
  Maximum: (b, c) => merge(b, c, (xs, n) => b.op('Max', xs, `${n}/max`)),
  Minimum: (b, c) => merge(b, c, (xs, n) => b.op('Min', xs, `${n}/min`)),
  Concatenate: (b, c) => {
    const l = c.layer as Concatenate;
    const r = c.inputs[0].rank;
    const a = l.axis < 0 ? l.axis + r : l.axis;
    return merge(b, c, (xs, n, layout) => b.op('Concat', xs, `${n}/concat`, { axis: axisIn(layout, a, r) }));
  },

  ZeroPadding2D: (b, c) => {
    const [[t, bo], [le, ri]] = (c.layer as ZeroPadding2D).padding;
    return elementwise(b, c, (x, layout) => {
      const pads = layout === 'nchw' ? [0, 0, t, le, 0, 0, bo, ri] : [0, t, le, 0, 0, bo, ri, 0];
      return b.op('Pad', [x, b.ints(pads, `${c.base}/pads`)], `${c.base}/pad`, { mode: 'constant' });
    });
  },

  Cropping2D: (b, c) => {
    const [[t, bo], [le, ri]] = (c.layer as Cropping2D).cropping;
    const [H, W] = c.inputs[0].shape;
    return elementwise(b, c, (x, layout) => {
      const axes = layout === 'nchw' ? [2, 3] : [1, 2];
      return b.op('Slice', [x, b.ints([t, le], `${c.base}/starts`), b.ints([H - bo, W - ri], `${c.base}/ends`), b.ints(axes, `${c.base}/axes`)], `${c.base}/crop`);
    });
  },

  Rescaling: (b, c) => {
    const l = c.layer as Rescaling;
    return elementwise(b, c, (x) => {
      const y = b.op('Mul', [x, b.scalar(l.scale)], `${c.base}/scale`);
      return l.offset === 0 ? y : b.op('Add', [y, b.scalar(l.offset)], `${c.base}/offset`);
    });
  },

  ReLU: (b, c) => {
    const l = c.layer as ReLU;
    const { maxValue, negativeSlope: slope, threshold } = l;
    return elementwise(b, c, (x) => {
      const n = c.base;
      if (threshold === 0 && slope === 0) return maxValue === null ? b.op('Relu', [x], n) : b.op('Clip', [x, b.scalar(0), b.scalar(maxValue)], n);
      // gradlab: maxValue at and above maxValue, x from the threshold, slope (x - threshold) below
      let y = threshold === 0 ? b.op('LeakyRelu', [x], `${n}/leaky`, { alpha: { float: slope } })
        : b.op('Where', [b.op('GreaterOrEqual', [x, b.scalar(threshold)], `${n}/above`), x,
          b.op('Mul', [b.op('Sub', [x, b.scalar(threshold)], `${n}/shifted`), b.scalar(slope)], `${n}/damped`)], `${n}/leaky`);
      if (maxValue !== null) y = b.op('Where', [b.op('GreaterOrEqual', [x, b.scalar(maxValue)], `${n}/capped`), b.scalar(maxValue), y], `${n}/relu`);
      return y;
    });
  },

  LeakyReLU: (b, c) => elementwise(b, c, (x) => b.op('LeakyRelu', [x], c.base, { alpha: { float: (c.layer as LeakyReLU).negativeSlope } })),
  ELU: (b, c) => elementwise(b, c, (x) => b.op('Elu', [x], c.base, { alpha: { float: (c.layer as ELU).alpha } })),
  Softmax: (b, c) => {
    const l = c.layer as Softmax;
    const r = c.inputs[0].rank;
    const a = l.axis < 0 ? l.axis + r : l.axis;
    if (a <= 0 || a >= r) throw cannot(c, `axis ${l.axis} is not a per-sample axis of inputs of rank ${r}`);
    return elementwise(b, c, (x, layout) => b.op('Softmax', [x], `${c.base}/softmax`, { axis: axisIn(layout, a, r) }));
  },

  UpSampling2D: (b, c) => {
    const l = c.layer as UpSampling2D;
    const x = b.get(c.inputs[0], 'nchw');
    // integer factors: nearest row o reads floor(o / s), as gradlab's half-pixel rule gives
    const attrs: Record<string, AttrValue> = l.interpolation === 'nearest'
      ? { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }
      : { mode: 'linear', coordinate_transformation_mode: 'half_pixel' };
    const s = b.floats(`${c.base}/scales`, [4], new Float32Array([1, 1, l.size[0], l.size[1]]));
    const y = b.op('Resize', [x, '', s], `${c.base}/resize`, attrs);
    return [new Value(c.outShapes[0], 'nchw', y)];
  },

  Resizing: (b, c) => {
    const l = c.layer as Resizing;
    const x = b.get(c.inputs[0], 'nchw');
    const [H, W] = c.inputs[0].shape;
    if (l.interpolation === 'nearest') {
      // each output row and column copies one input row and column: gathers by the indices
      // gradlab's own resize picks (so its coordinate rule holds to the last index)
      const rows = nearestIndices(H, l.height, true);
      const cols = nearestIndices(W, l.width, false);
      const y = b.op('Gather', [b.op('Gather', [x, b.ints(rows, `${c.base}/rows`)], `${c.base}/gather_rows`, { axis: 2 }), b.ints(cols, `${c.base}/cols`)], `${c.base}/resize`, { axis: 3 });
      return [new Value(c.outShapes[0], 'nchw', y)];
    }
    // sizes from the input's batch and channels and the layer's height and width
    const nc = b.op('Slice', [b.op('Shape', [x], `${c.base}/shape`), b.ints([0], 'zero'), b.ints([2], 'two')], `${c.base}/batch_channels`);
    const sizes = b.op('Concat', [nc, b.ints([l.height, l.width], `${c.base}/hw`)], `${c.base}/sizes`, { axis: 0 });
    const y = b.op('Resize', [x, '', '', sizes], `${c.base}/resize`, { mode: 'linear', coordinate_transformation_mode: 'half_pixel' });
    return [new Value(c.outShapes[0], 'nchw', y)];
  },
};

/** The source rows (or columns) of gradlab's nearest resize from `inSize` to `outSize`. */
function nearestIndices(inSize: number, outSize: number, rows: boolean): number[] {
  return noGrad(() => {
    const ramp = new Tensor(Float32Array.from({ length: inSize }, (_, i) => i), rows ? [1, inSize, 1, 1] : [1, 1, inSize, 1]);
    return Array.from(resize(ramp, rows ? [outSize, 1] : [1, outSize], { method: 'nearest' }).data);
  });
}

function depthwise(b: GraphBuilder, c: Call, l: DepthwiseConv2D, withBias: boolean): string {
  const [H, W, C] = c.inputs[0].shape;
  const [kh, kw, , m] = l.depthwiseKernel!.shape;
  const pads = spatialPads(l.name, l.padding, [H, W], l.kernelSize, l.strides, l.dilationRate);
  // output channel c*m + j reads input channel c: kernel [kh, kw, 1, C*m] in C groups
  const w = b.weight(`${c.base}/depthwise_kernel`, l.depthwiseKernel!, [C * m, 1, kh, kw], [3, 2, 0, 1], [kh, kw, 1, C * m]);
  const bias = withBias && l.bias ? [b.weight(`${c.base}/bias`, l.bias)] : [];
  return b.op('Conv', [b.get(c.inputs[0], 'nchw'), w, ...bias], `${c.base}/depthwise`, {
    kernel_shape: [kh, kw], strides: l.strides, dilations: l.dilationRate, pads, group: C,
  });
}

/** Pads of a pooling window, 'same' as gradlab's (the odd one at the end). */
function poolPads(sizes: readonly number[], kernel: readonly number[], strides: readonly number[], padding: 'valid' | 'same'): number[] {
  if (padding === 'valid') return sizes.flatMap(() => [0, 0]);
  const per = sizes.map((s, i) => {
    const total = Math.max((Math.ceil(s / strides[i]) - 1) * strides[i] + kernel[i] - s, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  });
  return [...per.map((p) => p[0]), ...per.map((p) => p[1])];
}

function pool2d(b: GraphBuilder, c: Call, op: 'MaxPool' | 'AveragePool'): Value[] {
  const l = c.layer as MaxPooling2D | AveragePooling2D;
  const [H, W] = c.inputs[0].shape;
  const pads = poolPads([H, W], l.poolSize, l.strides, l.padding);
  // average pooling counts only the real cells under the window, as gradlab (and Keras) do
  const y = b.op(op, [b.get(c.inputs[0], 'nchw')], `${c.base}/pool`, {
    kernel_shape: l.poolSize, strides: l.strides, pads, ...(op === 'AveragePool' ? { count_include_pad: 0 } : {}),
  });
  return [new Value(c.outShapes[0], 'nchw', y)];
}

function pool1d(b: GraphBuilder, c: Call, op: 'MaxPool' | 'AveragePool'): Value[] {
  const l = c.layer as MaxPooling1D | AveragePooling1D;
  const [L] = c.inputs[0].shape;
  const pads = poolPads([L], [l.poolSize], [l.strides], l.padding);
  const y = b.op(op, [b.get(c.inputs[0], 'nchw')], `${c.base}/pool`, {
    kernel_shape: [l.poolSize], strides: [l.strides], pads, ...(op === 'AveragePool' ? { count_include_pad: 0 } : {}),
  });
  return [new Value(c.outShapes[0], 'nchw', y)];
}

function globalPool(b: GraphBuilder, c: Call, kind: 'Average' | 'Max', keepdims: boolean): Value[] {
  const x = c.inputs[0];
  if (x.home === 'nchw') {
    // [N, C, 1, 1]: channels-first, and [N, C] once flattened
    const y = b.op(`Global${kind}Pool`, [b.get(x, 'nchw')], `${c.base}/pool`);
    if (keepdims) return [new Value(c.outShapes[0], 'nchw', y)];
    return [new Value(c.outShapes[0], 'nhwc', b.op('Flatten', [y], `${c.base}/flatten`, { axis: 1 }))];
  }
  const axes = Array.from({ length: x.rank - 2 }, (_, i) => i + 1);
  const y = b.op(kind === 'Average' ? 'ReduceMean' : 'ReduceMax', [b.get(x, 'nhwc')], `${c.base}/pool`, { axes, keepdims: keepdims ? 1 : 0 });
  return [new Value(c.outShapes[0], 'nhwc', y)];
}

/**
 * A merge of several inputs: in the layout most of them already have when their shapes agree
 * (no transposes inside a channels-first run), else channels-last, where NumPy broadcasting is
 * gradlab's.
 */
function merge(b: GraphBuilder, c: Call, f: (xs: string[], base: string, layout: Layout) => string): Value[] {
  const ins = c.inputs;
  const same = ins.every((v) => v.shape.length === ins[0].shape.length && v.shape.every((d, i) => d === ins[0].shape[i]));
  let layout: Layout = 'nhwc';
  if (same && ins[0].canBeChannelsFirst) {
    const first = ins.filter((v) => v.names.has('nchw')).length;
    const last = ins.filter((v) => v.names.has('nhwc')).length;
    layout = first > last || (first === last && ins[0].home === 'nchw') ? 'nchw' : 'nhwc';
  }
  return [new Value(c.outShapes[0], layout, f(ins.map((v) => b.get(v, layout)), c.base, layout))];
}

/**
 * The converter of a layer, or why there is none: an unknown class, or a subclass of a built-in
 * one (which may compute something else under the same class name).
 */
export function converterFor(layer: Layer): Converter | string {
  const cls = Object.prototype.hasOwnProperty.call(classes, layer.className) ? classes[layer.className] : undefined;
  if (cls === undefined) return 'gradlab has no ONNX mapping for this layer class';
  if (layer.constructor !== cls) {
    return `it is a ${layer.constructor.name || 'subclass'} (a subclass of ${layer.className}), whose computation may differ from ${layer.className}'s`;
  }
  return convert[layer.className];
}

const classes: Record<string, unknown> = {
  Dense, Conv2D, Conv1D, DepthwiseConv2D, SeparableConv2D, Conv2DTranspose, MaxPooling2D, AveragePooling2D, MaxPooling1D, AveragePooling1D,
  GlobalAveragePooling2D, GlobalMaxPooling2D, GlobalAveragePooling1D, GlobalMaxPooling1D, Flatten, Reshape, Dropout, Activation, BatchNormalization,
  LayerNormalization, Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, ZeroPadding2D, Cropping2D, Rescaling, ReLU, LeakyReLU, ELU,
  Softmax, UpSampling2D, Resizing,
  RandomFlip, RandomRotation, RandomZoom, RandomTranslation,
};

/** The layer classes saveOnnx converts (every built-in one but InputLayer, and models, which are inlined). */
export const exportableClasses: readonly string[] = Object.keys(convert);
