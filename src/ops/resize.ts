// Image resizing in NHWC as tf.image.resize (TensorFlow 2) and Keras' UpSampling2D.
//
// Each output row (column) reads one input row (nearest) or blends two (bilinear); the source of
// output index o along an axis of `in` cells resized to `out` is
//   half-pixel centers (TF2's default):  c = (o + 1/2) in / out - 1/2   (nearest: floor((o + 1/2) in / out))
//   align corners:                       c = o (in - 1) / (out - 1)     (nearest: round half up)
//   neither (TF1's legacy scaling):      c = o in / out                 (nearest: floor)
// computed from integers, so an exact half or whole number is never lost to rounding. Bilinear
// clamps c to [0, in - 1] and weighs rows floor(c) and floor(c) + 1 by 1 - frac(c) and frac(c),
// as PyTorch's interpolate(mode='bilinear') does. Both methods are linear in x: the backward is
// the adjoint (a scatter with the same weights), whose own backward is the forward again.
import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { booleanOption, checkOptions, oneOf, optionKeys, positiveInt, showJson } from '../core/validate.js';
import type { Random } from '../tensor/random.js';
import { Tensor, recordOp } from '../tensor/tensor.js';
import { reshape } from './shape.js';
import { registerOp, type OpSample } from './registry.js';
import { empty, expectFloat, sampleUniform } from './util.js';

/** How `resize` and `upSampling2d` sample: nearest neighbour or bilinear (tf.image.resize's). */
export type ResizeMethod = 'nearest' | 'bilinear';
const METHODS = ['nearest', 'bilinear'] as const;

/** Options of `resize(x, size, options)`. */
export interface ResizeOptions {
  /** 'bilinear' (default, as tf.image.resize) or 'nearest'. */
  method?: ResizeMethod;
  /** Pixel centres at half-integers (default true unless alignCorners, as TensorFlow 2). */
  halfPixelCenters?: boolean;
  /** Map the corner pixels of input and output onto each other (default false, as TF1's align_corners). */
  alignCorners?: boolean;
}

/** Options of `upSampling2d(x, options)`. */
export interface UpSampling2dOptions {
  /** The factor along height and width, or [heightFactor, widthFactor] (default 2). */
  size?: number | readonly [number, number];
  /** 'nearest' (default: repeats rows and columns) or 'bilinear'. */
  interpolation?: ResizeMethod;
}

const RESIZE_KEYS = optionKeys<ResizeOptions>({ method: true, halfPixelCenters: true, alignCorners: true });
const UPSAMPLING_KEYS = optionKeys<UpSampling2dOptions>({ size: true, interpolation: true });

type Scaling = 'halfPixel' | 'alignCorners' | 'legacy';

/** Where each output index along one axis reads: rows i0 and i1 with weights w0 and w1 (nearest: w0 = 1, i1 = i0). */
interface AxisMap {
  readonly i0: Int32Array;
  readonly i1: Int32Array;
  readonly w0: Float64Array;
  readonly w1: Float64Array;
}

function axisMap(inSize: number, outSize: number, method: ResizeMethod, scaling: Scaling): AxisMap {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const w0 = new Float64Array(outSize);
  const w1 = new Float64Array(outSize);
  // For align corners with one output cell TensorFlow uses the scale in / out, so c = 0.
  const aligned = scaling === 'alignCorners' && outSize > 1;
  for (let o = 0; o < outSize; o++) {
    if (method === 'nearest') {
      let k: number;
      if (scaling === 'halfPixel') k = Math.floor(((2 * o + 1) * inSize) / (2 * outSize));
      else if (aligned) k = Math.floor((2 * o * (inSize - 1) + (outSize - 1)) / (2 * (outSize - 1)));
      else if (scaling === 'alignCorners') k = 0;
      else k = Math.floor((o * inSize) / outSize);
      k = Math.min(Math.max(k, 0), inSize - 1);
      i0[o] = k;
      i1[o] = k;
      w0[o] = 1;
      continue;
    }
    // c = num / den exactly, then clamped to [0, in - 1].
    let num: number;
    let den: number;
    if (scaling === 'halfPixel') { num = (2 * o + 1) * inSize - outSize; den = 2 * outSize; }
    else if (aligned) { num = o * (inSize - 1); den = outSize - 1; }
    else if (scaling === 'alignCorners') { num = 0; den = 1; }
    else { num = o * inSize; den = outSize; }
    if (num <= 0) {
      i0[o] = 0;
      i1[o] = Math.min(1, inSize - 1);
      w0[o] = 1;
      continue;
    }
    const k = Math.min(Math.floor(num / den), inSize - 1);
    const frac = (num - k * den) / den;
    i0[o] = k;
    i1[o] = Math.min(k + 1, inSize - 1);
    w1[o] = frac;
    w0[o] = 1 - frac;
  }
  return { i0, i1, w0, w1 };
}

