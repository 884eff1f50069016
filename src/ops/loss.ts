import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { booleanOption, checkOptions, optionKeys } from '../core/validate.js';
import type { Random } from '../tensor/random.js';
import { shapesEqual } from '../tensor/shape.js';
import { Tensor, isGradEnabled, recordOp, type FloatDType } from '../tensor/tensor.js';
import { logSoftmax, softmax, softmaxRows, softplus } from './activation.js';
import { abs, add, clip, div, log, maximum, mul, neg, square, sub } from './elementwise.js';
import { mean, sum } from './reduce.js';
import { registerOp, type OpSample } from './registry.js';
import { oneHot, reshape } from './shape.js';
import { empty, expectFloat, expectTensor, sampleUniform } from './util.js';
import { pairOf } from './cast.js';

/** Keras' fuzz factor: probabilities are kept in [EPSILON, 1 - EPSILON] so log never sees 0. */
export const EPSILON = 1e-7;

/** Options of the cross-entropy losses. */
export interface CrossentropyOptions {
  /** yPred holds logits (pre-activation scores) rather than probabilities. Default: false. */
  fromLogits?: boolean;
}

const CROSSENTROPY_KEYS = optionKeys<CrossentropyOptions>({ fromLogits: true });

/** Whether yPred holds logits, from checked options. */
function fromLogits(fn: string, options: CrossentropyOptions | undefined): boolean {
  const o = checkOptions(fn, options, CROSSENTROPY_KEYS);
  return o.fromLogits === undefined ? false : booleanOption(fn, 'fromLogits', o.fromLogits);
}

function samePair(fn: string, yTrue: Tensor, yPred: Tensor): [Tensor, Tensor] {
  expectTensor(yTrue, fn, 'yTrue');
  expectFloat(yPred, fn, 'yPred');
  const [t, p] = pairOf(yTrue.detach(), yPred, fn);
  if (!shapesEqual(t.shape, p.shape)) {
    throw new ShapeError(`${fn}: yTrue ${fmtShape(yTrue.shape)} and yPred ${fmtShape(yPred.shape)} must have the same shape`);
  }
  return [t, p];
}

/** mean((yTrue - yPred)^2) over the batch and the outputs. */
export function meanSquaredError(yTrue: Tensor, yPred: Tensor): Tensor {
  const [t, p] = samePair('losses.meanSquaredError', yTrue, yPred);
  return mean(square(sub(p, t)));
}

/** mean(|yTrue - yPred|). */
export function meanAbsoluteError(yTrue: Tensor, yPred: Tensor): Tensor {
  const [t, p] = samePair('losses.meanAbsoluteError', yTrue, yPred);
  return mean(abs(sub(p, t)));
}

/**
 * The logistic loss, mean over all entries: -(y log p + (1-y) log(1-p)); from logits z it is
 * softplus(z) - y z, exact for any z.
 */
export function binaryCrossentropy(yTrue: Tensor, yPred: Tensor, options?: CrossentropyOptions): Tensor {
  const logits = fromLogits('losses.binaryCrossentropy', options);
  const [t, p] = samePair('losses.binaryCrossentropy', yTrue, yPred);
  if (logits) return mean(sub(softplus(p), mul(t, p)));
  const q = clip(p, EPSILON, 1 - EPSILON);
  return neg(mean(add(mul(t, log(q)), mul(sub(1, t), log(sub(1, q))))));
}

/** -sum(y log p) over classes (last axis), mean over the batch. Probabilities are renormalised as Keras does. */
export function categoricalCrossentropy(yTrue: Tensor, yPred: Tensor, options?: CrossentropyOptions): Tensor {
  const logits = fromLogits('losses.categoricalCrossentropy', options);
  const [t, p] = samePair('losses.categoricalCrossentropy', yTrue, yPred);
  return categorical('losses.categoricalCrossentropy', t, p, logits);
}

function categorical(fn: string, t: Tensor, p: Tensor, logits: boolean): Tensor {
  if (p.rank === 0) throw new ShapeError(`${fn}: yPred must have a class axis, got a scalar`);
  const logp = logits ? logSoftmax(p, -1) : log(clip(div(p, sum(p, -1, true)), EPSILON, 1 - EPSILON));
  return mean(neg(sum(mul(t, logp), -1)));
}

