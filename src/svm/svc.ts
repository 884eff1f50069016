import { FormatError, ShapeError, ValueError } from '../core/errors.js';
import {
  booleanOption, checkOptions, finiteNumber, functionOption, hasOwn, isNonNegativeInt, oneOf, optionKeys,
  positiveNumber,
} from '../core/validate.js';
import { tensor } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { KernelBlockCache, KernelRows } from './cache.js';
import {
  FORMAT, checkDir, checkFields, classList, f64, fromFile, numberList, onlyTensors, saved2D, savedArray, writeSaved, type SavedHeader, type SavedModel,
} from './format.js';
import { toMatrix, type Matrix, type MatrixLike, type VectorLike } from './input.js';
import { checkKernelSvmOptions, kernelFromDot, rowNorms, type KernelFunction, type KernelName, type KernelSpec } from './kernels.js';
import { accuracy, checkXY, encodeLabels } from './labels.js';
import { solveCSVC, type QRows } from './solver.js';
import { multiclassProbability, sigmoidPredict, sigmoidTrain } from './probability.js';
import { Random } from '../tensor/random.js';

/**
 * libsvm's svm_binary_svc_probability: 5-fold cross-validated decision values of one pair
 * (labels +1/-1, bounds Cp and Cn), shuffled by rng, then Platt's sigmoid fitted to them.
 */
export function binaryProbability(x: Float64Array, y: Float64Array, d: number, Cp: number, Cn: number, options: SVCOptions,
  rng: Random, perm?: Int32Array): { A: number; B: number; dec: Float64Array } {
  const l = y.length, folds = 5;
  if (perm === undefined) {
    perm = new Int32Array(l);
    for (let i = 0; i < l; i++) perm[i] = i;
    for (let i = 0; i < l; i++) { const j = i + rng.int(0, l - i); const t = perm[i]; perm[i] = perm[j]; perm[j] = t; }
  }
  const dec = new Float64Array(l);
  for (let f = 0; f < folds; f++) {
    const begin = Math.floor((f * l) / folds), end = Math.floor(((f + 1) * l) / folds);
    const m = l - (end - begin);
    const sx = new Float64Array(m * d), sy = new Float64Array(m);
    let q = 0, pos = 0;
    for (let j = 0; j < l; j++) {
      if (j >= begin && j < end) continue;
      sx.set(x.subarray(perm[j] * d, (perm[j] + 1) * d), q * d);
      sy[q] = y[perm[j]];
      if (sy[q] > 0) pos++;
      q++;
    }
    if (pos === 0 || pos === m) {
      // One class left in training: libsvm predicts it outright (0 if none is left).
      for (let j = begin; j < end; j++) dec[perm[j]] = m === 0 ? 0 : pos > 0 ? 1 : -1;
      continue;
    }
    const sub = new SVC({ ...options, C: 1, classWeight: { 1: Cp, [-1]: Cn }, probability: false, onProgress: undefined })
      .fit(tensor(sx, { shape: [m, d], dtype: 'float64' }), sy);
    const tx = new Float64Array((end - begin) * d);
    for (let j = begin; j < end; j++) tx.set(x.subarray(perm[j] * d, (perm[j] + 1) * d), (j - begin) * d);
    if (end > begin) {
      const v = sub.decisionFunction(tensor(tx, { shape: [end - begin, d], dtype: 'float64' })).data; // > 0 favours +1
      for (let j = begin; j < end; j++) dec[perm[j]] = v[j - begin];
    }
  }
  const { A, B } = sigmoidTrain(dec, y);
  return { A, B, dec };
}

/** Per-class multipliers of C by label, or 'balanced' (n / (classes * count of the class)). */
export type ClassWeight = 'balanced' | Readonly<Record<number, number>>;

/** Progress of a fit: one report per one-vs-one subproblem, and more often inside long ones. */
export interface SVCProgress {
  /** The two classes of the subproblem being solved. */
  pair: [number, number];
  /** Index of the subproblem and how many there are. */
  problem: number;
  problems: number;
  /** SMO iterations so far in this subproblem. */
  iterations: number;
  /** The dual objective 0.5 a'Qa - e'a (approximate while variables are shrunk). */
  objective: number;
  done: boolean;
}

