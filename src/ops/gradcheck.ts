import { DTypeError, ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { booleanOption, checkOptions, finiteNumber, optionKeys, positiveNumber } from '../core/validate.js';
import { Random } from '../tensor/random.js';
import { Tensor, allocate } from '../tensor/tensor.js';
import { expectTensor } from './util.js';

/** Options of `gradcheck(fn, inputs, options)`. */
export interface GradcheckOptions {
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance (default 1e-3). */
  rtol?: number;
  /** Throw a ValueError describing the worst entry when the check fails (default true). */
  raiseException?: boolean;
  /** Seed of the random output projection (default 0). */
  seed?: number;
}

/** What `gradcheck` finds: whether it passed and the worst disagreement between analytic and numerical gradients. */
export interface GradcheckResult {
  passed: boolean;
  /** Largest |analytic - numerical| over all entries of all inputs. */
  maxAbsError: number;
  /** Where the worst violation of atol + rtol |numerical| occurred. */
  worst: { input: number; index: number; analytic: number; numerical: number } | null;
}

const GRADCHECK_KEYS = optionKeys<GradcheckOptions>({ eps: true, atol: true, rtol: true, raiseException: true, seed: true });

function tolerance(name: string, v: unknown): number {
  const t = finiteNumber('gradcheck', name, v);
  if (t < 0) throw new ValueError(`gradcheck: ${name} must not be negative, got ${t}`);
  return t;
}

function scalarize(out: Tensor, v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < out.size; i++) s += out.data[i] * v[i];
  return s;
}

/**
 * Compares autograd's gradient with central differences in float64, like torch.autograd.gradcheck.
 * The output is contracted with a fixed random vector v, so the check is of the vector-Jacobian
 * product v^T J for every input entry: any wrong Jacobian entry shows up with probability 1.
 */
export function gradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: readonly Tensor[], options?: GradcheckOptions): GradcheckResult {
  const o = checkOptions('gradcheck', options, GRADCHECK_KEYS);
  const eps = o.eps === undefined ? 1e-6 : positiveNumber('gradcheck', 'eps', o.eps);
  const atol = o.atol === undefined ? 1e-5 : tolerance('atol', o.atol);
  const rtol = o.rtol === undefined ? 1e-3 : tolerance('rtol', o.rtol);
  const raise = o.raiseException === undefined ? true : booleanOption('gradcheck', 'raiseException', o.raiseException);
  const seed = o.seed === undefined ? 0 : finiteNumber('gradcheck', 'seed', o.seed);
  if (typeof fn !== 'function') throw new ValueError(`gradcheck: fn must be a function, got ${fn === null ? 'null' : typeof fn}`);
  if (!Array.isArray(inputs)) throw new ValueError('gradcheck: inputs must be an array of tensors');
  inputs.forEach((t, i) => {
    expectTensor(t, 'gradcheck', `inputs[${i}]`);
    if (t.dtype !== 'float64') {
      throw new DTypeError(`gradcheck: inputs[${i}] ${fmtShape(t.shape)} is ${t.dtype}; finite differences need float64 (tensor(x, { dtype: 'float64' }))`);
    }
  });
  const leaves = inputs.map((t) => new Tensor(t.data.slice(), t.shape, true));
  const out = fn(...leaves);
  expectTensor(out, 'gradcheck', 'fn(...) result');
  const rng = new Random(seed);
  const v = new Float64Array(out.size);
  for (let i = 0; i < v.length; i++) v[i] = rng.normal();
  if (out.requiresGrad) {
    const seed = new Tensor(allocate(out.dtype, out.size), out.shape);
    seed.data.set(v);
    out.backward(seed);
  }
  // Copied now: fn may itself call backward (gradients of gradients) and reset .grad.
  const analyticGrads = leaves.map((l) => (l.grad ? Float64Array.from(l.grad.data) : new Float64Array(l.size)));
  let maxAbsError = 0;
  let worstExcess = 0;
  let worst: GradcheckResult['worst'] = null;
  {
    leaves.forEach((leaf, li) => {
      const data = leaf.data;
      for (let j = 0; j < data.length; j++) {
        const orig = data[j];
        data[j] = orig + eps;
        const fp = scalarize(fn(...leaves), v);
        data[j] = orig - eps;
        const fm = scalarize(fn(...leaves), v);
        data[j] = orig;
        const numerical = (fp - fm) / (2 * eps);
        const analytic = analyticGrads[li][j];
        const err = Math.abs(analytic - numerical);
        maxAbsError = Math.max(maxAbsError, Number.isNaN(err) ? Infinity : err);
        const excess = Number.isNaN(err) ? Infinity : err - (atol + rtol * Math.abs(numerical));
        if (excess > worstExcess || (worst === null && excess > 0)) {
          worstExcess = excess;
          worst = { input: li, index: j, analytic, numerical };
        }
      }
    });
  }
  const passed = worst === null;
  if (!passed && raise) {
    const w = worst as unknown as NonNullable<GradcheckResult['worst']>;
    throw new ValueError(`gradcheck: gradient mismatch for inputs[${w.input}] ${fmtShape(inputs[w.input].shape)} at flat index ${w.index}: analytic ${w.analytic}, numerical ${w.numerical} (atol ${atol}, rtol ${rtol})`);
  }
  return { passed, maxAbsError, worst };
}

/**
 * The Jacobian of fn at x: shape [...out.shape, ...x.shape], by one reverse pass per output entry.
 */
export function jacobian(fn: (x: Tensor) => Tensor, x: Tensor): Tensor {
  expectTensor(x, 'jacobian', 'x');
  const leaf = new Tensor(x.data.slice(), x.shape, true);
  const out = fn(leaf);
  expectTensor(out, 'jacobian', 'fn(x) result');
  if (out.dtype !== x.dtype) throw new ShapeError(`jacobian: fn changed the dtype from ${x.dtype} to ${out.dtype}`);
  const J = new Tensor(allocate(x.dtype, out.size * x.size), [...out.shape, ...x.shape]);
  if (!out.requiresGrad) return J;
  for (let i = 0; i < out.size; i++) {
    leaf.grad = null;
    const seed = new Tensor(allocate(out.dtype, out.size), out.shape);
    seed.data[i] = 1;
    out.backward(seed);
    if (leaf.grad) J.data.set((leaf.grad as Tensor).data, i * x.size);
  }
  return J;
}
