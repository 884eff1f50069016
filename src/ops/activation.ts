import type { FloatArray, FusedActivation } from '../backend/backend.js';
import { ValueError } from '../core/errors.js';
import { booleanOption, checkOptions, finiteNumber, optionKeys } from '../core/validate.js';
import type { Random } from '../tensor/random.js';
import { normAxis } from '../tensor/shape.js';
import { Tensor, isGradEnabled, recordOp, type ReluOptions } from '../tensor/tensor.js';
import { add, binaryKernel, div, exp, gt, minimum, mul, square, sub, unaryKernel, where } from './elementwise.js';
import { logSumExp, max, sum } from './reduce.js';
import { registerOp, type OpSample } from './registry.js';
import { normalCdf as normalCdfScalar } from './special.js';
import { empty, expectFloat, fd, sampleAwayFromZero, sampleUniform } from './util.js';

export type { ReluOptions };

/** Hard threshold: 1 where x >= 0, else 0. Its gradient is zero everywhere it exists. */
export function step(x: Tensor): Tensor {
  expectFloat(x, 'step', 'x');
  const out = unaryKernel('step', x);
  return recordOp(out, 'step', [x], (g) => [mul(g, 0)]);
}

/** 1 / (1 + e^-x), computed without overflow; derivative u (1 - u). */
export function sigmoid(x: Tensor): Tensor {
  expectFloat(x, 'sigmoid', 'x');
  const out = unaryKernel('sigmoid', x);
  return recordOp(out, 'sigmoid', [x], (g) => [mul(g, mul(out, sub(1, out)))]);
}

/** Hyperbolic tangent; derivative 1 - tanh^2. */
export function tanh(x: Tensor): Tensor {
  expectFloat(x, 'tanh', 'x');
  const out = unaryKernel('tanh', x);
  return recordOp(out, 'tanh', [x], (g) => [mul(g, sub(1, mul(out, out)))]);
}


const RELU_KEYS = optionKeys<ReluOptions>({ maxValue: true, negativeSlope: true, threshold: true });

function nonNegativeOption(fn: string, name: string, v: unknown): number {
  const n = finiteNumber(fn, name, v);
  if (n < 0) throw new ValueError(`${fn}: ${name} must not be negative, got ${n}`);
  return n;
}

/**
 * max(x, 0), derivative 1 for x > 0, else 0; with options Keras' ReLU: maxValue for
 * x >= maxValue, x for threshold <= x < maxValue, negativeSlope * (x - threshold) below. All
 * options must be >= 0 (as Keras' ReLU layer requires). Without options (or with the defaults)
 * it is one relu kernel.
 */
export function relu(x: Tensor, options?: ReluOptions): Tensor {
  expectFloat(x, 'relu', 'x');
  if (options !== undefined) {
    const o = checkOptions('relu', options, RELU_KEYS);
    const maxValue = o.maxValue === undefined || o.maxValue === null ? Infinity : nonNegativeOption('relu', 'maxValue', o.maxValue);
    const slope = o.negativeSlope === undefined ? 0 : nonNegativeOption('relu', 'negativeSlope', o.negativeSlope);
    const threshold = o.threshold === undefined ? 0 : nonNegativeOption('relu', 'threshold', o.threshold);
    if (maxValue !== Infinity || slope !== 0 || threshold !== 0) return clippedRelu('clippedRelu', x, maxValue, slope, threshold);
  }
  const out = unaryKernel('relu', x);
  return recordOp(out, 'relu', [x], (g) => [reluBackward(g, x)]);
}

/**
 * The piecewise-linear relu of Keras' options, one loop; its derivative is a constant mask. At the
 * kinks it takes TensorFlow's one-sided values: slope at the threshold (0 for relu and relu6 at
 * 0, as relu's mask x > 0), 0 at maxValue.
 */
