// What the applications share: Keras' option rules (imagenet_utils.obtain_input_shape and
// validate_activation) and loading a weights file by layer name.
import { FormatError, ValueError, fmtShape } from '../core/errors.js';
import { booleanOption, checkOptions, describeValue, isPositiveInt, oneOf, optionKeys, positiveInt } from '../core/validate.js';
import { canonicalActivation, type ActivationName } from '../nn/activations.js';
import { layers as L } from '../nn/catalog.js';
import type { Initializer } from '../nn/initializers.js';
import type { SymbolicTensor } from '../nn/layer.js';
import type { Model } from '../nn/model.js';
import { Tensor, allocate } from '../tensor/tensor.js';

/** Options of every application (Keras' keyword arguments, camelCased). */
export interface ApplicationOptions {
  /** The fully connected classifier on top (default true). */
  includeTop?: boolean;
  /**
   * null (random initial weights) or the path of a weights file (Keras' .h5, a .keras archive,
   * a gradlab folder). 'imagenet' is refused: gradlab does not download, and the error names the
   * Keras file to fetch. Default: null.
   */
  weights?: string | null;
  /** Per-sample [height, width, 3] (default [224, 224, 3]); at least 32x32. */
  inputShape?: readonly number[];
  /** Without the top: 'avg' or 'max' adds a global pooling layer (ignored with the top, as Keras). Default: null (none: the last feature map). */
  pooling?: 'avg' | 'max' | null;
  /** Classes of the top (default 1000). */
  classes?: number;
  /** The top's activation (default 'softmax'; null for logits). */
  classifierActivation?: ActivationName | null;
}

export const APPLICATION_KEYS = optionKeys<ApplicationOptions>({
  includeTop: true, weights: true, inputShape: true, pooling: true, classes: true, classifierActivation: true,
});

const KERAS_STORAGE = 'https://storage.googleapis.com/tensorflow/keras-applications/';

/** What an application needs to know to check its options. */
export interface ApplicationSpec {
  /** The function's name in messages, e.g. 'applications.vgg16'. */
  fn: string;
  defaultSize: number;
  minSize: number;
  /** Keras' published files: folder under KERAS_STORAGE and file names with and without the top. */
  folder: string;
  topFile: string;
  notopFile: string;
}

export interface ResolvedOptions {
  includeTop: boolean;
  weights: string | null;
  inputShape: [number, number, number];
  pooling: 'avg' | 'max' | null;
  classes: number;
  activation: string;
}

/** Checks the options as Keras does, before any layer is made. */
export function resolveOptions<T extends ApplicationOptions>(spec: ApplicationSpec, options: T | undefined, keys: readonly string[]): { o: T; r: ResolvedOptions } {
  const { fn } = spec;
  const o = checkOptions(fn, options, keys);
  const includeTop = booleanOption(fn, 'includeTop', o.includeTop ?? true);
  const weights = o.weights ?? null;
  if (weights === 'imagenet') {
    const file = includeTop ? spec.topFile : spec.notopFile;
    throw new ValueError(
      `${fn}: weights 'imagenet' would need a download, which gradlab does not do. Fetch Keras' file ${file} ` +
      `(${KERAS_STORAGE}${spec.folder}/${file}) and pass its path: weights: '/path/to/${file}'`,
    );
  }
  if (weights !== null && (typeof weights !== 'string' || weights === '')) {
    throw new ValueError(`${fn}: weights must be null or the path of a weights file, got ${describeValue(weights)}`);
  }
  const classes = positiveInt(fn, 'classes', o.classes ?? 1000);
  const pooling = o.pooling === undefined || o.pooling === null ? null : oneOf(fn, 'pooling', o.pooling, ['avg', 'max'] as const);
  const act = o.classifierActivation === undefined ? 'softmax' : o.classifierActivation === null ? 'linear' : o.classifierActivation;
  const activation = canonicalActivation(fn, act);
  const defaultShape: [number, number, number] = [spec.defaultSize, spec.defaultSize, 3];
  let inputShape = defaultShape;
  if (o.inputShape !== undefined) {
    const s = o.inputShape as unknown;
    if (!Array.isArray(s) || s.length !== 3 || !s.every(isPositiveInt)) {
      throw new ValueError(`${fn}: inputShape must be [height, width, channels] of positive integers, got ${Array.isArray(s) ? JSON.stringify(s) : describeValue(s)}`);
    }
    inputShape = [s[0], s[1], s[2]];
    if (weights !== null && inputShape[2] !== 3) throw new ValueError(`${fn}: with weights the input must have 3 channels; got inputShape ${fmtShape(inputShape)}`);
    if (inputShape[0] < spec.minSize || inputShape[1] < spec.minSize) {
      throw new ValueError(`${fn}: input size must be at least ${spec.minSize}x${spec.minSize}; got inputShape ${fmtShape(inputShape)}`);
    }
  }
  if (includeTop && weights !== null) {
    // Keras' rule for its published full-model weights: the top was trained on one input size
    if (inputShape[0] !== defaultShape[0] || inputShape[1] !== defaultShape[1] || inputShape[2] !== 3) {
      throw new ValueError(
        `${fn}: with includeTop: true and weights, inputShape must be ${fmtShape(defaultShape)}, got ${fmtShape(inputShape)} ` +
        `(for weights of your own at another size, build with weights: null and call model.loadWeights(path))`,
      );
    }
    if (activation !== 'softmax' && activation !== 'linear') {
      throw new ValueError(`${fn}: only null and 'softmax' are allowed for classifierActivation with pretrained weights and includeTop: true; got ${describeValue(o.classifierActivation)}`);
    }
  }
  return { o, r: { includeTop, weights, inputShape, pooling, classes, activation } };
}

