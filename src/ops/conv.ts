import { FUSED_ACTIVATIONS, type Conv2dGeometry, type FusedActivation, type FusedOutput } from '../backend/backend.js';
import { DTypeError, ShapeError, ValueError, fmtShape } from '../core/errors.js';
import type { Random } from '../tensor/random.js';
import { Tensor, isGradEnabled, recordOp } from '../tensor/tensor.js';
import { epilogueBackward } from './fused.js';
import { registerOp, type OpSample } from './registry.js';
import { flip, reshape } from './shape.js';
import { empty, expectTensor, kernels, pairOf, sampleUniform } from './util.js';

export type Padding = 'valid' | 'same' | 'full' | number | readonly [number, number];

export interface Conv2dOptions {
  /** Step between windows: a number or [h, w] (default 1). */
  stride?: number | readonly [number, number];
  /** 'valid' (default), 'same' (TensorFlow's: output = ceil(input / stride)), 'full', or zeros per side. */
  padding?: Padding;
  /** Spacing between kernel taps: a number or [h, w] (default 1). */
  dilation?: number | readonly [number, number];
  /** Reverse the kernel spatially: true convolution instead of cross-correlation. */
  flip?: boolean;
  /** Added per output channel ([M]), as PyTorch's conv2d(input, weight, bias). */
  bias?: Tensor | null;
  /**
   * Applied to the result in the same op (what a Conv2D layer computes): the kernel writes
   * activation(conv + bias) directly and the backward needs only that output. Default 'linear'.
   */
  activation?: FusedActivation;
}

export interface Conv1dOptions {
  stride?: number;
  padding?: 'valid' | 'same' | 'full' | number;
  dilation?: number;
  flip?: boolean;
  bias?: Tensor | null;
  activation?: FusedActivation;
}

export function pair(fn: string, arg: string, v: number | readonly [number, number] | undefined, dflt: number): [number, number] {
  const p: readonly number[] = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) && typeof v !== 'number' && v !== undefined) {
    throw new ValueError(`${fn}: ${arg} must be a number or [h, w], got ${JSON.stringify(v)}`);
  }
  if (p.length !== 2 || !p.every((x) => Number.isInteger(x) && x >= 1)) {
    throw new ValueError(`${fn}: ${arg} must be a positive integer or a pair of them, got ${JSON.stringify(v)}`);
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
    throw new ValueError(`${fn}: padding must be 'valid', 'same', 'full', a non-negative integer or [ph, pw], got ${JSON.stringify(padding)}`);
  }
  return [p, p];
}

export function convGeometry(fn: string, xShape: readonly number[], wShape: readonly number[], options: Conv2dOptions): Conv2dGeometry {
  const [N, H, W, C] = xShape;
  const [KH, KW, KC, M] = wShape;
  if (C !== KC) {
    throw new ShapeError(`${fn}: input has ${C} channels but kernel expects ${KC} (input ${fmtShape(xShape)}, kernel ${fmtShape(wShape)})`);
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
    throw new ShapeError(`${fn}: kernel ${KH}x${KW} (dilated ${ekh}x${ekw}) is larger than the padded input ${H + pt + pb}x${W + pl + pr} (input ${fmtShape(xShape)}, kernel ${fmtShape(wShape)}, padding ${JSON.stringify(padding)})`);
  }
  return {
    batch: N, inH: H, inW: W, inC: C, outH, outW, outC: M, kH: KH, kW: KW,
    strideH: sh, strideW: sw, dilationH: dh, dilationW: dw, padTop: pt, padLeft: pl,
  };
}

function conv2dGeom(x: Tensor, w: Tensor, g: Conv2dGeometry): Tensor {
  const y = empty(x.dtype, [g.batch, g.outH, g.outW, g.outC]);
  kernels().conv2d(x.data, w.data, y.data, g);
  return recordOp(y, 'conv2d', [x, w], (dy) => {
    if (!isGradEnabled()) return convGrads(x, w, dy, null, null, g);
    return [x.requiresGrad ? conv2dBackpropInput(dy, w, g) : null, w.requiresGrad ? conv2dBackpropFilter(x, dy, g) : null];
  });
}