/** Options of `new svm.SVC(options)` (scikit-learn's SVC). */
export interface SVCOptions {
  /** 'rbf' (default), 'linear', 'poly', 'sigmoid', or k(a, b) of two feature vectors. */
  kernel?: KernelName | KernelFunction;
  /** Penalty on slack, > 0 (default 1). */
  C?: number;
  /** rbf/poly/sigmoid scale: 'scale' = 1 / (features * var(x)) (default), 'auto' = 1 / features, or a number > 0. */
  gamma?: 'scale' | 'auto' | number;
  /** poly degree (default 3). */
  degree?: number;
  /** poly/sigmoid constant (default 0). */
  coef0?: number;
  /** Stopping tolerance on the maximal KKT violation (default 1e-3). */
  tol?: number;
  /** Kernel cache in MB (default 200). */
  cacheSize?: number;
  /** SMO iterations per subproblem; -1 (default) means no limit beyond libsvm's max(1e7, 100 l). */
  maxIter?: number;
  /** Per-class multipliers of C, or 'balanced' = n / (classes * count). Default: null (C for every class). */
  classWeight?: ClassWeight | null;
  /** libsvm's shrinking heuristic (default true). */
  shrinking?: boolean;
  /** Called while fitting: every 2000 SMO iterations and at the end of each one-vs-one subproblem (done: true). Default: none. */
  onProgress?: (p: SVCProgress) => void;
  /** Fit Platt sigmoids by libsvm's internal 5-fold cross-validation, for predictProba (default false; five more fits per pair). */
  probability?: boolean;
  /** Seed of the cross-validation shuffle when probability is true (default 0; scikit-learn's random_state). */
  seed?: number;
}

/** What `save` writes and `load` reads back: the fitted state of an SVC. */
export interface SVCState {
  kernel: KernelName;
  C: number;
  gamma: number;
  degree: number;
  coef0: number;
  tol: number;
  classes: number[];
  nSupport: number[];
  supportIndices: number[];
  /** libsvm's layout: [classes - 1][nSV]. */
  svCoef: Float64Array;
  rho: Float64Array;
  supportVectors: Matrix;
  /** Platt sigmoid of each pair, P(first class) = 1 / (1 + exp(A f + B)); null without probability. */
  probA?: Float64Array | null;
  probB?: Float64Array | null;
}

const SVC_KEYS = optionKeys<SVCOptions>({
  kernel: true, C: true, gamma: true, degree: true, coef0: true, tol: true, cacheSize: true, maxIter: true,
  classWeight: true, shrinking: true, onProgress: true, probability: true, seed: true,
});

/** Checks every option before any work: unknown keys (with the nearest known one), then each value. */
function checkSVCOptions(options: SVCOptions | undefined): SVCOptions {
  const fn = 'SVC';
  const o = checkOptions(fn, options, SVC_KEYS);
  checkKernelSvmOptions(fn, o);
  if (o.C !== undefined) positiveNumber(fn, 'C', o.C);
  checkClassWeight(fn, o.classWeight);
  if (o.onProgress !== undefined) functionOption(fn, 'onProgress', o.onProgress);
  if (o.probability !== undefined) booleanOption(fn, 'probability', o.probability);
  if (o.seed !== undefined) finiteNumber(fn, 'seed', o.seed);
  return o;
}

/** 'balanced', a {label: weight} object of positive weights, or nothing (its labels are checked against y at fit). */
function checkClassWeight(fn: string, cw: unknown): void {
  if (cw === undefined || cw === null || cw === 'balanced') return;
  if (typeof cw !== 'object') throw new ValueError(`${fn}: classWeight must be 'balanced' or a {label: weight} object`);
  for (const [label, v] of Object.entries(cw)) positiveNumber(fn, `classWeight[${label}]`, v);
}

export function classWeights(fn: string, cw: ClassWeight | null | undefined, classes: number[], counts: Int32Array, n: number): Float64Array {
  const w = new Float64Array(classes.length).fill(1);
  if (cw === undefined || cw === null) return w;
  if (cw === 'balanced') {
    for (let c = 0; c < classes.length; c++) w[c] = n / (classes.length * counts[c]);
    return w;
  }
  checkClassWeight(fn, cw);
  for (const [label, v] of Object.entries(cw)) {
    const c = classes.indexOf(Number(label));
    if (c < 0) throw new ValueError(`${fn}: classWeight names label ${label}, which is not in y (labels: ${classes.join(', ')})`);
    w[c] = v;
  }
  return w;
}

/**
 * The dual coefficients against the counts: in each one-vs-one pair (a, b), class a's support
 * vectors have y alpha >= 0 and class b's <= 0, and they sum to 0 (the dual's equality
 * constraint). A shifted `nSupport` or a sign-flipped value breaks this, where shapes alone agree.
 */
