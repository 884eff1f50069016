// MobileNetV2 as keras/src/applications/mobilenet_v2.py builds it: inverted residual blocks
// (expand 1x1, depthwise 3x3, project 1x1), ReLU(6), BatchNormalization with momentum 0.999 and
// epsilon 1e-3, ZeroPadding2D as imagenet_utils.correct_pad before each strided depthwise step.
import { positiveNumber } from '../core/validate.js';
import { layers as L } from '../nn/catalog.js';
import { input, type SymbolicTensor } from '../nn/layer.js';
import { Model } from '../nn/model.js';
import { APPLICATION_KEYS, globalPooling, loadApplicationWeights, resolveOptions, initOptions, depthwiseInitOptions, type ApplicationOptions, type ResolvedOptions } from './common.js';

export interface MobileNetV2Options extends ApplicationOptions {
  /** Width multiplier of every layer but the last convolution (default 1; Keras publishes 0.35, 0.5, 0.75, 1, 1.3, 1.4). */
  alpha?: number;
}

const MOBILENET_KEYS = [...APPLICATION_KEYS, 'alpha'];
const SIZES = [96, 128, 160, 192, 224];

/** Keras' _make_divisible: v rounded to a multiple of `divisor`, never more than 10% below v. */
function makeDivisible(v: number, divisor: number): number {
  let n = Math.max(divisor, Math.floor(Math.trunc(v + divisor / 2) / divisor) * divisor);
  if (n < 0.9 * v) n += divisor;
  return n;
}

/** Keras' correct_pad for a 3x3 kernel: one more row/column after than before on even sizes. */
function correctPad(x: SymbolicTensor): [[number, number], [number, number]] {
  const [h, w] = x.perSampleShape;
  // Keras: ((1 - adjust_h, 1), (1 - adjust_w, 1)) with adjust = 1 - size % 2
  return [[h % 2, 1], [w % 2, 1]];
}

const bn = (x: SymbolicTensor, name: string) => L.batchNormalization({ epsilon: 1e-3, momentum: 0.999, name }).apply(x);
const relu6 = (x: SymbolicTensor, name: string) => L.relu({ maxValue: 6, name }).apply(x);

/** Keras' _inverted_res_block. */
function invertedResBlock(inputs: SymbolicTensor, expansion: number, stride: number, alpha: number, filters: number, blockId: number, r: ResolvedOptions): SymbolicTensor {
  const init = initOptions(r);
  const dinit = depthwiseInitOptions(r);
  const inChannels = inputs.perSampleShape[2];
  const pointwiseFilters = makeDivisible(Math.trunc(filters * alpha), 8);
  let x = inputs;
  let prefix = `block_${blockId}_`;
  if (blockId > 0) {
    x = L.conv2d({ ...init, filters: expansion * inChannels, kernelSize: 1, padding: 'same', useBias: false, name: `${prefix}expand` }).apply(x);
    x = relu6(bn(x, `${prefix}expand_BN`), `${prefix}expand_relu`);
  } else {
    prefix = 'expanded_conv_';
  }
  if (stride === 2) x = L.zeroPadding2d({ padding: correctPad(x), name: `${prefix}pad` }).apply(x);
  x = L.depthwiseConv2d({ ...dinit, kernelSize: 3, strides: stride, useBias: false, padding: stride === 1 ? 'same' : 'valid', name: `${prefix}depthwise` }).apply(x);
  x = relu6(bn(x, `${prefix}depthwise_BN`), `${prefix}depthwise_relu`);
  x = L.conv2d({ ...init, filters: pointwiseFilters, kernelSize: 1, padding: 'same', useBias: false, name: `${prefix}project` }).apply(x);
  x = bn(x, `${prefix}project_BN`);
  if (inChannels === pointwiseFilters && stride === 1) return L.add({ name: `${prefix}add` }).apply([inputs, x]);
  return x;
}

