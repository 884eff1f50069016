// Support vector machines: SVC (libsvm's SMO, one-vs-one, Platt probabilities), LinearSVC (liblinear's dual coordinate
// descent, one-vs-rest), SVR and OneClassSVM (the same SMO), the libsvm kernels as functions and Gram builders, the course's margin and
// hinge-loss tools, and save/load of fitted models (model.json + weights.safetensors).
export { SVC } from './svc.js';
export type { SVCOptions, SVCProgress, SVCState, ClassWeight, DecisionFunctionOptions } from './svc.js';
export { SVR, OneClassSVM } from './regression.js';
export type { SVROptions, OneClassSVMOptions, KernelSVMOptions, KernelModelState } from './regression.js';
export { LinearSVC } from './linear.js';
export type { LinearSVCOptions, LinearSVCState } from './linear.js';
export { loadModel as load, saveModel as save } from './io.js';
export { kernels } from './kernels.js';
export type { Kernel, KernelName, KernelFunction, KernelOptions } from './kernels.js';
export { hingeLoss, slack, functionalMargin, geometricMargin, onMargin } from './margin.js';
export type { HingeReduction, OnMarginOptions } from './margin.js';
export type { MatrixLike, VectorLike, PointLike } from './input.js';