/**
 * activation(conv2d + bias) as one op: the kernel adds the bias and applies the activation to its
 * own output, and the backward gets every gradient in one call from dy and that output.
 */
function conv2dGeomFused(x: Tensor, w: Tensor, bias: Tensor | null, activation: FusedActivation, g: Conv2dGeometry): Tensor {
  const u = empty(x.dtype, [g.batch, g.outH, g.outW, g.outC]);
  kernels().conv2d(x.data, w.data, u.data, g, { bias: bias?.data ?? null, activation });
  return recordOp(u, 'conv2dBiasActivation', bias ? [x, w, bias] : [x, w], (du) => {
    if (!isGradEnabled()) return convGrads(x, w, du, bias, { y: u.data, activation }, g);
    // with a recorded graph: differentiable ops, for higher-order gradients
    const { dz, dbias } = epilogueBackward(du, u, activation, bias);
    return [x.requiresGrad ? conv2dBackpropInput(dz, w, g) : null, w.requiresGrad ? conv2dBackpropFilter(x, dz, g) : null, dbias];
  });
}

/** The gradients the inputs want, from one backend call (no graph recorded). */
function convGrads(x: Tensor, w: Tensor, dy: Tensor, bias: Tensor | null, fused: FusedOutput | null, g: Conv2dGeometry): (Tensor | null)[] {
  const dx = x.requiresGrad ? empty(x.dtype, x.shape) : null;
  const dw = w.requiresGrad ? empty(w.dtype, w.shape) : null;
  const dbias = bias?.requiresGrad ? empty(bias.dtype, bias.shape) : null;
  kernels().conv2dBackward(x.data, w.data, dy.data, g, { dx: dx?.data ?? null, dw: dw?.data ?? null, dbias: dbias?.data ?? null },
    fused ?? undefined);
  return [dx, dw, dbias];
}

/** dL/dx of conv2d: a full convolution of dy with the reversed kernel (the transposed convolution). */
function conv2dBackpropInput(dy: Tensor, w: Tensor, g: Conv2dGeometry): Tensor {
  const dx = empty(dy.dtype, [g.batch, g.inH, g.inW, g.inC]);
  kernels().conv2dBackpropInput(dy.data, w.data, dx.data, g);
  return recordOp(dx, 'conv2dBackpropInput', [dy, w], (gx) => [
    dy.requiresGrad ? conv2dGeom(gx, w, g) : null,
    w.requiresGrad ? conv2dBackpropFilter(gx, dy, g) : null,
  ]);
}

/** dL/dw of conv2d: the correlation of x with dy. */
function conv2dBackpropFilter(x: Tensor, dy: Tensor, g: Conv2dGeometry): Tensor {
  const dw = empty(x.dtype, [g.kH, g.kW, g.inC, g.outC]);
  kernels().conv2dBackpropFilter(x.data, dy.data, dw.data, g);
  return recordOp(dw, 'conv2dBackpropFilter', [x, dy], (gw) => [
    x.requiresGrad ? conv2dBackpropInput(dy, gw, g) : null,
    dy.requiresGrad ? conv2dGeom(x, gw, g) : null,
  ]);
}

/**
 * 2-D convolution (cross-correlation unless `flip`): x [N,H,W,C], w [KH,KW,C,M] -> [N,OH,OW,M].
 * Z[n,i,j,m] = sum_{k1,k2,c} W[k1,k2,c,m] X[n, i*s + k1*d - pad, j*s + k2*d - pad, c].
 */
export function conv2d(x: Tensor, w: Tensor, options: Conv2dOptions = {}): Tensor {
  const p = prepare2d('conv2d', x, w, options);
  const e = epilogueOf('conv2d', options, p.w);
  return e ? conv2dGeomFused(p.x, p.w, e.bias, e.activation, p.g) : conv2dGeom(p.x, p.w, p.g);
}

