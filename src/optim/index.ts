import { kernels } from '../backend/index.js';
import { ValueError } from '../core/errors.js';
import {
  booleanOption, checkOptions, hasOwn, nearestName, nonNegativeNumber, numberInRange, optionKeys, positiveNumber, showJson,
} from '../core/validate.js';
import { floatData, type FloatArray, type Tensor } from '../tensor/tensor.js';

/** Updates parameters in place from their `.grad`; state is kept per parameter tensor. */
export interface Optimizer {
  readonly name: 'sgd' | 'adam' | 'rmsprop';
  learningRate: number;
  /** One update of every parameter that has a gradient. */
  step(params: readonly Tensor[]): void;
  getConfig(): Record<string, number | boolean>;
  /**
   * The per-parameter state (momentum, Adam's moments and step counts, RMSprop's average) as it
   * is now; later steps never change it. Written into `into` when given, so that one per batch
   * allocates nothing (Adam's holds the arrays themselves and steps to others, so it copies
   * nothing either). fit takes one before each step and puts it back with `restoreState` when the
   * step goes bad.
   */
  snapshotState?(into?: OptimizerState): OptimizerState;
  /** Puts back a state from `snapshotState`; parameters it does not hold start afresh. */
  restoreState?(state: OptimizerState): void;
}

/** An optimizer's per-parameter state as `snapshotState` copies it. */
export interface OptimizerState {
  readonly slots: Map<Tensor, FloatArray[]>;
  readonly steps: Map<Tensor, number>;
}

/** The optimizers made here: they read the gradients in step() and keep no reference to them. */
const BUILTIN = new WeakSet<Optimizer>();

function builtin(o: Optimizer): Optimizer {
  BUILTIN.add(o);
  return o;
}

/** Whether `o` is one of gradlab's optimizers, which hold no gradient after step() (fit then recycles them). */
export function keepsNoGradients(o: Optimizer): boolean {
  return BUILTIN.has(o);
}

/**
 * Per-parameter slots (and step counts) with copy and restore, shared by the optimizers. With
 * `outOfPlace` (an update that writes its new slots to other arrays, as Adam's kernel can) a
 * snapshot copies nothing: it keeps the live arrays, which are then frozen, and the next update
 * writes to spare arrays (those of a snapshot given back as `into`) that become the live ones.
 * fit's NaN guard takes a snapshot before every step, so this saves two copies of the weights'
 * size per step.
 */
class Slots {
  readonly state = new Map<Tensor, FloatArray[]>();
  readonly steps = new Map<Tensor, number>();
  /**
   * How many snapshots hold each set of slot arrays: a held set is never written. Weak: a
   * snapshot dropped without being given back lets its sets go with it.
   */
  private readonly holds = new WeakMap<FloatArray[], number>();
  /** Sets free for the next out-of-place update, per parameter. */
  private readonly spare = new Map<Tensor, FloatArray[][]>();
  /** The snapshots this made by reference (only those give their sets back when reused). */
  private readonly byReference = new WeakSet<OptimizerState>();

  constructor(private readonly count: number, private readonly outOfPlace = false) {}

  get(p: Tensor): FloatArray[] {
    return stateFor(this.state, p, this.count);
  }

  /** The arrays the update of p writes its new slots to: the live ones unless a snapshot holds them. */
  writable(p: Tensor): FloatArray[] {
    const live = this.get(p);
    if (!this.holds.has(live)) return live;
    return this.spare.get(p)?.pop() ?? live.map(zerosLike);
  }

  /** After an update that wrote to `arrays` (from writable): they are p's live slots. */
  commit(p: Tensor, arrays: FloatArray[]): void {
    this.state.set(p, arrays);
  }

  snapshot(into?: OptimizerState): OptimizerState {
    if (this.outOfPlace) return this.snapshotByReference(into);
    const out: OptimizerState = into ?? { slots: new Map(), steps: new Map() };
    for (const p of [...out.slots.keys()]) if (!this.state.has(p)) out.slots.delete(p);
    for (const [p, arrays] of this.state) {
      const kept = out.slots.get(p);
      if (kept && kept.length === arrays.length && kept.every((a, i) => a.length === arrays[i].length && a.constructor === arrays[i].constructor)) {
        kept.forEach((a, i) => a.set(arrays[i]));
      } else {
        out.slots.set(p, arrays.map((a) => a.slice()));
      }
    }
    out.steps.clear();
    for (const [p, t] of this.steps) out.steps.set(p, t);
    return out;
  }

