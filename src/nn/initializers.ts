import { ValueError } from '../core/errors.js';
import { checkOptions, finiteNumber, optionKeys, positiveNumber, unknownNameError, showJson } from '../core/validate.js';
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

/** While a model is built from a file: how many weight values the file holds and how many are not yet claimed. */
interface WeightBudget { readonly total: number; left: number }
let budget: WeightBudget | null = null;

/**
 * Runs `build` (synchronous) with weight creation capped at `values` in all: a saved architecture
 * whose weights would outgrow its weights file fails at once, before allocating, and the random
 * draws are skipped (the file's values replace them). Layers also cap per-sample shapes then.
 */
export function withWeightBudget<T>(values: number, build: () => T): T {
  const outer = budget;
  budget = { total: values, left: values };
  try {
    return build();
  } finally {
    budget = outer;
  }
}

/** Whether a model is being built from a file (see withWeightBudget). */
export function buildingFromFile(): boolean {
  return budget !== null;
}

function make(name: string, draw: (shape: readonly number[], rng: Random) => () => number, config?: Record<string, number>): Initializer {
  return {
    name,
    config,
    init(shape, dtype, rng) {
      const n = shape.reduce((a, b) => a * b, 1);
      if (budget !== null) {
        if (!(n <= budget.left)) {
          throw new ValueError(`a weight of shape [${shape.join(',')}] needs ${n} values but the weights file holds ${budget.total} in all (${budget.left} not yet used by earlier layers)`);
        }
        budget.left -= n;
        return new Tensor(allocate(dtype, n), shape);
      }
      const data = allocate(dtype, n);
      const next = draw(shape, rng);
      for (let i = 0; i < n; i++) data[i] = next();
      return new Tensor(data, shape);
    },
  };
}

/** A normal draw with std `std`, redrawn beyond 2 std (Keras' truncated normal). */
function truncated(r: Random, std: number): () => number {
  return () => {
    let v: number;
    do v = r.normal(); while (Math.abs(v) > 2);
    return v * std;
  };
}

// The std of a standard normal truncated at +-2: Keras divides by it so the scale is kept.
const TRUNCATED_STD = 0.87962566103423978;

/** Options of `initializers.randomNormal`. */
export interface RandomNormalOptions {
  /** Mean of the normal distribution. Default: 0. */
  mean?: number;
  /** Standard deviation, > 0. Default: 0.05 (Keras'). */
  stddev?: number;
}
/** Options of `initializers.randomUniform`. */
export interface RandomUniformOptions {
  /** Lower bound. Default: -0.05 (Keras'). */
  minval?: number;
  /** Upper bound, above minval. Default: 0.05 (Keras'). */
  maxval?: number;
}
const NORMAL_KEYS = optionKeys<RandomNormalOptions>({ mean: true, stddev: true });
const UNIFORM_KEYS = optionKeys<RandomUniformOptions>({ minval: true, maxval: true });