function checkDualCoefficients(file: string, s: SVCState): void {
  const k = s.classes.length;
  const nSV = s.supportVectors.rows;
  const start = [0];
  for (let c = 1; c < k; c++) start.push(start[c - 1] + s.nSupport[c - 1]);
  for (let a = 0; a < k; a++) {
    for (let b = a + 1; b < k; b++) {
      let sum = 0;
      let size = 0;
      for (const [c, row, sign] of [[a, b - 1, 1], [b, a, -1]] as const) {
        for (let t = start[c]; t < start[c] + s.nSupport[c]; t++) {
          const v = s.svCoef[row * nSV + t];
          if (v * sign < 0) {
            throw new FormatError(`svm.load: ${file} tensor 'sv_coef' [${row},${t}] is ${v}, but support vector ${t} is of class ${s.classes[c]} (by 'nSupport'), which needs ${sign > 0 ? '>= 0' : '<= 0'} against class ${s.classes[c === a ? b : a]}`);
          }
          sum += v;
          size += Math.abs(v);
        }
      }
      if (Math.abs(sum) > 1e-9 * size + 1e-12) {
        throw new FormatError(`svm.load: ${file} tensor 'sv_coef': the coefficients of classes ${s.classes[a]} and ${s.classes[b]} sum to ${sum}, not 0`);
      }
    }
  }
}

/** model.json of an SVC: its state less the arrays, which go to weights.safetensors. */
type SVCJson = SavedHeader & { kind: 'SVC' } & Omit<SVCState, 'svCoef' | 'rho' | 'supportVectors' | 'probA' | 'probB'> & { probability?: boolean };

const SVC_JSON_KEYS = optionKeys<SVCJson>({
  format: true, kind: true, kernel: true, C: true, gamma: true, degree: true, coef0: true, tol: true,
  classes: true, nSupport: true, supportIndices: true, probability: true,
});

/** Options of `svc.decisionFunction(x, options)`. */
export interface DecisionFunctionOptions {
  /** 'ovr' (default, scikit-learn's) or 'ovo' (libsvm's pairs); only for more than two classes. */
  shape?: 'ovr' | 'ovo';
}

const DECISION_KEYS = optionKeys<DecisionFunctionOptions>({ shape: true });

/**
 * Kernel support vector classifier, as libsvm's C-SVC and scikit-learn's SVC: SMO with
 * second-order working-set selection and shrinking, one-vs-one for several classes with libsvm's
 * voting. Binary labels may use any two numbers; `decisionFunction` > 0 means the larger one.
 */
export class SVC {
  readonly options: Readonly<SVCOptions>;
  private state: SVCState | null = null;
  private customKernel: KernelFunction | undefined;
  /** The support vectors prepared for kernel values (built on first use after a fit or load). */
  private svRows: KernelRows | null = null;
  /** Iterations and objective of each one-vs-one subproblem of the last fit. */
  fitInfo: { pair: [number, number]; iterations: number; objective: number; hitMaxIter: boolean }[] = [];
  /** Kernel blocks computed and served from cache in the last fit, kernel values computed, and whether K was computed in bulk by the backend matmul. */
  cacheStats = { computed: 0, hits: 0, kernelValues: 0, bulk: false };

  constructor(options: SVCOptions = {}) {
    checkSVCOptions(options);
    this.options = { ...options };
    this.customKernel = typeof options.kernel === 'function' ? options.kernel : undefined;
  }

  /** The hyperparameters with their defaults filled in, as scikit-learn's get_params (model selection reads and varies them). */
  getParams(): SVCOptions {
    const o = this.options;
    return {
      kernel: o.kernel ?? 'rbf', C: o.C ?? 1, gamma: o.gamma ?? 'scale', degree: o.degree ?? 3, coef0: o.coef0 ?? 0, tol: o.tol ?? 1e-3,
      cacheSize: o.cacheSize ?? 200, maxIter: o.maxIter ?? -1, classWeight: o.classWeight ?? null, shrinking: o.shrinking ?? true,
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    };
  }

  /** An unfitted SVC with the same options, `params` overriding some (checked as the constructor checks them). */
  clone(params: SVCOptions = {}): SVC {
    return new SVC({ ...this.options, ...params });
  }

  /** Builds a fitted SVC from saved state (see `save`). */
  static fromState(state: SVCState, options: SVCOptions = {}): SVC {
    checkSVCOptions(options);
    const m = new SVC({ ...options, kernel: state.kernel, C: state.C, gamma: state.gamma, degree: state.degree, coef0: state.coef0, tol: state.tol });
    m.state = state;
    return m;
  }

  private fitted(fn: string): SVCState {
    if (this.state === null) throw new ValueError(`SVC.${fn}: the model is not fitted; call fit(x, y) first`);
    return this.state;
  }

  /** The kernel with gamma resolved (available after fit). */
  get kernelSpec(): KernelSpec {
    const s = this.fitted('kernelSpec');
    return { kind: this.customKernel ? 'custom' : s.kernel, gamma: s.gamma, degree: s.degree, coef0: s.coef0, fn: this.customKernel };
  }