/** Checked operands (one dtype, the kernel flipped for true convolution) and the geometry. */
function prepare2d(fn: string, x: Tensor, w: Tensor, options: Conv2dOptions): { x: Tensor; w: Tensor; g: Conv2dGeometry } {
  expectTensor(x, fn, 'x');
  expectTensor(w, fn, 'w');
  [x, w] = pairOf(x, w, fn);
  if (x.rank !== 4) throw new ShapeError(`${fn}: input must be [N,H,W,C] (rank 4), got ${fmtShape(x.shape)}`);
  if (w.rank !== 4) throw new ShapeError(`${fn}: kernel must be [KH,KW,C,M] (rank 4), got ${fmtShape(w.shape)}`);
  const g = convGeometry(fn, x.shape, w.shape, options);
  return { x, w: options.flip ? flip(w, [0, 1]) : w, g };
}

/** The checked bias and activation of the options, or null when there are none (a plain conv). */
function epilogueOf(fn: string, o: Conv2dOptions | Conv1dOptions, w: Tensor): { bias: Tensor | null; activation: FusedActivation } | null {
  const bias = o.bias ?? null;
  const activation = o.activation ?? 'linear';
  if (!FUSED_ACTIVATIONS.includes(activation)) {
    throw new ValueError(`${fn}: activation must be one of ${FUSED_ACTIVATIONS.join(', ')}, got ${JSON.stringify(o.activation)}`);
  }
  if (bias === null && activation === 'linear') return null;
  if (bias !== null) {
    expectTensor(bias, fn, 'bias');
    const m = w.shape[w.rank - 1];
    if (bias.rank !== 1 || bias.size !== m) {
      throw new ShapeError(`${fn}: bias ${fmtShape(bias.shape)} must have shape [${m}] for kernel ${fmtShape(w.shape)}`);
    }
    if (bias.dtype !== w.dtype) throw new DTypeError(`${fn}: bias is ${bias.dtype} but the kernel is ${w.dtype}`);
  }
  return { bias, activation };
}

/** 1-D convolution: x [N,L,C], w [K,C,M] -> [N,OL,M], options as conv2d with numbers. */
export function conv1d(x: Tensor, w: Tensor, options: Conv1dOptions = {}): Tensor {
  const p = prepare1d(x, w, options);
  const e = epilogueOf('conv1d', options, p.w);
  return reshape(e ? conv2dGeomFused(p.x, p.w, e.bias, e.activation, p.g) : conv2dGeom(p.x, p.w, p.g), p.outShape);
}

