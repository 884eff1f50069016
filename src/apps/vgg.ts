// VGG16 and VGG19 as keras/src/applications/vgg16.py and vgg19.py build them: the same layers,
// names and order, so Keras' published weight files load into them.
import { layers as L } from '../nn/catalog.js';
import { input } from '../nn/layer.js';
import { Model } from '../nn/model.js';
import { APPLICATION_KEYS, globalPooling, loadApplicationWeights, resolveOptions, initOptions, type ApplicationOptions } from './common.js';

/** Convolutions per block (Keras' VGG16: 2, 2, 3, 3, 3; VGG19: 2, 2, 4, 4, 4). */
async function vgg(depth: 16 | 19, options: ApplicationOptions | undefined): Promise<Model> {
  const name = `vgg${depth}`;
  const fn = `applications.${name}`;
  const folder = name;
  const { r } = resolveOptions({
    fn, defaultSize: 224, minSize: 32, folder,
    topFile: `${name}_weights_tf_dim_ordering_tf_kernels.h5`, notopFile: `${name}_weights_tf_dim_ordering_tf_kernels_notop.h5`,
  }, options, APPLICATION_KEYS);
  const init = initOptions(r);
  const perBlock = depth === 16 ? [2, 2, 3, 3, 3] : [2, 2, 4, 4, 4];
  const filters = [64, 128, 256, 512, 512];
  const image = input({ shape: r.inputShape, name: 'input_layer' });
  let x = image;
  perBlock.forEach((n, b) => {
    for (let c = 1; c <= n; c++) {
      x = L.conv2d({ ...init, filters: filters[b], kernelSize: 3, activation: 'relu', padding: 'same', name: `block${b + 1}_conv${c}` }).apply(x);
    }
    x = L.maxPooling2d({ poolSize: 2, strides: 2, name: `block${b + 1}_pool` }).apply(x);
  });
  if (r.includeTop) {
    x = L.flatten({ name: 'flatten' }).apply(x);
    x = L.dense({ ...init, units: 4096, activation: 'relu', name: 'fc1' }).apply(x);
    x = L.dense({ ...init, units: 4096, activation: 'relu', name: 'fc2' }).apply(x);
    x = L.dense({ ...init, units: r.classes, activation: r.activation as 'softmax', name: 'predictions' }).apply(x);
  } else {
    x = globalPooling(x, r.pooling, { avg: 'global_average_pooling2d', max: 'global_max_pooling2d' });
  }
  const model = new Model({ inputs: image, outputs: x, name });
  if (r.weights !== null) await loadApplicationWeights(fn, model, r.weights);
  return model;
}

/**
 * VGG16 (Simonyan & Zisserman, 2014) as Keras' keras.applications.VGG16: block1_conv1 ...
 * block5_pool, then flatten, fc1, fc2 and predictions with the top. Inputs are 'caffe'
 * preprocessed (preprocessInput). 138,357,544 parameters; 14,714,688 without the top.
 */
export function vgg16(options?: ApplicationOptions): Promise<Model> {
  return vgg(16, options);
}

/** VGG19 as Keras' keras.applications.VGG19: four convolutions in blocks 3 to 5. 143,667,240 parameters; 20,024,384 without the top. */
export function vgg19(options?: ApplicationOptions): Promise<Model> {
  return vgg(19, options);
}
