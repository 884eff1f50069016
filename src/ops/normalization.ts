// Layer normalisation as keras.layers.LayerNormalization: each group of values along the given
// axes is centred by its mean and divided by sqrt(variance + epsilon) (the biased variance), then
// scaled by gamma and shifted by beta, both shaped as the normalised axes. Batch normalisation
// in training mode, as keras.layers.BatchNormalization: the same per channel (the last axis) over
// every other axis, by backend kernels, since a CNN runs it on whole activations every step.
import { DTypeError, ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { checkOptions, finiteNumber, numberInRange, optionKeys } from '../core/validate.js';
import type { Random } from '../tensor/random.js';
import { normAxes, shapesEqual, sizeOf } from '../tensor/shape.js';
import { Tensor, isGradEnabled, recordOp } from '../tensor/tensor.js';
import { add, div, mul, sqrt, square, sub } from './elementwise.js';
import { mean, sum } from './reduce.js';
import { registerOp, type OpSample } from './registry.js';
import { reshape, transpose } from './shape.js';
import { empty, expectFloat, fd, kernelOutput, kernels, sampleUniform } from './util.js';

/** Options of `layerNorm(x, options)`. */
export interface LayerNormOptions {
  /** The axis or axes normalised over (default -1, the features). */
  axis?: number | readonly number[];
  /** Added to the variance before the square root (default 1e-3, as Keras). */
  epsilon?: number;
  /** Scale, shaped as the normalised axes (in increasing axis order). Default: none (no scaling). */
  gamma?: Tensor | null;
  /** Offset, shaped as gamma. Default: none (no offset). */
  beta?: Tensor | null;
}

const LAYER_NORM_KEYS = optionKeys<LayerNormOptions>({ axis: true, epsilon: true, gamma: true, beta: true });

function parameter(x: Tensor, name: 'gamma' | 'beta', v: unknown, shape: readonly number[], axes: readonly number[]): Tensor | null {
  if (v === undefined || v === null) return null;
  const t = expectFloat(v, 'layerNorm', name);
  if (!shapesEqual(t.shape, shape)) {
    throw new ShapeError(`layerNorm: ${name} ${fmtShape(t.shape)} must have shape ${fmtShape(shape)} (axes [${axes.join(',')}] of x ${fmtShape(x.shape)})`);
  }
  if (t.dtype !== x.dtype) throw new DTypeError(`layerNorm: ${name} is ${t.dtype} but x is ${x.dtype}`);
  return t;
}

/**
 * Normalises x over `axis` (default the last): (x - mean) / sqrt(variance + epsilon) * gamma + beta,
 * as keras.layers.LayerNormalization. gamma and beta (optional; they get gradients) have the
 * shape of the normalised axes, e.g. [C] for axis -1 or [H, W] for axis [1, 2] of [N, H, W, C].
 */
export function layerNorm(x: Tensor, options?: LayerNormOptions): Tensor {
  expectFloat(x, 'layerNorm', 'x');
  const o = checkOptions('layerNorm', options, LAYER_NORM_KEYS);
  if (x.rank === 0) throw new ShapeError('layerNorm: x must have at least one axis, got a scalar');
  if (o.axis !== undefined && typeof o.axis !== 'number' && !Array.isArray(o.axis)) {
    throw new ValueError(`layerNorm: axis must be an integer or an array of them, got ${typeof o.axis}`);
  }
  const axes = normAxes('layerNorm', o.axis ?? -1, x.rank);
  if (axes.length === 0) throw new ValueError('layerNorm: axis must name at least one axis, got []');
  const epsilon = o.epsilon === undefined ? 1e-3 : finiteNumber('layerNorm', 'epsilon', o.epsilon);
  if (epsilon < 0) throw new ValueError(`layerNorm: epsilon must not be negative, got ${epsilon}`);
  const pshape = axes.map((a) => x.shape[a]);
  const gamma = parameter(x, 'gamma', o.gamma, pshape, axes);
  const beta = parameter(x, 'beta', o.beta, pshape, axes);
  for (const a of axes) {
    if (x.shape[a] === 0) throw new ShapeError(`layerNorm: axis ${a} of x ${fmtShape(x.shape)} is empty`);
  }
  const first = axes[0];
  const last = axes[axes.length - 1];
  if (last - first + 1 === axes.length) {
    // One run of adjacent axes: x viewed as [outer, n, inner], groups along the middle.
    const outer = sizeOf(x.shape.slice(0, first));
    const inner = sizeOf(x.shape.slice(last + 1));
    return normalize(x, outer, sizeOf(pshape), inner, gamma, beta, epsilon);
  }
  // Scattered axes: move them to the end (in order, so gamma's layout still fits), and back.
  const rest = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...rest, ...axes];
  const inverse = new Array<number>(perm.length);
  perm.forEach((a, i) => { inverse[a] = i; });
  const xt = transpose(x, perm);
  return transpose(normalize(xt, sizeOf(rest.map((a) => x.shape[a])), sizeOf(pshape), 1, gamma, beta, epsilon), inverse);
}

