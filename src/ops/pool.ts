import type { Pool2dGeometry } from '../backend/backend.js';
import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { checkOptions, optionKeys, showJson } from '../core/validate.js';
import type { Random } from '../tensor/random.js';
import { Tensor, recordOp } from '../tensor/tensor.js';
import { pair } from './conv.js';
import { max, mean } from './reduce.js';
import { registerOp, type OpSample } from './registry.js';
import { reshape, takeFlat } from './shape.js';
import { empty, expectFloat, fd, kernelOutput, kernels, sampleDistinct, sampleUniform } from './util.js';

/** Options of `maxPool2d` and `avgPool2d`. */
export interface Pool2dOptions {
  /** Window size: a number or [h, w] (default 2). */
  size?: number | readonly [number, number];
  /** Step between windows (default: the window size). */
  stride?: number | readonly [number, number];
  /** 'valid' (default) or 'same' (output = ceil(input / stride); padded cells are ignored). */
  padding?: 'valid' | 'same';
}

/** Options of `maxPool1d` and `avgPool1d`. */
export interface Pool1dOptions {
  /** Window length (default 2). */
  size?: number;
  /** Step between windows (default: the window size). */
  stride?: number;
  /** 'valid' (default) or 'same' (output = ceil(input / stride); padded cells are ignored). */
  padding?: 'valid' | 'same';
}

const POOL2D_KEYS = optionKeys<Pool2dOptions>({ size: true, stride: true, padding: true });
const POOL1D_KEYS = optionKeys<Pool1dOptions>({ size: true, stride: true, padding: true });

function poolGeometry(fn: string, x: Tensor, options: Pool2dOptions): Pool2dGeometry {
  if (x.rank !== 4) throw new ShapeError(`${fn}: input must be [N,H,W,C] (rank 4), got ${fmtShape(x.shape)}`);
  const [N, H, W, C] = x.shape;
  const [kH, kW] = pair(fn, 'size', options.size, 2);
  const [sH, sW] = pair(fn, 'stride', options.stride ?? [kH, kW], 1);
  const padding = options.padding ?? 'valid';
  if (padding !== 'valid' && padding !== 'same') {
    throw new ValueError(`${fn}: padding must be 'valid' or 'same', got ${showJson(padding)}`);
  }
  let outH: number, outW: number, padTop = 0, padLeft = 0;
  if (padding === 'same') {
    outH = Math.ceil(H / sH);
    outW = Math.ceil(W / sW);
    padTop = Math.floor(Math.max((outH - 1) * sH + kH - H, 0) / 2);
    padLeft = Math.floor(Math.max((outW - 1) * sW + kW - W, 0) / 2);
  } else {
    if (kH > H || kW > W) {
      throw new ShapeError(`${fn}: window ${kH}x${kW} is larger than the input ${H}x${W} (input ${fmtShape(x.shape)}, padding 'valid')`);
    }
    outH = Math.floor((H - kH) / sH) + 1;
    outW = Math.floor((W - kW) / sW) + 1;
  }
  return { batch: N, inH: H, inW: W, channels: C, outH, outW, kH, kW, strideH: sH, strideW: sW, padTop, padLeft };
}

/** Max over each window; the gradient goes to the arg-max only. */
export function maxPool2d(x: Tensor, options?: Pool2dOptions): Tensor {
  const o = checkOptions('maxPool2d', options, POOL2D_KEYS);
  expectFloat(x, 'maxPool2d', 'x');
  const g = poolGeometry('maxPool2d', x, o);
  const shape = [g.batch, g.outH, g.outW, g.channels];
  const values = kernelOutput(x.dtype, shape);
  const argmax = new Int32Array(values.size);
  kernels().maxPool2d(fd(x), fd(values), argmax, g);
  // A pick by the arg-max indices: the backward is a scatter and the double backward a pick again.
  return recordOp(values, 'maxPool2d', [x], (dy) => [maxPool2dBackward(dy, argmax, g)]);
}

/** dy scattered (added) to the arg-max cells of a zero input-shaped tensor. */
function maxPool2dBackward(dy: Tensor, argmax: Int32Array, g: Pool2dGeometry): Tensor {
  const dx = kernelOutput(dy.dtype, [g.batch, g.inH, g.inW, g.channels]);
  kernels().maxPool2dBackward(fd(dy), argmax, fd(dx), g);
  return recordOp(dx, 'maxPool2dBackward', [dy], (g) => [takeFlat(g, argmax, dy.shape)]);
}

function avgPoolGeom(x: Tensor, g: Pool2dGeometry): Tensor {
  const y = kernelOutput(x.dtype, [g.batch, g.outH, g.outW, g.channels]);
  kernels().avgPool2d(fd(x), fd(y), g);
  return recordOp(y, 'avgPool2d', [x], (dy) => [avgPool2dBackward(dy, g)]);
}

function avgPool2dBackward(dy: Tensor, g: Pool2dGeometry): Tensor {
  const dx = kernelOutput(dy.dtype, [g.batch, g.inH, g.inW, g.channels]);
  kernels().avgPool2dBackward(fd(dy), fd(dx), g);
  return recordOp(dx, 'avgPool2dBackward', [dy], (gx) => [avgPoolGeom(gx, g)]);
}

/** Mean over each window's real cells; each of d inputs gets 1/d of the gradient. */
export function avgPool2d(x: Tensor, options?: Pool2dOptions): Tensor {
  const o = checkOptions('avgPool2d', options, POOL2D_KEYS);
  expectFloat(x, 'avgPool2d', 'x');
  return avgPoolGeom(x, poolGeometry('avgPool2d', x, o));
}

