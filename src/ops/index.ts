// Every op, imported once so each registers itself; the public functions re-exported.
export * from './elementwise.js';
export * from './reduce.js';
export * from './shape.js';
export * from './matmul.js';
export * from './conv.js';
export * from './pool.js';
export * from './activation.js';
export { gradcheck, jacobian } from './gradcheck.js';
export type { GradcheckOptions, GradcheckResult } from './gradcheck.js';
export * as losses from './loss.js';
export { registeredOps } from './registry.js';
export type { OpSample, RegisteredOp } from './registry.js';
import './methods.js';