/** The layer-norm op on x viewed as [outer, n, inner], normalising each (outer, inner) group of n values. */
function normalize(x: Tensor, outer: number, n: number, inner: number, gamma: Tensor | null, beta: Tensor | null, epsilon: number): Tensor {
  const xd = x.data;
  const out = empty(x.dtype, x.shape);
  const yd = out.data;
  const gd = gamma?.data ?? null;
  const bd = beta?.data ?? null;
  const means = new Float64Array(outer * inner);
  const rstds = new Float64Array(outer * inner);
  if (inner === 1) {
    // Groups are contiguous rows (the usual axis -1): scalar accumulators.
    for (let o = 0; o < outer; o++) {
      const base = o * n;
      let s = 0;
      for (let j = 0; j < n; j++) s += xd[base + j];
      const mu = s / n;
      let ss = 0;
      for (let j = 0; j < n; j++) { const d = xd[base + j] - mu; ss += d * d; }
      const rs = 1 / Math.sqrt(ss / n + epsilon);
      means[o] = mu;
      rstds[o] = rs;
      if (gd && bd) for (let j = 0; j < n; j++) yd[base + j] = (xd[base + j] - mu) * rs * gd[j] + bd[j];
      else if (gd) for (let j = 0; j < n; j++) yd[base + j] = (xd[base + j] - mu) * rs * gd[j];
      else if (bd) for (let j = 0; j < n; j++) yd[base + j] = (xd[base + j] - mu) * rs + bd[j];
      else for (let j = 0; j < n; j++) yd[base + j] = (xd[base + j] - mu) * rs;
    }
  } else {
    const acc = new Float64Array(inner);
    for (let o = 0; o < outer; o++) {
      const base = o * n * inner;
      const mo = o * inner;
      for (let j = 0; j < n; j++) {
        const row = base + j * inner;
        for (let i = 0; i < inner; i++) means[mo + i] += xd[row + i];
      }
      for (let i = 0; i < inner; i++) means[mo + i] /= n;
      acc.fill(0);
      for (let j = 0; j < n; j++) {
        const row = base + j * inner;
        for (let i = 0; i < inner; i++) { const d = xd[row + i] - means[mo + i]; acc[i] += d * d; }
      }
      for (let i = 0; i < inner; i++) rstds[mo + i] = 1 / Math.sqrt(acc[i] / n + epsilon);
      for (let j = 0; j < n; j++) {
        const row = base + j * inner;
        const g = gd ? gd[j] : 1;
        const b = bd ? bd[j] : 0;
        for (let i = 0; i < inner; i++) yd[row + i] = (xd[row + i] - means[mo + i]) * rstds[mo + i] * g + b;
      }
    }
  }
  const inputs = [x, ...(gamma ? [gamma] : []), ...(beta ? [beta] : [])];
  return recordOp(out, 'layerNorm', inputs, (dy) => {
    const [dx, dgamma, dbeta] = isGradEnabled()
      ? normalizeBackwardOps(dy, x, outer, n, inner, gamma, beta, epsilon)
      : normalizeBackwardLoop(dy, x, outer, n, inner, gamma, beta, means, rstds);
    return [x.requiresGrad ? dx : null, ...(gamma ? [dgamma] : []), ...(beta ? [dbeta] : [])];
  });
}

/**
 * dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)) per group with dxhat = dy gamma;
 * dgamma = sum of dy xhat and dbeta = sum of dy over the groups. One pass over the saved statistics.
 */