/**
 * Bilinear resampling of one axis: x viewed as [outer, in, inner] becomes [outer, out, inner] with
 * y[o, k, :] = w0[k] x[o, i0[k], :] + w1[k] x[o, i1[k], :]. Each step blends whole rows of `inner`
 * contiguous values; a bilinear resize is two such passes (width, then height, grouping the
 * products as PyTorch does).
 */
function resampleAxis(x: Tensor, axis: number, map: AxisMap): Tensor {
  const inSize = x.shape[axis];
  const outSize = map.i0.length;
  let outer = 1;
  for (let a = 0; a < axis; a++) outer *= x.shape[a];
  let inner = 1;
  for (let a = axis + 1; a < x.rank; a++) inner *= x.shape[a];
  const shape = [...x.shape];
  shape[axis] = outSize;
  const out = empty(x.dtype, shape);
  const xd = x.data;
  const yd = out.data;
  const { i0, i1, w0, w1 } = map;
  for (let o = 0; o < outer; o++) {
    const src = o * inSize * inner;
    const dst = o * outSize * inner;
    for (let k = 0; k < outSize; k++) {
      const d = dst + k * inner;
      const a = src + i0[k] * inner;
      const b = src + i1[k] * inner;
      const u = w0[k];
      const v = w1[k];
      for (let i = 0; i < inner; i++) yd[d + i] = u * xd[a + i] + v * xd[b + i];
    }
  }
  return recordOp(out, 'resize', [x], (g) => [resampleAxisAdjoint(g, axis, inSize, map)]);
}

/** The adjoint of resampleAxis: each output row's gradient is added back into the rows it read, with their weights. */
function resampleAxisAdjoint(g: Tensor, axis: number, inSize: number, map: AxisMap): Tensor {
  const outSize = g.shape[axis];
  let outer = 1;
  for (let a = 0; a < axis; a++) outer *= g.shape[a];
  let inner = 1;
  for (let a = axis + 1; a < g.rank; a++) inner *= g.shape[a];
  const shape = [...g.shape];
  shape[axis] = inSize;
  const dx = empty(g.dtype, shape);
  const gd = g.data;
  const d = dx.data;
  const { i0, i1, w0, w1 } = map;
  for (let o = 0; o < outer; o++) {
    const src = o * outSize * inner;
    const dst = o * inSize * inner;
    for (let k = 0; k < outSize; k++) {
      const s = src + k * inner;
      const a = dst + i0[k] * inner;
      const b = dst + i1[k] * inner;
      const u = w0[k];
      const v = w1[k];
      for (let i = 0; i < inner; i++) {
        const gv = gd[s + i];
        d[a + i] += u * gv;
        d[b + i] += v * gv;
      }
    }
  }
  return recordOp(dx, 'resizeBackward', [g], (gg) => [resampleAxis(gg, axis, map)]);
}

/**
 * Nearest resampling of x [N, H, W, C] in one pass: output pixel (oh, ow) copies the C values of
 * input pixel (rows[oh], cols[ow]); an output row reading the same input row as the one before
 * (every row of a whole-factor upsampling but the first of its block) is a copy of that row.
 */
function nearest2d(x: Tensor, rows: Int32Array, cols: Int32Array): Tensor {
  const [N, H, W, C] = x.shape;
  const OH = rows.length;
  const OW = cols.length;
  const out = empty(x.dtype, [N, OH, OW, C]);
  const xd = x.data;
  const yd = out.data;
  const rowLen = OW * C;
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      const d = (n * OH + oh) * rowLen;
      if (oh > 0 && rows[oh] === rows[oh - 1]) {
        yd.copyWithin(d, d - rowLen, d);
        continue;
      }
      const src = (n * H + rows[oh]) * W * C;
      for (let ow = 0; ow < OW; ow++) {
        const s = src + cols[ow] * C;
        const o = d + ow * C;
        for (let c = 0; c < C; c++) yd[o + c] = xd[s + c];
      }
    }
  }
  return recordOp(out, 'resize', [x], (g) => [nearest2dAdjoint(g, H, W, rows, cols)]);
}