function clippedRelu(name: string, x: Tensor, maxValue: number, slope: number, threshold: number): Tensor {
  const out = empty(x.dtype, x.shape);
  const xd = x.data;
  const od = out.data;
  for (let i = 0; i < xd.length; i++) {
    const v = xd[i];
    od[i] = v >= maxValue ? maxValue : v >= threshold ? v : slope * (v - threshold);
  }
  return recordOp(out, name, [x], (g) => [scaleBySlope(g, x, (xs, s) => {
    for (let i = 0; i < xs.length; i++) {
      const v = xs[i];
      s[i] = v >= maxValue ? 0 : v > threshold ? 1 : slope;
    }
  })]);
}

/**
 * g times the slopes of a piecewise-linear function of x (written into `s` by `slopes`): a
 * constant of x, so mul(g, slopes) is exact at every order; one loop when no graph is recorded.
 */
function scaleBySlope(g: Tensor, x: Tensor, slopes: (x: FloatArray, s: FloatArray) => void): Tensor {
  const s = empty(g.dtype, x.shape);
  slopes(fd(x), fd(s));
  if (isGradEnabled()) return mul(g, s);
  const gd = g.data;
  const sd = s.data;
  for (let i = 0; i < sd.length; i++) sd[i] *= gd[i];
  return s;
}

/**
 * An elementwise op computed by one loop, whose backward is g * f'(x): one loop (`backwardLoop`
 * writes g f'(x) into dx) when no graph is recorded; with one (createGraph), `derivative` builds
 * f'(x) from differentiable ops, so gradients of gradients are right.
 */
function elementwiseOp(name: string, x: Tensor, forward: (x: FloatArray, out: FloatArray) => void,
  backwardLoop: (g: FloatArray, x: FloatArray, dx: FloatArray) => void, derivative: (x: Tensor) => Tensor): Tensor {
  const out = empty(x.dtype, x.shape);
  forward(fd(x), fd(out));
  return recordOp(out, name, [x], (g) => {
    if (isGradEnabled()) return [mul(g, derivative(x))];
    const dx = empty(g.dtype, g.shape);
    backwardLoop(fd(g), fd(x), fd(dx));
    return [dx];
  });
}

/** min(max(x, 0), 6), as tf.nn.relu6 / keras.activations.relu6. */
export function relu6(x: Tensor): Tensor {
  expectFloat(x, 'relu6', 'x');
  return clippedRelu('relu6', x, 6, 0, 0);
}

/** relu6(x + 3) / 6 (Keras 3's hard_sigmoid, PyTorch's hardsigmoid): 0 below -3, 1 above 3. */
export function hardSigmoid(x: Tensor): Tensor {
  expectFloat(x, 'hardSigmoid', 'x');
  const out = empty(x.dtype, x.shape);
  const xd = x.data;
  const od = out.data;
  for (let i = 0; i < xd.length; i++) od[i] = Math.min(Math.max(xd[i] + 3, 0), 6) / 6;
  return recordOp(out, 'hardSigmoid', [x], (g) => [scaleBySlope(g, x, (xs, s) => {
    for (let i = 0; i < xs.length; i++) s[i] = xs[i] > -3 && xs[i] < 3 ? 1 / 6 : 0;
  })]);
}

/** x * relu6(x + 3) / 6 (Keras' hard_swish / hard_silu, PyTorch's hardswish). */
export function hardSwish(x: Tensor): Tensor {
  expectFloat(x, 'hardSwish', 'x');
  return elementwiseOp('hardSwish', x, (xs, out) => {
    for (let i = 0; i < xs.length; i++) { const v = xs[i]; out[i] = (v * Math.min(Math.max(v + 3, 0), 6)) / 6; }
  }, (g, xs, dx) => {
    for (let i = 0; i < xs.length; i++) { const v = xs[i]; dx[i] = v < -3 ? 0 : v <= 3 ? g[i] * (v / 3 + 0.5) : g[i]; }
  }, (xt) => {
    // x/3 + 1/2 on [-3, 3], 1 above: the masks are constants of x.
    const inner = empty(xt.dtype, xt.shape);
    const above = empty(xt.dtype, xt.shape);
    for (let i = 0; i < xt.size; i++) { const v = xt.data[i]; inner.data[i] = v >= -3 && v <= 3 ? 1 : 0; above.data[i] = v > 3 ? 1 : 0; }
    return add(mul(add(mul(xt, 1 / 3), 0.5), inner), above);
  });
}