  private snapshotByReference(into?: OptimizerState): OptimizerState {
    const out: OptimizerState = into ?? { slots: new Map(), steps: new Map() };
    if (into && this.byReference.has(into)) {
      for (const [p, set] of into.slots) {
        const n = (this.holds.get(set) ?? 1) - 1;
        if (n > 0) {
          this.holds.set(set, n);
          continue;
        }
        this.holds.delete(set);
        // free again, unless it is still p's live set (no update since)
        if (this.state.get(p) === set || !this.state.has(p)) continue;
        let list = this.spare.get(p);
        if (!list) this.spare.set(p, (list = []));
        if (list.length < 2) list.push(set);
      }
    }
    out.slots.clear();
    for (const [p, set] of this.state) {
      this.holds.set(set, (this.holds.get(set) ?? 0) + 1);
      out.slots.set(p, set);
    }
    this.byReference.add(out);
    out.steps.clear();
    for (const [p, t] of this.steps) out.steps.set(p, t);
    return out;
  }

  restore(saved: OptimizerState): void {
    for (const p of [...this.state.keys()]) if (!saved.slots.has(p)) this.state.delete(p);
    for (const [p, arrays] of saved.slots) {
      const live = this.state.get(p);
      const fits = live !== undefined && live.length === arrays.length && live.every((a, i) => a.length === arrays[i].length);
      // a set a snapshot holds (the saved one included) is never written: the live state gets its own copy
      if (fits && live !== arrays && !this.holds.has(live)) live.forEach((a, i) => a.set(arrays[i]));
      else this.state.set(p, arrays.map((a) => a.slice()));
    }
    this.steps.clear();
    for (const [p, t] of saved.steps) this.steps.set(p, t);
  }
}

// Each optimizer's options are checked before it is made, whether they come from code or from a
// saved model's config (resolveOptimizer): unknown keys name the nearest known one, so Keras's
// learning_rate is met with "did you mean 'learningRate'?".

/** Zeros as long as `a`: float32 for a Float32Array, float64 otherwise. */
function zerosLike(a: ArrayLike<number>): FloatArray {
  return a instanceof Float32Array ? new Float32Array(a.length) : new Float64Array(a.length);
}

function stateFor(map: Map<Tensor, FloatArray[]>, p: Tensor, n: number): FloatArray[] {
  let s = map.get(p);
  if (!s) {
    // the parameter's own dtype, as Keras and PyTorch keep it (float32 state runs the wasm kernel)
    s = Array.from({ length: n }, () => zerosLike(p.data));
    map.set(p, s);
  }
  return s;
}

/** Options of `optimizers.sgd`. */
export interface SgdOptions {
  /** Default 0.01. */
  learningRate?: number;
  /** In [0, 1); default 0 (plain gradient descent). */
  momentum?: number;
  /** Nesterov momentum (default false). */
  nesterov?: boolean;
}

const SGD_KEYS = optionKeys<SgdOptions>({ learningRate: true, momentum: true, nesterov: true });

/** w -= lr g; with momentum v = m v - lr g, w += v (Nesterov: w += m v - lr g), as Keras. */
export function sgd(options: SgdOptions = {}): Optimizer {
  return makeSgd('sgd', options);
}

function makeSgd(fn: string, input: SgdOptions | undefined): Optimizer {
  const options = checkOptions(fn, input, SGD_KEYS);
  const learningRate = positiveNumber(fn, 'learningRate', options.learningRate ?? 0.01);
  const momentum = numberInRange(fn, 'momentum', options.momentum ?? 0, 0, 1, true);
  const nesterov = booleanOption(fn, 'nesterov', options.nesterov ?? false);
  const slots = new Slots(1);
  return builtin({
    name: 'sgd',
    learningRate,
    step(params) {
      const lr = this.learningRate;
      for (const p of params) {
        if (!p.grad) continue;
        const w = p.data;
        const g = p.grad.data;
        if (momentum === 0) {
          for (let i = 0; i < w.length; i++) w[i] -= lr * g[i];
          continue;
        }
        const [v] = slots.get(p);
        for (let i = 0; i < w.length; i++) {
          v[i] = momentum * v[i] - lr * g[i];
          w[i] += nesterov ? momentum * v[i] - lr * g[i] : v[i];
        }
      }
    },
    getConfig() { return { learningRate: this.learningRate, momentum, nesterov }; },
    snapshotState: (into) => slots.snapshot(into),
    restoreState: (saved) => slots.restore(saved),
  });
}

/** Options of `optimizers.adam`. */
export interface AdamOptions {
  /** Default 0.001. */
  learningRate?: number;
  /** Decay of the first moment, in [0, 1); default 0.9. */
  beta1?: number;
  /** Decay of the second moment, in [0, 1); default 0.999. */
  beta2?: number;
  /** Added to the root of the second moment, >= 0; default 1e-7 (Keras's). */
  epsilon?: number;
}

const ADAM_KEYS = optionKeys<AdamOptions>({ learningRate: true, beta1: true, beta2: true, epsilon: true });

/**
 * Adam as Keras computes it: m = b1 m + (1-b1) g, v = b2 v + (1-b2) g^2,
 * w -= lr sqrt(1-b2^t)/(1-b1^t) m / (sqrt(v) + epsilon), epsilon 1e-7.
 */