/** Weight initializers as Keras': each call gives an initializer a layer option takes (`kernelInitializer: initializers.heNormal()`). */
export const initializers = {
  /** Uniform in +-sqrt(6 / (fanIn + fanOut)) (Keras' default for kernels). */
  glorotUniform: (): Initializer => make('glorotUniform', (s, r) => {
    const [fi, fo] = fans(s);
    const lim = Math.sqrt(6 / (fi + fo));
    return () => r.uniform(-lim, lim);
  }),
  /** Truncated normal with std sqrt(2 / (fanIn + fanOut)). */
  glorotNormal: (): Initializer => make('glorotNormal', (s, r) => {
    const [fi, fo] = fans(s);
    return truncated(r, Math.sqrt(2 / (fi + fo)) / TRUNCATED_STD);
  }),
  /** Normal with std sqrt(2 / fanIn), truncated at 2 std as Keras does (for relu). */
  heNormal: (): Initializer => make('heNormal', (s, r) => truncated(r, Math.sqrt(2 / fans(s)[0]) / TRUNCATED_STD)),
  /** Uniform in +-sqrt(6 / fanIn). */
  heUniform: (): Initializer => make('heUniform', (s, r) => {
    const lim = Math.sqrt(6 / fans(s)[0]);
    return () => r.uniform(-lim, lim);
  }),
  /** Truncated normal with std sqrt(1 / fanIn) (for selu). */
  lecunNormal: (): Initializer => make('lecunNormal', (s, r) => truncated(r, Math.sqrt(1 / fans(s)[0]) / TRUNCATED_STD)),
  /** Uniform in +-sqrt(3 / fanIn). */
  lecunUniform: (): Initializer => make('lecunUniform', (s, r) => {
    const lim = Math.sqrt(3 / fans(s)[0]);
    return () => r.uniform(-lim, lim);
  }),
  zeros: (): Initializer => make('zeros', () => () => 0),
  ones: (): Initializer => make('ones', () => () => 1),
  constant: (value: number): Initializer => {
    finiteNumber('initializers.constant', 'value', value);
    return make('constant', () => () => value, { value });
  },
  randomNormal: (options: RandomNormalOptions = {}): Initializer => {
    const o = checkOptions('initializers.randomNormal', options, NORMAL_KEYS);
    const mean = finiteNumber('initializers.randomNormal', 'mean', o.mean ?? 0);
    const stddev = positiveNumber('initializers.randomNormal', 'stddev', o.stddev ?? 0.05);
    return make('randomNormal', (_s, r) => () => r.normal(mean, stddev), { mean, stddev });
  },
  randomUniform: (options: RandomUniformOptions = {}): Initializer => {
    const o = checkOptions('initializers.randomUniform', options, UNIFORM_KEYS);
    const lo = finiteNumber('initializers.randomUniform', 'minval', o.minval ?? -0.05);
    const hi = finiteNumber('initializers.randomUniform', 'maxval', o.maxval ?? 0.05);
    if (!(lo < hi)) throw new ValueError(`initializers.randomUniform: minval (${lo}) must be below maxval (${hi})`);
    return make('randomUniform', (_s, r) => () => r.uniform(lo, hi), { minval: lo, maxval: hi });
  },
};

/** An initializer by name, camelCase or Keras' snake_case. */
export type InitializerName =
  | 'glorotUniform' | 'glorot_uniform' | 'glorotNormal' | 'glorot_normal' | 'heNormal' | 'he_normal' | 'heUniform' | 'he_uniform'
  | 'lecunNormal' | 'lecun_normal' | 'lecunUniform' | 'lecun_uniform' | 'zeros' | 'ones'
  | 'randomNormal' | 'random_normal' | 'randomUniform' | 'random_uniform';

/** An initializer from a name (snake_case or camelCase), an object, or a saved {name, config}. */
export function resolveInitializer(fn: string, spec: InitializerName | Initializer | undefined, dflt: () => Initializer): Initializer {
  if (spec === undefined) return dflt();
  if (typeof spec === 'object' && spec !== null) {
    if (typeof spec.init === 'function') return spec;
    const saved = spec as { name: string; config?: Record<string, number> };
    return fromSaved(fn, saved.name, saved.config);
  }
  return fromSaved(fn, spec);
}

function fromSaved(fn: string, name: string, config?: Record<string, number>): Initializer {
  if (typeof name !== 'string') throw new ValueError(`${fn}: an initializer must be a name, an initializers.* object or { name, config }, got ${showJson(name)}`);
  const camel = name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  switch (camel) {
    case 'glorotUniform': return initializers.glorotUniform();
    case 'glorotNormal': return initializers.glorotNormal();
    case 'heNormal': return initializers.heNormal();
    case 'heUniform': return initializers.heUniform();
    case 'lecunNormal': return initializers.lecunNormal();
    case 'lecunUniform': return initializers.lecunUniform();
    case 'zeros': return initializers.zeros();
    case 'ones': return initializers.ones();
    case 'constant': return initializers.constant(config?.value ?? 0);
    case 'randomNormal': return initializers.randomNormal(config);
    case 'randomUniform': return initializers.randomUniform(config);
    default:
      throw unknownNameError(fn, 'initializer', name, Object.keys(initializers));
  }
}
