import { ValueError } from '../core/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { mean, abs, sub, square, losses } from '../ops/index.js';
import { showJson } from '../core/validate.js';
import { ThresholdCounts, ThresholdAuc, topKHits, type MetricState } from '../metrics/keras.js';

/** A loss: a scalar tensor from true and predicted values. */
export type LossFn = (yTrue: Tensor, yPred: Tensor) => Tensor;
/** A metric: a value from true and predicted values. */
export type MetricFn = (yTrue: Tensor, yPred: Tensor) => Tensor | number;

/** The losses `compile` knows by name, camelCase or Keras' snake_case. */
export type LossName =
  | 'mse' | 'mean_squared_error' | 'meanSquaredError' | 'mae' | 'mean_absolute_error' | 'meanAbsoluteError'
  | 'binary_crossentropy' | 'binaryCrossentropy' | 'categorical_crossentropy' | 'categoricalCrossentropy'
  | 'sparse_categorical_crossentropy' | 'sparseCategoricalCrossentropy' | 'hinge';

/** A resolved loss: its canonical name, and whether it can be computed from the last layer's logits instead. */
export interface ResolvedLoss {
  name: string;
  fn: LossFn;
  /** With the last activation `logitsOf`, the same loss computed from the pre-activation (exact and stable). */
  fromLogits?: { activation: 'softmax' | 'sigmoid'; fn: LossFn };
  /** Labels are integer class indices (sparse). */
  sparse: boolean;
}

const canon = (s: string) => s.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();

export function resolveLoss(fn: string, spec: LossName | string | LossFn): ResolvedLoss {
  if (typeof spec === 'function') return { name: spec.name || 'loss', fn: spec, sparse: false };
  switch (canon(String(spec))) {
    case 'mse': case 'mean_squared_error':
      return { name: 'mean_squared_error', fn: losses.meanSquaredError, sparse: false };
    case 'mae': case 'mean_absolute_error':
      return { name: 'mean_absolute_error', fn: losses.meanAbsoluteError, sparse: false };
    case 'binary_crossentropy':
      return {
        name: 'binary_crossentropy', fn: (t, p) => losses.binaryCrossentropy(t, p), sparse: false,
        fromLogits: { activation: 'sigmoid', fn: (t, z) => losses.binaryCrossentropy(t, z, { fromLogits: true }) },
      };
    case 'categorical_crossentropy':
      return {
        name: 'categorical_crossentropy', fn: (t, p) => losses.categoricalCrossentropy(t, p), sparse: false,
        fromLogits: { activation: 'softmax', fn: (t, z) => losses.categoricalCrossentropy(t, z, { fromLogits: true }) },
      };
    case 'sparse_categorical_crossentropy':
      return {
        name: 'sparse_categorical_crossentropy', fn: (t, p) => losses.sparseCategoricalCrossentropy(t, p), sparse: true,
        fromLogits: { activation: 'softmax', fn: (t, z) => losses.sparseCategoricalCrossentropy(t, z, { fromLogits: true }) },
      };
    case 'hinge':
      return { name: 'hinge', fn: losses.hinge, sparse: false };
    default:
      throw new ValueError(`${fn}: unknown loss ${showJson(spec)} (use 'sparse_categorical_crossentropy', 'categorical_crossentropy', 'binary_crossentropy', 'mse', 'mae', 'hinge' or a function)`);
  }
}

export interface ResolvedMetric {
  /** Key in the logs (accuracy, mae, ...). */
  name: string;
  fn: MetricFn;
  /** Accumulated over an epoch (Keras' stateful metrics): a fresh state per epoch or evaluation; `fn` is its value on one batch. */
  state?: () => MetricState;
}

function stateful(name: string, state: () => MetricState): ResolvedMetric {
  return { name, state, fn: (t, p) => { const s = state(); s.update(t, p); return s.result(); } };
}

/** 'accuracy' becomes sparse, categorical or binary accuracy by the loss and the output size, as in Keras. */
export function resolveMetric(fn: string, spec: string | MetricFn, loss: ResolvedLoss, outputUnits: number): ResolvedMetric {
  if (typeof spec === 'function') return { name: spec.name || 'metric', fn: spec };
  switch (canon(spec)) {
    case 'accuracy': case 'acc': {
      if (loss.sparse) return { name: 'accuracy', fn: sparseCategoricalAccuracy };
      if (loss.name === 'categorical_crossentropy' || (loss.name !== 'binary_crossentropy' && loss.name !== 'hinge' && outputUnits > 1)) {
        return { name: 'accuracy', fn: categoricalAccuracy };
      }
      return { name: 'accuracy', fn: loss.name === 'hinge' ? hingeAccuracy : binaryAccuracy };
    }
    case 'mae': case 'mean_absolute_error':
      return { name: 'mae', fn: (t, p) => mean(abs(sub(p, t))) };
    case 'mse': case 'mean_squared_error':
      return { name: 'mse', fn: (t, p) => mean(square(sub(p, t))) };
    case 'precision':
      return stateful('precision', () => new ThresholdCounts('precision', loss.sparse));
    case 'recall':
      return stateful('recall', () => new ThresholdCounts('recall', loss.sparse));
    case 'auc':
      return stateful('auc', () => new ThresholdAuc(loss.sparse));
    case 'top_k_categorical_accuracy':
      return { name: 'top_k_categorical_accuracy', fn: (t, p) => topKHits(t, p, 5, false) };
    case 'sparse_top_k_categorical_accuracy':
      return { name: 'sparse_top_k_categorical_accuracy', fn: (t, p) => topKHits(t, p, 5, true) };
    default:
      throw new ValueError(`${fn}: unknown metric ${showJson(spec)} (use 'accuracy', 'mae', 'mse', 'precision', 'recall', 'auc', 'top_k_categorical_accuracy', 'sparse_top_k_categorical_accuracy' or a function)`);
  }
}

function argmaxRow(p: Tensor, row: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (p.data[row * k + j] > p.data[row * k + best]) best = j;
  return best;
}

/** Fraction of rows whose arg-max equals the integer label. */
export function sparseCategoricalAccuracy(yTrue: Tensor, yPred: Tensor): number {
  const k = yPred.shape[yPred.rank - 1];
  const n = yPred.size / k;
  let hits = 0;
  for (let i = 0; i < n; i++) if (argmaxRow(yPred, i, k) === yTrue.data[i]) hits++;
  return hits / n;
}

/** Fraction of rows whose arg-max equals the one-hot label's. */
export function categoricalAccuracy(yTrue: Tensor, yPred: Tensor): number {
  const k = yPred.shape[yPred.rank - 1];
  const n = yPred.size / k;
  let hits = 0;
  for (let i = 0; i < n; i++) if (argmaxRow(yPred, i, k) === argmaxRow(yTrue, i, k)) hits++;
  return hits / n;
}

/** Fraction of entries where (p > 0.5) matches the 0/1 label. */
export function binaryAccuracy(yTrue: Tensor, yPred: Tensor): number {
  let hits = 0;
  for (let i = 0; i < yPred.size; i++) if ((yPred.data[i] > 0.5 ? 1 : 0) === yTrue.data[i]) hits++;
  return hits / yPred.size;
}

/** For +-1 (or 0/1) labels with scores: the sign decides. */
function hingeAccuracy(yTrue: Tensor, yPred: Tensor): number {
  let hits = 0;
  for (let i = 0; i < yPred.size; i++) if ((yPred.data[i] > 0) === (yTrue.data[i] > 0)) hits++;
  return hits / yPred.size;
}
