/** Score-based metrics (ROC, AUC, log loss, top-k) with scikit-learn's (1.2) definitions. */
import { ValueError, ShapeError } from '../core/errors.js';
import { checkOptions, optionKeys, booleanOption, optional, oneOf, positiveInt, describeValue } from '../core/validate.js';
import { type MetricInput, type ScoreInput, vec, matrix, sameLength, nonEmpty, uniqueSorted, weights, labelList } from './input.js';
import { TOPK_KEYS, type TopKOptions } from './classification.js';

/** What `metrics.rocCurve` gives: false and true positive rates at decreasing thresholds. */
export interface RocCurve { fpr: number[]; tpr: number[]; thresholds: number[] }
/** Options of `metrics.rocCurve`. */
export interface RocCurveOptions {
  /** The positive class (default 1 when yTrue is in {0, 1} or {-1, 1}). */
  posLabel?: number;
  /** Drop thresholds that are not corners of the curve (default true). */
  dropIntermediate?: boolean;
  /** A weight >= 0 per sample (scikit-learn's sample_weight). Default: none (every sample weighs 1). */
  sampleWeight?: MetricInput;
}
const ROC_KEYS = optionKeys<RocCurveOptions>({ posLabel: true, dropIntermediate: true, sampleWeight: true });

function resolvePos(fn: string, t: ArrayLike<number>, posLabel: unknown): number {
  if (posLabel !== undefined) {
    if (typeof posLabel !== 'number' || !Number.isFinite(posLabel)) throw new ValueError(`${fn}: posLabel must be a finite number, got ${describeValue(posLabel)}`);
    return posLabel;
  }
  const classes = uniqueSorted(t);
  if (!(classes.every((c) => c === 0 || c === 1) || classes.every((c) => c === -1 || c === 1))) {
    throw new ValueError(`${fn}: yTrue takes the values [${classes.join(', ')}] and posLabel is not given: make yTrue take values in {0, 1} or {-1, 1}, or pass posLabel`);
  }
  return 1;
}

/** False and true positive counts at each distinct score, highest first (scikit-learn's _binary_clf_curve). */
function clfCurve(t: ArrayLike<number>, s: ArrayLike<number>, pos: number, w: Float64Array | null): { fps: number[]; tps: number[]; thr: number[] } {
  const n = t.length;
  // Descending by score; ties keep no particular order (only each tie group's end is used).
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => Number(s[b]) - Number(s[a]));
  const fps: number[] = [], tps: number[] = [], thr: number[] = [];
  let tp = 0, fp = 0;
  for (let j = 0; j < n; j++) {
    const i = order[j];
    const wi = w ? w[i] : 1;
    if (Number(t[i]) === pos) tp += wi; else fp += wi;
    if (j === n - 1 || Number(s[order[j + 1]]) !== Number(s[i])) { tps.push(tp); fps.push(fp); thr.push(Number(s[i])); }
  }
  return { fps, tps, thr };
}

function roc(fn: string, t: ArrayLike<number>, s: ArrayLike<number>, pos: number, w: Float64Array | null, drop: boolean, warn: boolean): RocCurve {
  let { fps, tps, thr } = clfCurve(t, s, pos, w);
  if (drop && fps.length > 2) {
    const keep: number[] = [0];
    for (let i = 1; i < fps.length - 1; i++) {
      // NumPy's diff(x, 2) order, so weighted (inexact) counts drop the same points.
      if ((fps[i + 1] - fps[i]) - (fps[i] - fps[i - 1]) !== 0 || (tps[i + 1] - tps[i]) - (tps[i] - tps[i - 1]) !== 0) keep.push(i);
    }
    keep.push(fps.length - 1);
    fps = keep.map((i) => fps[i]); tps = keep.map((i) => tps[i]); thr = keep.map((i) => thr[i]);
  }
  fps.unshift(0); tps.unshift(0); thr.unshift(thr[0] + 1);
  const lastF = fps[fps.length - 1], lastT = tps[tps.length - 1];
  if (lastF <= 0 && warn) console.warn(`${fn}: no negative samples in yTrue; the false positive rates are NaN`);
  if (lastT <= 0 && warn) console.warn(`${fn}: no positive samples in yTrue; the true positive rates are NaN`);
  return { fpr: fps.map((x) => (lastF <= 0 ? NaN : x / lastF)), tpr: tps.map((x) => (lastT <= 0 ? NaN : x / lastT)), thresholds: thr };
}