/** x * sigmoid(x) (SiLU; Keras also calls it swish). */
export function silu(x: Tensor): Tensor {
  expectFloat(x, 'silu', 'x');
  return elementwiseOp('silu', x, (xs, out) => {
    for (let i = 0; i < xs.length; i++) { const v = xs[i]; out[i] = v / (1 + Math.exp(-v)); }
  }, (g, xs, dx) => {
    for (let i = 0; i < xs.length; i++) { const v = xs[i]; const s = 1 / (1 + Math.exp(-v)); dx[i] = g[i] * s * (1 + v * (1 - s)); }
  }, (xt) => {
    const s = sigmoid(xt);
    return mul(s, add(mul(xt, sub(1, s)), 1));
  });
}

/** Keras' name for silu: the same function. */
export const swish = silu;

/** Options of `gelu`. */
export interface GeluOptions {
  /** Use the tanh approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) instead of x Phi(x) (default false). */
  approximate?: boolean;
}

const GELU_KEYS = optionKeys<GeluOptions>({ approximate: true });
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_KAPPA = 0.044715;
const ONE_OVER_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** The standard normal density exp(-x^2/2) / sqrt(2 pi), from differentiable ops. */
function normalPdf(x: Tensor): Tensor {
  return mul(exp(mul(square(x), -0.5)), ONE_OVER_SQRT_2PI);
}

/** Internal: the standard normal distribution function Phi(x) (gelu's derivative needs it as an op). */
function normalCdf(x: Tensor): Tensor {
  const out = empty(x.dtype, x.shape);
  for (let i = 0; i < x.size; i++) out.data[i] = normalCdfScalar(x.data[i]);
  return recordOp(out, 'normalCdf', [x], (g) => [mul(g, normalPdf(x))]);
}

/**
 * The Gaussian error linear unit x Phi(x), Phi the standard normal distribution function
 * (from an erfc accurate to ~1e-15); with approximate: true the tanh form, as
 * keras.activations.gelu and PyTorch's gelu(approximate='tanh').
 */
export function gelu(x: Tensor, options?: GeluOptions): Tensor {
  expectFloat(x, 'gelu', 'x');
  const o = checkOptions('gelu', options, GELU_KEYS);
  const approximate = o.approximate === undefined ? false : booleanOption('gelu', 'approximate', o.approximate);
  if (approximate) {
    return elementwiseOp('gelu', x, (xs, out) => {
      for (let i = 0; i < xs.length; i++) {
        const v = xs[i];
        out[i] = 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + GELU_KAPPA * v * v * v)));
      }
    }, (g, xs, dx) => {
      for (let i = 0; i < xs.length; i++) {
        const v = xs[i];
        const t = Math.tanh(SQRT_2_OVER_PI * (v + GELU_KAPPA * v * v * v));
        dx[i] = g[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * GELU_KAPPA * v * v));
      }
    }, (xt) => {
      const x2 = square(xt);
      const t = tanh(mul(mul(xt, add(mul(x2, GELU_KAPPA), 1)), SQRT_2_OVER_PI));
      const inner = mul(add(mul(x2, 3 * GELU_KAPPA), 1), SQRT_2_OVER_PI);
      return add(mul(add(t, 1), 0.5), mul(mul(mul(xt, 0.5), sub(1, square(t))), inner));
    });
  }
  // Phi(x) costs most of the work: kept from the forward for the backward when a graph is recorded.
  const out = empty(x.dtype, x.shape);
  const recording = isGradEnabled() && x.requiresGrad;
  const cdf = recording ? empty(x.dtype, x.shape).data : null;
  const xd = x.data;
  const od = out.data;
  for (let i = 0; i < xd.length; i++) {
    const p = normalCdfScalar(xd[i]);
    if (cdf) cdf[i] = p;
    od[i] = xd[i] * p;
  }
  return recordOp(out, 'gelu', [x], (g) => {
    // d/dx x Phi(x) = Phi(x) + x phi(x)
    if (isGradEnabled()) return [mul(g, add(normalCdf(x), mul(x, normalPdf(x))))];
    const dx = empty(g.dtype, g.shape);
    const gd = g.data;
    const dd = dx.data;
    for (let i = 0; i < xd.length; i++) {
      const v = xd[i];
      dd[i] = gd[i] * (cdf![i] + v * Math.exp(-0.5 * v * v) * ONE_OVER_SQRT_2PI);
    }
    return [dx];
  });
}

