/** Classification metrics with scikit-learn's (1.2) definitions, label order and zero-division rules. */
import { ValueError } from '../core/errors.js';
import { checkOptions, optionKeys, booleanOption, optional, oneOf, nonNegativeInt, describeValue, stringArray } from '../core/validate.js';
import { type MetricInput, vec, sameLength, nonEmpty, uniqueSorted, weights, labelList } from './input.js';

/** How precision, recall and F combine the classes, as scikit-learn's `average`. */
export type Average = 'binary' | 'micro' | 'macro' | 'weighted';
/** 'warn' gives 0 and a console.warn line, as scikit-learn. */
export type ZeroDivision = 'warn' | 0 | 1;

function pair(fn: string, yTrue: MetricInput, yPred: MetricInput): [ArrayLike<number>, ArrayLike<number>] {
  const t = vec(fn, 'yTrue', yTrue);
  const p = vec(fn, 'yPred', yPred);
  sameLength(fn, 'yTrue', t.length, 'yPred', p.length);
  nonEmpty(fn, 'yTrue', t.length);
  return [t, p];
}

/** Options of `metrics.accuracyScore`. */
export interface AccuracyOptions {
  /** Fraction of correct samples (default true) or their (weighted) count. */
  normalize?: boolean;
  /** A weight >= 0 per sample (scikit-learn's sample_weight). Default: none (every sample weighs 1). */
  sampleWeight?: MetricInput;
}
const ACC_KEYS = optionKeys<AccuracyOptions>({ normalize: true, sampleWeight: true });

/** Fraction (or count) of samples whose predicted label equals the true one. */
export function accuracyScore(yTrue: MetricInput, yPred: MetricInput, options: AccuracyOptions = {}): number {
  const fn = 'metrics.accuracyScore';
  const o = checkOptions(fn, options, ACC_KEYS);
  const normalize = optional(fn, 'normalize', o.normalize, booleanOption) ?? true;
  const [t, p] = pair(fn, yTrue, yPred);
  const w = weights(fn, o.sampleWeight, t.length);
  let hits = 0, total = 0;
  for (let i = 0; i < t.length; i++) {
    const wi = w ? w[i] : 1;
    if (Number(t[i]) === Number(p[i])) hits += wi;
    total += wi;
  }
  if (!normalize) return hits;
  if (total === 0) throw new ValueError(`${fn}: the sample weights sum to zero`);
  return hits / total;
}

/** Options of `metrics.confusionMatrix`. */
export interface ConfusionMatrixOptions {
  /** Classes in row/column order (default: the sorted labels of yTrue and yPred); samples of other labels are left out. */
  labels?: readonly number[];
  /** Divide by the row sums ('true'), the column sums ('pred') or the total ('all'). Default: null (counts). */
  normalize?: 'true' | 'pred' | 'all' | null;
  /** A weight >= 0 per sample (scikit-learn's sample_weight). Default: none (every sample weighs 1). */
  sampleWeight?: MetricInput;
}
const CM_KEYS = optionKeys<ConfusionMatrixOptions>({ labels: true, normalize: true, sampleWeight: true });

/** Counts C[i][j] of samples of true class i predicted as class j (rows true, columns predicted). */
export function confusionMatrix(yTrue: MetricInput, yPred: MetricInput, options: ConfusionMatrixOptions = {}): number[][] {
  const fn = 'metrics.confusionMatrix';
  const o = checkOptions(fn, options, CM_KEYS);
  const norm = o.normalize === undefined || o.normalize === null ? null : oneOf(fn, 'normalize', o.normalize, ['true', 'pred', 'all'] as const);
  const [t, p] = pair(fn, yTrue, yPred);
  const w = weights(fn, o.sampleWeight, t.length);
  const labels = o.labels === undefined ? uniqueSorted(t, p) : labelList(fn, o.labels);
  const index = new Map(labels.map((l, i) => [l, i]));
  if (o.labels !== undefined && !Array.from(t).some((v) => index.has(Number(v)))) {
    throw new ValueError(`${fn}: none of the labels [${labels.join(', ')}] is in yTrue`);
  }
  const k = labels.length;
  const cm = labels.map(() => new Array<number>(k).fill(0));
  for (let i = 0; i < t.length; i++) {
    const a = index.get(Number(t[i]));
    const b = index.get(Number(p[i]));
    if (a !== undefined && b !== undefined) cm[a][b] += w ? w[i] : 1;
  }
  if (norm === 'true') for (const row of cm) { const s = row.reduce((x, y) => x + y, 0); for (let j = 0; j < k; j++) row[j] = s === 0 ? 0 : row[j] / s; }
  else if (norm === 'pred') for (let j = 0; j < k; j++) { let s = 0; for (const row of cm) s += row[j]; for (const row of cm) row[j] = s === 0 ? 0 : row[j] / s; }
  else if (norm === 'all') { const s = cm.flat().reduce((x, y) => x + y, 0); for (const row of cm) for (let j = 0; j < k; j++) row[j] = s === 0 ? 0 : row[j] / s; }
  return cm;
}

