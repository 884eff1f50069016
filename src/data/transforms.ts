/**
 * Data set transforms on Tensors whose first axis is the sample axis (any rank): shuffling,
 * train/test splits, scalers, concatenation. Randomness comes only from the seeded generator.
 */
import { DTypeError, ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { booleanOption, checkOptions, finiteNumber, optionKeys, optional, orderedPair } from '../core/validate.js';
import { Random, rngFor } from '../tensor/random.js';
import { Tensor, allocate, type DType } from '../tensor/tensor.js';
import { allocateOutput, isFloatDType } from '../tensor/dtype.js';

/** Samples `x` with targets `y`; `labels` holds integer class labels when they exist. */
export interface Dataset {
  x: Tensor;
  y: Tensor;
  labels?: Int32Array;
}

/** Options of `shuffle`. */
export interface SeedOptions {
  /** Seed for a reproducible result. Default: none (the global generator, see manualSeed, draws). */
  seed?: number;
}

function checkTensor(fn: string, arg: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof Tensor)) {
    throw new ValueError(`${fn}: ${arg} must be a Tensor, got ${t === null ? 'null' : typeof t}`);
  }
  if (t.rank === 0) throw new ShapeError(`${fn}: ${arg} must have a sample axis, got a scalar of shape []`);
}

function checkSameLength(fn: string, x: Tensor, y: Tensor): void {
  if (x.shape[0] !== y.shape[0]) {
    throw new ShapeError(`${fn}: x has ${x.shape[0]} samples but y has ${y.shape[0]} (x ${fmtShape(x.shape)}, y ${fmtShape(y.shape)})`);
  }
}

const SEED_KEYS = optionKeys<SeedOptions>({ seed: true });

/** The rows of `t` at `idx` along the first axis, as a new tensor. */
export function takeRows(t: Tensor, idx: ArrayLike<number>): Tensor {
  const row = t.shape[0] === 0 ? 0 : t.size / t.shape[0];
  const n = idx.length * row;
  // every value is overwritten: a float batch from fit's pool needs no zeroing first
  const out = isFloatDType(t.dtype) ? allocateOutput(t.dtype, n) : allocate(t.dtype, n);
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i];
    out.set(t.data.subarray(r * row, (r + 1) * row), i * row);
  }
  return new Tensor(out, [idx.length, ...t.shape.slice(1)]);
}

/** Shuffles the samples of x (and y in the same order). */
export function shuffle(x: Tensor, options?: SeedOptions): Tensor;
export function shuffle(x: Tensor, y: Tensor, options?: SeedOptions): { x: Tensor; y: Tensor };
export function shuffle(x: Tensor, yOrOptions?: Tensor | SeedOptions, maybeOptions?: SeedOptions): Tensor | { x: Tensor; y: Tensor } {
  const y = yOrOptions instanceof Tensor ? yOrOptions : undefined;
  const options = checkOptions('shuffle', yOrOptions instanceof Tensor ? maybeOptions : yOrOptions, SEED_KEYS);
  const seed = optional('shuffle', 'seed', options.seed, finiteNumber);
  checkTensor('shuffle', 'x', x);
  if (y !== undefined) {
    checkTensor('shuffle', 'y', y);
    checkSameLength('shuffle', x, y);
  }
  const perm = rngFor(seed).permutation(x.shape[0]);
  return y === undefined ? takeRows(x, perm) : { x: takeRows(x, perm), y: takeRows(y, perm) };
}

/** Options of `trainTestSplit(x, y, options)`. */
export interface TrainTestSplitOptions extends SeedOptions {
  /** Fraction of samples in (0, 1), or a count, for the test set. Default 0.25 (scikit-learn's). */
  testSize?: number;
  /** Shuffle before splitting (default true); false takes the last samples as the test set. */
  shuffle?: boolean;
  /** Keep class proportions in both parts: true stratifies by y, or pass the labels to use. Default: false. */
  stratify?: boolean | Tensor | Int32Array | readonly number[];
}

const SPLIT_KEYS = optionKeys<TrainTestSplitOptions>({ testSize: true, shuffle: true, stratify: true, seed: true });

/** What `trainTestSplit` gives: the training and test parts of x and y. */
export interface TrainTestSplit {
  xTrain: Tensor;
  xTest: Tensor;
  yTrain: Tensor;
  yTest: Tensor;
}