/** Keras' (and PyTorch's) SELU constants: alpha and scale for self-normalising networks. */
export const SELU_ALPHA = 1.6732632423543772;
export const SELU_SCALE = 1.0507009873554805;

/** scale * (x for x > 0, alpha (e^x - 1) otherwise), with Keras' alpha and scale. */
export function selu(x: Tensor): Tensor {
  expectFloat(x, 'selu', 'x');
  return elementwiseOp('selu', x, (xs, out) => {
    for (let i = 0; i < xs.length; i++) { const v = xs[i]; out[i] = v > 0 ? SELU_SCALE * v : SELU_SCALE * SELU_ALPHA * Math.expm1(v); }
  }, (g, xs, dx) => {
    for (let i = 0; i < xs.length; i++) { const v = xs[i]; dx[i] = v > 0 ? g[i] * SELU_SCALE : g[i] * SELU_SCALE * SELU_ALPHA * Math.exp(v); }
  }, (xt) => where(gt(xt, 0), SELU_SCALE, mul(exp(minimum(xt, 0)), SELU_SCALE * SELU_ALPHA)));
}

/**
 * dL/dz for u = activation(z), written with differentiable ops on the output u (relu's mask
 * u > 0 is z > 0): the backward of the fused conv/dense ops when a graph is recorded.
 */
export function activationGradFromOutput(g: Tensor, u: Tensor, activation: FusedActivation): Tensor {
  switch (activation) {
    case 'linear': return g;
    case 'relu': return reluBackward(g, u);
    case 'sigmoid': return mul(g, mul(u, sub(1, u)));
    case 'tanh': return mul(g, sub(1, mul(u, u)));
  }
}

/** g where x > 0, else 0 (as mul(g, gt(x, 0)) in one kernel); linear in g, flat in x. */
function reluBackward(g: Tensor, x: Tensor): Tensor {
  const out = binaryKernel('maskPositive', g, x, 'relu');
  return recordOp(out, 'reluBackward', [g], (gg) => [reluBackward(gg, x)]);
}

/** x for x > 0, alpha x otherwise (alpha 0.2, as tf.nn.leaky_relu). */
export function leakyRelu(x: Tensor, alpha = 0.2): Tensor {
  expectFloat(x, 'leakyRelu', 'x');
  return where(gt(x, 0), x, mul(x, alpha));
}

/** x for x > 0, alpha (e^x - 1) otherwise. */
export function elu(x: Tensor, alpha = 1): Tensor {
  expectFloat(x, 'elu', 'x');
  // exp of min(x, 0) keeps the unused branch finite, so its zero gradient does not become NaN.
  return where(gt(x, 0), x, mul(sub(exp(minimum(x, 0)), 1), alpha));
}

/** log(1 + e^x), stable for large |x|; derivative sigmoid(x). */
export function softplus(x: Tensor): Tensor {
  expectFloat(x, 'softplus', 'x');
  const out = unaryKernel('softplus', x);
  return recordOp(out, 'softplus', [x], (g) => [mul(g, sigmoid(x))]);
}

/** e^x / sum(e^x) along `axis` (default last), shifted by the max for stability. */
export function softmax(x: Tensor, axis = -1): Tensor {
  expectFloat(x, 'softmax', 'x');
  if (x.rank === 0) throw new ValueError('softmax: needs a tensor of rank >= 1, got a scalar');
  const a = normAxis('softmax', axis, x.rank);
  if (a !== x.rank - 1) {
    const e = exp(sub(x, max(x, a, true).detach()));
    return div(e, sum(e, a, true));
  }
  return softmaxLastAxis(x);
}

