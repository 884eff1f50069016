// Every layer class by its Keras class name (for loading), and the factories with Keras' names.
import {
  Activation, AveragePooling1D, AveragePooling2D, BatchNormalization, Conv1D, Conv2D, Dense, Dropout, Flatten,
  GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D, MaxPooling1D, MaxPooling2D, Reshape,
  type ActivationArgs, type BatchNormalizationArgs, type Conv1DArgs, type Conv2DArgs, type DenseArgs, type DropoutArgs,
  type GlobalPoolingArgs, type Pooling1DArgs, type Pooling2DArgs, type ReshapeArgs,
} from './layers.js';
import { Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract, type ConcatenateArgs } from './merge.js';
import { Cropping2D, Rescaling, ZeroPadding2D, type Cropping2DArgs, type RescalingArgs, type ZeroPadding2DArgs } from './spatial.js';
import {
  ELU, LayerNormalization, LeakyReLU, ReLU, Resizing, Softmax, UpSampling2D,
  type ELUArgs, type LayerNormalizationArgs, type LeakyReLUArgs, type ReLUArgs, type ResizingArgs, type SoftmaxArgs, type UpSampling2DArgs,
} from './activation-layers.js';
import {
  Conv2DTranspose, DepthwiseConv2D, SeparableConv2D, type Conv2DTransposeArgs, type DepthwiseConv2DArgs, type SeparableConv2DArgs,
} from './conv-variants.js';
import {
  RandomFlip, RandomRotation, RandomTranslation, RandomZoom, type RandomFlipArgs, type RandomRotationArgs, type RandomTranslationArgs, type RandomZoomArgs,
} from './preprocessing.js';
import { ValueError } from '../core/errors.js';
import { hasOwn, showJson } from '../core/validate.js';
import { InputLayer, markOwnLayerClasses, type Layer, type LayerArgs } from './layer.js';

/** The layer classes a saved model may name (models themselves: Functional and Sequential). */
export const layerClasses = {
  InputLayer, Dense, Conv2D, Conv1D, MaxPooling2D, AveragePooling2D, MaxPooling1D, AveragePooling1D,
  GlobalAveragePooling2D, GlobalMaxPooling2D, GlobalAveragePooling1D, GlobalMaxPooling1D, Flatten, Reshape, Dropout, Activation, BatchNormalization,
  Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, ZeroPadding2D, Cropping2D, Rescaling,
  ReLU, LeakyReLU, ELU, Softmax, LayerNormalization, UpSampling2D, Resizing, DepthwiseConv2D, SeparableConv2D, Conv2DTranspose,
  RandomFlip, RandomRotation, RandomZoom, RandomTranslation,
} as const;

markOwnLayerClasses(Object.values(layerClasses));

/** A layer class a saved config can name: built from its config object. */
export type LayerClass = new (config: Record<string, unknown>) => Layer;

const registeredClasses = new Map<string, LayerClass>();

/** Adds a layer class that saved models may name (gradlab's interop layers, or a user's own). */
export function registerLayerClass(className: string, ctor: LayerClass): void {
  if (typeof className !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(className)) throw new ValueError(`registerLayerClass: className must be an identifier, got ${showJson(className)}`);
  if (hasOwn(layerClasses, className) || className === 'Functional' || className === 'Sequential' || className === 'Model') {
    throw new ValueError(`registerLayerClass: '${className}' is a built-in class`);
  }
  if (typeof ctor !== 'function') throw new ValueError(`registerLayerClass: ctor of '${className}' must be a class, got ${typeof ctor}`);
  registeredClasses.set(className, ctor);
}

/** The class a config names: a built-in one or a registered one; undefined when unknown. */
export function findLayerClass(className: string): LayerClass | undefined {
  if (hasOwn(layerClasses, className)) return layerClasses[className as keyof typeof layerClasses] as unknown as LayerClass;
  return registeredClasses.get(className);
}

/** Every class name a config may use. */
export function knownLayerClassNames(): string[] {
  return [...Object.keys(layerClasses), ...registeredClasses.keys()];
}

/** Layer factories with Keras' names: `layers.conv2d({ filters: 8, kernelSize: 3 })`. */
export const layers = {
  dense: (args: DenseArgs) => new Dense(args),
  conv2d: (args: Conv2DArgs) => new Conv2D(args),
  conv1d: (args: Conv1DArgs) => new Conv1D(args),
  depthwiseConv2d: (args: DepthwiseConv2DArgs) => new DepthwiseConv2D(args),
  separableConv2d: (args: SeparableConv2DArgs) => new SeparableConv2D(args),
  conv2dTranspose: (args: Conv2DTransposeArgs) => new Conv2DTranspose(args),
  maxPooling2d: (args: Pooling2DArgs = {}) => new MaxPooling2D(args),
  averagePooling2d: (args: Pooling2DArgs = {}) => new AveragePooling2D(args),
  maxPooling1d: (args: Pooling1DArgs = {}) => new MaxPooling1D(args),
  averagePooling1d: (args: Pooling1DArgs = {}) => new AveragePooling1D(args),
  globalAveragePooling2d: (args: GlobalPoolingArgs = {}) => new GlobalAveragePooling2D(args),
  globalMaxPooling2d: (args: GlobalPoolingArgs = {}) => new GlobalMaxPooling2D(args),
  globalAveragePooling1d: (args: GlobalPoolingArgs = {}) => new GlobalAveragePooling1D(args),
  globalMaxPooling1d: (args: GlobalPoolingArgs = {}) => new GlobalMaxPooling1D(args),
  flatten: (args: LayerArgs = {}) => new Flatten(args),
  reshape: (args: ReshapeArgs) => new Reshape(args),
  dropout: (args: DropoutArgs) => new Dropout(args),
  activation: (args: ActivationArgs) => new Activation(args),
  batchNormalization: (args: BatchNormalizationArgs = {}) => new BatchNormalization(args),
  add: (args: LayerArgs = {}) => new Add(args),
  subtract: (args: LayerArgs = {}) => new Subtract(args),
  multiply: (args: LayerArgs = {}) => new Multiply(args),
  average: (args: LayerArgs = {}) => new Average(args),
  maximum: (args: LayerArgs = {}) => new Maximum(args),
  minimum: (args: LayerArgs = {}) => new Minimum(args),
  concatenate: (args: ConcatenateArgs = {}) => new Concatenate(args),
  zeroPadding2d: (args: ZeroPadding2DArgs = {}) => new ZeroPadding2D(args),
  cropping2d: (args: Cropping2DArgs = {}) => new Cropping2D(args),
  rescaling: (args: RescalingArgs) => new Rescaling(args),
  relu: (args: ReLUArgs = {}) => new ReLU(args),
  leakyRelu: (args: LeakyReLUArgs = {}) => new LeakyReLU(args),
  elu: (args: ELUArgs = {}) => new ELU(args),
  softmax: (args: SoftmaxArgs = {}) => new Softmax(args),
  layerNormalization: (args: LayerNormalizationArgs = {}) => new LayerNormalization(args),
  upSampling2d: (args: UpSampling2DArgs = {}) => new UpSampling2D(args),
  resizing: (args: ResizingArgs) => new Resizing(args),
  randomFlip: (args: RandomFlipArgs = {}) => new RandomFlip(args),
  randomRotation: (args: RandomRotationArgs) => new RandomRotation(args),
  randomZoom: (args: RandomZoomArgs) => new RandomZoom(args),
  randomTranslation: (args: RandomTranslationArgs) => new RandomTranslation(args),
};
