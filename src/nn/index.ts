export { Layer, InputLayer, SymbolicTensor, Node, input } from './layer.js';
export type { LayerArgs, LayerOutput, LayerWeight, InputArgs, Shape } from './layer.js';
export {
  Dense, Conv2D, Conv1D, MaxPooling2D, AveragePooling2D, MaxPooling1D, AveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling2D,
  GlobalAveragePooling1D, GlobalMaxPooling1D, Flatten, Reshape, Dropout, Activation, BatchNormalization,
} from './layers.js';
export type {
  DenseArgs, Conv2DArgs, Conv1DArgs, Pooling2DArgs, Pooling1DArgs, GlobalPoolingArgs, ReshapeArgs, DropoutArgs, ActivationArgs, BatchNormalizationArgs,
} from './layers.js';
export { Merge, Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate } from './merge.js';
export type { ConcatenateArgs } from './merge.js';
export { ZeroPadding2D, Cropping2D, Rescaling } from './spatial.js';
export type { ZeroPadding2DArgs, Cropping2DArgs, RescalingArgs, Margins2D } from './spatial.js';
export { ReLU, LeakyReLU, ELU, Softmax, LayerNormalization, UpSampling2D, Resizing } from './activation-layers.js';
export type { ReLUArgs, LeakyReLUArgs, ELUArgs, SoftmaxArgs, LayerNormalizationArgs, UpSampling2DArgs, ResizingArgs } from './activation-layers.js';
export { DepthwiseConv2D, SeparableConv2D, Conv2DTranspose } from './conv-variants.js';
export type { DepthwiseConv2DArgs, SeparableConv2DArgs, Conv2DTransposeArgs } from './conv-variants.js';
export { RandomFlip, RandomRotation, RandomZoom, RandomTranslation } from './preprocessing.js';
export type { RandomFlipArgs, RandomRotationArgs, RandomZoomArgs, RandomTranslationArgs, FlipMode, FillMode, TransformInterpolation, Factor } from './preprocessing.js';
export { layers, layerClasses, registerLayerClass } from './catalog.js';
export type { LayerClass } from './catalog.js';
export { initializers } from './initializers.js';
export type { Initializer, InitializerName, RandomNormalOptions, RandomUniformOptions } from './initializers.js';
export type { ActivationName } from './activations.js';
export { Model, model, registerModelFileFormat } from './model.js';
export type {
  ModelArgs, ModelInputs, ModelTargets, Targets, CompileArgs, CompileConfig, FitArgs, EvaluateArgs, PredictOptions, SummaryOptions, LayerTrace,
  LossSpec, MetricSpec, SaveOptions, LoadWeightsOptions, ModelFileFormat,
} from './model.js';
export { Sequential, sequential } from './sequential.js';
export type { SequentialArgs, SequentialEntry } from './sequential.js';
export { loadModel, modelFromConfig, layerFromConfig } from './saving.js';
export type { LoadModelOptions } from './saving.js';