  fit(x: MatrixLike, y: VectorLike): this {
    const o = this.options;
    const { m, yy } = checkXY('SVC.fit', x, y);
    const { classes, index } = encodeLabels('SVC.fit', yy);
    const n = m.rows, d = m.cols;
    const kernelName: KernelName = typeof o.kernel === 'function' ? 'rbf' : o.kernel ?? 'rbf';
    let gamma: number;
    if (typeof o.gamma === 'number') gamma = o.gamma;
    else if (o.gamma === 'auto') gamma = 1 / d;
    else {
      let s = 0, s2 = 0;
      for (let i = 0; i < m.data.length; i++) { s += m.data[i]; }
      const mean = s / m.data.length;
      for (let i = 0; i < m.data.length; i++) { const t = m.data[i] - mean; s2 += t * t; }
      const v = s2 / m.data.length;
      gamma = v > 0 ? 1 / (d * v) : 1;
    }
    const spec: KernelSpec = {
      kind: this.customKernel ? 'custom' : kernelName, gamma, degree: o.degree ?? 3, coef0: o.coef0 ?? 0, fn: this.customKernel,
    };
    const C = o.C ?? 1;
    const tol = o.tol ?? 1e-3;
    const k = classes.length;

    // Sort samples by class (stable) so each class is one contiguous run of rows.
    const counts = new Int32Array(k);
    for (let i = 0; i < n; i++) counts[index[i]]++;
    const start = new Int32Array(k);
    for (let c = 1; c < k; c++) start[c] = start[c - 1] + counts[c - 1];
    const perm = new Int32Array(n);
    const fillAt = Int32Array.from(start);
    for (let i = 0; i < n; i++) perm[fillAt[index[i]]++] = i;
    const xs = new Float64Array(n * d);
    for (let r = 0; r < n; r++) xs.set(m.data.subarray(perm[r] * d, (perm[r] + 1) * d), r * d);
    const sorted: Matrix = { data: xs, rows: n, cols: d };
    const norms = rowNorms(sorted);
    const w = classWeights('SVC.fit', o.classWeight, classes, counts, n);
    const budget = (o.cacheSize ?? 200) * 1024 * 1024;
    const cache = new KernelBlockCache(new KernelRows(xs, n, d, spec), start, counts, budget);

    // Each pair's alphas, in the order of the pair's samples (class a's rows then class b's).
    const pairAlpha: Float64Array[] = [];
    const rho = new Float64Array((k * (k - 1)) / 2);
    this.fitInfo = [];
    let p = 0;
    const problems = rho.length;
    for (let a = 0; a < k; a++) {
      for (let b = a + 1; b < k; b++) {
        const na = counts[a], nb = counts[b], l = na + nb;
        const ys = new Int8Array(l);
        const cs = new Float64Array(l);
        for (let t = 0; t < l; t++) {
          ys[t] = t < na ? 1 : -1;
          cs[t] = C * (t < na ? w[a] : w[b]);
        }
        const sa = start[a], sb = start[b];
        // Signed rows of this pair, assembled from the shared class blocks into a slab of slots,
        // replaced first-in first-out (recently used rows are the ones that come back).
        const slots = Math.max(4, Math.min(l, Math.floor(budget / 8 / (4 * l))));
        const slab = new Float32Array(slots * l);
        const slotOf = new Int32Array(l).fill(-1);
        const owner = new Int32Array(slots).fill(-1);
        let next = 0;
        let last = -1; // the slot handed out last: the solver may still hold it, so it is never replaced next
        const rows: QRows = {
          row(i: number): Float32Array {
            const sl = slotOf[i];
            if (sl >= 0) { last = sl; return slab.subarray(sl * l, (sl + 1) * l); }
            if (next === last) next = (next + 1) % slots;
            const s = next;
            next = (next + 1) % slots;
            last = s;
            if (owner[s] >= 0) slotOf[owner[s]] = -1;
            owner[s] = i;
            slotOf[i] = s;
            const out = slab.subarray(s * l, (s + 1) * l);
            const g = i < na ? sa + i : sb + (i - na);
            const ka = cache.block(g, a);
            const kb = cache.block(g, b);
            if (i < na) {
              out.set(ka, 0);
              for (let t = 0; t < nb; t++) out[na + t] = -kb[t];
            } else {
              for (let t = 0; t < na; t++) out[t] = -ka[t];
              out.set(kb, na);
            }
            return out;
          },
          diag(i: number): number {
            const g = i < na ? sa + i : sb + (i - na);
            if (spec.kind === 'custom') {
              const xi = xs.subarray(g * d, (g + 1) * d);
              return (spec.fn as KernelFunction)(xi, xi);
            }
            return kernelFromDot(spec, norms[g], norms[g], norms[g]);
          },
        };
        const pairLabels: [number, number] = [classes[a], classes[b]];
        const problem = p;
        const onProgress = o.onProgress;
        const res = solveCSVC(l, ys, cs, rows, {
          tol, shrinking: o.shrinking ?? true,
          maxIter: o.maxIter === undefined || o.maxIter === -1 ? Math.max(10_000_000, l > 100_000 ? Number.MAX_SAFE_INTEGER : 100 * l) : o.maxIter,
          progressEvery: 2000,
          onProgress: onProgress ? (pr) => onProgress({ pair: pairLabels, problem, problems, iterations: pr.iterations, objective: pr.objective, done: false }) : undefined,
        });
        if (onProgress) onProgress({ pair: pairLabels, problem, problems, iterations: res.iterations, objective: res.objective, done: true });
        this.fitInfo.push({ pair: pairLabels, iterations: res.iterations, objective: res.objective, hitMaxIter: res.hitMaxIter });
        pairAlpha.push(res.alpha);
        rho[p++] = res.rho;
      }
    }

    this.cacheStats = { computed: cache.misses, hits: cache.hits, kernelValues: cache.values, bulk: cache.bulk };
    // Support vectors: samples with a nonzero alpha in any subproblem, grouped by class (libsvm's layout).
    const isSV = new Uint8Array(n);
    p = 0;
    for (let a = 0; a < k; a++) {
      for (let b = a + 1; b < k; b++) {
        const al = pairAlpha[p++];
        for (let t = 0; t < counts[a]; t++) if (al[t] > 0) isSV[start[a] + t] = 1;
        for (let t = 0; t < counts[b]; t++) if (al[counts[a] + t] > 0) isSV[start[b] + t] = 1;
      }
    }
    const nSupport = new Array<number>(k).fill(0);
    const svPos = new Int32Array(n).fill(-1); // sorted row -> column in svCoef
    const svRows: number[] = [];
    for (let c = 0; c < k; c++) {
      for (let t = 0; t < counts[c]; t++) {
        const r = start[c] + t;
        if (isSV[r]) { svPos[r] = svRows.length; svRows.push(r); nSupport[c]++; }
      }
    }
    const nSV = svRows.length;
    const svCoef = new Float64Array((k - 1) * nSV);
    p = 0;
    for (let a = 0; a < k; a++) {
      for (let b = a + 1; b < k; b++) {
        const al = pairAlpha[p++];
        // libsvm: coefficients of class a's SVs go to row b-1, of class b's SVs to row a.
        for (let t = 0; t < counts[a]; t++) if (al[t] > 0) svCoef[(b - 1) * nSV + svPos[start[a] + t]] = al[t];
        for (let t = 0; t < counts[b]; t++) if (al[counts[a] + t] > 0) svCoef[a * nSV + svPos[start[b] + t]] = -al[counts[a] + t];
      }
    }
    const svData = new Float64Array(nSV * d);
    svRows.forEach((r, q) => svData.set(xs.subarray(r * d, (r + 1) * d), q * d));
    let probA: Float64Array | null = null, probB: Float64Array | null = null;
    if (o.probability) {
      probA = new Float64Array(problems);
      probB = new Float64Array(problems);
      const rng = new Random(o.seed ?? 0);
      p = 0;
      for (let a = 0; a < k; a++) {
        for (let b = a + 1; b < k; b++) {
          const na = counts[a], l = na + counts[b];
          const px = new Float64Array(l * d);
          px.set(xs.subarray(start[a] * d, (start[a] + na) * d), 0);
          px.set(xs.subarray(start[b] * d, (start[b] + counts[b]) * d), na * d);
          const py = new Float64Array(l);
          for (let t = 0; t < l; t++) py[t] = t < na ? 1 : -1;
          const { A, B } = binaryProbability(px, py, d, C * w[a], C * w[b], {
            kernel: this.customKernel ?? kernelName, gamma, degree: spec.degree, coef0: spec.coef0, tol,
            shrinking: o.shrinking, cacheSize: o.cacheSize, maxIter: o.maxIter,
          }, rng);
          probA[p] = A; probB[p] = B;
          p++;
        }
      }
    }
    this.svRows = null;
    this.state = {
      kernel: kernelName, C, gamma, degree: spec.degree, coef0: spec.coef0, tol,
      classes, nSupport, supportIndices: svRows.map((r) => perm[r]), svCoef, rho,
      supportVectors: { data: svData, rows: nSV, cols: d }, probA, probB,
    };
    return this;
  }

