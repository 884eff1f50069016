// ResNet50 (v1) as keras/src/applications/resnet.py builds it: the stride on the first 1x1
// convolution of a stage, a 1x1 projection shortcut (_0_conv) in each stage's first block,
// BatchNormalization with epsilon 1.001e-5, and Keras' layer names.
import { layers as L } from '../nn/catalog.js';
import { input, type SymbolicTensor } from '../nn/layer.js';
import { Model } from '../nn/model.js';
import { APPLICATION_KEYS, globalPooling, loadApplicationWeights, resolveOptions, initOptions, type ApplicationOptions } from './common.js';

const BN_EPSILON = 1.001e-5;

type Init = ReturnType<typeof initOptions>;

const bn = (x: SymbolicTensor, name: string) => L.batchNormalization({ epsilon: BN_EPSILON, name }).apply(x);
const relu = (x: SymbolicTensor, name: string) => L.activation({ activation: 'relu', name }).apply(x);

/** Keras' residual_block_v1: 1x1 (strided), 3x3, 1x1 to 4*filters, plus the shortcut. */
function block(x: SymbolicTensor, filters: number, stride: number, convShortcut: boolean, name: string, init: Init): SymbolicTensor {
  let shortcut = x;
  if (convShortcut) {
    shortcut = L.conv2d({ ...init, filters: 4 * filters, kernelSize: 1, strides: stride, name: `${name}_0_conv` }).apply(x);
    shortcut = bn(shortcut, `${name}_0_bn`);
  }
  let y = L.conv2d({ ...init, filters, kernelSize: 1, strides: stride, name: `${name}_1_conv` }).apply(x);
  y = relu(bn(y, `${name}_1_bn`), `${name}_1_relu`);
  y = L.conv2d({ ...init, filters, kernelSize: 3, padding: 'same', name: `${name}_2_conv` }).apply(y);
  y = relu(bn(y, `${name}_2_bn`), `${name}_2_relu`);
  y = L.conv2d({ ...init, filters: 4 * filters, kernelSize: 1, name: `${name}_3_conv` }).apply(y);
  y = bn(y, `${name}_3_bn`);
  return relu(L.add({ name: `${name}_add` }).apply([shortcut, y]), `${name}_out`);
}

/** Keras' stack_residual_blocks_v1: one block with a projection shortcut, then identity ones. */
function stack(x: SymbolicTensor, filters: number, blocks: number, stride1: number, name: string, init: Init): SymbolicTensor {
  let y = block(x, filters, stride1, true, `${name}_block1`, init);
  for (let i = 2; i <= blocks; i++) y = block(y, filters, 1, false, `${name}_block${i}`, init);
  return y;
}

/**
 * ResNet50 (He et al., 2015) as Keras' keras.applications.ResNet50: conv1_pad ... conv5_block3_out,
 * then avg_pool and predictions with the top. Inputs are 'caffe' preprocessed (preprocessInput).
 * 25,636,712 parameters; 23,587,712 without the top. Weights files load by layer name (Keras
 * lists the shortcut convolutions in another order than gradlab's graph).
 */
export async function resnet50(options?: ApplicationOptions): Promise<Model> {
  const fn = 'applications.resnet50';
  const { r } = resolveOptions({
    fn, defaultSize: 224, minSize: 32, folder: 'resnet',
    topFile: 'resnet50_weights_tf_dim_ordering_tf_kernels.h5', notopFile: 'resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5',
  }, options, APPLICATION_KEYS);
  const init = initOptions(r);
  const image = input({ shape: r.inputShape, name: 'input_layer' });
  let x = L.zeroPadding2d({ padding: [[3, 3], [3, 3]], name: 'conv1_pad' }).apply(image);
  x = L.conv2d({ ...init, filters: 64, kernelSize: 7, strides: 2, name: 'conv1_conv' }).apply(x);
  x = relu(bn(x, 'conv1_bn'), 'conv1_relu');
  x = L.zeroPadding2d({ padding: [[1, 1], [1, 1]], name: 'pool1_pad' }).apply(x);
  x = L.maxPooling2d({ poolSize: 3, strides: 2, name: 'pool1_pool' }).apply(x);
  x = stack(x, 64, 3, 1, 'conv2', init);
  x = stack(x, 128, 4, 2, 'conv3', init);
  x = stack(x, 256, 6, 2, 'conv4', init);
  x = stack(x, 512, 3, 2, 'conv5', init);
  if (r.includeTop) {
    x = L.globalAveragePooling2d({ name: 'avg_pool' }).apply(x);
    x = L.dense({ ...init, units: r.classes, activation: r.activation as 'softmax', name: 'predictions' }).apply(x);
  } else {
    x = globalPooling(x, r.pooling, { avg: 'avg_pool', max: 'max_pool' });
  }
  const model = new Model({ inputs: image, outputs: x, name: 'resnet50' });
  if (r.weights !== null) await loadApplicationWeights(fn, model, r.weights);
  return model;
}
