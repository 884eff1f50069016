// Cross-validation splitters with scikit-learn's folds: the same sizes, order and (for a seed) the
// same shuffles, drawn from NumPy's RandomState through data/mt19937.
import { ShapeError, ValueError } from '../core/errors.js';
import { booleanOption, checkOptions, intInRange, optionKeys, positiveInt } from '../core/validate.js';
import { MT19937 } from '../data/mt19937.js';
import { Tensor } from '../tensor/tensor.js';

/** Labels: a 1-D tensor, an array or a typed array. */
export type Labels = Tensor | readonly number[] | Int32Array | Float32Array | Float64Array;

/** One fold: the rows to train on and the rows to test on, each in increasing order. */
export interface Fold {
  train: Int32Array;
  test: Int32Array;
}

/** Anything with `split(x, y)` giving folds (KFold, StratifiedKFold, or your own). */
export interface Splitter {
  readonly nSplits: number;
  split(x: SampleCount, y?: Labels): Fold[];
}

/** The samples to split: a tensor or array (its first axis), or a count. */
export type SampleCount = number | Tensor | { readonly length: number };

/** Options of `new KFold(options)` and `new StratifiedKFold(options)`. */
export interface KFoldOptions {
  /** Folds, >= 2 (default 5). */
  nSplits?: number;
  /** Shuffle the samples before cutting folds (default false: consecutive blocks). */
  shuffle?: boolean;
  /** Seed of the shuffle, NumPy's RandomState(seed) (0 <= seed < 2^32; default 0). Only with shuffle. */
  seed?: number;
}

const KFOLD_KEYS = optionKeys<KFoldOptions>({ nSplits: true, shuffle: true, seed: true });

function checkKFold(fn: string, input: KFoldOptions | undefined): Required<KFoldOptions> {
  const o = checkOptions(fn, input ?? {}, KFOLD_KEYS);
  const nSplits = o.nSplits === undefined ? 5 : positiveInt(fn, 'nSplits', o.nSplits);
  if (nSplits < 2) throw new ValueError(`${fn}: nSplits must be at least 2, got ${nSplits}`);
  const shuffle = o.shuffle === undefined ? false : booleanOption(fn, 'shuffle', o.shuffle);
  if (o.seed !== undefined && !shuffle) throw new ValueError(`${fn}: seed is used only with shuffle: true (as scikit-learn, which rejects random_state without shuffle)`);
  const seed = o.seed === undefined ? 0 : intInRange(fn, 'seed', o.seed, 0, 2 ** 32 - 1);
  return { nSplits, shuffle, seed };
}

function sampleCount(fn: string, x: SampleCount): number {
  let n: number;
  if (typeof x === 'number') n = x;
  else if (x instanceof Tensor) {
    if (x.rank < 1) throw new ShapeError(`${fn}: x must have a samples axis, got a scalar`);
    n = x.shape[0];
  } else if (x !== null && typeof x === 'object' && typeof x.length === 'number') n = x.length;
  else throw new ValueError(`${fn}: x must be a Tensor, an array or a sample count`);
  if (!Number.isInteger(n) || n < 0) throw new ValueError(`${fn}: the sample count must be a non-negative integer, got ${n}`);
  return n;
}

/** Labels as float64, checked 1-D and finite. */
export function labelArray(fn: string, y: Labels): Float64Array {
  let out: Float64Array;
  if (y instanceof Tensor) {
    if (y.rank !== 1) throw new ShapeError(`${fn}: y must be 1-D labels, got shape [${y.shape.join(', ')}]`);
    out = Float64Array.from(y.data);
  } else if (Array.isArray(y) || ArrayBuffer.isView(y)) {
    const a = y as ArrayLike<unknown>;
    out = new Float64Array(a.length);
    for (let i = 0; i < a.length; i++) {
      if (typeof a[i] !== 'number') throw new ValueError(`${fn}: y[${i}] is not a number (${String(a[i])})`);
      out[i] = a[i] as number;
    }
  } else {
    throw new ValueError(`${fn}: y must be a 1-D Tensor, number[] or typed array`);
  }
  for (let i = 0; i < out.length; i++) if (!Number.isFinite(out[i])) throw new ValueError(`${fn}: y[${i}] is ${out[i]}, not a label`);
  return out;
}