  /** The classes, sorted. */
  get classes(): number[] { return [...this.fitted('classes').classes]; }
  /** Support vectors [nSV, features], grouped by class. */
  get supportVectors(): Tensor {
    const s = this.fitted('supportVectors').supportVectors;
    return tensor(s.data.slice(), { shape: [s.rows, s.cols], dtype: 'float64' });
  }
  /** Index in the training set of each support vector. */
  get supportIndices(): Int32Array { return Int32Array.from(this.fitted('supportIndices').supportIndices); }
  /** Support vectors per class. */
  get nSupport(): number[] { return [...this.fitted('nSupport').nSupport]; }
  /** y_i alpha_i of each support vector, [classes - 1, nSV] in libsvm's layout (negated for two classes, as scikit-learn). */
  get dualCoef(): Tensor {
    const s = this.fitted('dualCoef');
    const k = s.classes.length;
    const v = s.svCoef.slice();
    if (k === 2) for (let i = 0; i < v.length; i++) v[i] = -v[i];
    return tensor(v, { shape: [k - 1, s.supportVectors.rows], dtype: 'float64' });
  }
  /** One intercept per one-vs-one pair (negated for two classes, as scikit-learn). */
  get intercept(): Tensor {
    const s = this.fitted('intercept');
    const v = s.rho.map((r) => (s.classes.length === 2 ? r : -r));
    return tensor(v, { dtype: 'float64' });
  }
  /** The gamma used (after resolving 'scale' or 'auto'). */
  get gamma(): number { return this.fitted('gamma').gamma; }
  /** Platt's A of each pair (scikit-learn's probA_); fitted with probability: true. */
  get probA(): Tensor { return tensor(this.platt('probA').A.slice(), { dtype: 'float64' }); }
  /** Platt's B of each pair (scikit-learn's probB_). */
  get probB(): Tensor { return tensor(this.platt('probB').B.slice(), { dtype: 'float64' }); }

