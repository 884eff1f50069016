import { FUSED_ACTIVATIONS, type Conv2dGeometry, type Epilogue, type FloatArray, type FusedActivation, type FusedOutput } from '../backend/backend.js';
import { DTypeError, ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { checkOptions, optionKeys, positiveInt, showJson } from '../core/validate.js';
import type { Random } from '../tensor/random.js';
import { Tensor, isGradEnabled, recordOp } from '../tensor/tensor.js';
import { epilogueBackward } from './fused.js';
import { registerOp, type OpSample } from './registry.js';
import { flip, reshape } from './shape.js';
import { empty, expectFloat, fd, kernelOutput, kernels, sampleUniform } from './util.js';
import { sameDTypePair } from './cast.js';

/** Convolution padding: 'valid' (none), 'same' (TensorFlow's), 'full', zeros on every side, or [rows, columns] of zeros. */
export type Padding = 'valid' | 'same' | 'full' | number | readonly [number, number];

/** Options of `conv2d(x, w, options)`. */
export interface Conv2dOptions {
  /** Step between windows: a number or [h, w] (default 1). */
  stride?: number | readonly [number, number];
  /** 'valid' (default), 'same' (TensorFlow's: output = ceil(input / stride)), 'full', or zeros per side. */
  padding?: Padding;
  /** Spacing between kernel taps: a number or [h, w] (default 1). */
  dilation?: number | readonly [number, number];
  /** Reverse the kernel spatially: true convolution instead of cross-correlation. Default: false. */
  flip?: boolean;
  /** Added per output channel ([M]), as PyTorch's conv2d(input, weight, bias). Default: none. */
  bias?: Tensor | null;
  /**
   * Applied to the result in the same op (what a Conv2D layer computes): the kernel writes
   * activation(conv + bias) directly and the backward needs only that output. Default 'linear'.
   */
  activation?: FusedActivation;
  /**
   * Channel groups (Keras Conv2D `groups`, PyTorch's too): the C input channels split into
   * `groups` blocks and the M outputs likewise, output block g seeing input block g only, so w is
   * [KH, KW, C/groups, M]. groups = C is a depthwise convolution. Default 1.
   */
  groups?: number;
}

/** Options of `conv1d(x, w, options)`. */
export interface Conv1dOptions {
  /** Step between windows (default 1). */
  stride?: number;
  /** 'valid' (default), 'same' (TensorFlow's: output = ceil(input / stride)), 'full', or zeros on each side. */
  padding?: 'valid' | 'same' | 'full' | number;
  /** Spacing between kernel taps (default 1). */
  dilation?: number;
  /** Reverse the kernel: true convolution instead of cross-correlation. Default: false. */
  flip?: boolean;
  /** Added per output channel ([M]). Default: none. */
  bias?: Tensor | null;
  /** 'linear', 'relu', 'sigmoid' or 'tanh', applied in the same op (as conv2d). Default: 'linear'. */
  activation?: FusedActivation;
}

/** depthwiseConv2d's options: conv2d's, without flip and groups (groups is the channel count). */
export interface DepthwiseConv2dOptions {
  /** Step between windows: a number or [h, w] (default 1). */
  stride?: number | readonly [number, number];
  /** 'valid' (default), 'same' (TensorFlow's), 'full', or zeros per side, as conv2d. */
  padding?: Padding;
  /** Spacing between kernel taps: a number or [h, w] (default 1). */
  dilation?: number | readonly [number, number];
  /** Added per output channel ([C * depthMultiplier]). Default: none. */
  bias?: Tensor | null;
  /** 'linear', 'relu', 'sigmoid' or 'tanh', applied in the same op (as conv2d). Default: 'linear'. */
  activation?: FusedActivation;
}

/** Options of `conv2dTranspose(x, w, options)`. */
export interface Conv2dTransposeOptions {
  /** The upsampling factor: a number or [h, w] (default 1). */
  stride?: number | readonly [number, number];
  /**
   * Keras's: 'valid' (default) gives (in - 1) * stride + max(k, stride) outputs, 'same' in * stride;
   * the zeros cut are those a 'same' conv2d from the output would pad (the odd one at the end).
   */
  padding?: 'valid' | 'same';
  /**
   * Extra output rows/columns (Keras's output_padding): a number or [h, w], each below the stride;
   * the output is then (in - 1) * stride + k - 2 * pad + outputPadding, pad = floor(k / 2) for
   * 'same' and 0 for 'valid' (k the dilated kernel size). Default: none (the sizes above).
   */
  outputPadding?: number | readonly [number, number] | null;
  /** Spacing between kernel taps: a number or [h, w] (default 1). */
  dilation?: number | readonly [number, number];
  /** Added per output channel ([filters]). Default: none. */
  bias?: Tensor | null;
  /** 'linear', 'relu', 'sigmoid' or 'tanh', applied in the same op (as conv2d). Default: 'linear'. */
  activation?: FusedActivation;
}

const CONV2D_KEYS = optionKeys<Conv2dOptions>({
  stride: true, padding: true, dilation: true, flip: true, bias: true, activation: true, groups: true,
});
const CONV1D_KEYS = optionKeys<Conv1dOptions>({ stride: true, padding: true, dilation: true, flip: true, bias: true, activation: true });
const DEPTHWISE_KEYS = optionKeys<DepthwiseConv2dOptions>({ stride: true, padding: true, dilation: true, bias: true, activation: true });
const TRANSPOSE_KEYS = optionKeys<Conv2dTransposeOptions>({
  stride: true, padding: true, outputPadding: true, dilation: true, bias: true, activation: true,
});

/** A conv's geometry with its channel groups (1: a plain conv2d, whose kernels take the geometry alone). */
interface Geom extends Conv2dGeometry {
  groups: number;
}

export function pair(fn: string, arg: string, v: number | readonly [number, number] | undefined, dflt: number): [number, number] {
  const p: readonly number[] = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) && typeof v !== 'number' && v !== undefined) {
    throw new ValueError(`${fn}: ${arg} must be a number or [h, w], got ${showJson(v)}`);
  }
  if (p.length !== 2 || !p.every((x) => Number.isInteger(x) && x >= 1)) {
    throw new ValueError(`${fn}: ${arg} must be a positive integer or a pair of them, got ${showJson(v)}`);
  }
  return [p[0], p[1]];
}