/** Splits x and y into train and test parts, as scikit-learn's train_test_split. */
export function trainTestSplit(x: Tensor, y: Tensor, input: TrainTestSplitOptions = {}): TrainTestSplit {
  const fn = 'trainTestSplit';
  const options = checkOptions(fn, input, SPLIT_KEYS);
  optional(fn, 'seed', options.seed, finiteNumber);
  optional(fn, 'shuffle', options.shuffle, booleanOption);
  const st = options.stratify;
  if (st !== undefined && typeof st !== 'boolean' && !(st instanceof Tensor) && !(st instanceof Int32Array) && !Array.isArray(st)) {
    throw new ValueError(`${fn}: stratify must be true, false, a Tensor, an Int32Array or an array of labels, got ${typeof st}`);
  }
  checkTensor(fn, 'x', x);
  checkTensor(fn, 'y', y);
  checkSameLength(fn, x, y);
  const n = x.shape[0];
  const testSize = options.testSize ?? 0.25;
  let nTest: number;
  if (typeof testSize !== 'number' || !Number.isFinite(testSize) || testSize <= 0) {
    throw new ValueError(`${fn}: testSize must be a fraction in (0, 1) or a positive count, got ${String(testSize)}`);
  } else if (testSize < 1) {
    nTest = Math.ceil(testSize * n);
  } else if (Number.isInteger(testSize)) {
    nTest = testSize;
  } else {
    throw new ValueError(`${fn}: testSize ${testSize} is neither a fraction in (0, 1) nor an integer count`);
  }
  if (nTest >= n) {
    throw new ValueError(`${fn}: testSize ${testSize} leaves no training samples out of ${n}`);
  }
  const nTrain = n - nTest;
  if (nTest === 0) throw new ValueError(`${fn}: testSize ${testSize} of ${n} samples gives an empty test set`);

  const doShuffle = options.shuffle ?? true;
  let train: Int32Array;
  let test: Int32Array;
  if (options.stratify !== undefined && options.stratify !== false) {
    if (!doShuffle) throw new ValueError(`${fn}: stratify needs shuffle: true (as in scikit-learn)`);
    const labels = options.stratify === true ? y : options.stratify;
    [train, test] = stratifiedSplit(classLabels(fn, labels, n), nTrain, nTest, rngFor(options.seed));
  } else if (doShuffle) {
    const perm = rngFor(options.seed).permutation(n);
    test = perm.slice(0, nTest);
    train = perm.slice(nTest);
  } else {
    train = Int32Array.from({ length: nTrain }, (_, i) => i);
    test = Int32Array.from({ length: nTest }, (_, i) => nTrain + i);
  }
  return { xTrain: takeRows(x, train), xTest: takeRows(x, test), yTrain: takeRows(y, train), yTest: takeRows(y, test) };
}

// Class labels as one value per sample: one-hot rows become their argmax, anything else must be
// one value per sample. Values are compared exactly, so any numbers work as class keys.
function classLabels(fn: string, labels: Tensor | Int32Array | readonly number[], n: number): number[] {
  if (labels instanceof Tensor) {
    if (labels.shape[0] !== n) {
      throw new ShapeError(`${fn}: stratify labels have ${labels.shape[0]} samples but x has ${n} (labels ${fmtShape(labels.shape)})`);
    }
    const width = n === 0 ? 1 : labels.size / n;
    if (width === 1) return Array.from(labels.data);
    const out: number[] = new Array(n);
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let j = 1; j < width; j++) if (labels.data[i * width + j] > labels.data[i * width + best]) best = j;
      out[i] = best;
    }
    return out;
  }
  if (labels.length !== n) throw new ShapeError(`${fn}: stratify has ${labels.length} labels but x has ${n} samples`);
  return Array.from(labels);
}