/** Options of `metrics.precisionScore`, `recallScore`, `f1Score` and `precisionRecallFscoreSupport`. */
export interface PrfOptions {
  /** 'binary' (default) reports posLabel only; null gives one value per label. */
  average?: Average | null;
  /** The positive class of a binary problem (default 1). */
  posLabel?: number;
  /** Labels to report and their order (default: sorted labels of yTrue and yPred). */
  labels?: readonly number[];
  /** Value for 0/0 (default 'warn': 0 and a warning). */
  zeroDivision?: ZeroDivision;
  /** A weight >= 0 per sample (scikit-learn's sample_weight). Default: none (every sample weighs 1). */
  sampleWeight?: MetricInput;
}
/** Options of `metrics.fbetaScore`. */
export interface FbetaOptions extends PrfOptions {
  /** Weight of recall against precision (default 1). */
  beta?: number;
}
const PRF_KEYS = optionKeys<FbetaOptions>({ average: true, posLabel: true, labels: true, zeroDivision: true, sampleWeight: true, beta: true });

/** Precision, recall, F score and support: numbers for an average, arrays per label for average null. */
export interface PrfResult<T> { precision: T; recall: T; fscore: T; support: T extends number ? null : number[] }

type Which = 'precision' | 'recall' | 'f-score';

function zeroDiv(fn: string, v: unknown): ZeroDivision {
  if (v === undefined || v === 'warn') return 'warn';
  if (v === 0 || v === 1) return v;
  throw new ValueError(`${fn}: zeroDivision must be 'warn', 0 or 1, got ${describeValue(v)}`);
}

function warnPrf(fn: string, average: string | null, modifier: string, start: string, n: number): void {
  const axis = average === 'samples' ? 'samples' : 'labels';
  const one = n === 1 && average !== null;
  console.warn(`${fn}: ${start} ill-defined and being set to 0.0 ${one ? 'due to' : `in ${axis} with`} no ${modifier} samples. Use zeroDivision to control this behavior.`);
}