/** Receiver operating characteristic: false and true positive rates by decreasing threshold (the first threshold is max score + 1). */
export function rocCurve(yTrue: MetricInput, scores: MetricInput, options: RocCurveOptions = {}): RocCurve {
  const fn = 'metrics.rocCurve';
  const o = checkOptions(fn, options, ROC_KEYS);
  const drop = optional(fn, 'dropIntermediate', o.dropIntermediate, booleanOption) ?? true;
  const t = vec(fn, 'yTrue', yTrue);
  const s = vec(fn, 'scores', scores);
  sameLength(fn, 'yTrue', t.length, 'scores', s.length);
  nonEmpty(fn, 'yTrue', t.length);
  const w = weights(fn, o.sampleWeight, t.length);
  return roc(fn, t, s, resolvePos(fn, t, o.posLabel), w, drop, true);
}

/** Area under a curve by the trapezoidal rule (x monotonic). */
export function auc(x: MetricInput, y: MetricInput): number {
  const fn = 'metrics.auc';
  const a = vec(fn, 'x', x), b = vec(fn, 'y', y);
  sameLength(fn, 'x', a.length, 'y', b.length);
  if (a.length < 2) throw new ValueError(`${fn}: at least 2 points are needed, got ${a.length}`);
  let dir = 1;
  for (let i = 1; i < a.length; i++) {
    if (a[i] < a[i - 1]) {
      if (i === 1 || dir === -1) { dir = -1; continue; }
      throw new ValueError(`${fn}: x is neither increasing nor decreasing`);
    } else if (a[i] > a[i - 1] && dir === -1) throw new ValueError(`${fn}: x is neither increasing nor decreasing`);
  }
  let area = 0;
  for (let i = 1; i < a.length; i++) area += (a[i] - a[i - 1]) * (b[i] + b[i - 1]) / 2;
  return dir * area;
}

function binaryAuc(fn: string, t: ArrayLike<number>, s: ArrayLike<number>, w: Float64Array | null): number {
  let pos = 0, neg = 0;
  for (let i = 0; i < t.length; i++) if (t[i] === 1) pos++; else neg++;
  if (pos === 0 || neg === 0) throw new ValueError(`${fn}: only one class is present in yTrue; ROC AUC is not defined then`);
  const r = roc(fn, t, s, 1, w, true, false);
  return auc(r.fpr, r.tpr);
}

/** Options of `metrics.rocAucScore`. */
export interface RocAucOptions {
  /** Multi-class scores: one-vs-rest or one-vs-one (Hand & Till); required when there are more than 2 classes. */
  multiClass?: 'ovr' | 'ovo';
  /** How per-class AUCs combine (default 'macro'; null gives each class's AUC, ovr only). */
  average?: 'micro' | 'macro' | 'weighted' | null;
  /** Classes of the score columns, sorted (default: sorted labels of yTrue). */
  labels?: readonly number[];
  /** A weight >= 0 per sample (scikit-learn's sample_weight). Default: none (every sample weighs 1). */
  sampleWeight?: MetricInput;
}
const AUC_KEYS = optionKeys<RocAucOptions>({ multiClass: true, average: true, labels: true, sampleWeight: true });