// Per class, a test share proportional to its size; the rounding remainder goes to the classes
// with the largest fractional parts (ties to the larger class, then the smaller label), so the
// totals are exact. Each class's members are shuffled before being dealt out.
function stratifiedSplit(labels: number[], nTrain: number, nTest: number, rng: Random): [Int32Array, Int32Array] {
  const fn = 'trainTestSplit';
  const byClass = new Map<number, number[]>();
  labels.forEach((c, i) => {
    const list = byClass.get(c);
    if (list) list.push(i);
    else byClass.set(c, [i]);
  });
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  for (const c of classes) {
    if (byClass.get(c)!.length < 2) {
      throw new ValueError(`${fn}: class ${c} has only 1 sample; stratify needs at least 2 of each class`);
    }
  }
  if (nTest < classes.length || nTrain < classes.length) {
    throw new ValueError(`${fn}: with stratify, train (${nTrain}) and test (${nTest}) must each hold at least one sample of each of the ${classes.length} classes`);
  }
  const n = labels.length;
  const quota = classes.map((c) => {
    const exact = (nTest * byClass.get(c)!.length) / n;
    return { c, take: Math.floor(exact), frac: exact - Math.floor(exact), size: byClass.get(c)!.length };
  });
  let left = nTest - quota.reduce((s, q) => s + q.take, 0);
  const order = [...quota].sort((a, b) => b.frac - a.frac || b.size - a.size || a.c - b.c);
  for (const q of order) {
    if (left === 0) break;
    q.take++;
    left--;
  }
  const train: number[] = [];
  const test: number[] = [];
  for (const q of quota) {
    const members = byClass.get(q.c)!;
    const perm = rng.permutation(members.length);
    for (let i = 0; i < members.length; i++) (i < q.take ? test : train).push(members[perm[i]]);
  }
  // Mix the classes so neither part comes sorted by label.
  const mix = (idx: number[]): Int32Array => {
    const p = rng.permutation(idx.length);
    return Int32Array.from(p, (k) => idx[k]);
  };
  return [mix(train), mix(test)];
}

/** Concatenates data sets along the sample axis. */
export function concatDatasets(...sets: Dataset[]): Dataset {
  const fn = 'concatDatasets';
  if (sets.length === 0) throw new ValueError(`${fn}: needs at least one data set`);
  sets.forEach((s, i) => {
    checkTensor(fn, `sets[${i}].x`, s.x);
    checkTensor(fn, `sets[${i}].y`, s.y);
    checkSameLength(fn, s.x, s.y);
  });
  const x = concatRows(fn, 'x', sets.map((s) => s.x));
  const y = concatRows(fn, 'y', sets.map((s) => s.y));
  const out: Dataset = { x, y };
  if (sets.every((s) => s.labels !== undefined)) {
    const labels = new Int32Array(x.shape[0]);
    let at = 0;
    for (const s of sets) {
      labels.set(s.labels!, at);
      at += s.labels!.length;
    }
    out.labels = labels;
  }
  return out;
}

function concatRows(fn: string, arg: string, parts: Tensor[]): Tensor {
  const first = parts[0];
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i];
    if (p.rank !== first.rank || p.shape.some((d, k) => k > 0 && d !== first.shape[k])) {
      throw new ShapeError(`${fn}: ${arg} of set ${i} has shape ${fmtShape(p.shape)}, which does not match ${fmtShape(first.shape)} after the sample axis`);
    }
    if (p.dtype !== first.dtype) {
      throw new DTypeError(`${fn}: ${arg} of set ${i} is ${p.dtype} but set 0 is ${first.dtype}`);
    }
  }
  const total = parts.reduce((s, p) => s + p.shape[0], 0);
  const out = allocate(first.dtype, parts.reduce((s, p) => s + p.size, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p.data, at);
    at += p.size;
  }
  return new Tensor(out, [total, ...first.shape.slice(1)]);
}

// ---------- scalers ----------

/** Per-feature statistics over the sample axis; a feature is every position after axis 0. */
function checkFitInput(fn: string, x: Tensor): void {
  checkTensor(fn, 'x', x);
  if (x.shape[0] === 0) throw new ShapeError(`${fn}: x has no samples (shape ${fmtShape(x.shape)})`);
}

function checkFeatures(fn: string, x: Tensor, featureShape: readonly number[]): void {
  checkTensor(fn, 'x', x);
  const got = x.shape.slice(1);
  if (got.length !== featureShape.length || got.some((d, i) => d !== featureShape[i])) {
    throw new ShapeError(`${fn}: x has features of shape ${fmtShape(got)} but the scaler was fitted on ${fmtShape(featureShape)} (x ${fmtShape(x.shape)})`);
  }
}

// out = x * scale + shift per feature, in x's dtype.
function affine(x: Tensor, scale: Float64Array, shift: Float64Array): Tensor {
  const f = scale.length;
  const out = allocate(x.dtype, x.size);
  const src = x.data;
  for (let i = 0; i < src.length; i += f) {
    for (let j = 0; j < f; j++) out[i + j] = src[i + j] * scale[j] + shift[j];
  }
  return new Tensor(out, x.shape);
}