/** Per-label (or averaged) precision, recall, F-beta and support, as scikit-learn's precision_recall_fscore_support. */
function prfs(fn: string, yTrue: MetricInput, yPred: MetricInput, input: FbetaOptions, warnFor: readonly Which[], defaultAverage: Average | null): PrfResult<number> | PrfResult<number[]> {
  const o = checkOptions(fn, input, PRF_KEYS);
  const average = o.average === null ? null : o.average === undefined ? defaultAverage : oneOf(fn, 'average', o.average, ['binary', 'micro', 'macro', 'weighted'] as const);
  const zd = zeroDiv(fn, o.zeroDivision);
  const beta = o.beta ?? 1;
  if (typeof beta !== 'number' || !(beta >= 0)) throw new ValueError(`${fn}: beta must be a number >= 0, got ${describeValue(beta)}`);
  const posLabel = o.posLabel ?? 1;
  if (typeof posLabel !== 'number' || !Number.isFinite(posLabel)) throw new ValueError(`${fn}: posLabel must be a finite number, got ${describeValue(posLabel)}`);
  const [t, p] = pair(fn, yTrue, yPred);
  const w = weights(fn, o.sampleWeight, t.length);
  const present = uniqueSorted(t, p);
  let labels = o.labels === undefined ? null : labelList(fn, o.labels);
  if (average === 'binary') {
    if (present.length <= 2) {
      if (!present.includes(posLabel) && present.length >= 2) throw new ValueError(`${fn}: posLabel=${posLabel} is not a valid label; it should be one of [${present.join(', ')}]`);
      labels = [posLabel];
    } else {
      throw new ValueError(`${fn}: the target is multiclass (labels [${present.join(', ')}]) but average is 'binary'; choose average 'micro', 'macro', 'weighted' or null`);
    }
  }
  const chosen = labels ?? present;
  const index = new Map(chosen.map((l, i) => [l, i]));
  const k = chosen.length;
  let tp = new Array<number>(k).fill(0), pred = new Array<number>(k).fill(0), tru = new Array<number>(k).fill(0);
  for (let i = 0; i < t.length; i++) {
    const wi = w ? w[i] : 1;
    const a = index.get(Number(t[i]));
    const b = index.get(Number(p[i]));
    if (a !== undefined) tru[a] += wi;
    if (b !== undefined) pred[b] += wi;
    if (a !== undefined && Number(t[i]) === Number(p[i])) tp[a] += wi;
  }
  const support = tru.slice();
  if (average === 'micro') {
    const s = (x: number[]) => [x.reduce((u, v) => u + v, 0)];
    tp = s(tp); pred = s(pred); tru = s(tru);
  }
  const divide = (num: number[], den: number[], metric: Which, modifier: string): number[] => {
    let any = false;
    const r = num.map((x, i) => { if (den[i] === 0) { any = true; return zd === 1 ? 1 : 0; } return x / den[i]; });
    if (any && zd === 'warn' && warnFor.includes(metric)) {
      const start = warnFor.includes('f-score') ? `${metric === 'precision' ? 'Precision' : 'Recall'} and F-score are` : `${metric === 'precision' ? 'Precision' : 'Recall'} is`;
      warnPrf(fn, average, modifier, start, r.length);
    }
    return r;
  };
  const precision = divide(tp, pred, 'precision', 'predicted');
  const recall = divide(tp, tru, 'recall', 'true');
  if (zd === 'warn' && warnFor.length === 1 && warnFor[0] === 'f-score' && tru.some((x, i) => x === 0 && pred[i] === 0)) {
    warnPrf(fn, average, 'true nor predicted', 'F-score is', tru.length);
  }
  const b2 = beta * beta;
  const fscore = beta === Infinity ? recall.slice() : precision.map((pr, i) => {
    const den = b2 * pr + recall[i];
    return ((1 + b2) * pr * recall[i]) / (den === 0 ? 1 : den);
  });
  if (average === null) return { precision, recall, fscore, support };
  let wts: number[] | null = null;
  if (average === 'weighted') {
    wts = tru;
    if (tru.reduce((u, v) => u + v, 0) === 0) {
      const z = zd === 1 ? 1 : 0;
      if (pred.reduce((u, v) => u + v, 0) === 0) return { precision: z, recall: z, fscore: z, support: null };
      return { precision: 0, recall: z, fscore: 0, support: null };
    }
  }
  const avg = (x: number[]) => {
    if (!wts) return x.reduce((u, v) => u + v, 0) / x.length;
    let s = 0, sw = 0;
    for (let i = 0; i < x.length; i++) { s += x[i] * wts[i]; sw += wts[i]; }
    return s / sw;
  };
  if (k === 0) throw new ValueError(`${fn}: no labels to average over`);
  return { precision: avg(precision), recall: avg(recall), fscore: avg(fscore), support: null };
}

/** Precision, recall, F-beta and support (average null: per label; else one number each and support null). */
export function precisionRecallFscoreSupport(yTrue: MetricInput, yPred: MetricInput, options?: FbetaOptions & { average?: null }): PrfResult<number[]>;
export function precisionRecallFscoreSupport(yTrue: MetricInput, yPred: MetricInput, options: FbetaOptions & { average: Average }): PrfResult<number>;
export function precisionRecallFscoreSupport(yTrue: MetricInput, yPred: MetricInput, options?: FbetaOptions): PrfResult<number> | PrfResult<number[]>;
export function precisionRecallFscoreSupport(yTrue: MetricInput, yPred: MetricInput, options: FbetaOptions = {}): PrfResult<number> | PrfResult<number[]> {
  return prfs('metrics.precisionRecallFscoreSupport', yTrue, yPred, options, ['precision', 'recall', 'f-score'], null);
}

function pick(r: PrfResult<number> | PrfResult<number[]>, key: 'precision' | 'recall' | 'fscore'): number | number[] {
  return r[key];
}

/** tp / (tp + fp). */
export function precisionScore(yTrue: MetricInput, yPred: MetricInput, options: PrfOptions & { average: null }): number[];
export function precisionScore(yTrue: MetricInput, yPred: MetricInput, options?: PrfOptions & { average?: Average }): number;
export function precisionScore(yTrue: MetricInput, yPred: MetricInput, options?: PrfOptions): number | number[];
export function precisionScore(yTrue: MetricInput, yPred: MetricInput, options: PrfOptions = {}): number | number[] {
  return pick(prfs('metrics.precisionScore', yTrue, yPred, { ...checkOptions('metrics.precisionScore', options, PRF_KEYS), beta: undefined }, ['precision'], 'binary'), 'precision');
}