/**
 * Softmax over contiguous rows (the last axis) as one op: each row shifted by its max, exponentiated
 * and normalised in float64, with the backward dx = y (g - sum(g y)) per row. The five-op
 * composite (max, sub, exp, sum, div) cost ~85 us per training step on a [100, 10] output.
 */
function softmaxLastAxis(x: Tensor): Tensor {
  const K = x.shape[x.rank - 1];
  const rows = K === 0 ? 0 : x.size / K;
  const out = empty(x.dtype, x.shape);
  const yd = out.data;
  softmaxRows(x.data, rows, K, yd);
  return recordOp(out, 'softmax', [x], (g) => {
    if (isGradEnabled()) return [mul(out, sub(g, sum(mul(g, out), -1, true)))];
    const dx = empty(x.dtype, x.shape);
    const gd = g.data;
    const dd = dx.data;
    for (let r = 0; r < rows; r++) {
      const o = r * K;
      let dot = 0;
      for (let k = 0; k < K; k++) dot += gd[o + k] * yd[o + k];
      for (let k = 0; k < K; k++) dd[o + k] = yd[o + k] * (gd[o + k] - dot);
    }
    return [dx];
  });
}

/**
 * out[r, k] = softmax of row r of x viewed as [rows, K], each row shifted by its max and summed
 * in float64; returns the sum of the rows' logsumexp (the cross-entropy on logits needs it).
 */
export function softmaxRows(x: ArrayLike<number>, rows: number, K: number, out: { [i: number]: number }): number {
  const e = new Float64Array(K);
  let lse = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * K;
    let m = -Infinity;
    for (let k = 0; k < K; k++) m = Math.max(m, x[o + k]);
    let s = 0;
    for (let k = 0; k < K; k++) s += (e[k] = Math.exp(x[o + k] - m));
    for (let k = 0; k < K; k++) out[o + k] = e[k] / s;
    lse += m + Math.log(s);
  }
  return lse;
}

/** x - logSumExp(x) along `axis`: log-probabilities without overflow or log(0). */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  expectFloat(x, 'logSoftmax', 'x');
  if (x.rank === 0) throw new ValueError('logSoftmax: needs a tensor of rank >= 1, got a scalar');
  const a = normAxis('logSoftmax', axis, x.rank);
  return sub(x, logSumExp(x, a, true));
}

// ---------- registry ----------

/** Uniform values in [-scale, scale) kept 0.05 away from each kink. */
function awayFrom(rng: Random, shape: number[], kinks: number[], scale = 3): Tensor {
  const t = sampleUniform(rng, shape, -scale, scale);
  for (let i = 0; i < t.size; i++) {
    for (const k of kinks) if (Math.abs(t.data[i] - k) < 0.05) t.data[i] = k + (t.data[i] < k ? -0.05 : 0.05) * 2;
  }
  return t;
}