/** Categorical cross-entropy with integer labels [N] (or [N,1]) against yPred [N, K]. */
export function sparseCategoricalCrossentropy(yTrue: Tensor | readonly number[], yPred: Tensor, options?: CrossentropyOptions): Tensor {
  const fn = 'losses.sparseCategoricalCrossentropy';
  const logits = fromLogits(fn, options);
  expectFloat(yPred, fn, 'yPred');
  if (!(yTrue instanceof Tensor) && !Array.isArray(yTrue) && !(yTrue instanceof Int32Array)) {
    throw new ValueError(`${fn}: yTrue must be a Tensor or an array of integer labels, got ${yTrue === null ? 'null' : typeof yTrue}`);
  }
  const labels = yTrue instanceof Tensor ? yTrue : null;
  const values: ArrayLike<number> = labels ? labels.data : yTrue as readonly number[];
  const lshape = labels ? labels.shape : [values.length];
  const lead = yPred.shape.slice(0, -1);
  const flatLabels = lshape.length === lead.length + 1 && lshape[lshape.length - 1] === 1 ? lshape.slice(0, -1) : lshape;
  if (yPred.rank < 1 || !shapesEqual(flatLabels, lead)) {
    throw new ShapeError(`${fn}: labels ${fmtShape(lshape)} do not match predictions ${fmtShape(yPred.shape)} (expected labels ${fmtShape(lead)})`);
  }
  const K = yPred.shape[yPred.rank - 1];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < 0 || v >= K) {
      throw new ValueError(`${fn}: label ${v} at position ${i} is out of range for ${K} classes (yPred ${fmtShape(yPred.shape)})`);
    }
  }
  if (K > 0) return logits ? sparseFromLogits(yPred, values, K) : sparseFromProbabilities(yPred, values, K);
  const t = reshape(oneHot(Array.from(values), K, yPred.dtype as FloatDType), yPred.shape);
  return categorical(fn, t, yPred, logits);
}

/**
 * The logit form as one op: -mean(z[i, y_i] - logsumexp(z[i])), its gradient (softmax(z) - onehot)
 * / N from the softmax the forward keeps. fit trains a softmax output with a sparse categorical
 * cross-entropy through this (on the logits), every step: the composite (oneHot, logSoftmax, mul,
 * sum, neg, mean) cost ~80 us of a 1.2 ms step of the dense 784-256-10 network.
 */
function sparseFromLogits(z: Tensor, labels: ArrayLike<number>, K: number): Tensor {
  const N = z.size / K;
  const zd = z.data;
  const soft = new Float64Array(N * K);
  let total = softmaxRows(zd, N, K, soft);
  for (let i = 0; i < N; i++) total -= zd[i * K + labels[i]];
  const out = empty(z.dtype, []);
  out.data[0] = N > 0 ? total / N : NaN;
  return recordOp(out, 'losses.sparseCategoricalCrossentropy', [z], (dy) => {
    if (isGradEnabled()) return [mul(dy, div(sub(softmax(z), reshape(oneHot(Array.from(labels), K, z.dtype as FloatDType), z.shape)), N))];
    const f = dy.data[0] / N;
    const dz = empty(z.dtype, z.shape);
    const dd = dz.data;
    for (let j = 0; j < soft.length; j++) dd[j] = f * soft[j];
    for (let i = 0; i < N; i++) dd[i * K + labels[i]] -= f;
    return [dz];
  });
}

/**
 * The probability form of sparse categorical cross-entropy as one op (Keras' formula: each row
 * renormalised, the label's probability clipped to [EPSILON, 1 - EPSILON], -mean of its log),
 * in float64, with its gradient (d/dp[i,k] = -(1/N) [q_i unclipped] (onehot - q_i) / (c_i s_i))
 * written out: the composite made ten [N, K] intermediates and cost ~90 us a training step at
 * N = 100, K = 10. A row whose sum is not finite gives NaN, as the composite does.
 */
function sparseFromProbabilities(p: Tensor, labels: ArrayLike<number>, K: number): Tensor {
  const N = p.size / K;
  const pd = p.data;
  const rowSum = new Float64Array(N);
  const q = new Float64Array(N);
  let total = 0;
  for (let i = 0; i < N; i++) {
    let si = 0;
    for (let k = 0; k < K; k++) si += pd[i * K + k];
    const qi = Number.isFinite(si) ? pd[i * K + labels[i]] / si : NaN;
    rowSum[i] = si;
    q[i] = qi;
    total += Math.log(Math.min(Math.max(qi, EPSILON), 1 - EPSILON));
  }
  const out = empty(p.dtype, []);
  out.data[0] = N > 0 ? -total / N : NaN;
  return recordOp(out, 'losses.sparseCategoricalCrossentropy', [p], (dy) => {
    if (isGradEnabled()) {
      // gradients of gradients: the same formula from differentiable ops (the clip's mask is constant)
      const onehot = reshape(oneHot(Array.from(labels), K, p.dtype as FloatDType), p.shape);
      const s = sum(p, -1, true);
      const qt = div(sum(mul(onehot, p), -1, true), s);
      const inside = empty(p.dtype, qt.shape);
      for (let i = 0; i < N; i++) inside.data[i] = q[i] >= EPSILON && q[i] <= 1 - EPSILON ? -1 / N : 0;
      return [mul(dy, mul(div(inside, mul(qt, s)), sub(onehot, qt)))];
    }
    const g = dy.data[0];
    const dp = empty(p.dtype, p.shape);
    const dd = dp.data;
    for (let i = 0; i < N; i++) {
      const qi = q[i];
      if (!(qi >= EPSILON && qi <= 1 - EPSILON)) {
        // clipped (or NaN: then NaN flows on, as through the composite)
        if (Number.isNaN(qi)) for (let k = 0; k < K; k++) dd[i * K + k] = NaN;
        continue;
      }
      const f = -g / (N * qi * rowSum[i]);
      for (let k = 0; k < K; k++) dd[i * K + k] = -f * qi;
      dd[i * K + labels[i]] += f;
    }
    return [dp];
  });
}