/** The adjoint of nearest2d: each input pixel gets the sum of the gradients of the output pixels that copied it. */
function nearest2dAdjoint(g: Tensor, H: number, W: number, rows: Int32Array, cols: Int32Array): Tensor {
  const [N, OH, OW, C] = g.shape;
  const dx = empty(g.dtype, [N, H, W, C]);
  const gd = g.data;
  const d = dx.data;
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      const dst = (n * H + rows[oh]) * W * C;
      const s0 = (n * OH + oh) * OW * C;
      for (let ow = 0; ow < OW; ow++) {
        const a = dst + cols[ow] * C;
        const s = s0 + ow * C;
        for (let c = 0; c < C; c++) d[a + c] += gd[s + c];
      }
    }
  }
  return recordOp(dx, 'resizeBackward', [g], (gg) => [nearest2d(gg, rows, cols)]);
}

function imageShape(fn: string, x: Tensor): void {
  if (x.rank !== 4) throw new ShapeError(`${fn}: x must be [N,H,W,C] (rank 4), got ${fmtShape(x.shape)}`);
  if (x.shape[1] === 0 || x.shape[2] === 0) throw new ShapeError(`${fn}: x ${fmtShape(x.shape)} has an empty height or width`);
}

function resize4d(x: Tensor, outH: number, outW: number, method: ResizeMethod, scaling: Scaling): Tensor {
  const [, H, W] = x.shape;
  if (H === outH && W === outW) return x;
  if (method === 'nearest') return nearest2d(x, axisMap(H, outH, method, scaling).i0, axisMap(W, outW, method, scaling).i0);
  const alongW = W === outW ? x : resampleAxis(x, 2, axisMap(W, outW, method, scaling));
  return H === outH ? alongW : resampleAxis(alongW, 1, axisMap(H, outH, method, scaling));
}

/**
 * Resizes images x [N, H, W, C] (or one image [H, W, C]) to [height, width] as
 * tf.image.resize: bilinear (default) or nearest, with half-pixel centers unless alignCorners is
 * set (TF1's options halfPixelCenters: false, alignCorners: true give its older samplings).
 */
export function resize(x: Tensor, size: readonly [number, number], options?: ResizeOptions): Tensor {
  expectFloat(x, 'resize', 'x');
  const o = checkOptions('resize', options, RESIZE_KEYS);
  if (!Array.isArray(size) || size.length !== 2) {
    throw new ValueError(`resize: size must be [height, width], got ${Array.isArray(size) ? `[${size.join(',')}]` : typeof size}`);
  }
  const outH = positiveInt('resize', 'size[0] (height)', size[0]);
  const outW = positiveInt('resize', 'size[1] (width)', size[1]);
  const method = o.method === undefined ? 'bilinear' : oneOf('resize', 'method', o.method, METHODS);
  const alignCorners = o.alignCorners === undefined ? false : booleanOption('resize', 'alignCorners', o.alignCorners);
  const halfPixel = o.halfPixelCenters === undefined ? !alignCorners : booleanOption('resize', 'halfPixelCenters', o.halfPixelCenters);
  if (alignCorners && halfPixel) throw new ValueError('resize: halfPixelCenters and alignCorners cannot both be true');
  if (x.rank !== 3 && x.rank !== 4) throw new ShapeError(`resize: x must be [N,H,W,C] (rank 4) or [H,W,C] (rank 3), got ${fmtShape(x.shape)}`);
  if (x.shape[x.rank - 3] === 0 || x.shape[x.rank - 2] === 0) throw new ShapeError(`resize: x ${fmtShape(x.shape)} has an empty height or width`);
  const x4 = x.rank === 3 ? reshape(x, [1, ...x.shape]) : x;
  const y = resize4d(x4, outH, outW, method, alignCorners ? 'alignCorners' : halfPixel ? 'halfPixel' : 'legacy');
  return x.rank === 3 ? reshape(y, y.shape.slice(1)) : y;
}

/**
 * Keras' UpSampling2D on x [N, H, W, C]: 'nearest' repeats each row sh times and each column sw
 * times; 'bilinear' resizes to [H sh, W sw] as tf.image.resize (half-pixel centers).
 */
export function upSampling2d(x: Tensor, options?: UpSampling2dOptions): Tensor {
  expectFloat(x, 'upSampling2d', 'x');
  const o = checkOptions('upSampling2d', options, UPSAMPLING_KEYS);
  let sh = 2;
  let sw = 2;
  if (o.size !== undefined) {
    if (typeof o.size === 'number') {
      sh = sw = positiveInt('upSampling2d', 'size', o.size);
    } else if (Array.isArray(o.size) && o.size.length === 2) {
      sh = positiveInt('upSampling2d', 'size[0]', o.size[0]);
      sw = positiveInt('upSampling2d', 'size[1]', o.size[1]);
    } else {
      throw new ValueError(`upSampling2d: size must be a positive integer or a pair of them, got ${showJson(o.size)}`);
    }
  }
  const interpolation = o.interpolation === undefined ? 'nearest' : oneOf('upSampling2d', 'interpolation', o.interpolation, METHODS);
  imageShape('upSampling2d', x);
  // nearest: the half-pixel rule floor((o + 1/2) / s) is o's block, so each row and column repeats s times
  return resize4d(x, x.shape[1] * sh, x.shape[2] * sw, interpolation, 'halfPixel');
}

