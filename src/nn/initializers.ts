import { ValueError } from '../core/errors.js';
import type { Random } from '../tensor/random.js';
import { Tensor, allocate, type DType } from '../tensor/tensor.js';

/** Makes initial weights of a shape; fanIn/fanOut as Keras computes them. */
export interface Initializer {
  readonly name: string;
  readonly config?: Record<string, number>;
  init(shape: readonly number[], dtype: DType, rng: Random): Tensor;
}

function fans(shape: readonly number[]): [number, number] {
  if (shape.length < 2) return [shape[0] ?? 1, shape[0] ?? 1];
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [shape[shape.length - 2] * receptive, shape[shape.length - 1] * receptive];
}

function make(name: string, draw: (shape: readonly number[], rng: Random) => () => number, config?: Record<string, number>): Initializer {
  return {
    name,
    config,
    init(shape, dtype, rng) {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = allocate(dtype, n);
      const next = draw(shape, rng);
      for (let i = 0; i < n; i++) data[i] = next();
      return new Tensor(data, shape);
    },
  };
}

export const initializers = {
  /** Uniform in +-sqrt(6 / (fanIn + fanOut)) (Keras' default for kernels). */
  glorotUniform: (): Initializer => make('glorotUniform', (s, r) => {
    const [fi, fo] = fans(s);
    const lim = Math.sqrt(6 / (fi + fo));
    return () => r.uniform(-lim, lim);
  }),
  /** Normal with std sqrt(2 / fanIn), truncated at 2 std as Keras does. */
  heNormal: (): Initializer => make('heNormal', (s, r) => {
    const std = Math.sqrt(2 / fans(s)[0]) / 0.87962566103423978;
    return () => {
      let v: number;
      do v = r.normal(); while (Math.abs(v) > 2);
      return v * std;
    };
  }),
  zeros: (): Initializer => make('zeros', () => () => 0),
  ones: (): Initializer => make('ones', () => () => 1),
  constant: (value: number): Initializer => make('constant', () => () => value, { value }),
  randomNormal: (options: { mean?: number; stddev?: number } = {}): Initializer => {
    const mean = options.mean ?? 0;
    const stddev = options.stddev ?? 0.05;
    return make('randomNormal', (_s, r) => () => r.normal(mean, stddev), { mean, stddev });
  },
  randomUniform: (options: { minval?: number; maxval?: number } = {}): Initializer => {
    const lo = options.minval ?? -0.05;
    const hi = options.maxval ?? 0.05;
    return make('randomUniform', (_s, r) => () => r.uniform(lo, hi), { minval: lo, maxval: hi });
  },
};

export type InitializerName = 'glorotUniform' | 'glorot_uniform' | 'heNormal' | 'he_normal' | 'zeros' | 'ones' | 'randomNormal' | 'random_normal' | 'randomUniform' | 'random_uniform';

/** An initializer from a name (snake_case or camelCase), an object, or a saved {name, config}. */
export function resolveInitializer(fn: string, spec: InitializerName | Initializer | undefined, dflt: () => Initializer): Initializer {
  if (spec === undefined) return dflt();
  if (typeof spec === 'object') {
    if (typeof spec.init === 'function') return spec;
    const saved = spec as { name: string; config?: Record<string, number> };
    return fromSaved(fn, saved.name, saved.config);
  }
  return fromSaved(fn, spec);
}

function fromSaved(fn: string, name: string, config?: Record<string, number>): Initializer {
  const camel = name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  switch (camel) {
    case 'glorotUniform': return initializers.glorotUniform();
    case 'heNormal': return initializers.heNormal();
    case 'zeros': return initializers.zeros();
    case 'ones': return initializers.ones();
    case 'constant': return initializers.constant(config?.value ?? 0);
    case 'randomNormal': return initializers.randomNormal(config);
    case 'randomUniform': return initializers.randomUniform(config);
    default:
      throw new ValueError(`${fn}: unknown initializer '${name}' (use glorotUniform, heNormal, zeros, ones, constant, randomNormal, randomUniform)`);
  }
}