/** conv1d as a conv2d over [N,1,L,C]: the reshaped operands, the geometry and the result's shape. */
function prepare1d(x: Tensor, w: Tensor, options: Conv1dOptions): { x: Tensor; w: Tensor; g: Conv2dGeometry; outShape: number[] } {
  expectTensor(x, 'conv1d', 'x');
  expectTensor(w, 'conv1d', 'w');
  if (x.rank !== 3) throw new ShapeError(`conv1d: input must be [N,L,C] (rank 3), got ${fmtShape(x.shape)}`);
  if (w.rank !== 3) throw new ShapeError(`conv1d: kernel must be [K,C,M] (rank 3), got ${fmtShape(w.shape)}`);
  for (const k of ['stride', 'dilation'] as const) {
    if (options[k] !== undefined && typeof options[k] !== 'number') throw new ValueError(`conv1d: ${k} must be a number, got ${JSON.stringify(options[k])}`);
  }
  const p = options.padding ?? 'valid';
  const padding: Padding = typeof p === 'number' ? [0, p] : p;
  if (typeof p !== 'number' && p !== 'valid' && p !== 'same' && p !== 'full') {
    throw new ValueError(`conv1d: padding must be 'valid', 'same', 'full' or a non-negative integer, got ${JSON.stringify(p)}`);
  }
  const [N, L, C] = x.shape;
  const [K, KC, M] = w.shape;
  if (C !== KC) {
    throw new ShapeError(`conv1d: input has ${C} channels but kernel expects ${KC} (input ${fmtShape(x.shape)}, kernel ${fmtShape(w.shape)})`);
  }
  let g: Conv2dGeometry;
  try {
    g = convGeometry('conv1d', [N, 1, L, C], [1, K, C, M], {
      stride: [1, options.stride ?? 1], dilation: [1, options.dilation ?? 1], padding,
    });
  } catch (e) {
    if (e instanceof ShapeError) {
      throw new ShapeError(`conv1d: kernel of ${K} taps (dilation ${options.dilation ?? 1}) does not fit the padded input of length ${L} (input ${fmtShape(x.shape)}, kernel ${fmtShape(w.shape)}, padding ${JSON.stringify(p)})`);
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

// With a bias and an activation conv2d is one fused op: each activation, with and without a bias.
registerOp({
  name: 'conv2d', family: 'conv',
  samples: (rng: Random): OpSample[] => [
    ...conv2dCases.map((c) => ({
      label: `conv2d x${fmtShape(c.x)} w${fmtShape(c.w)} ${JSON.stringify(c.o)}`,
      inputs: [sampleUniform(rng, c.x), sampleUniform(rng, c.w)],
      fn: (x: Tensor, w: Tensor) => conv2d(x, w, c.o),
    })),
    ...[conv2dCases[1], conv2dCases[3], conv2dCases[5], conv2dCases[6]].flatMap((c, i) => FUSED_ACTIVATIONS.map((activation, j): OpSample => {
      const withBias = (i + j) % 3 !== 2;
      const x = sampleUniform(rng, c.x);
      const w = sampleUniform(rng, c.w);
      return {
        label: `conv2d x${fmtShape(c.x)} w${fmtShape(c.w)} ${JSON.stringify({ ...c.o, activation })}${withBias ? ' with bias' : ''}`,
        inputs: withBias ? [x, w, sampleUniform(rng, [c.w[3]])] : [x, w],
        fn: (xx, ww, b) => conv2d(xx, ww, { ...c.o, bias: b ?? null, activation }),
      };
    })),
  ],
});

// The two backward ops are differentiable too (double backward); the sweep checks them directly.
registerOp({
  name: 'internal:conv2dBackpropInput', family: 'conv',
  samples: (rng: Random): OpSample[] => conv2dCases.slice(0, 5).map((c) => {
    const g = convGeometry('conv2d', c.x, c.w, c.o);
    return {
      label: `conv2dBackpropInput x${fmtShape(c.x)} ${JSON.stringify(c.o)}`,
      inputs: [sampleUniform(rng, [g.batch, g.outH, g.outW, g.outC]), sampleUniform(rng, c.w)],
      fn: (dy, w) => conv2dBackpropInput(dy, w, g),
    };
  }),
});
registerOp({
  name: 'internal:conv2dBackpropFilter', family: 'conv',
  samples: (rng: Random): OpSample[] => conv2dCases.slice(0, 5).map((c) => {
    const g = convGeometry('conv2d', c.x, c.w, c.o);
    return {
      label: `conv2dBackpropFilter x${fmtShape(c.x)} ${JSON.stringify(c.o)}`,
      inputs: [sampleUniform(rng, c.x), sampleUniform(rng, [g.batch, g.outH, g.outW, g.outC])],
      fn: (x, dy) => conv2dBackpropFilter(x, dy, g),
    };
  }),
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
      label: `conv1d x${fmtShape(c.x)} w${fmtShape(c.w)} ${JSON.stringify(c.o)}`,
      inputs: [sampleUniform(rng, c.x), sampleUniform(rng, c.w)],
      fn: (x: Tensor, w: Tensor) => conv1d(x, w, c.o),
    })),
    ...[conv1dCases[1], conv1dCases[3]].flatMap((c) => (['relu', 'tanh'] as const).map((activation): OpSample => ({
      label: `conv1d x${fmtShape(c.x)} w${fmtShape(c.w)} ${JSON.stringify({ ...c.o, activation })} with bias`,
      inputs: [sampleUniform(rng, c.x), sampleUniform(rng, c.w), sampleUniform(rng, [c.w[2]])],
      fn: (x, w, b) => conv1d(x, w, { ...c.o, bias: b, activation }),
    }))),
  ],
});