function asTensor(values: Float64Array, shape: readonly number[], dtype: DType): Tensor {
  const data = allocate(dtype, values.length);
  data.set(values);
  return new Tensor(data, shape);
}

/** Options of `standardScaler` (scikit-learn's StandardScaler). */
export interface StandardScalerOptions {
  /** Subtract the mean (default true). */
  withMean?: boolean;
  /** Divide by the standard deviation (default true). */
  withStd?: boolean;
}

const STANDARD_KEYS = optionKeys<StandardScalerOptions>({ withMean: true, withStd: true });

/** Removes the mean and scales to unit variance per feature (population std; a std of 0 becomes 1). */
export class StandardScaler {
  readonly withMean: boolean;
  readonly withStd: boolean;
  private meanValues: Float64Array | null = null;
  private scaleValues: Float64Array | null = null;
  private varValues: Float64Array | null = null;
  private featureShape: number[] = [];
  private fitDtype: DType = 'float32';
  /** Samples seen by the last fit. */
  nSamplesSeen = 0;

  constructor(options: StandardScalerOptions = {}) {
    const fn = 'StandardScaler';
    const o = checkOptions(fn, options, STANDARD_KEYS);
    this.withMean = optional(fn, 'withMean', o.withMean, booleanOption) ?? true;
    this.withStd = optional(fn, 'withStd', o.withStd, booleanOption) ?? true;
  }

  fit(x: Tensor): this {
    checkFitInput('StandardScaler.fit', x);
    const n = x.shape[0];
    const f = x.size / n;
    // Two passes in float64: the mean, then squared deviations (stable, unlike E[x^2] - E[x]^2).
    const mean = new Float64Array(f);
    for (let i = 0; i < x.size; i += f) for (let j = 0; j < f; j++) mean[j] += x.data[i + j];
    for (let j = 0; j < f; j++) mean[j] /= n;
    const variance = new Float64Array(f);
    for (let i = 0; i < x.size; i += f) {
      for (let j = 0; j < f; j++) {
        const d = x.data[i + j] - mean[j];
        variance[j] += d * d;
      }
    }
    const scale = new Float64Array(f);
    for (let j = 0; j < f; j++) {
      variance[j] /= n;
      const s = Math.sqrt(variance[j]);
      scale[j] = s === 0 ? 1 : s;
    }
    this.meanValues = mean;
    this.varValues = variance;
    this.scaleValues = scale;
    this.featureShape = x.shape.slice(1);
    this.fitDtype = x.dtype;
    this.nSamplesSeen = n;
    return this;
  }

  private fitted(fn: string): { mean: Float64Array; scale: Float64Array } {
    if (this.meanValues === null || this.scaleValues === null) {
      throw new ValueError(`StandardScaler.${fn}: the scaler is not fitted yet; call fit(x) or fitTransform(x) first`);
    }
    return { mean: this.meanValues, scale: this.scaleValues };
  }

  transform(x: Tensor): Tensor {
    const { mean, scale } = this.fitted('transform');
    checkFeatures('StandardScaler.transform', x, this.featureShape);
    const a = new Float64Array(mean.length);
    const b = new Float64Array(mean.length);
    for (let j = 0; j < mean.length; j++) {
      a[j] = this.withStd ? 1 / scale[j] : 1;
      b[j] = this.withMean ? -mean[j] * a[j] : 0;
    }
    return affine(x, a, b);
  }

  fitTransform(x: Tensor): Tensor {
    return this.fit(x).transform(x);
  }

  inverseTransform(x: Tensor): Tensor {
    const { mean, scale } = this.fitted('inverseTransform');
    checkFeatures('StandardScaler.inverseTransform', x, this.featureShape);
    const a = new Float64Array(mean.length);
    const b = new Float64Array(mean.length);
    for (let j = 0; j < mean.length; j++) {
      a[j] = this.withStd ? scale[j] : 1;
      b[j] = this.withMean ? mean[j] : 0;
    }
    return affine(x, a, b);
  }

  /** Per-feature mean, shaped like one sample. */
  get mean(): Tensor {
    return asTensor(this.fitted('mean').mean, this.featureShape, this.fitDtype);
  }

  /** Per-feature scale (std with zeros replaced by 1), shaped like one sample. */
  get scale(): Tensor {
    return asTensor(this.fitted('scale').scale, this.featureShape, this.fitDtype);
  }

