import type { Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';

/** One valid input set for an op: the float64 tensors and how to call the op on them. */
export interface OpSample {
  readonly label: string;
  readonly inputs: Tensor[];
  readonly fn: (...inputs: Tensor[]) => Tensor;
}

/** An op as the gradient-check sweep sees it. */
export interface RegisteredOp {
  /** The exported name (a `losses.` prefix for losses, `internal:` for ops users never call). */
  readonly name: string;
  readonly family: string;
  /** Inputs covering the op's option space; values keep clear of kinks (|x| > 1e-3 near relu's 0, distinct maxima). */
  readonly samples: (rng: Random) => OpSample[];
  /** Looser tolerances for ops whose finite differences are noisier. */
  readonly tolerance?: { atol?: number; rtol?: number; eps?: number };
}

const registry = new Map<string, RegisteredOp>();

/** Declares an op to the registry; each name once. */
export function registerOp(op: RegisteredOp): void {
  if (registry.has(op.name)) throw new Error(`gradlab internal: op '${op.name}' registered twice`);
  registry.set(op.name, op);
}

export function registeredOps(): RegisteredOp[] {
  return [...registry.values()];
}