// Weights that a file will overwrite are not drawn at random (VGG16's 138 million would take
// seconds): NaN, which also marks what the file did not set.
const PLACEHOLDER: Initializer = {
  name: 'placeholder',
  init: (shape, dtype) => new Tensor(allocate(dtype, shape.reduce((a, b) => a * b, 1)).fill(NaN), shape),
};

/** The initializer options of a conv or dense layer: Keras' defaults, or placeholders when a file will load. */
export function initOptions(r: ResolvedOptions): { kernelInitializer?: Initializer; biasInitializer?: Initializer } {
  return r.weights === null ? {} : { kernelInitializer: PLACEHOLDER, biasInitializer: PLACEHOLDER };
}

/** The same for DepthwiseConv2D. */
export function depthwiseInitOptions(r: ResolvedOptions): { depthwiseInitializer?: Initializer } {
  return r.weights === null ? {} : { depthwiseInitializer: PLACEHOLDER };
}

/** Global pooling of a notop network, as Keras names it (VGG and MobileNetV2 take the default names). */
export function globalPooling(x: SymbolicTensor, pooling: 'avg' | 'max' | null, names: { avg: string; max: string }): SymbolicTensor {
  if (pooling === 'avg') return L.globalAveragePooling2d({ name: names.avg }).apply(x);
  if (pooling === 'max') return L.globalMaxPooling2d({ name: names.max }).apply(x);
  return x;
}

/**
 * Loads `path` into `model` by layer name: Keras' published files (Keras 2 .h5) list layers in
 * Keras' order, which for ResNet50's shortcut convolutions is not the order of gradlab's graph,
 * while the names are the same. Keras 3 files (.weights.h5, .keras) hold no names, only
 * positions, so they load by position (VGG and MobileNetV2 only: ResNet50's order differs).
 * Every weight is NaN before, so a layer the file did not set is found and reported instead of
 * silently keeping placeholder weights.
 */
export async function loadApplicationWeights(fn: string, model: Model, path: string): Promise<void> {
  for (const l of model.layers) for (const w of l.weights) w.tensor.data.fill(NaN);
  const keras3 = /\.(weights\.h5|keras)$/i.test(path);
  await model.loadWeights(path, keras3 ? {} : { byName: true });
  const missing = model.layers.filter((l) => l.weights.some((w) => Number.isNaN(w.tensor.data[0]) && w.tensor.data.every(Number.isNaN)));
  if (missing.length > 0) {
    const names = missing.slice(0, 5).map((l) => `'${l.name}'`).join(', ');
    const hint = missing.some((l) => l.name === 'predictions') ? 'a file without the top? then pass includeTop: false' : `is it a file of ${model.name}?`;
    throw new FormatError(`${fn}: ${path} has no weights for ${missing.length} layer(s) of '${model.name}' (${names}${missing.length > 5 ? ', ...' : ''}); ${hint}`);
  }
}