/** Area under the ROC curve: binary scores (a vector of the larger label's score) or a [samples, classes] probability matrix. */
export function rocAucScore(yTrue: MetricInput, scores: ScoreInput, options: RocAucOptions & { average: null }): number[];
export function rocAucScore(yTrue: MetricInput, scores: ScoreInput, options?: RocAucOptions & { average?: 'micro' | 'macro' | 'weighted' }): number;
export function rocAucScore(yTrue: MetricInput, scores: ScoreInput, options?: RocAucOptions): number | number[];
export function rocAucScore(yTrue: MetricInput, scores: ScoreInput, options: RocAucOptions = {}): number | number[] {
  const fn = 'metrics.rocAucScore';
  const o = checkOptions(fn, options, AUC_KEYS);
  const average = o.average === null ? null : o.average === undefined ? 'macro' : oneOf(fn, 'average', o.average, ['micro', 'macro', 'weighted'] as const);
  const t = vec(fn, 'yTrue', yTrue);
  const m = matrix(fn, 'scores', scores);
  sameLength(fn, 'yTrue', t.length, 'scores', m.rows);
  nonEmpty(fn, 'yTrue', t.length);
  const w = weights(fn, o.sampleWeight, t.length);
  const present = uniqueSorted(t);
  const multi = present.length > 2 || (!m.vector && m.cols > 2);
  if (!multi) {
    if (!m.vector && m.cols !== 1) throw new ShapeError(`${fn}: binary yTrue needs a vector of scores for class ${present[present.length - 1]}, got ${m.cols} columns`);
    // The larger label is the positive class, as scikit-learn's label_binarize.
    const top = present[present.length - 1];
    const b = Float64Array.from(t, (v) => (present.length === 2 && v === top ? 1 : 0));
    return binaryAuc(fn, b, m.data, w);
  }
  if (o.multiClass === undefined) throw new ValueError(`${fn}: yTrue has ${present.length} classes; pass multiClass 'ovr' or 'ovo'`);
  const mc = oneOf(fn, 'multiClass', o.multiClass, ['ovr', 'ovo'] as const);
  if (m.vector) throw new ShapeError(`${fn}: multi-class scores must be a [samples, classes] matrix`);
  const k = m.cols;
  for (let i = 0; i < m.rows; i++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += m.data[i * k + j];
    if (Math.abs(s - 1) > 1e-8 + 1e-5) throw new ValueError(`${fn}: row ${i} of scores sums to ${s}; multi-class scores must be probabilities that sum to 1`);
  }
  if (mc === 'ovo' && (average === null || average === 'micro')) throw new ValueError(`${fn}: average must be 'macro' or 'weighted' with multiClass 'ovo'`);
  let classes = present;
  if (o.labels !== undefined) {
    classes = labelList(fn, o.labels);
    if (classes.some((c, i) => i > 0 && c < classes[i - 1])) throw new ValueError(`${fn}: labels must be sorted`);
    if (classes.length !== k) throw new ValueError(`${fn}: ${classes.length} labels but scores has ${k} columns`);
    for (let i = 0; i < t.length; i++) if (!classes.includes(t[i])) throw new ValueError(`${fn}: yTrue[${i}] = ${t[i]} is not one of the labels [${classes.join(', ')}]`);
  } else if (classes.length !== k) throw new ValueError(`${fn}: yTrue has ${classes.length} classes but scores has ${k} columns`);
  const col = (j: number, rows?: number[]) => (rows ?? Array.from({ length: m.rows }, (_, i) => i)).map((i) => m.data[i * k + j]);
  if (mc === 'ovo') {
    if (w) throw new ValueError(`${fn}: sampleWeight is not supported with multiClass 'ovo'`);
    const scoresAb: number[] = [], prevalence: number[] = [];
    for (let a = 0; a < k; a++) for (let b = a + 1; b < k; b++) {
      const rows: number[] = [];
      for (let i = 0; i < t.length; i++) if (t[i] === classes[a] || t[i] === classes[b]) rows.push(i);
      const aTrue = rows.map((i) => (t[i] === classes[a] ? 1 : 0));
      const bTrue = rows.map((i) => (t[i] === classes[b] ? 1 : 0));
      const s = (binaryAuc(fn, aTrue, col(a, rows), null) + binaryAuc(fn, bTrue, col(b, rows), null)) / 2;
      scoresAb.push(s);
      prevalence.push(rows.length / t.length);
    }
    if (average === 'weighted') {
      let s = 0, sw = 0;
      scoresAb.forEach((v, i) => { s += v * prevalence[i]; sw += prevalence[i]; });
      return s / sw;
    }
    return scoresAb.reduce((x, y) => x + y, 0) / scoresAb.length;
  }
  const onehot = (j: number) => Array.from(t, (v) => (v === classes[j] ? 1 : 0));
  if (average === 'micro') {
    const tt: number[] = [], ss: number[] = [];
    const ww = w ? new Float64Array(t.length * k) : null;
    for (let i = 0; i < t.length; i++) for (let j = 0; j < k; j++) { tt.push(t[i] === classes[j] ? 1 : 0); ss.push(m.data[i * k + j]); if (ww && w) ww[i * k + j] = w[i]; }
    return binaryAuc(fn, tt, ss, ww);
  }
  const per: number[] = [], support: number[] = [];
  for (let j = 0; j < k; j++) {
    const yt = onehot(j);
    per.push(binaryAuc(fn, yt, col(j), w));
    let sup = 0;
    yt.forEach((v, i) => { sup += v * (w ? w[i] : 1); });
    support.push(sup);
  }
  if (average === null) return per;
  if (average === 'weighted') {
    let s = 0, sw = 0;
    per.forEach((v, i) => { s += v * support[i]; sw += support[i]; });
    return s / sw;
  }
  return per.reduce((x, y) => x + y, 0) / per.length;
}