/** Folds from each sample's test-fold number, as scikit-learn's _iter_test_masks. */
function foldsFromAssignment(assign: Int32Array, k: number): Fold[] {
  const folds: Fold[] = [];
  for (let f = 0; f < k; f++) {
    const test: number[] = [], train: number[] = [];
    for (let i = 0; i < assign.length; i++) (assign[i] === f ? test : train).push(i);
    folds.push({ train: Int32Array.from(train), test: Int32Array.from(test) });
  }
  return folds;
}

/** What both splitters hold: the fold count and the seeded shuffle, checked once. */
abstract class FoldSplitter implements Splitter {
  readonly nSplits: number;
  readonly shuffle: boolean;
  readonly seed: number;

  constructor(fn: string, options: KFoldOptions) {
    const o = checkKFold(fn, options);
    this.nSplits = o.nSplits;
    this.shuffle = o.shuffle;
    this.seed = o.seed;
  }

  abstract split(x: SampleCount, y?: Labels): Fold[];
}

/**
 * K folds of consecutive samples (after one shuffle with `shuffle`): the first n % k folds hold
 * floor(n / k) + 1 samples, the others floor(n / k), as scikit-learn's KFold.
 */
export class KFold extends FoldSplitter {
  constructor(options: KFoldOptions = {}) {
    super('KFold', options);
  }

  split(x: SampleCount, _y?: Labels): Fold[] {
    const fn = 'KFold.split';
    const n = sampleCount(fn, x);
    const k = this.nSplits;
    if (k > n) throw new ValueError(`${fn}: nSplits = ${k} is more than the ${n} samples`);
    const order = Int32Array.from({ length: n }, (_, i) => i);
    // A fresh generator per call, so split() gives the same folds every time (scikit-learn with an int seed).
    if (this.shuffle) new MT19937(this.seed).shuffle(order);
    // Test rows are a block of the (shuffled) order; both sets come out sorted, as scikit-learn's masks give them.
    const assign = new Int32Array(n);
    let start = 0;
    for (let f = 0; f < k; f++) {
      const size = Math.floor(n / k) + (f < n % k ? 1 : 0);
      for (let i = start; i < start + size; i++) assign[order[i]] = f;
      start += size;
    }
    const folds = foldsFromAssignment(assign, k);
    return folds;
  }
}

/**
 * K folds that keep each class's share: scikit-learn's StratifiedKFold (0.22+). Samples of each
 * class are dealt to folds in order (or shuffled per class with `shuffle`), so fold sizes differ by
 * at most one within a class.
 */
export class StratifiedKFold extends FoldSplitter {
  constructor(options: KFoldOptions = {}) {
    super('StratifiedKFold', options);
  }

  split(x: SampleCount, y?: Labels): Fold[] {
    const fn = 'StratifiedKFold.split';
    if (y === undefined) throw new ValueError(`${fn}: y (the class labels) is required`);
    const labels = labelArray(fn, y);
    const n = sampleCount(fn, x);
    if (labels.length !== n) throw new ShapeError(`${fn}: x has ${n} samples but y has ${labels.length} labels`);
    const k = this.nSplits;
    // Classes numbered by first appearance in y, as scikit-learn encodes them.
    const code = new Map<number, number>();
    const enc = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let c = code.get(labels[i]);
      if (c === undefined) { c = code.size; code.set(labels[i], c); }
      enc[i] = c;
    }
    const nc = code.size;
    const counts = new Int32Array(nc);
    for (let i = 0; i < n; i++) counts[enc[i]]++;
    if (counts.every((c) => c < k)) throw new ValueError(`${fn}: nSplits = ${k} is more than the samples of every class (at most ${Math.max(...counts)})`);
    // allocation[f][c]: samples of class c in fold f, dealing the sorted codes round-robin.
    const sorted = Int32Array.from(enc).sort();
    const allocation = Array.from({ length: k }, () => new Int32Array(nc));
    for (let i = 0; i < n; i++) allocation[i % k][sorted[i]]++;
    const rng = this.shuffle ? new MT19937(this.seed) : null;
    const assign = new Int32Array(n);
    for (let c = 0; c < nc; c++) {
      const folds: number[] = [];
      for (let f = 0; f < k; f++) for (let j = 0; j < allocation[f][c]; j++) folds.push(f);
      if (rng) rng.shuffle(folds);
      let j = 0;
      for (let i = 0; i < n; i++) if (enc[i] === c) assign[i] = folds[j++];
    }
    return foldsFromAssignment(assign, k);
  }
}
