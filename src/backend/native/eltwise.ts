import type { Backend } from '../backend.js';

/**
 * The native addon's elementwise, reduction, pooling and optimizer kernels (native/src/eltwise.c,
 * pool.c, optim.c, grouped.c). Placeholder until those land: the js reference runs them.
 */
export function nativeEltwiseKernels(_addon: object): Partial<Backend> {
  return {};
}