/** tp / (tp + fn). */
export function recallScore(yTrue: MetricInput, yPred: MetricInput, options: PrfOptions & { average: null }): number[];
export function recallScore(yTrue: MetricInput, yPred: MetricInput, options?: PrfOptions & { average?: Average }): number;
export function recallScore(yTrue: MetricInput, yPred: MetricInput, options?: PrfOptions): number | number[];
export function recallScore(yTrue: MetricInput, yPred: MetricInput, options: PrfOptions = {}): number | number[] {
  return pick(prfs('metrics.recallScore', yTrue, yPred, { ...checkOptions('metrics.recallScore', options, PRF_KEYS), beta: undefined }, ['recall'], 'binary'), 'recall');
}

/** Harmonic mean of precision and recall. */
export function f1Score(yTrue: MetricInput, yPred: MetricInput, options: PrfOptions & { average: null }): number[];
export function f1Score(yTrue: MetricInput, yPred: MetricInput, options?: PrfOptions & { average?: Average }): number;
export function f1Score(yTrue: MetricInput, yPred: MetricInput, options?: PrfOptions): number | number[];
export function f1Score(yTrue: MetricInput, yPred: MetricInput, options: PrfOptions = {}): number | number[] {
  return pick(prfs('metrics.f1Score', yTrue, yPred, { ...checkOptions('metrics.f1Score', options, PRF_KEYS), beta: 1 }, ['f-score'], 'binary'), 'fscore');
}

/** (1 + beta^2) p r / (beta^2 p + r). */
export function fbetaScore(yTrue: MetricInput, yPred: MetricInput, options: FbetaOptions & { beta: number; average: null }): number[];
export function fbetaScore(yTrue: MetricInput, yPred: MetricInput, options: FbetaOptions & { beta: number; average?: Average }): number;
export function fbetaScore(yTrue: MetricInput, yPred: MetricInput, options: FbetaOptions & { beta: number }): number | number[];
export function fbetaScore(yTrue: MetricInput, yPred: MetricInput, options: FbetaOptions & { beta: number }): number | number[] {
  const fn = 'metrics.fbetaScore';
  const o = checkOptions(fn, options, PRF_KEYS);
  if (o.beta === undefined) throw new ValueError(`${fn}: options.beta is required, e.g. { beta: 0.5 }`);
  return pick(prfs(fn, yTrue, yPred, o, ['f-score'], 'binary'), 'fscore');
}

/** Options of `metrics.classificationReport`. */
export interface ClassificationReportOptions {
  /** Labels to report (default: sorted labels of yTrue and yPred). */
  labels?: readonly number[];
  /** Row names, one per label. Default: the labels as text. */
  targetNames?: readonly string[];
  /** Decimals in the text (default 2). */
  digits?: number;
  /** Return an object instead of the text table. Default: false. */
  outputDict?: boolean;
  /** Value for 0/0 (default 'warn': 0 and a warning). */
  zeroDivision?: ZeroDivision;
}
const REPORT_KEYS = optionKeys<ClassificationReportOptions>({ labels: true, targetNames: true, digits: true, outputDict: true, zeroDivision: true });

/** One row of a classification report. */
export interface ReportRow { precision: number; recall: number; 'f1-score': number; support: number }
/** `classificationReport(..., { outputDict: true })`: a row per class and average, and the accuracy. */
export type ClassificationReportDict = Record<string, ReportRow | number>;

/** Python's '{:.nf}': the nearest n-digit decimal, ties to even (JavaScript's toFixed rounds ties up). */
export function pyFixed(x: number, digits: number): string {
  const s = x.toFixed(digits);
  const exact = Math.abs(x).toFixed(Math.min(100, digits + 60));
  const tail = exact.slice(exact.indexOf('.') + 1 + digits);
  if (tail.length > 0 && tail[0] === '5' && /^50*$/.test(tail)) {
    // A tie: keep the even neighbour.
    const down = (x < 0 ? '-' : '') + exact.slice(0, exact.length - tail.length).replace(/\.$/, '');
    const lastDigit = Number(down[down.length - 1]);
    if (lastDigit % 2 === 0) return down;
  }
  return s;
}

