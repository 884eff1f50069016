import { kernels } from '../backend/index.js';
import { ValueError } from '../core/errors.js';
import type { FloatArray, Tensor } from '../tensor/tensor.js';

/** Updates parameters in place from their `.grad`; state is kept per parameter tensor. */
export interface Optimizer {
  readonly name: 'sgd' | 'adam' | 'rmsprop';
  learningRate: number;
  /** One update of every parameter that has a gradient. */
  step(params: readonly Tensor[]): void;
  getConfig(): Record<string, number | boolean>;
}

function checkRate(fn: string, lr: number): number {
  if (!(lr > 0) || !Number.isFinite(lr)) throw new ValueError(`${fn}: learningRate must be a positive number, got ${lr}`);
  return lr;
}

function stateFor(map: Map<Tensor, FloatArray[]>, p: Tensor, n: number): FloatArray[] {
  let s = map.get(p);
  if (!s) {
    // the parameter's own dtype, as Keras and PyTorch keep it (float32 state runs the wasm kernel)
    s = Array.from({ length: n }, () => (p.data instanceof Float32Array ? new Float32Array(p.size) : new Float64Array(p.size)));
    map.set(p, s);
  }
  return s;
}

export interface SgdOptions {
  learningRate?: number;
  momentum?: number;
  nesterov?: boolean;
}

/** w -= lr g; with momentum v = m v - lr g, w += v (Nesterov: w += m v - lr g), as Keras. */
export function sgd(options: SgdOptions = {}): Optimizer {
  const learningRate = checkRate('sgd', options.learningRate ?? 0.01);
  const momentum = options.momentum ?? 0;
  const nesterov = options.nesterov ?? false;
  if (!(momentum >= 0 && momentum < 1)) throw new ValueError(`sgd: momentum must be in [0, 1), got ${momentum}`);
  const state = new Map<Tensor, FloatArray[]>();
  return {
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
        const [v] = stateFor(state, p, 1);
        for (let i = 0; i < w.length; i++) {
          v[i] = momentum * v[i] - lr * g[i];
          w[i] += nesterov ? momentum * v[i] - lr * g[i] : v[i];
        }
      }
    },
    getConfig() { return { learningRate: this.learningRate, momentum, nesterov }; },
  };
}

export interface AdamOptions {
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/**
 * Adam as Keras computes it: m = b1 m + (1-b1) g, v = b2 v + (1-b2) g^2,
 * w -= lr sqrt(1-b2^t)/(1-b1^t) m / (sqrt(v) + epsilon), epsilon 1e-7.
 */
export function adam(options: AdamOptions = {}): Optimizer {
  const learningRate = checkRate('adam', options.learningRate ?? 0.001);
  const beta1 = options.beta1 ?? 0.9;
  const beta2 = options.beta2 ?? 0.999;
  const epsilon = options.epsilon ?? 1e-7;
  for (const [k, v] of [['beta1', beta1], ['beta2', beta2]] as const) {
    if (!(v >= 0 && v < 1)) throw new ValueError(`adam: ${k} must be in [0, 1), got ${v}`);
  }
  if (!(epsilon >= 0)) throw new ValueError(`adam: epsilon must be >= 0, got ${epsilon}`);
  const state = new Map<Tensor, FloatArray[]>();
  const steps = new Map<Tensor, number>();
  return {
    name: 'adam',
    learningRate,
    step(params) {
      for (const p of params) {
        if (!p.grad) continue;
        const t = (steps.get(p) ?? 0) + 1;
        steps.set(p, t);
        const alpha = this.learningRate * Math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t);
        const [m, v] = stateFor(state, p, 2);
        kernels().adamUpdate(p.data, p.grad.data, m, v, alpha, beta1, beta2, epsilon);
      }
    },
    getConfig() { return { learningRate: this.learningRate, beta1, beta2, epsilon }; },
  };
}

export interface RmspropOptions {
  learningRate?: number;
  rho?: number;
  epsilon?: number;
}

/** RMSprop as Keras: a = rho a + (1-rho) g^2, w -= lr g / (sqrt(a) + epsilon). */
export function rmsprop(options: RmspropOptions = {}): Optimizer {
  const learningRate = checkRate('rmsprop', options.learningRate ?? 0.001);
  const rho = options.rho ?? 0.9;
  const epsilon = options.epsilon ?? 1e-7;
  if (!(rho >= 0 && rho < 1)) throw new ValueError(`rmsprop: rho must be in [0, 1), got ${rho}`);
  const state = new Map<Tensor, FloatArray[]>();
  return {
    name: 'rmsprop',
    learningRate,
    step(params) {
      const lr = this.learningRate;
      for (const p of params) {
        if (!p.grad) continue;
        const [a] = stateFor(state, p, 1);
        const w = p.data;
        const g = p.grad.data;
        for (let i = 0; i < w.length; i++) {
          a[i] = rho * a[i] + (1 - rho) * g[i] * g[i];
          w[i] -= (lr * g[i]) / (Math.sqrt(a[i]) + epsilon);
        }
      }
    },
    getConfig() { return { learningRate: this.learningRate, rho, epsilon }; },
  };
}

export const optimizers = { sgd, adam, rmsprop };

/** An optimizer from a name ('sgd', 'adam', 'rmsprop') or an optimizer object. */
export function resolveOptimizer(fn: string, spec: string | Optimizer, config: Record<string, number | boolean> = {}): Optimizer {
  if (typeof spec === 'object' && spec !== null && typeof spec.step === 'function') return spec;
  switch (spec) {
    case 'sgd': return sgd(config);
    case 'adam': return adam(config);
    case 'rmsprop': return rmsprop(config);
    default: throw new ValueError(`${fn}: unknown optimizer ${JSON.stringify(spec)} (use 'sgd', 'adam', 'rmsprop' or optimizers.adam({...}))`);
  }
}