/** Options of `metrics.logLoss`. */
export interface LogLossOptions {
  /** Mean over samples (default true) or the sum. */
  normalize?: boolean;
  /** A weight >= 0 per sample (scikit-learn's sample_weight). Default: none (every sample weighs 1). */
  sampleWeight?: MetricInput;
  /** Classes of the columns (default: sorted labels of yTrue). */
  labels?: readonly number[];
  /** Probabilities are clipped to [eps, 1 - eps] (default float64's machine epsilon). */
  eps?: number;
}
const LOGLOSS_KEYS = optionKeys<LogLossOptions>({ normalize: true, sampleWeight: true, labels: true, eps: true });

/** Cross-entropy of the labels under predicted probabilities (a vector: the larger label's probability). */
export function logLoss(yTrue: MetricInput, yPred: ScoreInput, options: LogLossOptions = {}): number {
  const fn = 'metrics.logLoss';
  const o = checkOptions(fn, options, LOGLOSS_KEYS);
  const normalize = optional(fn, 'normalize', o.normalize, booleanOption) ?? true;
  const eps = o.eps ?? 2.220446049250313e-16;
  if (typeof eps !== 'number' || !(eps >= 0 && eps < 0.5)) throw new ValueError(`${fn}: eps must be in [0, 0.5), got ${describeValue(eps)}`);
  const t = vec(fn, 'yTrue', yTrue);
  const m = matrix(fn, 'yPred', yPred);
  sameLength(fn, 'yTrue', t.length, 'yPred', m.rows);
  nonEmpty(fn, 'yTrue', t.length);
  const w = weights(fn, o.sampleWeight, t.length);
  const classes = o.labels === undefined ? uniqueSorted(t) : uniqueSorted(labelList(fn, o.labels));
  if (classes.length < 2) throw new ValueError(`${fn}: ${o.labels === undefined ? 'yTrue' : 'labels'} holds only one label (${classes[0]}); give the labels explicitly`);
  const cols = m.cols === 1 ? 2 : m.cols;
  if (cols !== classes.length) throw new ValueError(`${fn}: ${classes.length} classes [${classes.join(', ')}] but yPred has ${cols} columns`);
  const index = new Map(classes.map((c, i) => [c, i]));
  let total = 0, wsum = 0;
  const clip = (v: number) => Math.min(Math.max(v, eps), 1 - eps);
  for (let i = 0; i < t.length; i++) {
    const c = index.get(t[i]);
    if (c === undefined) throw new ValueError(`${fn}: yTrue[${i}] = ${t[i]} is not one of the labels [${classes.join(', ')}]`);
    let pc: number, rowSum: number;
    if (m.cols === 1) {
      const p = clip(m.data[i]);
      const q = 1 - p;
      rowSum = q + p;
      pc = c === 1 ? p : q;
    } else {
      rowSum = 0;
      for (let j = 0; j < cols; j++) rowSum += clip(m.data[i * cols + j]);
      pc = clip(m.data[i * cols + c]);
    }
    const wi = w ? w[i] : 1;
    total += -Math.log(pc / rowSum) * wi;
    wsum += wi;
  }
  return normalize ? total / wsum : total;
}