function pool1d(fn: string, x: Tensor, opts: Pool1dOptions | undefined, pool2d: (x: Tensor, o: Pool2dOptions) => Tensor): Tensor {
  const options = checkOptions(fn, opts, POOL1D_KEYS);
  expectFloat(x, fn, 'x');
  if (x.rank !== 3) throw new ShapeError(`${fn}: input must be [N,L,C] (rank 3), got ${fmtShape(x.shape)}`);
  for (const k of ['size', 'stride'] as const) {
    if (options[k] !== undefined && typeof options[k] !== 'number') throw new ValueError(`${fn}: ${k} must be a number, got ${showJson(options[k])}`);
  }
  const [N, L, C] = x.shape;
  const size = options.size ?? 2;
  const y = pool2d(reshape(x, [N, 1, L, C]), { size: [1, size], stride: [1, options.stride ?? size], padding: options.padding });
  return reshape(y, [N, y.shape[2], C]);
}

export function maxPool1d(x: Tensor, options?: Pool1dOptions): Tensor {
  return pool1d('maxPool1d', x, options, maxPool2d);
}

export function avgPool1d(x: Tensor, options?: Pool1dOptions): Tensor {
  return pool1d('avgPool1d', x, options, avgPool2d);
}

/** Mean over H and W: [N,H,W,C] -> [N,C]. */
export function globalAvgPool2d(x: Tensor): Tensor {
  expectFloat(x, 'globalAvgPool2d', 'x');
  if (x.rank !== 4) throw new ShapeError(`globalAvgPool2d: input must be [N,H,W,C] (rank 4), got ${fmtShape(x.shape)}`);
  return mean(x, [1, 2]);
}

/** Max over H and W: [N,H,W,C] -> [N,C]. */
export function globalMaxPool2d(x: Tensor): Tensor {
  expectFloat(x, 'globalMaxPool2d', 'x');
  if (x.rank !== 4) throw new ShapeError(`globalMaxPool2d: input must be [N,H,W,C] (rank 4), got ${fmtShape(x.shape)}`);
  return max(x, [1, 2]);
}

// ---------- registry ----------

const pool2dCases: { x: number[]; o: Pool2dOptions }[] = [
  { x: [1, 4, 4, 1], o: {} },
  { x: [2, 5, 5, 2], o: { size: 2, padding: 'same' } },
  { x: [1, 5, 6, 2], o: { size: 3, stride: 1 } },
  { x: [2, 7, 5, 1], o: { size: [3, 2], stride: [2, 1], padding: 'same' } },
  { x: [1, 6, 6, 3], o: { size: 3, stride: 2, padding: 'valid' } },
];

function pool2dSamples(name: string, f: (x: Tensor, o: Pool2dOptions) => Tensor) {
  return (rng: Random): OpSample[] => pool2dCases.map((c) => ({
    label: `${name} x${fmtShape(c.x)} ${showJson(c.o)}`,
    inputs: [sampleDistinct(rng, c.x)],
    fn: (x) => f(x, c.o),
  }));
}

registerOp({ name: 'maxPool2d', family: 'pool', samples: pool2dSamples('maxPool2d', maxPool2d) });
registerOp({ name: 'avgPool2d', family: 'pool', samples: pool2dSamples('avgPool2d', avgPool2d) });
registerOp({
  name: 'internal:avgPool2dBackward', family: 'pool',
  samples: (rng) => pool2dCases.slice(0, 3).map((c) => {
    const g = poolGeometry('avgPool2d', empty('float64', c.x), c.o);
    return { label: `avgPool2dBackward ${showJson(c.o)}`, inputs: [sampleUniform(rng, [g.batch, g.outH, g.outW, g.channels])], fn: (dy) => avgPool2dBackward(dy, g) };
  }),
});
registerOp({
  name: 'internal:maxPool2dBackward', family: 'pool',
  samples: (rng) => pool2dCases.slice(1, 4).map((c) => {
    const x = sampleDistinct(rng, c.x);
    const g = poolGeometry('maxPool2d', x, c.o);
    const argmax = new Int32Array(g.batch * g.outH * g.outW * g.channels);
    kernels().maxPool2d(fd(x), new Float64Array(argmax.length), argmax, g);
    return { label: `maxPool2dBackward ${showJson(c.o)}`, inputs: [sampleUniform(rng, [g.batch, g.outH, g.outW, g.channels])], fn: (dy) => maxPool2dBackward(dy, argmax, g) };
  }),
});
const pool1dCases: { x: number[]; o: Pool1dOptions }[] = [
  { x: [1, 6, 1], o: {} }, { x: [2, 7, 2], o: { size: 3, stride: 2, padding: 'same' } }, { x: [1, 8, 2], o: { size: 3, stride: 1 } },
];
for (const [name, f] of [['maxPool1d', maxPool1d], ['avgPool1d', avgPool1d]] as const) {
  registerOp({
    name, family: 'pool',
    samples: (rng) => pool1dCases.map((c) => ({ label: `${name} x${fmtShape(c.x)} ${showJson(c.o)}`, inputs: [sampleDistinct(rng, c.x)], fn: (x) => f(x, c.o) })),
  });
}
registerOp({ name: 'globalAvgPool2d', family: 'pool', samples: (rng) => [{ label: 'globalAvgPool2d', inputs: [sampleUniform(rng, [2, 3, 4, 2])], fn: globalAvgPool2d }] });
registerOp({ name: 'globalMaxPool2d', family: 'pool', samples: (rng) => [{ label: 'globalMaxPool2d', inputs: [sampleDistinct(rng, [2, 3, 4, 2])], fn: globalMaxPool2d }] });