  private platt(fn: string): { A: Float64Array; B: Float64Array } {
    const s = this.fitted(fn);
    if (!s.probA || !s.probB) throw new ValueError(`SVC.${fn}: the model was fitted without probability estimates; construct it with { probability: true }`);
    return { A: s.probA, B: s.probB };
  }

  /**
   * Primal weights of a linear-kernel SVC (scikit-learn's coef_): [1, features] for two classes
   * (decisionFunction = x . coef + intercept), else one row per class pair (a, b), in pair order.
   */
  get coef(): Tensor {
    const s = this.fitted('coef');
    if (s.kernel !== 'linear' || this.customKernel) throw new ValueError(`SVC.coef: coef is defined for the linear kernel only; this model's kernel is ${this.customKernel ? 'a custom function' : `'${s.kernel}'`}`);
    const k = s.classes.length, d = s.supportVectors.cols, nSV = s.supportVectors.rows;
    const start = [0];
    for (let c = 1; c < k; c++) start.push(start[c - 1] + s.nSupport[c - 1]);
    const out = new Float64Array(((k * (k - 1)) / 2) * d);
    let p = 0;
    for (let a = 0; a < k; a++) {
      for (let b = a + 1; b < k; b++) {
        for (const [c, row] of [[a, b - 1], [b, a]] as const) {
          for (let t = start[c]; t < start[c] + s.nSupport[c]; t++) {
            const v = s.svCoef[row * nSV + t];
            for (let j = 0; j < d; j++) out[p * d + j] += v * s.supportVectors.data[t * d + j];
          }
        }
        p++;
      }
    }
    if (k === 2) for (let j = 0; j < d; j++) out[j] = -out[j]; // scikit-learn's sign: positive for the larger class
    return tensor(out, { shape: [(k * (k - 1)) / 2, d], dtype: 'float64' });
  }
  /** Writes the fitted model to the folder dir: model.json and weights.safetensors, each atomically. */
  async save(dir: string): Promise<void> {
    checkDir('svm.save', dir);
    if (this.customKernel) {
      throw new ValueError('svm.save: an SVC with a custom kernel function cannot be saved (the function is code, not data)');
    }
    const s = this.getState();
    const k = s.classes.length;
    const json: SVCJson = {
      format: FORMAT, kind: 'SVC', kernel: s.kernel, C: s.C, gamma: s.gamma, degree: s.degree, coef0: s.coef0, tol: s.tol,
      classes: s.classes, nSupport: s.nSupport, supportIndices: s.supportIndices, probability: !!(s.probA && s.probB),
    };
    await writeSaved(dir, json, {
      support_vectors: f64(s.supportVectors.data, [s.supportVectors.rows, s.supportVectors.cols]),
      sv_coef: f64(s.svCoef, [k - 1, s.supportVectors.rows]),
      rho: f64(s.rho, [s.rho.length]),
      ...(s.probA && s.probB ? { prob_a: f64(s.probA, [s.probA.length]), prob_b: f64(s.probB, [s.probB.length]) } : {}),
    });
  }

