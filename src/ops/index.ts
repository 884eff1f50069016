// Every op, imported once so each registers itself; the public functions re-exported.
export {
  add, sub, mul, div, pow, maximum, minimum, neg, exp, log, sqrt, abs, square, sign, clip, where,
  gt, ge, lt, le, eq, ne, logicalAnd, logicalOr, logicalXor, logicalNot,
} from './elementwise.js';
export { astype, cast } from './cast.js';
export { sum, mean, max, min, argmax, argmin, logSumExp, variance, std } from './reduce.js';
export type { Axis, VarianceOptions } from './reduce.js';
export {
  reshape, flatten, transpose, permute, squeeze, expandDims, broadcastTo, slice, pad, flip, concat, stack, gather, oneHot,
  takeAlongAxis, maskedSelect,
} from './shape.js';
export { matmul, dot, outer, dense } from './matmul.js';
export { FUSED_ACTIVATIONS, type FusedActivation } from '../backend/backend.js';
export { conv2d, conv1d, depthwiseConv2d, conv2dTranspose } from './conv.js';
export type { Conv2dOptions, Conv1dOptions, DepthwiseConv2dOptions, Conv2dTransposeOptions, Padding } from './conv.js';
export { maxPool2d, avgPool2d, maxPool1d, avgPool1d, globalAvgPool2d, globalMaxPool2d } from './pool.js';
export type { Pool2dOptions, Pool1dOptions } from './pool.js';
export {
  step, sigmoid, tanh, relu, relu6, leakyRelu, elu, selu, softplus, softmax, logSoftmax, silu, swish, gelu, hardSigmoid, hardSwish,
} from './activation.js';
export type { ReluOptions, GeluOptions } from './activation.js';
export { batchNorm, layerNorm } from './normalization.js';
export { resize, upSampling2d } from './resize.js';
export type { ResizeMethod, ResizeOptions, UpSampling2dOptions } from './resize.js';
export type { BatchNormOptions, LayerNormOptions } from './normalization.js';
export { gradcheck, jacobian } from './gradcheck.js';
export type { GradcheckOptions, GradcheckResult } from './gradcheck.js';
export * as losses from './loss.js';
export { registeredOps } from './registry.js';
export type { OpSample, RegisteredOp } from './registry.js';
import './methods.js';