function samples(name: string, fn: (x: Tensor) => Tensor, draw: (r: Random, s: number[]) => Tensor = (r, s) => sampleAwayFromZero(r, s, 0.05, 3)) {
  return (rng: Random): OpSample[] => [[6], [3, 4], [2, 3, 4]].map((s) => ({ label: `${name} [${s}]`, inputs: [draw(rng, s)], fn }));
}
registerOp({ name: 'step', family: 'activation', samples: samples('step', step) });
registerOp({ name: 'sigmoid', family: 'activation', samples: samples('sigmoid', sigmoid) });
registerOp({ name: 'tanh', family: 'activation', samples: samples('tanh', tanh) });
registerOp({
  name: 'relu', family: 'activation',
  samples: (rng) => [
    ...samples('relu', (x) => relu(x))(rng),
    // Keras' options; values keep 0.05 from the kinks at maxValue and threshold.
    { label: 'relu maxValue 1.5', inputs: [awayFrom(rng, [3, 4], [0, 1.5])], fn: (x) => relu(x, { maxValue: 1.5 }) },
    { label: 'relu negativeSlope 0.3', inputs: [awayFrom(rng, [3, 4], [0])], fn: (x) => relu(x, { negativeSlope: 0.3 }) },
    { label: 'relu threshold 0.5', inputs: [awayFrom(rng, [3, 4], [0.5])], fn: (x) => relu(x, { threshold: 0.5 }) },
    {
      label: 'relu maxValue 2, negativeSlope 0.2, threshold 0.5', inputs: [awayFrom(rng, [2, 3, 4], [0.5, 2])],
      fn: (x) => relu(x, { maxValue: 2, negativeSlope: 0.2, threshold: 0.5 }),
    },
    { label: 'relu maxValue null (none)', inputs: [awayFrom(rng, [5], [0])], fn: (x) => relu(x, { maxValue: null }) },
  ],
});
registerOp({ name: 'relu6', family: 'activation', samples: (rng) => [[6], [3, 4]].map((s) => ({ label: `relu6 [${s}]`, inputs: [awayFrom(rng, s, [0, 6], 8)], fn: relu6 })) });
registerOp({ name: 'hardSigmoid', family: 'activation', samples: (rng) => [[6], [3, 4]].map((s) => ({ label: `hardSigmoid [${s}]`, inputs: [awayFrom(rng, s, [-3, 3], 5)], fn: hardSigmoid })) });
registerOp({ name: 'hardSwish', family: 'activation', samples: (rng) => [[6], [3, 4]].map((s) => ({ label: `hardSwish [${s}]`, inputs: [awayFrom(rng, s, [-3, 3], 5)], fn: hardSwish })) });
registerOp({ name: 'silu', family: 'activation', samples: samples('silu', silu, (r, s) => sampleUniform(r, s, -6, 6)) });
registerOp({
  name: 'gelu', family: 'activation',
  samples: (rng) => [
    ...samples('gelu', (x) => gelu(x), (r, s) => sampleUniform(r, s, -5, 5))(rng),
    ...samples('gelu approximate', (x) => gelu(x, { approximate: true }), (r, s) => sampleUniform(r, s, -5, 5))(rng),
    { label: 'gelu approximate false', inputs: [sampleUniform(rng, [4], -2, 2)], fn: (x) => gelu(x, { approximate: false }) },
  ],
});
registerOp({
  name: 'internal:normalCdf', family: 'activation',
  samples: (rng) => [{ label: 'normalCdf [2,5]', inputs: [sampleUniform(rng, [2, 5], -4, 4)], fn: normalCdf }],
});
registerOp({ name: 'selu', family: 'activation', samples: samples('selu', selu) });
registerOp({
  name: 'internal:reluBackward', family: 'activation',
  samples: (rng) => [[6], [3, 4]].map((s) => {
    const x = sampleAwayFromZero(rng, s, 0.05, 3);
    return { label: `reluBackward [${s}]`, inputs: [sampleUniform(rng, s)], fn: (g: Tensor) => reluBackward(g, x) };
  }),
});
registerOp({ name: 'leakyRelu', family: 'activation', samples: samples('leakyRelu', (x) => leakyRelu(x, 0.1)) });
registerOp({ name: 'elu', family: 'activation', samples: samples('elu', (x) => elu(x, 1.5)) });
registerOp({ name: 'softplus', family: 'activation', samples: samples('softplus', softplus, (r, s) => sampleUniform(r, s, -4, 4)) });
registerOp({
  name: 'softmax', family: 'activation',
  samples: (rng) => [
    { label: 'softmax last axis', inputs: [sampleUniform(rng, [3, 5], -2, 2)], fn: (x) => softmax(x) },
    { label: 'softmax axis 0', inputs: [sampleUniform(rng, [3, 5], -2, 2)], fn: (x) => softmax(x, 0) },
    { label: 'softmax large logits', inputs: [sampleUniform(rng, [2, 4], 50, 60)], fn: (x) => softmax(x) },
  ],
});
registerOp({
  name: 'logSoftmax', family: 'activation',
  samples: (rng) => [
    { label: 'logSoftmax last axis', inputs: [sampleUniform(rng, [3, 5], -2, 2)], fn: (x) => logSoftmax(x) },
    { label: 'logSoftmax axis 1 of 3', inputs: [sampleUniform(rng, [2, 3, 4], -2, 2)], fn: (x) => logSoftmax(x, 1) },
  ],
});