function normalizeBackwardLoop(dy: Tensor, x: Tensor, outer: number, n: number, inner: number, gamma: Tensor | null,
  beta: Tensor | null, means: Float64Array, rstds: Float64Array): [Tensor, Tensor | null, Tensor | null] {
  const xd = x.data;
  const dyd = dy.data;
  const gd = gamma?.data ?? null;
  const dx = empty(dy.dtype, x.shape);
  const dxd = dx.data;
  const dgamma = gamma && gamma.requiresGrad ? new Float64Array(n) : null;
  const dbeta = beta && beta.requiresGrad ? new Float64Array(n) : null;
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const base = o * n;
      const mu = means[o];
      const rs = rstds[o];
      let s1 = 0;
      let s2 = 0;
      for (let j = 0; j < n; j++) {
        const d = dyd[base + j];
        const xhat = (xd[base + j] - mu) * rs;
        const dxhat = gd ? d * gd[j] : d;
        s1 += dxhat;
        s2 += dxhat * xhat;
        if (dgamma) dgamma[j] += d * xhat;
        if (dbeta) dbeta[j] += d;
      }
      s1 /= n;
      s2 /= n;
      for (let j = 0; j < n; j++) {
        const xhat = (xd[base + j] - mu) * rs;
        dxd[base + j] = rs * ((gd ? dyd[base + j] * gd[j] : dyd[base + j]) - s1 - xhat * s2);
      }
    }
  } else {
    const s1 = new Float64Array(inner);
    const s2 = new Float64Array(inner);
    for (let o = 0; o < outer; o++) {
      const base = o * n * inner;
      const mo = o * inner;
      s1.fill(0);
      s2.fill(0);
      for (let j = 0; j < n; j++) {
        const row = base + j * inner;
        const g = gd ? gd[j] : 1;
        let dgj = 0;
        let dbj = 0;
        for (let i = 0; i < inner; i++) {
          const d = dyd[row + i];
          const xhat = (xd[row + i] - means[mo + i]) * rstds[mo + i];
          const dxhat = d * g;
          s1[i] += dxhat;
          s2[i] += dxhat * xhat;
          dgj += d * xhat;
          dbj += d;
        }
        if (dgamma) dgamma[j] += dgj;
        if (dbeta) dbeta[j] += dbj;
      }
      for (let i = 0; i < inner; i++) { s1[i] /= n; s2[i] /= n; }
      for (let j = 0; j < n; j++) {
        const row = base + j * inner;
        const g = gd ? gd[j] : 1;
        for (let i = 0; i < inner; i++) {
          const xhat = (xd[row + i] - means[mo + i]) * rstds[mo + i];
          dxd[row + i] = rstds[mo + i] * (dyd[row + i] * g - s1[i] - xhat * s2[i]);
        }
      }
    }
  }
  const asTensor = (v: Float64Array | null, like: Tensor | null): Tensor | null => {
    if (!v || !like) return null;
    const t = empty(like.dtype, like.shape);
    t.data.set(v);
    return t;
  };
  return [dx, asTensor(dgamma, gamma), asTensor(dbeta, beta)];
}

/** The same gradients from differentiable ops, for createGraph (gradients of gradients). */
function normalizeBackwardOps(dy: Tensor, x: Tensor, outer: number, n: number, inner: number, gamma: Tensor | null,
  beta: Tensor | null, epsilon: number): [Tensor, Tensor | null, Tensor | null] {
  const x3 = reshape(x, [outer, n, inner]);
  const g3 = reshape(dy, [outer, n, inner]);
  const centered = sub(x3, mean(x3, 1, true));
  const rstd = div(1, sqrt(add(mean(square(centered), 1, true), epsilon)));
  const xhat = mul(centered, rstd);
  const dxhat = gamma ? mul(g3, reshape(gamma, [1, n, 1])) : g3;
  const dx = mul(rstd, sub(sub(dxhat, mean(dxhat, 1, true)), mul(xhat, mean(mul(dxhat, xhat), 1, true))));
  const dgamma = gamma && gamma.requiresGrad ? reshape(sum(mul(g3, xhat), [0, 2]), gamma.shape) : null;
  const dbeta = beta && beta.requiresGrad ? reshape(sum(g3, [0, 2]), beta.shape) : null;
  return [reshape(dx, x.shape), dgamma, dbeta];
}

/** Options of `batchNorm(x, options)`. */
export interface BatchNormOptions {
  /** Added to the variance before the square root (default 1e-3, as Keras). */
  epsilon?: number;
  /** Scale per channel, shape [C]; it gets a gradient. Default: none (no scaling). */
  gamma?: Tensor | null;
  /** Offset per channel, shape [C]; it gets a gradient. Default: none (no offset). */
  beta?: Tensor | null;
  /**
   * Moving mean, shape [C], updated in place as Keras does: moving = moving * momentum +
   * batch mean * (1 - momentum). Default: none (nothing updated).
   */
  movingMean?: Tensor | null;
  /** Moving variance, shape [C], updated the same way with the batch's biased variance. Default: none. */
  movingVariance?: Tensor | null;
  /** Weight of the old moving statistics (default 0.99, as Keras). */
  momentum?: number;
}