// ---------- registry ----------

function resizeCase(rng: Random, shape: number[], size: [number, number], options: ResizeOptions): OpSample {
  return { label: `resize ${fmtShape(shape)} -> [${size}] ${showJson(options)}`, inputs: [sampleUniform(rng, shape)], fn: (x) => resize(x, size, options) };
}

registerOp({
  name: 'resize', family: 'image',
  samples: (rng) => [
    resizeCase(rng, [1, 3, 4, 2], [5, 7], { method: 'bilinear' }),
    resizeCase(rng, [2, 5, 6, 1], [3, 4], { method: 'bilinear' }),
    resizeCase(rng, [1, 3, 3, 2], [5, 4], { method: 'bilinear', alignCorners: true }),
    resizeCase(rng, [1, 4, 3, 1], [6, 5], { method: 'bilinear', halfPixelCenters: false }),
    resizeCase(rng, [1, 2, 3, 1], [1, 1], { method: 'bilinear', alignCorners: true }),
    resizeCase(rng, [1, 3, 4, 2], [5, 7], { method: 'nearest' }),
    resizeCase(rng, [1, 5, 6, 1], [2, 3], { method: 'nearest' }),
    resizeCase(rng, [1, 3, 4, 1], [5, 6], { method: 'nearest', alignCorners: true }),
    resizeCase(rng, [1, 3, 4, 1], [5, 6], { method: 'nearest', halfPixelCenters: false }),
    resizeCase(rng, [2, 2, 3, 2], [4, 9], { method: 'nearest' }),
    resizeCase(rng, [3, 4, 2], [6, 5], {}),
    resizeCase(rng, [1, 3, 4, 1], [3, 6], {}),
    resizeCase(rng, [1, 3, 4, 1], [2, 4], { method: 'bilinear', alignCorners: true }),
  ],
});
registerOp({
  name: 'internal:resizeBackward', family: 'image',
  samples: (rng) => [
    // the adjoints on their own (their backward is the forward pass again)
    ...[1, 2].map((axis): OpSample => ({
      label: `resizeBackward bilinear axis ${axis} 3 -> 5`,
      inputs: [sampleUniform(rng, axis === 1 ? [2, 5, 3, 2] : [2, 3, 5, 2])],
      fn: (g) => resampleAxisAdjoint(g, axis, 3, axisMap(3, 5, 'bilinear', 'halfPixel')),
    })),
    {
      label: 'resizeBackward nearest [1,3,4,2] -> [5,7]', inputs: [sampleUniform(rng, [1, 5, 7, 2])],
      fn: (g) => nearest2dAdjoint(g, 3, 4, axisMap(3, 5, 'nearest', 'halfPixel').i0, axisMap(4, 7, 'nearest', 'halfPixel').i0),
    },
    {
      label: 'resizeBackward nearest x2 repeat [1,2,3,1] -> [4,6]', inputs: [sampleUniform(rng, [1, 4, 6, 1])],
      fn: (g) => nearest2dAdjoint(g, 2, 3, axisMap(2, 4, 'nearest', 'halfPixel').i0, axisMap(3, 6, 'nearest', 'halfPixel').i0),
    },
  ],
});
registerOp({
  name: 'upSampling2d', family: 'image',
  samples: (rng) => [
    { label: 'upSampling2d default (2, nearest)', inputs: [sampleUniform(rng, [2, 2, 3, 2])], fn: (x) => upSampling2d(x) },
    { label: 'upSampling2d size [2,3] nearest', inputs: [sampleUniform(rng, [1, 3, 2, 1])], fn: (x) => upSampling2d(x, { size: [2, 3] }) },
    { label: 'upSampling2d size 2 bilinear', inputs: [sampleUniform(rng, [1, 3, 3, 2])], fn: (x) => upSampling2d(x, { interpolation: 'bilinear' }) },
    { label: 'upSampling2d size [3,2] bilinear', inputs: [sampleUniform(rng, [2, 2, 3, 1])], fn: (x) => upSampling2d(x, { size: [3, 2], interpolation: 'bilinear' }) },
  ],
});