export function adam(options: AdamOptions = {}): Optimizer {
  return makeAdam('adam', options);
}

function makeAdam(fn: string, input: AdamOptions | undefined): Optimizer {
  const options = checkOptions(fn, input, ADAM_KEYS);
  const learningRate = positiveNumber(fn, 'learningRate', options.learningRate ?? 0.001);
  const beta1 = numberInRange(fn, 'beta1', options.beta1 ?? 0.9, 0, 1, true);
  const beta2 = numberInRange(fn, 'beta2', options.beta2 ?? 0.999, 0, 1, true);
  const epsilon = nonNegativeNumber(fn, 'epsilon', options.epsilon ?? 1e-7);
  const slots = new Slots(2, true);
  const steps = slots.steps;
  return builtin({
    name: 'adam',
    learningRate,
    step(params) {
      for (const p of params) {
        if (!p.grad) continue;
        const t = (steps.get(p) ?? 0) + 1;
        steps.set(p, t);
        const alpha = this.learningRate * Math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t);
        const [m, v] = slots.get(p);
        const out = slots.writable(p);
        kernels().adamUpdate(floatData(p, 'adam', 'parameter'), floatData(p.grad, 'adam', 'gradient'), m, v, alpha, beta1, beta2, epsilon,
          out[0], out[1]);
        slots.commit(p, out);
      }
    },
    getConfig() { return { learningRate: this.learningRate, beta1, beta2, epsilon }; },
    snapshotState: (into) => slots.snapshot(into),
    restoreState: (saved) => slots.restore(saved),
  });
}

/** Options of `optimizers.rmsprop`. */
export interface RmspropOptions {
  /** Default 0.001. */
  learningRate?: number;
  /** Decay of the squared-gradient average, in [0, 1); default 0.9. */
  rho?: number;
  /** >= 0; default 1e-7 (Keras's). */
  epsilon?: number;
}

const RMSPROP_KEYS = optionKeys<RmspropOptions>({ learningRate: true, rho: true, epsilon: true });

/** RMSprop as Keras: a = rho a + (1-rho) g^2, w -= lr g / (sqrt(a) + epsilon). */
export function rmsprop(options: RmspropOptions = {}): Optimizer {
  return makeRmsprop('rmsprop', options);
}

function makeRmsprop(fn: string, input: RmspropOptions | undefined): Optimizer {
  const options = checkOptions(fn, input, RMSPROP_KEYS);
  const learningRate = positiveNumber(fn, 'learningRate', options.learningRate ?? 0.001);
  const rho = numberInRange(fn, 'rho', options.rho ?? 0.9, 0, 1, true);
  const epsilon = nonNegativeNumber(fn, 'epsilon', options.epsilon ?? 1e-7);
  const slots = new Slots(1);
  return builtin({
    name: 'rmsprop',
    learningRate,
    step(params) {
      const lr = this.learningRate;
      for (const p of params) {
        if (!p.grad) continue;
        const [a] = slots.get(p);
        const w = p.data;
        const g = p.grad.data;
        for (let i = 0; i < w.length; i++) {
          a[i] = rho * a[i] + (1 - rho) * g[i] * g[i];
          w[i] -= (lr * g[i]) / (Math.sqrt(a[i]) + epsilon);
        }
      }
    },
    getConfig() { return { learningRate: this.learningRate, rho, epsilon }; },
    snapshotState: (into) => slots.snapshot(into),
    restoreState: (saved) => slots.restore(saved),
  });
}

/** The optimizers, as Keras': `optimizers.sgd()`, `optimizers.adam()`, `optimizers.rmsprop()`. */
export const optimizers = { sgd, adam, rmsprop };

const MAKERS: Readonly<Record<Optimizer['name'], (fn: string, config: Record<string, unknown> | undefined) => Optimizer>> = {
  sgd: makeSgd, adam: makeAdam, rmsprop: makeRmsprop,
};

/**
 * An optimizer from a name ('sgd', 'adam', 'rmsprop') with its config, or an optimizer object.
 * The config (e.g. read from a saved model) is checked as the options are:
 * `loadModel: optimizer 'adam': unknown option 'learning_rate' (did you mean 'learningRate'?)`.
 */
export function resolveOptimizer(fn: string, spec: string | Optimizer, config: Record<string, number | boolean> = {}): Optimizer {
  if (typeof spec === 'object' && spec !== null && typeof spec.step === 'function') return spec;
  if (typeof spec === 'string' && hasOwn(MAKERS, spec)) return MAKERS[spec as Optimizer['name']](`${fn}: optimizer '${spec}'`, config);
  const near = typeof spec === 'string' ? nearestName(spec, Object.keys(MAKERS)) : null;
  throw new ValueError(`${fn}: unknown optimizer ${showJson(spec)}${near ? ` (did you mean '${near}'?)` : ''} (use 'sgd', 'adam', 'rmsprop' or optimizers.adam({...}))`);
}