const BATCH_NORM_KEYS = optionKeys<BatchNormOptions>({ epsilon: true, gamma: true, beta: true, movingMean: true, movingVariance: true, momentum: true });

function channelParameter(x: Tensor, name: keyof BatchNormOptions, v: unknown): Tensor | null {
  if (v === undefined || v === null) return null;
  const t = expectFloat(v, 'batchNorm', name);
  const c = x.shape[x.rank - 1];
  if (t.rank !== 1 || t.shape[0] !== c) {
    throw new ShapeError(`batchNorm: ${name} ${fmtShape(t.shape)} must have shape [${c}] (the channels of x ${fmtShape(x.shape)})`);
  }
  if (t.dtype !== x.dtype) throw new DTypeError(`batchNorm: ${name} is ${t.dtype} but x is ${x.dtype}`);
  return t;
}

/**
 * Training-mode batch normalisation over the last axis (channels) of x: each channel is centred
 * by its mean over every other axis (batch and positions) and divided by sqrt(variance +
 * epsilon), the biased variance, then scaled by gamma and shifted by beta, as
 * keras.layers.BatchNormalization with training true. The gradient flows through the batch
 * statistics too. movingMean and movingVariance, when given, are updated in place (no gradient).
 */
export function batchNorm(x: Tensor, options?: BatchNormOptions): Tensor {
  expectFloat(x, 'batchNorm', 'x');
  const o = checkOptions('batchNorm', options, BATCH_NORM_KEYS);
  if (x.rank < 2) throw new ShapeError(`batchNorm: x must be [batch, ..., channels] (rank 2 or more), got ${fmtShape(x.shape)}`);
  const epsilon = o.epsilon === undefined ? 1e-3 : finiteNumber('batchNorm', 'epsilon', o.epsilon);
  if (epsilon < 0) throw new ValueError(`batchNorm: epsilon must not be negative, got ${epsilon}`);
  const momentum = o.momentum === undefined ? 0.99 : numberInRange('batchNorm', 'momentum', o.momentum, 0, 1);
  const gamma = channelParameter(x, 'gamma', o.gamma);
  const beta = channelParameter(x, 'beta', o.beta);
  const movingMean = channelParameter(x, 'movingMean', o.movingMean);
  const movingVariance = channelParameter(x, 'movingVariance', o.movingVariance);
  if (x.size === 0) throw new ShapeError(`batchNorm: x ${fmtShape(x.shape)} is empty: a batch needs at least one value per channel`);
  const C = x.shape[x.rank - 1];
  const rows = x.size / C;
  const be = kernels();
  const mean = fd(empty(x.dtype, [C]));
  const variance = fd(empty(x.dtype, [C]));
  be.channelMoments(fd(x), rows, C, mean, variance);
  const invStd = fd(empty(x.dtype, [C]));
  const scale = fd(empty(x.dtype, [C]));
  const shift = fd(empty(x.dtype, [C]));
  const gd = gamma?.data ?? null;
  const bd = beta?.data ?? null;
  for (let c = 0; c < C; c++) {
    invStd[c] = 1 / Math.sqrt(variance[c] + epsilon);
    scale[c] = (gd ? gd[c] : 1) * invStd[c];
    shift[c] = (bd ? bd[c] : 0) - mean[c] * scale[c];
  }
  if (movingMean) {
    const d = movingMean.data;
    for (let c = 0; c < C; c++) d[c] = d[c] * momentum + mean[c] * (1 - momentum);
  }
  if (movingVariance) {
    const d = movingVariance.data;
    for (let c = 0; c < C; c++) d[c] = d[c] * momentum + variance[c] * (1 - momentum);
  }
  const out = kernelOutput(x.dtype, x.shape);
  be.channelAffine(fd(x), rows, C, scale, shift, fd(out));
  const inputs = [x, ...(gamma ? [gamma] : []), ...(beta ? [beta] : [])];
  return recordOp(out, 'batchNorm', inputs, (dy) => {
    let dx: Tensor | null, dgamma: Tensor | null, dbeta: Tensor | null;
    if (isGradEnabled()) {
      [dx, dgamma, dbeta] = batchNormBackwardOps(dy, x, rows, C, gamma, epsilon);
    } else {
      dx = x.requiresGrad ? kernelOutput(x.dtype, x.shape) : null;
      dgamma = empty(x.dtype, [C]);
      dbeta = empty(x.dtype, [C]);
      kernels().batchNormBackward(fd(dy), fd(x), rows, C, mean, invStd, scale, dx ? fd(dx) : null, fd(dgamma), fd(dbeta));
    }
    return [x.requiresGrad ? dx : null, ...(gamma ? [gamma.requiresGrad ? dgamma : null] : []), ...(beta ? [beta.requiresGrad ? dbeta : null] : [])];
  });
}

