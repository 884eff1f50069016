/** Regression metrics with scikit-learn's definitions (several outputs: their uniform average). */
import { ValueError, ShapeError, fmtShape } from '../core/errors.js';
import { checkOptions, optionKeys } from '../core/validate.js';
import { Tensor } from '../tensor/tensor.js';
import { type MetricInput, vec, nonEmpty, weights } from './input.js';

/** Options of `metrics.meanSquaredError`, `meanAbsoluteError` and `r2Score`. */
export interface RegressionOptions {
  /** A weight >= 0 per sample (scikit-learn's sample_weight). Default: none (every sample weighs 1). */
  sampleWeight?: MetricInput;
}
const KEYS = optionKeys<RegressionOptions>({ sampleWeight: true });

function columns(fn: string, yTrue: MetricInput, yPred: MetricInput): { t: ArrayLike<number>; p: ArrayLike<number>; n: number; m: number } {
  const t = vec(fn, 'yTrue', yTrue), p = vec(fn, 'yPred', yPred);
  const st = yTrue instanceof Tensor && yTrue.rank === 2 ? yTrue.shape : [t.length];
  const sp = yPred instanceof Tensor && yPred.rank === 2 ? yPred.shape : [p.length];
  const m = st.length === 2 ? st[1] : 1;
  const mp = sp.length === 2 ? sp[1] : 1;
  if (t.length !== p.length || m !== mp) throw new ShapeError(`${fn}: yTrue ${fmtShape(st)} and yPred ${fmtShape(sp)} differ in shape`);
  nonEmpty(fn, 'yTrue', t.length);
  return { t, p, n: t.length / m, m };
}

function perOutput(fn: string, yTrue: MetricInput, yPred: MetricInput, options: RegressionOptions, f: (t: number[], p: number[], w: Float64Array | null) => number): number {
  const o = checkOptions(fn, options, KEYS);
  const { t, p, n, m } = columns(fn, yTrue, yPred);
  const w = weights(fn, o.sampleWeight, n);
  if (w && w.reduce((a, b) => a + b, 0) === 0) throw new ValueError(`${fn}: the sample weights sum to zero`);
  let s = 0;
  for (let j = 0; j < m; j++) {
    const tj: number[] = [], pj: number[] = [];
    for (let i = 0; i < n; i++) { tj.push(Number(t[i * m + j])); pj.push(Number(p[i * m + j])); }
    s += f(tj, pj, w);
  }
  return s / m;
}

const wmean = (x: number[], w: Float64Array | null) => {
  let s = 0, sw = 0;
  for (let i = 0; i < x.length; i++) { const wi = w ? w[i] : 1; s += x[i] * wi; sw += wi; }
  return s / sw;
};

/** Mean of (yTrue - yPred)^2. */
export function meanSquaredError(yTrue: MetricInput, yPred: MetricInput, options: RegressionOptions = {}): number {
  return perOutput('metrics.meanSquaredError', yTrue, yPred, options, (t, p, w) => wmean(t.map((v, i) => (v - p[i]) ** 2), w));
}

/** Mean of |yTrue - yPred|. */
export function meanAbsoluteError(yTrue: MetricInput, yPred: MetricInput, options: RegressionOptions = {}): number {
  return perOutput('metrics.meanAbsoluteError', yTrue, yPred, options, (t, p, w) => wmean(t.map((v, i) => Math.abs(v - p[i])), w));
}

/** Coefficient of determination 1 - SS_res / SS_tot (1 for a perfect fit of constant targets, 0 for an imperfect one). */
export function r2Score(yTrue: MetricInput, yPred: MetricInput, options: RegressionOptions = {}): number {
  return perOutput('metrics.r2Score', yTrue, yPred, options, (t, p, w) => {
    const mu = wmean(t, w);
    let res = 0, tot = 0;
    for (let i = 0; i < t.length; i++) { const wi = w ? w[i] : 1; res += wi * (t[i] - p[i]) ** 2; tot += wi * (t[i] - mu) ** 2; }
    if (tot === 0) return res === 0 ? 1 : 0;
    return 1 - res / tot;
  });
}