const padLeft = (s: string, w: number) => (s.length >= w ? s : ' '.repeat(w - s.length) + s);

/** scikit-learn's classification_report: its text table exactly, or the same numbers as an object. */
export function classificationReport(yTrue: MetricInput, yPred: MetricInput, options: ClassificationReportOptions & { outputDict: true }): ClassificationReportDict;
export function classificationReport(yTrue: MetricInput, yPred: MetricInput, options?: ClassificationReportOptions): string;
export function classificationReport(yTrue: MetricInput, yPred: MetricInput, options: ClassificationReportOptions = {}): string | ClassificationReportDict {
  const fn = 'metrics.classificationReport';
  const o = checkOptions(fn, options, REPORT_KEYS);
  const digits = o.digits === undefined ? 2 : nonNegativeInt(fn, 'digits', o.digits);
  if (digits > 20) throw new ValueError(`${fn}: digits must be at most 20, got ${digits}`);
  const outputDict = optional(fn, 'outputDict', o.outputDict, booleanOption) ?? false;
  const zd = zeroDiv(fn, o.zeroDivision);
  const [t, p] = pair(fn, yTrue, yPred);
  const present = uniqueSorted(t, p);
  const labels = o.labels === undefined ? present : labelList(fn, o.labels);
  const microIsAccuracy = o.labels === undefined || (labels.length === present.length && present.every((l) => labels.includes(l)));
  let names: string[];
  if (o.targetNames !== undefined) {
    names = stringArray(fn, 'targetNames', o.targetNames);
    if (names.length !== labels.length) throw new ValueError(`${fn}: there are ${labels.length} classes but ${names.length} targetNames; give labels to choose the classes`);
  } else names = labels.map(String);
  const per = prfs(fn, t, p, { labels, average: null, zeroDivision: zd }, ['precision', 'recall', 'f-score'], null) as PrfResult<number[]>;
  const total = per.support.reduce((a, b) => a + b, 0);
  const headers = ['precision', 'recall', 'f1-score', 'support'] as const;
  const dict: ClassificationReportDict = {};
  const width = Math.max(...names.map((n) => n.length), 'weighted avg'.length, digits);
  let report = padLeft('', width) + ' ' + headers.map((h) => ' ' + padLeft(h, 9)).join('') + '\n\n';
  const row = (name: string, v: number[], support: number) =>
    padLeft(name, width) + ' ' + v.map((x) => ' ' + padLeft(pyFixed(x, digits), 9)).join('') + ' ' + padLeft(String(support), 9) + '\n';
  names.forEach((n, i) => {
    dict[n] = { precision: per.precision[i], recall: per.recall[i], 'f1-score': per.fscore[i], support: per.support[i] };
    report += row(n, [per.precision[i], per.recall[i], per.fscore[i]], per.support[i]);
  });
  report += '\n';
  for (const average of ['micro', 'macro', 'weighted'] as const) {
    const heading = average === 'micro' && microIsAccuracy ? 'accuracy' : `${average} avg`;
    const r = prfs(fn, t, p, { labels, average, zeroDivision: zd }, ['precision', 'recall', 'f-score'], null) as PrfResult<number>;
    if (heading === 'accuracy') {
      dict.accuracy = r.fscore;
      report += padLeft(heading, width) + ' ' + ' ' + padLeft('', 9) + ' ' + padLeft('', 9) + ' ' + padLeft(pyFixed(r.fscore, digits), 9) + ' ' + padLeft(String(total), 9) + '\n';
    } else {
      dict[heading] = { precision: r.precision, recall: r.recall, 'f1-score': r.fscore, support: total };
      report += row(heading, [r.precision, r.recall, r.fscore], total);
    }
  }
  return outputDict ? dict : report;
}

/** Options of `metrics.topKAccuracyScore`. */
export interface TopKOptions {
  /** How many of the highest scores count (default 2). */
  k?: number;
  /** Fraction of samples whose true class is among the top k (default true) or their (weighted) count. */
  normalize?: boolean;
  /** A weight >= 0 per sample (scikit-learn's sample_weight). Default: none (every sample weighs 1). */
  sampleWeight?: MetricInput;
  /** Classes of the score columns (default: sorted labels of yTrue). */
  labels?: readonly number[];
}
export const TOPK_KEYS = optionKeys<TopKOptions>({ k: true, normalize: true, sampleWeight: true, labels: true });