  /**
   * The SVC of a folder read by `svm.load`: model.json is checked as strictly as options are
   * (no unknown or missing field, valid hyper-parameters) and every array against its counts.
   */
  static fromSaved(saved: SavedModel): SVC {
    const { tensors, jsonPath, weightsPath } = saved;
    // Folders written before probabilities existed have no 'probability' field: false.
    const json = hasOwn(saved.json, 'probability') ? saved.json : { ...saved.json, probability: false };
    checkFields(jsonPath, json, SVC_JSON_KEYS);
    if (typeof json.probability !== 'boolean') throw new FormatError(`svm.load: ${jsonPath}: field 'probability' must be true or false, got ${JSON.stringify(json.probability)}`);
    const withProb = json.probability;
    const classes = classList(jsonPath, json);
    const nSupport = numberList(jsonPath, json, 'nSupport', isNonNegativeInt, 'non-negative integers');
    const k = classes.length;
    if (nSupport.length !== k) {
      throw new FormatError(`svm.load: ${jsonPath} has ${k} classes and ${nSupport.length} support-vector counts; one count per class`);
    }
    const nSV = nSupport.reduce((a, b) => a + b, 0);
    if (nSV === 0) throw new FormatError(`svm.load: ${jsonPath}: field 'nSupport' counts no support vectors`);
    const supportIndices = numberList(jsonPath, json, 'supportIndices', (v) => isNonNegativeInt(v) && v <= Number.MAX_SAFE_INTEGER, 'non-negative integers');
    if (supportIndices.length !== nSV) throw new FormatError(`svm.load: ${jsonPath} has ${supportIndices.length} support indices for ${nSV} support vectors`);
    if (new Set(supportIndices).size !== nSV) throw new FormatError(`svm.load: ${jsonPath}: field 'supportIndices' names a training sample twice`);
    if (typeof json.gamma !== 'number') throw new FormatError(`svm.load: ${jsonPath}: field 'gamma' must be the number the fit used, got ${JSON.stringify(json.gamma)}`);
    for (const key of ['C', 'degree', 'coef0', 'tol'] as const) {
      if (typeof json[key] !== 'number') throw new FormatError(`svm.load: ${jsonPath}: field '${key}' must be a number, got ${JSON.stringify(json[key])}`);
    }
    if (typeof json.kernel !== 'string') throw new FormatError(`svm.load: ${jsonPath}: field 'kernel' must be a kernel name, got ${JSON.stringify(json.kernel)}`);
    onlyTensors(tensors, weightsPath, withProb ? ['support_vectors', 'sv_coef', 'rho', 'prob_a', 'prob_b'] : ['support_vectors', 'sv_coef', 'rho']);
    const d = saved2D(tensors, 'support_vectors', weightsPath).cols;
    const state: SVCState = {
      kernel: json.kernel as KernelName, C: json.C as number, gamma: json.gamma, degree: json.degree as number,
      coef0: json.coef0 as number, tol: json.tol as number, classes, nSupport, supportIndices,
      svCoef: savedArray(tensors, 'sv_coef', weightsPath, [k - 1, nSV]),
      rho: savedArray(tensors, 'rho', weightsPath, [(k * (k - 1)) / 2]),
      supportVectors: { data: savedArray(tensors, 'support_vectors', weightsPath, [nSV, d]), rows: nSV, cols: d },
      probA: withProb ? savedArray(tensors, 'prob_a', weightsPath, [(k * (k - 1)) / 2]) : null,
      probB: withProb ? savedArray(tensors, 'prob_b', weightsPath, [(k * (k - 1)) / 2]) : null,
    };
    checkDualCoefficients(weightsPath, state);
    // The constructor's checks of kernel, C, gamma, degree, coef0 and tol apply to the file's values too.
    return fromFile(jsonPath, () => SVC.fromState(state));
  }

  /** A copy of the fitted state (for saving). */
  getState(): SVCState { return this.fitted('getState'); }

  /** libsvm's decision values [n, pairs]: positive favours the first class of each pair. */
  private ovoValues(x: MatrixLike, fn: string): { dec: Float64Array; n: number; pairs: number } {
    const s = this.fitted(fn);
    const m = toMatrix(x, `SVC.${fn}`, 'x');
    const sv = s.supportVectors;
    if (m.cols !== sv.cols) throw new ShapeError(`SVC.${fn}: x has ${m.cols} features but the model was fitted on ${sv.cols}`);
    const k = s.classes.length;
    const pairs = (k * (k - 1)) / 2;
    const nSV = sv.rows;
    const svStart = new Int32Array(k);
    for (let c = 1; c < k; c++) svStart[c] = svStart[c - 1] + s.nSupport[c - 1];
    const dec = new Float64Array(m.rows * pairs);
    if (this.svRows === null) this.svRows = new KernelRows(sv.data, nSV, sv.cols, this.kernelSpec);
    const rowsOfSV = this.svRows;
    const K = new Float64Array(nSV);
    for (let r = 0; r < m.rows; r++) {
      rowsOfSV.pointValues(m.data, r * m.cols, K);
      let p = 0;
      for (let a = 0; a < k; a++) {
        for (let b = a + 1; b < k; b++) {
          let sum = 0;
          const ca = (b - 1) * nSV, cb = a * nSV;
          for (let t = svStart[a], e = t + s.nSupport[a]; t < e; t++) sum += s.svCoef[ca + t] * K[t];
          for (let t = svStart[b], e = t + s.nSupport[b]; t < e; t++) sum += s.svCoef[cb + t] * K[t];
          dec[r * pairs + p] = sum - s.rho[p];
          p++;
        }
      }
    }
    return { dec, n: m.rows, pairs };
  }

