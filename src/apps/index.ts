// gl.applications: Keras' applications with their architectures, layer names and weight files.
export { vgg16, vgg19 } from './vgg.js';
export { resnet50 } from './resnet.js';
export { mobilenetV2 } from './mobilenet.js';
export type { MobileNetV2Options } from './mobilenet.js';
export type { ApplicationOptions } from './common.js';
export { preprocessInput, decodePredictions } from './imagenet.js';
export type { PreprocessInputOptions, DecodePredictionsOptions, DecodedPrediction, ClassIndex } from './imagenet.js';
