// The backward shared by the ops that fuse a bias and an activation into their kernel's epilogue
// (conv2d and conv1d with a bias or an activation, dense): one pass from the op's output u.
import type { FusedActivation } from '../backend/backend.js';
import { Tensor, isGradEnabled } from '../tensor/tensor.js';
import { activationGradFromOutput } from './activation.js';
import { sumTo } from './reduce.js';
import { empty, fd, kernelOutput, kernels } from './util.js';

/**
 * dL/dz and dL/dbias (null unless the bias wants one) for u = activation(z), z = ... + bias, given
 * du. Without a recorded graph both come from one kernel pass; with one (createGraph) they are
 * differentiable ops, so higher-order gradients still work.
 */
export function epilogueBackward(du: Tensor, u: Tensor, activation: FusedActivation, bias: Tensor | null): { dz: Tensor; dbias: Tensor | null } {
  const wantBias = bias !== null && bias.requiresGrad;
  if (isGradEnabled() || activation === 'linear') {
    const dz = activationGradFromOutput(du, u, activation);
    return { dz, dbias: wantBias ? sumTo(dz, bias.shape) : null };
  }
  const dz = kernelOutput(du.dtype, du.shape);
  const dbias = wantBias ? kernelOutput(bias.dtype, bias.shape) : null;
  kernels().activationBackward(fd(du), fd(u), activation, fd(dz), dbias ? fd(dbias) : null, u.shape[u.rank - 1]);
  return { dz, dbias };
}