  /**
   * Decision values. Two classes: [n], positive for the larger class (scikit-learn's sign).
   * More classes: shape 'ovr' (default, scikit-learn's) gives [n, classes] of votes plus a
   * squashed confidence; 'ovo' gives libsvm's [n, pairs] values, positive for the first class of each pair.
   */
  decisionFunction(x: MatrixLike, options: DecisionFunctionOptions = {}): Tensor {
    const o = checkOptions('SVC.decisionFunction', options, DECISION_KEYS);
    const shape = oneOf('SVC.decisionFunction', 'shape', o.shape ?? 'ovr', ['ovr', 'ovo'] as const);
    const { dec, n, pairs } = this.ovoValues(x, 'decisionFunction');
    const k = this.fitted('decisionFunction').classes.length;
    if (k === 2) return tensor(dec.map((v) => -v), { dtype: 'float64' });
    if (shape === 'ovo') return tensor(dec, { shape: [n, pairs], dtype: 'float64' });
    const out = new Float64Array(n * k);
    const conf = new Float64Array(k);
    for (let r = 0; r < n; r++) {
      conf.fill(0);
      let p = 0;
      for (let a = 0; a < k; a++) {
        for (let b = a + 1; b < k; b++) {
          const v = dec[r * pairs + p++];
          conf[a] += v; conf[b] -= v;
          out[r * k + (v > 0 ? a : b)] += 1;
        }
      }
      for (let c = 0; c < k; c++) out[r * k + c] += conf[c] / (3 * (Math.abs(conf[c]) + 1));
    }
    return tensor(out, { shape: [n, k], dtype: 'float64' });
  }

  /**
   * Class probabilities [n, classes] (columns in the order of `classes`), as libsvm's
   * svm_predict_probability: each pair's Platt sigmoid, clipped to [1e-7, 1 - 1e-7], coupled by
   * Wu, Lin and Weng's method 2 (for two classes too, as scikit-learn). Needs probability: true.
   */
  predictProba(x: MatrixLike): Tensor {
    const { A, B } = this.platt('predictProba');
    const { dec, n, pairs } = this.ovoValues(x, 'predictProba');
    const k = this.fitted('predictProba').classes.length;
    const out = new Float64Array(n * k);
    const r = new Float64Array(k * k);
    const pr = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      let p = 0;
      for (let a = 0; a < k; a++) {
        for (let b = a + 1; b < k; b++) {
          const v = Math.min(Math.max(sigmoidPredict(dec[i * pairs + p], A[p], B[p]), 1e-7), 1 - 1e-7);
          r[a * k + b] = v; r[b * k + a] = 1 - v;
          p++;
        }
      }
      multiclassProbability(k, r, pr);
      out.set(pr, i * k);
    }
    return tensor(out, { shape: [n, k], dtype: 'float64' });
  }

  /** The natural logarithm of predictProba(x). */
  predictLogProba(x: MatrixLike): Tensor {
    const p = this.predictProba(x);
    return tensor(Float64Array.from(p.data, Math.log), { shape: p.shape, dtype: 'float64' });
  }

  /** Predicted labels by one-vs-one voting (ties go to the smaller class, as libsvm). */
  predict(x: MatrixLike): Tensor {
    const { dec, n, pairs } = this.ovoValues(x, 'predict');
    const classes = this.fitted('predict').classes;
    const k = classes.length;
    const out = new Float64Array(n);
    const votes = new Int32Array(k);
    for (let r = 0; r < n; r++) {
      votes.fill(0);
      let p = 0;
      for (let a = 0; a < k; a++) for (let b = a + 1; b < k; b++) votes[dec[r * pairs + p++] > 0 ? a : b]++;
      let best = 0;
      for (let c = 1; c < k; c++) if (votes[c] > votes[best]) best = c;
      out[r] = classes[best];
    }
    return tensor(out, { dtype: 'float64' });
  }

  /** Mean accuracy of predict(x) against y. */
  score(x: MatrixLike, y: VectorLike): number {
    return accuracy('SVC.score', y, () => this.predict(x).data);
  }
}