/** batchNorm's gradients from differentiable ops, for createGraph (gradients of gradients). */
function batchNormBackwardOps(dy: Tensor, x: Tensor, rows: number, C: number, gamma: Tensor | null,
  epsilon: number): [Tensor, Tensor, Tensor] {
  const x2 = reshape(x, [rows, C]);
  const g2 = reshape(dy, [rows, C]);
  const centered = sub(x2, mean(x2, 0, true));
  const rstd = div(1, sqrt(add(mean(square(centered), 0, true), epsilon)));
  const xhat = mul(centered, rstd);
  const dxhat = gamma ? mul(g2, gamma) : g2;
  const dx = mul(rstd, sub(sub(dxhat, mean(dxhat, 0, true)), mul(xhat, mean(mul(dxhat, xhat), 0, true))));
  return [reshape(dx, x.shape), sum(mul(g2, xhat), 0), sum(g2, 0)];
}

// ---------- registry ----------

registerOp({
  name: 'batchNorm', family: 'normalization',
  samples: (rng: Random): OpSample[] => [
    { label: 'batchNorm [6,3]', inputs: [sampleUniform(rng, [6, 3], -2, 2)], fn: (x) => batchNorm(x) },
    {
      label: 'batchNorm [2,3,2,4] gamma and beta', inputs: [sampleUniform(rng, [2, 3, 2, 4], -2, 2), sampleUniform(rng, [4], 0.5, 1.5), sampleUniform(rng, [4])],
      fn: (x, g, b) => batchNorm(x, { gamma: g, beta: b }),
    },
    {
      label: 'batchNorm [3,5,2] gamma only, epsilon 0.1, offset from zero', inputs: [sampleUniform(rng, [3, 5, 2], 3, 5), sampleUniform(rng, [2], 0.5, 1.5)],
      fn: (x, g) => batchNorm(x, { gamma: g, epsilon: 0.1 }),
    },
    {
      label: 'batchNorm [4,2,3] beta only', inputs: [sampleUniform(rng, [4, 2, 3], -2, 2), sampleUniform(rng, [3])],
      fn: (x, b) => batchNorm(x, { beta: b }),
    },
  ],
});

registerOp({
  name: 'layerNorm', family: 'normalization',
  samples: (rng: Random): OpSample[] => [
    { label: 'layerNorm [3,5] axis -1', inputs: [sampleUniform(rng, [3, 5], -2, 2)], fn: (x) => layerNorm(x) },
    {
      label: 'layerNorm [2,3,4] axis -1, gamma and beta', inputs: [sampleUniform(rng, [2, 3, 4], -2, 2), sampleUniform(rng, [4], 0.5, 1.5), sampleUniform(rng, [4])],
      fn: (x, g, b) => layerNorm(x, { gamma: g, beta: b }),
    },
    {
      label: 'layerNorm [2,3,4,2] axis [1,2], gamma and beta', inputs: [sampleUniform(rng, [2, 3, 4, 2], -2, 2), sampleUniform(rng, [3, 4], 0.5, 1.5), sampleUniform(rng, [3, 4])],
      fn: (x, g, b) => layerNorm(x, { axis: [1, 2], gamma: g, beta: b }),
    },
    {
      label: 'layerNorm [2,3,4] axis [0,2] (not adjacent), gamma, epsilon 0.1', inputs: [sampleUniform(rng, [2, 3, 4], -2, 2), sampleUniform(rng, [2, 4], 0.5, 1.5)],
      fn: (x, g) => layerNorm(x, { axis: [0, 2], gamma: g, epsilon: 0.1 }),
    },
    {
      label: 'layerNorm [4,3] axis 0, beta only', inputs: [sampleUniform(rng, [4, 3], -2, 2), sampleUniform(rng, [4])],
      fn: (x, b) => layerNorm(x, { axis: 0, beta: b }),
    },
    {
      label: 'layerNorm [2,6] axis [-1] epsilon 1e-5, gamma only', inputs: [sampleUniform(rng, [2, 6], -2, 2), sampleUniform(rng, [6], 0.5, 1.5)],
      fn: (x, g) => layerNorm(x, { axis: [-1], epsilon: 1e-5, gamma: g }),
    },
  ],
});