  /** Per-feature population variance, shaped like one sample. */
  get variance(): Tensor {
    this.fitted('variance');
    return asTensor(this.varValues!, this.featureShape, this.fitDtype);
  }
}

/** Options of `minMaxScaler` (scikit-learn's MinMaxScaler). */
export interface MinMaxScalerOptions {
  /** Target range [min, max] with min < max. Default [0, 1]. */
  featureRange?: readonly [number, number];
}

const MIN_MAX_KEYS = optionKeys<MinMaxScalerOptions>({ featureRange: true });

/** Scales each feature to featureRange by its min and max; a constant feature maps to the range minimum. */
export class MinMaxScaler {
  readonly featureRange: readonly [number, number];
  private dataMinValues: Float64Array | null = null;
  private dataMaxValues: Float64Array | null = null;
  private scaleValues: Float64Array | null = null;
  private minValues: Float64Array | null = null;
  private featureShape: number[] = [];
  private fitDtype: DType = 'float32';

  constructor(options: MinMaxScalerOptions = {}) {
    const o = checkOptions('MinMaxScaler', options, MIN_MAX_KEYS);
    this.featureRange = orderedPair('MinMaxScaler', 'featureRange', o.featureRange ?? [0, 1], ['min', 'max']);
  }

  fit(x: Tensor): this {
    checkFitInput('MinMaxScaler.fit', x);
    const f = x.size / x.shape[0];
    const lo = new Float64Array(f).fill(Infinity);
    const hi = new Float64Array(f).fill(-Infinity);
    for (let i = 0; i < x.size; i += f) {
      for (let j = 0; j < f; j++) {
        const v = x.data[i + j];
        if (v < lo[j]) lo[j] = v;
        if (v > hi[j]) hi[j] = v;
      }
    }
    const [a, b] = this.featureRange;
    const scale = new Float64Array(f);
    const min = new Float64Array(f);
    for (let j = 0; j < f; j++) {
      const range = hi[j] - lo[j];
      // As scikit-learn: a zero range counts as 1, so a constant feature maps to a + (v - lo) = a.
      scale[j] = (b - a) / (range === 0 ? 1 : range);
      min[j] = a - lo[j] * scale[j];
    }
    this.dataMinValues = lo;
    this.dataMaxValues = hi;
    this.scaleValues = scale;
    this.minValues = min;
    this.featureShape = x.shape.slice(1);
    this.fitDtype = x.dtype;
    return this;
  }

  private fitted(fn: string): { scale: Float64Array; min: Float64Array } {
    if (this.scaleValues === null || this.minValues === null) {
      throw new ValueError(`MinMaxScaler.${fn}: the scaler is not fitted yet; call fit(x) or fitTransform(x) first`);
    }
    return { scale: this.scaleValues, min: this.minValues };
  }

  transform(x: Tensor): Tensor {
    const { scale, min } = this.fitted('transform');
    checkFeatures('MinMaxScaler.transform', x, this.featureShape);
    return affine(x, scale, min);
  }

  fitTransform(x: Tensor): Tensor {
    return this.fit(x).transform(x);
  }

  inverseTransform(x: Tensor): Tensor {
    const { scale, min } = this.fitted('inverseTransform');
    checkFeatures('MinMaxScaler.inverseTransform', x, this.featureShape);
    const a = new Float64Array(scale.length);
    const b = new Float64Array(scale.length);
    for (let j = 0; j < scale.length; j++) {
      a[j] = 1 / scale[j];
      b[j] = -min[j] / scale[j];
    }
    return affine(x, a, b);
  }

  get dataMin(): Tensor {
    this.fitted('dataMin');
    return asTensor(this.dataMinValues!, this.featureShape, this.fitDtype);
  }

  get dataMax(): Tensor {
    this.fitted('dataMax');
    return asTensor(this.dataMaxValues!, this.featureShape, this.fitDtype);
  }

  get scale(): Tensor {
    return asTensor(this.fitted('scale').scale, this.featureShape, this.fitDtype);
  }
}

/** A StandardScaler, as scikit-learn's StandardScaler(). */
export function standardScaler(options: StandardScalerOptions = {}): StandardScaler {
  return new StandardScaler(options);
}

/** A MinMaxScaler, as scikit-learn's MinMaxScaler(). */
export function minMaxScaler(options: MinMaxScalerOptions = {}): MinMaxScaler {
  return new MinMaxScaler(options);
}