/** mean(max(1 - y * yPred, 0)) with labels +-1; labels given as 0/1 are mapped to -1/+1 as Keras does. */
export function hinge(yTrue: Tensor, yPred: Tensor): Tensor {
  const [t, p] = samePair('losses.hinge', yTrue, yPred);
  let zeroOne = true;
  for (let i = 0; i < t.size; i++) {
    const v = t.data[i];
    if (v !== 0 && v !== 1) zeroOne = false;
    if (v !== 0 && v !== 1 && v !== -1) {
      throw new ValueError(`losses.hinge: labels must be -1/+1 or 0/1, got ${v} at position ${i}`);
    }
  }
  const y = zeroOne ? sub(mul(t, 2), 1) : t;
  return mean(maximum(sub(1, mul(y, p)), 0));
}

// ---------- registry ----------

function labelsPM(rng: Random, shape: number[]): Tensor {
  const t = sampleUniform(rng, shape);
  for (let i = 0; i < t.size; i++) t.data[i] = t.data[i] < 0 ? -1 : 1;
  return t;
}

function probs(rng: Random, shape: number[]): Tensor {
  return sampleUniform(rng, shape, 0.05, 0.95);
}

const lossSample = (label: string, t: Tensor, p: Tensor, fn: (t: Tensor, p: Tensor) => Tensor): OpSample =>
  ({ label, inputs: [p], fn: (pp) => fn(t, pp) });

registerOp({
  name: 'losses.meanSquaredError', family: 'loss',
  samples: (rng) => [lossSample('mse [4,3]', sampleUniform(rng, [4, 3]), sampleUniform(rng, [4, 3]), meanSquaredError)],
});
registerOp({
  name: 'losses.meanAbsoluteError', family: 'loss',
  samples: (rng) => {
    const t = sampleUniform(rng, [4, 3]);
    const p = sampleUniform(rng, [4, 3]);
    for (let i = 0; i < p.size; i++) if (Math.abs(p.data[i] - t.data[i]) < 0.05) p.data[i] += 0.1;
    return [lossSample('mae [4,3]', t, p, meanAbsoluteError)];
  },
});
registerOp({
  name: 'losses.binaryCrossentropy', family: 'loss',
  samples: (rng) => {
    const t = sampleUniform(rng, [5, 1]).data.map((v) => (v > 0 ? 1 : 0));
    const y = new Tensor(t, [5, 1]);
    return [
      lossSample('bce probabilities', y, probs(rng, [5, 1]), (a, b) => binaryCrossentropy(a, b)),
      lossSample('bce logits', y, sampleUniform(rng, [5, 1], -4, 4), (a, b) => binaryCrossentropy(a, b, { fromLogits: true })),
    ];
  },
});
registerOp({
  name: 'losses.categoricalCrossentropy', family: 'loss',
  samples: (rng) => {
    const y = oneHot([0, 2, 1, 2], 3, 'float64');
    return [
      lossSample('cce probabilities', y, probs(rng, [4, 3]), (a, b) => categoricalCrossentropy(a, b)),
      lossSample('cce logits', y, sampleUniform(rng, [4, 3], -3, 3), (a, b) => categoricalCrossentropy(a, b, { fromLogits: true })),
    ];
  },
});
registerOp({
  name: 'losses.sparseCategoricalCrossentropy', family: 'loss',
  samples: (rng) => [
    { label: 'scce logits', inputs: [sampleUniform(rng, [4, 3], -3, 3)], fn: (p) => sparseCategoricalCrossentropy([0, 2, 1, 1], p, { fromLogits: true }) },
    { label: 'scce probabilities', inputs: [probs(rng, [4, 3])], fn: (p) => sparseCategoricalCrossentropy([2, 2, 0, 1], p) },
  ],
});
registerOp({
  name: 'losses.hinge', family: 'loss',
  samples: (rng) => {
    const y = labelsPM(rng, [6, 1]);
    const p = sampleUniform(rng, [6, 1], -2, 2);
    for (let i = 0; i < p.size; i++) if (Math.abs(1 - y.data[i] * p.data[i]) < 0.05) p.data[i] += 0.2 * y.data[i];
    return [lossSample('hinge +-1', y, p, hinge)];
  },
});
