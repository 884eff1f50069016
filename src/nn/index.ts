export { Layer } from './layer.js';
export type { LayerArgs, LayerOutput, LayerWeight } from './layer.js';
export {
  layers, layerFromConfig, Dense, Conv2D, Conv1D, MaxPooling2D, AveragePooling2D, MaxPooling1D, AveragePooling1D,
  GlobalAveragePooling2D, GlobalMaxPooling2D, Flatten, Reshape, Dropout, Activation, BatchNormalization,
} from './layers.js';
export type {
  DenseArgs, Conv2DArgs, Conv1DArgs, Pooling2DArgs, Pooling1DArgs, ReshapeArgs, DropoutArgs, ActivationArgs, BatchNormalizationArgs,
} from './layers.js';
export { initializers } from './initializers.js';
export type { Initializer, InitializerName } from './initializers.js';
export type { ActivationName } from './activations.js';
export { Sequential, sequential } from './sequential.js';
export type { SequentialArgs, LayerTrace, SummaryOptions, PredictOptions } from './sequential.js';