/** Fraction of samples whose true class is among the k highest scores (ties: the higher class index ranks first, as scikit-learn). */
export function topKAccuracyScore(yTrue: MetricInput, scores: ScoreInput, options: TopKOptions = {}): number {
  const fn = 'metrics.topKAccuracyScore';
  const o = checkOptions(fn, options, TOPK_KEYS);
  const k = o.k === undefined ? 2 : positiveInt(fn, 'k', o.k);
  const normalize = optional(fn, 'normalize', o.normalize, booleanOption) ?? true;
  const t = vec(fn, 'yTrue', yTrue);
  const m = matrix(fn, 'scores', scores);
  sameLength(fn, 'yTrue', t.length, 'scores', m.rows);
  nonEmpty(fn, 'yTrue', t.length);
  const w = weights(fn, o.sampleWeight, t.length);
  const classes = o.labels === undefined ? uniqueSorted(t) : labelList(fn, o.labels);
  const hits = new Float64Array(t.length);
  if (m.vector || m.cols === 1) {
    if (classes.length > 2) throw new ShapeError(`${fn}: ${classes.length} classes need a [samples, classes] score matrix`);
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < m.rows; i++) { lo = Math.min(lo, m.data[i]); hi = Math.max(hi, m.data[i]); }
    const thr = lo >= 0 && hi <= 1 ? 0.5 : 0;
    const top = classes[classes.length - 1];
    for (let i = 0; i < t.length; i++) hits[i] = k === 1 ? ((m.data[i] > thr ? 1 : 0) === (classes.length === 2 && t[i] === top ? 1 : 0) ? 1 : 0) : 1;
  } else {
    const c = m.cols;
    if (classes.length !== c) throw new ValueError(`${fn}: ${classes.length} classes [${classes.join(', ')}] but scores has ${c} columns`);
    if (k >= c) console.warn(`${fn}: k (${k}) >= the number of classes (${c}) gives a perfect score`);
    const index = new Map(classes.map((x, i) => [x, i]));
    for (let i = 0; i < t.length; i++) {
      const j = index.get(t[i]);
      if (j === undefined) throw new ValueError(`${fn}: yTrue[${i}] = ${t[i]} is not one of the labels [${classes.join(', ')}]`);
      const sj = m.data[i * c + j];
      let ahead = 0;
      for (let l = 0; l < c; l++) { const sl = m.data[i * c + l]; if (sl > sj || (sl === sj && l > j)) ahead++; }
      hits[i] = ahead < k ? 1 : 0;
    }
  }
  let s = 0, sw = 0;
  for (let i = 0; i < t.length; i++) { const wi = w ? w[i] : 1; s += hits[i] * wi; sw += wi; }
  return normalize ? s / sw : s;
}
