import { ValueError } from '../core/errors.js';
import { describeValue, hasOwn, unknownNameError } from '../core/validate.js';
import type { Tensor } from '../tensor/tensor.js';
import { elu, gelu, hardSigmoid, hardSwish, leakyRelu, logSoftmax, relu, relu6, selu, sigmoid, silu, softmax, softplus, step, tanh } from '../ops/index.js';

/** Activation names as Keras spells them (camelCase accepted too). */
export type ActivationName =
  | 'linear' | 'step' | 'sigmoid' | 'tanh' | 'relu' | 'softmax' | 'leaky_relu' | 'leakyRelu'
  | 'elu' | 'softplus' | 'log_softmax' | 'logSoftmax' | 'relu6' | 'silu' | 'swish' | 'gelu' | 'hard_sigmoid' | 'hardSigmoid'
  | 'hard_swish' | 'hardSwish' | 'selu';

const table: Record<string, ((x: Tensor) => Tensor) | null> = {
  linear: null,
  step,
  sigmoid,
  tanh,
  relu: (x) => relu(x),
  relu6,
  silu,
  swish: silu,
  gelu: (x) => gelu(x),
  hard_sigmoid: hardSigmoid,
  hard_swish: hardSwish,
  selu,
  softmax: (x) => softmax(x, -1),
  leaky_relu: (x) => leakyRelu(x),
  elu: (x) => elu(x),
  softplus,
  log_softmax: (x) => logSoftmax(x, -1),
};

export function canonicalActivation(fn: string, name: string | undefined | null): string {
  if (name !== undefined && name !== null && typeof name !== 'string') throw new ValueError(`${fn}: activation must be a name such as 'relu', got ${describeValue(name)}`);
  const n = (name ?? 'linear').replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
  if (!hasOwn(table, n)) throw unknownNameError(fn, 'activation', String(name), Object.keys(table));
  return n;
}

/** Applies a canonical activation; 'linear' returns x itself. */
export function applyActivation(name: string, x: Tensor): Tensor {
  const f = table[name];
  return f ? f(x) : x;
}