/** [filters, stride, expansion] of blocks 0 to 16. */
const BLOCKS: readonly (readonly [number, number, number])[] = [
  [16, 1, 1],
  [24, 2, 6], [24, 1, 6],
  [32, 2, 6], [32, 1, 6], [32, 1, 6],
  [64, 2, 6], [64, 1, 6], [64, 1, 6], [64, 1, 6],
  [96, 1, 6], [96, 1, 6], [96, 1, 6],
  [160, 2, 6], [160, 1, 6], [160, 1, 6],
  [320, 1, 6],
];

/**
 * MobileNetV2 (Sandler et al., 2018) as Keras' keras.applications.MobileNetV2: Conv1, bn_Conv1,
 * Conv1_relu, expanded_conv_*, block_1_* ... block_16_*, Conv_1, Conv_1_bn, out_relu, then
 * global_average_pooling2d and predictions with the top; the model is named as Keras names it
 * (mobilenetv2_1.00_224). Inputs are 'tf' preprocessed (preprocessInput). At alpha 1 and 224x224:
 * 3,538,984 parameters; 2,257,984 without the top.
 */
export async function mobilenetV2(options?: MobileNetV2Options): Promise<Model> {
  const fn = 'applications.mobilenetV2';
  // Keras: a square input of a published size is the default size; anything else counts against 224
  const s = options !== null && typeof options === 'object' ? (options.inputShape as unknown) : undefined;
  const rows0 = Array.isArray(s) ? (s[0] as unknown) : undefined;
  const defaultSize = Array.isArray(s) && typeof rows0 === 'number' && rows0 === s[1] && SIZES.includes(rows0) ? rows0 : 224;
  const alphaIn = options !== null && typeof options === 'object' ? options.alpha : undefined;
  const alpha = positiveNumber(fn, 'alpha', alphaIn ?? 1);
  const file = (top: boolean) => `mobilenet_v2_weights_tf_dim_ordering_tf_kernels_${pyFloat(alpha)}_${defaultSize}${top ? '' : '_no_top'}.h5`;
  const { r } = resolveOptions({ fn, defaultSize, minSize: 32, folder: 'mobilenet_v2', topFile: file(true), notopFile: file(false) }, options, MOBILENET_KEYS);
  const rows = r.inputShape[0];
  const init = initOptions(r);
  const image = input({ shape: r.inputShape, name: 'input_layer' });
  let x = L.conv2d({ ...init, filters: makeDivisible(32 * alpha, 8), kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'Conv1' }).apply(image);
  x = relu6(bn(x, 'bn_Conv1'), 'Conv1_relu');
  BLOCKS.forEach(([filters, stride, expansion], id) => {
    x = invertedResBlock(x, expansion, stride, alpha, filters, id, r);
  });
  const lastFilters = alpha > 1 ? makeDivisible(1280 * alpha, 8) : 1280;
  x = L.conv2d({ ...init, filters: lastFilters, kernelSize: 1, useBias: false, name: 'Conv_1' }).apply(x);
  x = relu6(bn(x, 'Conv_1_bn'), 'out_relu');
  if (r.includeTop) {
    x = L.globalAveragePooling2d({ name: 'global_average_pooling2d' }).apply(x);
    x = L.dense({ ...init, units: r.classes, activation: r.activation as 'softmax', name: 'predictions' }).apply(x);
  } else {
    x = globalPooling(x, r.pooling, { avg: 'global_average_pooling2d', max: 'global_max_pooling2d' });
  }
  const model = new Model({ inputs: image, outputs: x, name: `mobilenetv2_${alpha.toFixed(2)}_${rows}` });
  if (r.weights !== null) await loadApplicationWeights(fn, model, r.weights);
  return model;
}

/** Python's str(float(v)): 1 -> '1.0', 0.35 -> '0.35'. */
function pyFloat(v: number): string {
  return Number.isInteger(v) ? `${v}.0` : String(v);
}