/** Explicit [before, after] zeros for one spatial axis. */
export function resolvePadding(fn: string, padding: Padding, axis: 0 | 1, inSize: number, effK: number, stride: number): [number, number] {
  if (padding === 'valid') return [0, 0];
  if (padding === 'full') return [effK - 1, effK - 1];
  if (padding === 'same') {
    const out = Math.ceil(inSize / stride);
    const total = Math.max((out - 1) * stride + effK - inSize, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  }
  const p = typeof padding === 'number' ? padding : Array.isArray(padding) && padding.length === 2 ? padding[axis] : NaN;
  if (!Number.isInteger(p) || p < 0) {
    throw new ValueError(`${fn}: padding must be 'valid', 'same', 'full', a non-negative integer or [ph, pw], got ${showJson(padding)}`);
  }
  return [p, p];
}

/**
 * The explicit geometry of x [N,H,W,C] convolved with w [KH,KW,C/groups,M] (checked), for
 * options' stride, padding and dilation.
 */
export function convGeometry(fn: string, xShape: readonly number[], wShape: readonly number[], options: Conv2dOptions, groups = 1): Geom {
  const [N, H, W, C] = xShape;
  const [KH, KW, KC, M] = wShape;
  const shapes = `(input ${fmtShape(xShape)}, kernel ${fmtShape(wShape)})`;
  if (groups === 1 && C !== KC) {
    throw new ShapeError(`${fn}: input has ${C} channels but kernel expects ${KC} ${shapes}`);
  }
  if (groups !== 1) {
    if (C % groups !== 0) throw new ShapeError(`${fn}: input has ${C} channels, not divisible by groups ${groups} ${shapes}`);
    if (M % groups !== 0) throw new ShapeError(`${fn}: kernel has ${M} output channels, not divisible by groups ${groups} ${shapes}`);
    if (KC !== C / groups) {
      throw new ShapeError(`${fn}: input has ${C} channels in ${groups} groups of ${C / groups}, but the kernel expects ${KC} per group (kernel [KH,KW,C/groups,M]) ${shapes}`);
    }
  }
  const [sh, sw] = pair(fn, 'stride', options.stride, 1);
  const [dh, dw] = pair(fn, 'dilation', options.dilation, 1);
  const padding = options.padding ?? 'valid';
  const ekh = (KH - 1) * dh + 1;
  const ekw = (KW - 1) * dw + 1;
  const [pt, pb] = resolvePadding(fn, padding, 0, H, ekh, sh);
  const [pl, pr] = resolvePadding(fn, padding, 1, W, ekw, sw);
  const outH = Math.floor((H + pt + pb - ekh) / sh) + 1;
  const outW = Math.floor((W + pl + pr - ekw) / sw) + 1;
  if (KH < 1 || KW < 1 || H + pt + pb < ekh || W + pl + pr < ekw) {
    throw new ShapeError(`${fn}: kernel ${KH}x${KW} (dilated ${ekh}x${ekw}) is larger than the padded input ${H + pt + pb}x${W + pl + pr} (input ${fmtShape(xShape)}, kernel ${fmtShape(wShape)}, padding ${showJson(padding)})`);
  }
  return {
    batch: N, inH: H, inW: W, inC: C, outH, outW, outC: M, kH: KH, kW: KW,
    strideH: sh, strideW: sw, dilationH: dh, dilationW: dw, padTop: pt, padLeft: pl, groups,
  };
}

// The kernels of a geometry: conv2d's for one group, the grouped ones otherwise.
function convKernel(x: FloatArray, w: FloatArray, y: FloatArray, g: Geom, epilogue?: Epilogue): void {
  if (g.groups === 1) kernels().conv2d(x, w, y, g, epilogue);
  else kernels().groupedConv2d(x, w, y, g, g.groups, epilogue);
}

function backpropInputKernel(dy: FloatArray, w: FloatArray, dx: FloatArray, g: Geom): void {
  if (g.groups === 1) kernels().conv2dBackpropInput(dy, w, dx, g);
  else kernels().groupedConv2dBackpropInput(dy, w, dx, g, g.groups);
}

function backpropFilterKernel(x: FloatArray, dy: FloatArray, dw: FloatArray, g: Geom): void {
  if (g.groups === 1) kernels().conv2dBackpropFilter(x, dy, dw, g);
  else kernels().groupedConv2dBackpropFilter(x, dy, dw, g, g.groups);
}

function conv2dGeom(x: Tensor, w: Tensor, g: Geom): Tensor {
  const y = kernelOutput(x.dtype, [g.batch, g.outH, g.outW, g.outC]);
  convKernel(fd(x), fd(w), fd(y), g);
  return recordOp(y, 'conv2d', [x, w], (dy) => {
    if (!isGradEnabled() && g.groups === 1) return convGrads(x, w, dy, null, null, g);
    return [x.requiresGrad ? conv2dBackpropInput(dy, w, g) : null, w.requiresGrad ? conv2dBackpropFilter(x, dy, g) : null];
  });
}

/**
 * activation(conv2d + bias) as one op: the kernel adds the bias and applies the activation to its
 * own output, and the backward gets every gradient in one call from dy and that output.
 */
function conv2dGeomFused(x: Tensor, w: Tensor, bias: Tensor | null, activation: FusedActivation, g: Geom): Tensor {
  const u = kernelOutput(x.dtype, [g.batch, g.outH, g.outW, g.outC]);
  convKernel(fd(x), fd(w), fd(u), g, { bias: bias ? fd(bias) : null, activation });
  return recordOp(u, 'conv2dBiasActivation', bias ? [x, w, bias] : [x, w], (du) => {
    if (!isGradEnabled() && g.groups === 1) return convGrads(x, w, du, bias, { y: fd(u), activation }, g);
    // with a recorded graph: differentiable ops, for higher-order gradients (and for groups, whose
    // kernels without a graph are the same calls: one epilogue pass, then each gradient)
    const { dz, dbias } = epilogueBackward(du, u, activation, bias);
    return [x.requiresGrad ? conv2dBackpropInput(dz, w, g) : null, w.requiresGrad ? conv2dBackpropFilter(x, dz, g) : null, dbias];
  });
}

/** The gradients the inputs want, from one backend call (no graph recorded). */
function convGrads(x: Tensor, w: Tensor, dy: Tensor, bias: Tensor | null, fused: FusedOutput | null, g: Conv2dGeometry): (Tensor | null)[] {
  const dx = x.requiresGrad ? kernelOutput(x.dtype, x.shape) : null;
  const dw = w.requiresGrad ? kernelOutput(w.dtype, w.shape) : null;
  const dbias = bias?.requiresGrad ? kernelOutput(bias.dtype, bias.shape) : null;
  kernels().conv2dBackward(fd(x), fd(w), fd(dy), g, { dx: dx ? fd(dx) : null, dw: dw ? fd(dw) : null, dbias: dbias ? fd(dbias) : null },
    fused ?? undefined);
  return [dx, dw, dbias];
}

/** dL/dx of conv2d: a full convolution of dy with the reversed kernel (the transposed convolution). */
function conv2dBackpropInput(dy: Tensor, w: Tensor, g: Geom): Tensor {
  const dx = kernelOutput(dy.dtype, [g.batch, g.inH, g.inW, g.inC]);
  backpropInputKernel(fd(dy), fd(w), fd(dx), g);
  return recordOp(dx, 'conv2dBackpropInput', [dy, w], (gx) => [
    dy.requiresGrad ? conv2dGeom(gx, w, g) : null,
    w.requiresGrad ? conv2dBackpropFilter(gx, dy, g) : null,
  ]);
}

/** dL/dw of conv2d: the correlation of x with dy. */
function conv2dBackpropFilter(x: Tensor, dy: Tensor, g: Geom): Tensor {
  const dw = kernelOutput(x.dtype, [g.kH, g.kW, g.inC / g.groups, g.outC]);
  backpropFilterKernel(fd(x), fd(dy), fd(dw), g);
  return recordOp(dw, 'conv2dBackpropFilter', [x, dy], (gw) => [
    x.requiresGrad ? conv2dBackpropInput(dy, gw, g) : null,
    dy.requiresGrad ? conv2dGeom(x, gw, g) : null,
  ]);
}

/**
 * 2-D convolution (cross-correlation unless `flip`): x [N,H,W,C], w [KH,KW,C,M] -> [N,OH,OW,M].
 * Z[n,i,j,m] = sum_{k1,k2,c} W[k1,k2,c,m] X[n, i*s + k1*d - pad, j*s + k2*d - pad, c].
 */
export function conv2d(x: Tensor, w: Tensor, options?: Conv2dOptions): Tensor {
  const o = checkOptions('conv2d', options, CONV2D_KEYS);
  const groups = o.groups === undefined ? 1 : positiveInt('conv2d', 'groups', o.groups);
  const p = prepare2d('conv2d', x, w, o, groups);
  const e = epilogueOf('conv2d', o, w.shape[3], w.shape, p.w.dtype);
  return e ? conv2dGeomFused(p.x, p.w, e.bias, e.activation, p.g) : conv2dGeom(p.x, p.w, p.g);
}

/** Checked operands (one dtype, the kernel flipped for true convolution) and the geometry. */
function prepare2d(fn: string, x: Tensor, w: Tensor, options: Conv2dOptions, groups: number): { x: Tensor; w: Tensor; g: Geom } {
  expectFloat(x, fn, 'x');
  expectFloat(w, fn, 'w');
  [x, w] = sameDTypePair(x, w, fn);
  if (x.rank !== 4) throw new ShapeError(`${fn}: input must be [N,H,W,C] (rank 4), got ${fmtShape(x.shape)}`);
  if (w.rank !== 4) throw new ShapeError(`${fn}: kernel must be [KH,KW,${groups === 1 ? 'C' : 'C/groups'},M] (rank 4), got ${fmtShape(w.shape)}`);
  const g = convGeometry(fn, x.shape, w.shape, options, groups);
  return { x, w: options.flip ? flip(w, [0, 1]) : w, g };
}

/**
 * The checked bias ([m], the kernel's dtype) and activation of the options, or null when there
 * are none (a plain conv). wShape is the kernel as the caller gave it, for the message.
 */
function epilogueOf(fn: string, o: { bias?: Tensor | null; activation?: FusedActivation }, m: number, wShape: readonly number[],
  dtype: string): { bias: Tensor | null; activation: FusedActivation } | null {
  const bias = o.bias ?? null;
  const activation = o.activation ?? 'linear';
  if (!FUSED_ACTIVATIONS.includes(activation)) {
    throw new ValueError(`${fn}: activation must be one of ${FUSED_ACTIVATIONS.join(', ')}, got ${showJson(o.activation)}`);
  }
  if (bias === null && activation === 'linear') return null;
  if (bias !== null) {
    expectFloat(bias, fn, 'bias');
    if (bias.rank !== 1 || bias.size !== m) {
      throw new ShapeError(`${fn}: bias ${fmtShape(bias.shape)} must have shape [${m}] for kernel ${fmtShape(wShape)}`);
    }
    if (bias.dtype !== dtype) throw new DTypeError(`${fn}: bias is ${bias.dtype} but the kernel is ${dtype}`);
  }
  return { bias, activation };
}

/**
 * Depthwise 2-D convolution (Keras DepthwiseConv2D, tf.nn.depthwise_conv2d): each input channel
 * convolved with its own depthMultiplier filters. x [N,H,W,C], w [KH,KW,C,depthMultiplier] ->
 * [N,OH,OW,C*depthMultiplier], output channel c*depthMultiplier + m from input channel c:
 * Z[n,i,j,c*D+m] = sum_{k1,k2} W[k1,k2,c,m] X[n, i*s + k1*d - pad, j*s + k2*d - pad, c].
 * The same as conv2d(x, reshape(w, [KH,KW,1,C*D]), { groups: C }).
 */
export function depthwiseConv2d(x: Tensor, w: Tensor, options?: DepthwiseConv2dOptions): Tensor {
  const fn = 'depthwiseConv2d';
  const o = checkOptions(fn, options, DEPTHWISE_KEYS);
  expectFloat(x, fn, 'x');
  expectFloat(w, fn, 'w');
  [x, w] = sameDTypePair(x, w, fn);
  if (x.rank !== 4) throw new ShapeError(`${fn}: input must be [N,H,W,C] (rank 4), got ${fmtShape(x.shape)}`);
  if (w.rank !== 4) throw new ShapeError(`${fn}: kernel must be [KH,KW,C,depthMultiplier] (rank 4), got ${fmtShape(w.shape)}`);
  const [KH, KW, KC, D] = w.shape;
  const C = x.shape[3];
  if (KC !== C) {
    throw new ShapeError(`${fn}: input has ${C} channels but the kernel [KH,KW,C,depthMultiplier] has ${KC} (input ${fmtShape(x.shape)}, kernel ${fmtShape(w.shape)})`);
  }
  // the geometry of the kernel as given (its messages name it), with C*D outputs in C groups
  const g: Geom = { ...convGeometry(fn, x.shape, w.shape, o), outC: C * D, groups: C };
  const e = epilogueOf(fn, o, C * D, w.shape, w.dtype);
  const wg = reshape(w, [KH, KW, 1, C * D]);
  return e ? conv2dGeomFused(x, wg, e.bias, e.activation, g) : conv2dGeom(x, wg, g);
}

/** Keras's output size of a transposed convolution along one axis (conv_utils.deconv_output_length). */
function transposeOutputLength(inSize: number, effK: number, stride: number, padding: 'valid' | 'same', outputPadding: number | null): number {
  if (outputPadding === null) return padding === 'valid' ? inSize * stride + Math.max(effK - stride, 0) : inSize * stride;
  const pad = padding === 'same' ? Math.floor(effK / 2) : 0;
  return (inSize - 1) * stride + effK - 2 * pad + outputPadding;
}

/**
 * Transposed convolution (Keras Conv2DTranspose, "deconvolution"): x [N,H,W,C], w
 * [KH,KW,filters,C] -> [N,OH,OW,filters], the adjoint of conv2d with that kernel from an
 * [N,OH,OW,filters] input (so conv2dTranspose(dy, w) is conv2d's input gradient). OH follows
 * Keras (see Conv2dTransposeOptions); the zeros cut are those a 'same' conv2d from OH would add,
 * the odd one at the end, as TensorFlow places them (Keras's torch backend differs when it warns).
 */
export function conv2dTranspose(x: Tensor, w: Tensor, options?: Conv2dTransposeOptions): Tensor {
  const fn = 'conv2dTranspose';
  const o = checkOptions(fn, options, TRANSPOSE_KEYS);
  expectFloat(x, fn, 'x');
  expectFloat(w, fn, 'w');
  [x, w] = sameDTypePair(x, w, fn);
  if (x.rank !== 4) throw new ShapeError(`${fn}: input must be [N,H,W,C] (rank 4), got ${fmtShape(x.shape)}`);
  if (w.rank !== 4) throw new ShapeError(`${fn}: kernel must be [KH,KW,filters,C] (rank 4), got ${fmtShape(w.shape)}`);
  const [N, H, W, C] = x.shape;
  const [KH, KW, F, KC] = w.shape;
  const shapes = `(input ${fmtShape(x.shape)}, kernel ${fmtShape(w.shape)})`;
  if (KC !== C) throw new ShapeError(`${fn}: input has ${C} channels but the kernel [KH,KW,filters,C] expects ${KC} ${shapes}`);
  if (KH < 1 || KW < 1 || F < 1) throw new ShapeError(`${fn}: kernel must have a non-empty window and at least one filter ${shapes}`);
  const [sh, sw] = pair(fn, 'stride', o.stride, 1);
  const [dh, dw] = pair(fn, 'dilation', o.dilation, 1);
  const padding = o.padding ?? 'valid';
  if (padding !== 'valid' && padding !== 'same') {
    throw new ValueError(`${fn}: padding must be 'valid' or 'same', got ${showJson(o.padding)}`);
  }
  let op: [number, number] | null = null;
  if (o.outputPadding !== undefined && o.outputPadding !== null) {
    const v = o.outputPadding;
    const q: readonly unknown[] = typeof v === 'number' ? [v, v] : Array.isArray(v) ? v : [];
    if (q.length !== 2 || !q.every((t) => typeof t === 'number' && Number.isInteger(t) && t >= 0)) {
      throw new ValueError(`${fn}: outputPadding must be a non-negative integer or a pair of them, got ${showJson(v)}`);
    }
    op = [q[0] as number, q[1] as number];
    if (op[0] >= sh || op[1] >= sw) {
      throw new ValueError(`${fn}: outputPadding ${showJson(v)} must be smaller than the stride ${showJson(o.stride ?? 1)} on each axis`);
    }
  }
  const ekh = (KH - 1) * dh + 1;
  const ekw = (KW - 1) * dw + 1;
  const OH = transposeOutputLength(H, ekh, sh, padding, op && op[0]);
  const OW = transposeOutputLength(W, ekw, sw, padding, op && op[1]);
  if (OH < 1 || OW < 1) throw new ShapeError(`${fn}: the output would be ${OH}x${OW} ${shapes}`);
  // the conv2d (from [N,OH,OW,F] to x's shape) whose adjoint this is
  const pt = padding === 'same' ? Math.floor(Math.max((H - 1) * sh + ekh - OH, 0) / 2) : 0;
  const pl = padding === 'same' ? Math.floor(Math.max((W - 1) * sw + ekw - OW, 0) / 2) : 0;
  const g: Geom = {
    batch: N, inH: OH, inW: OW, inC: F, outH: H, outW: W, outC: C, kH: KH, kW: KW,
    strideH: sh, strideW: sw, dilationH: dh, dilationW: dw, padTop: pt, padLeft: pl, groups: 1,
  };
  const e = epilogueOf(fn, o, F, w.shape, w.dtype);
  return e ? conv2dTransposeFused(x, w, e.bias, e.activation, g) : conv2dBackpropInput(x, w, g);
}

/**
 * activation(conv2dTranspose + bias) as one op: the input-gradient kernel applies the epilogue,
 * and the backward is conv2d (for x) and conv2d's filter gradient (for w) of dz.
 */
function conv2dTransposeFused(x: Tensor, w: Tensor, bias: Tensor | null, activation: FusedActivation, g: Geom): Tensor {
  const u = empty(x.dtype, [g.batch, g.inH, g.inW, g.inC]);
  kernels().conv2dBackpropInput(fd(x), fd(w), fd(u), g, { bias: bias ? fd(bias) : null, activation });
  return recordOp(u, 'conv2dTransposeBiasActivation', bias ? [x, w, bias] : [x, w], (du) => {
    const { dz, dbias } = epilogueBackward(du, u, activation, bias);
    return [x.requiresGrad ? conv2dGeom(dz, w, g) : null, w.requiresGrad ? conv2dBackpropFilter(dz, x, g) : null, dbias];
  });
}

/** 1-D convolution: x [N,L,C], w [K,C,M] -> [N,OL,M], options as conv2d with numbers. */
export function conv1d(x: Tensor, w: Tensor, options?: Conv1dOptions): Tensor {
  const o = checkOptions('conv1d', options, CONV1D_KEYS);
  const p = prepare1d(x, w, o);
  const e = epilogueOf('conv1d', o, p.w.shape[3], w.shape, p.w.dtype);
  return reshape(e ? conv2dGeomFused(p.x, p.w, e.bias, e.activation, p.g) : conv2dGeom(p.x, p.w, p.g), p.outShape);
}

/** conv1d as a conv2d over [N,1,L,C]: the reshaped operands, the geometry and the result's shape. */
function prepare1d(x: Tensor, w: Tensor, options: Conv1dOptions): { x: Tensor; w: Tensor; g: Geom; outShape: number[] } {
  expectFloat(x, 'conv1d', 'x');
  expectFloat(w, 'conv1d', 'w');
  if (x.rank !== 3) throw new ShapeError(`conv1d: input must be [N,L,C] (rank 3), got ${fmtShape(x.shape)}`);
  if (w.rank !== 3) throw new ShapeError(`conv1d: kernel must be [K,C,M] (rank 3), got ${fmtShape(w.shape)}`);
  for (const k of ['stride', 'dilation'] as const) {
    if (options[k] !== undefined && typeof options[k] !== 'number') throw new ValueError(`conv1d: ${k} must be a number, got ${showJson(options[k])}`);
  }
  const p = options.padding ?? 'valid';
  const padding: Padding = typeof p === 'number' ? [0, p] : p;
  if (typeof p !== 'number' && p !== 'valid' && p !== 'same' && p !== 'full') {
    throw new ValueError(`conv1d: padding must be 'valid', 'same', 'full' or a non-negative integer, got ${showJson(p)}`);
  }
  const [N, L, C] = x.shape;
  const [K, KC, M] = w.shape;
  if (C !== KC) {
    throw new ShapeError(`conv1d: input has ${C} channels but kernel expects ${KC} (input ${fmtShape(x.shape)}, kernel ${fmtShape(w.shape)})`);
  }
  let g: Geom;
  try {
    g = convGeometry('conv1d', [N, 1, L, C], [1, K, C, M], {
      stride: [1, options.stride ?? 1], dilation: [1, options.dilation ?? 1], padding,
    });
  } catch (e) {
    if (e instanceof ShapeError) {
      throw new ShapeError(`conv1d: kernel of ${K} taps (dilation ${options.dilation ?? 1}) does not fit the padded input of length ${L} (input ${fmtShape(x.shape)}, kernel ${fmtShape(w.shape)}, padding ${showJson(p)})`);
    }
    throw e;
  }
  const w2 = reshape(options.flip ? flip(w, 0) : w, [1, K, C, M]);
  return { x: reshape(x, [N, 1, L, C]), w: w2, g, outShape: [N, g.outW, M] };
}

// ---------- registry ----------

interface ConvCase { x: number[]; w: number[]; o: Conv2dOptions }
const conv2dCases: ConvCase[] = [
  { x: [1, 5, 5, 1], w: [3, 3, 1, 1], o: { padding: 'valid' } },
  { x: [2, 4, 5, 2], w: [2, 2, 2, 3], o: { padding: 'same' } },
  { x: [1, 4, 4, 1], w: [3, 2, 1, 2], o: { padding: 'full' } },
  { x: [2, 5, 6, 2], w: [3, 3, 2, 2], o: { padding: 'same', stride: 2 } },
  { x: [1, 7, 7, 3], w: [2, 2, 3, 2], o: { padding: 'valid', stride: 2, dilation: 2 } },
  { x: [1, 5, 5, 2], w: [3, 3, 2, 2], o: { padding: 1, dilation: 2, flip: true } },
  { x: [2, 6, 5, 1], w: [2, 3, 1, 2], o: { padding: [1, 2], stride: [2, 1], dilation: [1, 2], flip: true } },
  { x: [1, 6, 6, 2], w: [2, 2, 2, 1], o: { padding: 'same', dilation: 2 } },
  { x: [1, 3, 3, 1], w: [2, 2, 1, 1], o: { padding: 'full', flip: true } },
];
// grouped: two groups of 2 -> 3; three groups of 2 -> 1 with stride and dilation; groups = C
// (depthwise, two outputs per channel); groups = C = M with flip and full padding
const groupedCases: ConvCase[] = [
  { x: [1, 5, 5, 4], w: [3, 3, 2, 6], o: { groups: 2, padding: 'same' } },
  { x: [2, 6, 7, 6], w: [2, 3, 2, 3], o: { groups: 3, stride: 2, dilation: [1, 2] } },
  { x: [1, 5, 6, 3], w: [3, 3, 1, 6], o: { groups: 3, padding: 1, stride: [2, 1] } },
  { x: [2, 4, 4, 4], w: [2, 2, 1, 4], o: { groups: 4, padding: 'full', flip: true } },
];

// With a bias and an activation conv2d is one fused op: each activation, with and without a bias.
registerOp({
  name: 'conv2d', family: 'conv',
  samples: (rng: Random): OpSample[] => [
    ...[...conv2dCases, ...groupedCases].map((c) => ({
      label: `conv2d x${fmtShape(c.x)} w${fmtShape(c.w)} ${showJson(c.o)}`,
      inputs: [sampleUniform(rng, c.x), sampleUniform(rng, c.w)],
      fn: (x: Tensor, w: Tensor) => conv2d(x, w, c.o),
    })),
    ...[conv2dCases[1], conv2dCases[3], conv2dCases[5], conv2dCases[6], groupedCases[0], groupedCases[2]].flatMap((c, i) => FUSED_ACTIVATIONS.map((activation, j): OpSample => {
      const withBias = (i + j) % 3 !== 2;
      const x = sampleUniform(rng, c.x);
      const w = sampleUniform(rng, c.w);
      return {
        label: `conv2d x${fmtShape(c.x)} w${fmtShape(c.w)} ${showJson({ ...c.o, activation })}${withBias ? ' with bias' : ''}`,
        inputs: withBias ? [x, w, sampleUniform(rng, [c.w[3]])] : [x, w],
        fn: (xx, ww, b) => conv2d(xx, ww, { ...c.o, bias: b ?? null, activation }),
      };
    })),
  ],
});

// The two backward ops are differentiable too (double backward); the sweep checks them directly.
registerOp({
  name: 'internal:conv2dBackpropInput', family: 'conv',
  samples: (rng: Random): OpSample[] => [...conv2dCases.slice(0, 5), ...groupedCases].map((c) => {
    const g = convGeometry('conv2d', c.x, c.w, c.o, c.o.groups);
    return {
      label: `conv2dBackpropInput x${fmtShape(c.x)} ${showJson(c.o)}`,
      inputs: [sampleUniform(rng, [g.batch, g.outH, g.outW, g.outC]), sampleUniform(rng, c.w)],
      fn: (dy, w) => conv2dBackpropInput(dy, w, g),
    };
  }),
});
registerOp({
  name: 'internal:conv2dBackpropFilter', family: 'conv',
  samples: (rng: Random): OpSample[] => [...conv2dCases.slice(0, 5), ...groupedCases].map((c) => {
    const g = convGeometry('conv2d', c.x, c.w, c.o, c.o.groups);
    return {
      label: `conv2dBackpropFilter x${fmtShape(c.x)} ${showJson(c.o)}`,
      inputs: [sampleUniform(rng, c.x), sampleUniform(rng, [g.batch, g.outH, g.outW, g.outC])],
      fn: (x, dy) => conv2dBackpropFilter(x, dy, g),
    };
  }),
});

// depthwise: multipliers 1, 2 and 3; every padding kind; strides, dilations, pairs of them
const depthwiseCases: { x: number[]; w: number[]; o: DepthwiseConv2dOptions }[] = [
  { x: [1, 5, 5, 2], w: [3, 3, 2, 1], o: {} },
  { x: [2, 5, 6, 3], w: [3, 3, 3, 2], o: { padding: 'same' } },
  { x: [1, 7, 6, 2], w: [2, 3, 2, 3], o: { padding: 'same', stride: 2 } },
  { x: [1, 7, 7, 2], w: [3, 2, 2, 1], o: { padding: [1, 2], dilation: 2 } },
  { x: [2, 6, 5, 1], w: [2, 2, 1, 2], o: { padding: 1, stride: [2, 1], dilation: [1, 2] } },
  { x: [1, 3, 4, 2], w: [2, 2, 2, 2], o: { padding: 'full' } },
];
registerOp({
  name: 'depthwiseConv2d', family: 'conv',
  samples: (rng: Random): OpSample[] => [
    ...depthwiseCases.map((c) => ({
      label: `depthwiseConv2d x${fmtShape(c.x)} w${fmtShape(c.w)} ${showJson(c.o)}`,
      inputs: [sampleUniform(rng, c.x), sampleUniform(rng, c.w)],
      fn: (x: Tensor, w: Tensor) => depthwiseConv2d(x, w, c.o),
    })),
    ...[depthwiseCases[1], depthwiseCases[2], depthwiseCases[4]].flatMap((c, i) => FUSED_ACTIVATIONS.map((activation, j): OpSample => {
      const withBias = (i + j) % 3 !== 2;
      const x = sampleUniform(rng, c.x);
      const w = sampleUniform(rng, c.w);
      return {
        label: `depthwiseConv2d x${fmtShape(c.x)} w${fmtShape(c.w)} ${showJson({ ...c.o, activation })}${withBias ? ' with bias' : ''}`,
        inputs: withBias ? [x, w, sampleUniform(rng, [c.w[2] * c.w[3]])] : [x, w],
        fn: (xx, ww, b) => depthwiseConv2d(xx, ww, { ...c.o, bias: b ?? null, activation }),
      };
    })),
  ],
});

// transposed: 'valid' and 'same', strides 1-3 (a kernel smaller than its stride leaves zero
// rows), output paddings, dilation, an even kernel, more filters than inputs and fewer
const transposeCases: { x: number[]; w: number[]; o: Conv2dTransposeOptions }[] = [
  { x: [1, 3, 3, 2], w: [3, 3, 1, 2], o: {} },
  { x: [2, 3, 4, 2], w: [3, 3, 2, 2], o: { stride: 2, padding: 'same' } },
  { x: [1, 3, 3, 1], w: [2, 2, 3, 1], o: { stride: 2 } },
  { x: [1, 2, 3, 2], w: [1, 2, 2, 2], o: { stride: 3 } },
  { x: [1, 3, 3, 2], w: [3, 3, 2, 2], o: { stride: 2, padding: 'same', outputPadding: 0 } },
  { x: [1, 3, 2, 1], w: [3, 2, 2, 1], o: { stride: [2, 3], outputPadding: [1, 2] } },
  { x: [1, 3, 3, 2], w: [2, 2, 1, 2], o: { dilation: 2, padding: 'same' } },
  { x: [1, 2, 2, 2], w: [3, 3, 2, 2], o: { stride: 2, dilation: [2, 1] } },
  { x: [1, 3, 3, 1], w: [4, 4, 2, 1], o: { stride: 2, padding: 'same', outputPadding: 1 } },
];
registerOp({
  name: 'conv2dTranspose', family: 'conv',
  samples: (rng: Random): OpSample[] => [
    ...transposeCases.map((c) => ({
      label: `conv2dTranspose x${fmtShape(c.x)} w${fmtShape(c.w)} ${showJson(c.o)}`,
      inputs: [sampleUniform(rng, c.x), sampleUniform(rng, c.w)],
      fn: (x: Tensor, w: Tensor) => conv2dTranspose(x, w, c.o),
    })),
    ...[transposeCases[1], transposeCases[5], transposeCases[8]].flatMap((c, i) => FUSED_ACTIVATIONS.map((activation, j): OpSample => {
      const withBias = (i + j) % 3 !== 2;
      const x = sampleUniform(rng, c.x);
      const w = sampleUniform(rng, c.w);
      return {
        label: `conv2dTranspose x${fmtShape(c.x)} w${fmtShape(c.w)} ${showJson({ ...c.o, activation })}${withBias ? ' with bias' : ''}`,
        inputs: withBias ? [x, w, sampleUniform(rng, [c.w[2]])] : [x, w],
        fn: (xx, ww, b) => conv2dTranspose(xx, ww, { ...c.o, bias: b ?? null, activation }),
      };
    })),
  ],
});

const conv1dCases: { x: number[]; w: number[]; o: Conv1dOptions }[] = [
  { x: [1, 9, 1], w: [3, 1, 1], o: {} },
  { x: [2, 8, 2], w: [4, 2, 3], o: { padding: 'same' } },
  { x: [1, 6, 2], w: [3, 2, 2], o: { padding: 'full', flip: true } },
  { x: [2, 9, 1], w: [2, 1, 2], o: { stride: 2, dilation: 2, padding: 1 } },
  { x: [1, 7, 3], w: [3, 3, 1], o: { padding: 'same', stride: 2 } },
];
registerOp({
  name: 'conv1d', family: 'conv',
  samples: (rng: Random): OpSample[] => [
    ...conv1dCases.map((c) => ({
      label: `conv1d x${fmtShape(c.x)} w${fmtShape(c.w)} ${showJson(c.o)}`,
      inputs: [sampleUniform(rng, c.x), sampleUniform(rng, c.w)],
      fn: (x: Tensor, w: Tensor) => conv1d(x, w, c.o),
    })),
    ...[conv1dCases[1], conv1dCases[3]].flatMap((c) => (['relu', 'tanh'] as const).map((activation): OpSample => ({
      label: `conv1d x${fmtShape(c.x)} w${fmtShape(c.w)} ${showJson({ ...c.o, activation })} with bias`,
      inputs: [sampleUniform(rng, c.x), sampleUniform(rng, c.w), sampleUniform(rng, [c.w[2]])],
      fn: (x, w, b) => conv1d(x, w, { ...c.o, bias: b, activation }),
    }))),
  ],
});
