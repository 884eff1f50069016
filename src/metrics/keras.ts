/**
 * Keras' compile metrics that are not means of batch values: precision, recall and AUC add
 * confusion counts over the epoch and compute the result from the totals (Keras' stateful
 * metrics); top-k accuracies are per-sample hits, averaged as usual.
 */
import { ValueError } from '../core/errors.js';
import type { Tensor } from '../tensor/tensor.js';

/** A metric that accumulates over batches and reports from its totals. */
export interface MetricState {
  update(yTrue: Tensor, yPred: Tensor): void;
  result(): number;
}

/** Targets as 0/1 per prediction entry: integer labels (one per row) become one-hot when the output has several units. */
function positives(fn: string, yTrue: Tensor, yPred: Tensor, sparse: boolean): ArrayLike<number> {
  if (!sparse || yTrue.size === yPred.size) return yTrue.data;
  const k = yPred.shape[yPred.rank - 1];
  const out = new Uint8Array(yPred.size);
  for (let i = 0; i < yTrue.size; i++) {
    const c = yTrue.data[i];
    if (!Number.isInteger(c) || c < 0 || c >= k) throw new ValueError(`${fn}: label ${c} at sample ${i} is not a class index in [0, ${k})`);
    out[i * k + c] = 1;
  }
  return out;
}

const noNan = (a: number, b: number) => (b === 0 ? 0 : a / b);

/** Keras' Precision (or Recall): a prediction above 0.5 is positive; every output entry counts (one-hot for integer labels). */
export class ThresholdCounts implements MetricState {
  tp = 0; fp = 0; fn = 0;
  constructor(private readonly which: 'precision' | 'recall', private readonly sparse: boolean, private readonly threshold = 0.5) {}
  update(yTrue: Tensor, yPred: Tensor): void {
    const t = positives(this.which, yTrue, yPred, this.sparse);
    const p = yPred.data;
    for (let i = 0; i < p.length; i++) {
      const pos = t[i] !== 0, pred = p[i] > this.threshold;
      if (pred && pos) this.tp++; else if (pred) this.fp++; else if (pos) this.fn++;
    }
  }
  result(): number {
    return this.which === 'precision' ? noNan(this.tp, this.tp + this.fp) : noNan(this.tp, this.tp + this.fn);
  }
}

/** Keras' AUC (ROC, 200 thresholds, trapezoids): counts at thresholds 0-eps, 1/199, ..., 198/199, 1+eps. */
export class ThresholdAuc implements MetricState {
  private readonly thresholds: Float64Array;
  private readonly tp: Float64Array; private readonly fp: Float64Array;
  private pos = 0; private neg = 0;
  constructor(private readonly sparse: boolean, numThresholds = 200) {
    const n = numThresholds;
    this.thresholds = new Float64Array(n);
    this.thresholds[0] = -1e-7;
    for (let i = 1; i < n - 1; i++) this.thresholds[i] = i / (n - 1);
    this.thresholds[n - 1] = 1 + 1e-7;
    this.tp = new Float64Array(n); this.fp = new Float64Array(n);
  }
  update(yTrue: Tensor, yPred: Tensor): void {
    const t = positives('auc', yTrue, yPred, this.sparse);
    const p = yPred.data;
    const n = this.thresholds.length;
    // Entries above threshold j: a histogram of the bucket each prediction falls in, then suffix sums.
    const tpAt = new Float64Array(n + 1), fpAt = new Float64Array(n + 1);
    for (let i = 0; i < p.length; i++) {
      // Number of thresholds strictly below p[i].
      let lo = 0, hi = n;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (this.thresholds[mid] < p[i]) lo = mid + 1; else hi = mid; }
      if (t[i] !== 0) { tpAt[lo]++; this.pos++; } else { fpAt[lo]++; this.neg++; }
    }
    let tpc = 0, fpc = 0;
    for (let j = n; j >= 1; j--) { tpc += tpAt[j]; fpc += fpAt[j]; this.tp[j - 1] += tpc; this.fp[j - 1] += fpc; }
  }
  result(): number {
    const n = this.thresholds.length;
    let area = 0;
    for (let j = 0; j < n - 1; j++) {
      const x0 = noNan(this.fp[j], this.neg), x1 = noNan(this.fp[j + 1], this.neg);
      const y0 = noNan(this.tp[j], this.pos), y1 = noNan(this.tp[j + 1], this.pos);
      area += (x0 - x1) * (y0 + y1) / 2;
    }
    return area;
  }
}

/** Fraction of rows whose target class scores among the k highest (ties at the boundary count as in, as tf.math.in_top_k). */
export function topKHits(yTrue: Tensor, yPred: Tensor, k: number, sparse: boolean): number {
  const c = yPred.shape[yPred.rank - 1];
  const rows = yPred.size / c;
  let hits = 0;
  for (let i = 0; i < rows; i++) {
    let target: number;
    if (sparse) target = yTrue.data[i];
    else { target = 0; for (let j = 1; j < c; j++) if (yTrue.data[i * c + j] > yTrue.data[i * c + target]) target = j; }
    if (!Number.isInteger(target) || target < 0 || target >= c) throw new ValueError(`top_k_categorical_accuracy: label ${target} at sample ${i} is not a class index in [0, ${c})`);
    const s = yPred.data[i * c + target];
    if (!Number.isFinite(s)) continue;
    let above = 0;
    for (let j = 0; j < c; j++) if (yPred.data[i * c + j] > s) above++;
    if (above < k) hits++;
  }
  return hits / rows;
}
