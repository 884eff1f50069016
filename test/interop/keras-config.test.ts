// Keras model configs to gradlab models and back: every Keras form (tf.keras 2.x, the old
// Sequential list, the "Model" class, Keras 3's config.json), nested and shared layers, the
// refusals, and the weight order helpers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as gl from '../../src/index.js';
import { FormatError } from '../../src/core/errors.js';
import {
  assignKerasWeights, kerasConfigFromModel, kerasWeightEntries, kerasWeightNames, kerasWeightedLayers, modelFromKerasConfig,
} from '../../src/interop/keras/config.js';
import type { Model } from '../../src/nn/model.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const fixtures = fileURLToPath(new URL('../../../test/interop/fixtures/tfjs/', import.meta.url));
const topology = (name: string): unknown => (JSON.parse(readFileSync(`${fixtures}${name}/model.json`, 'utf8')) as { modelTopology: unknown }).modelTopology;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
}

/** Random weights (positive variances), so that a wrong mapping shows. */
function randomize(m: Model, seed = 1): void {
  const r = rng(seed);
  for (const w of m.weights) {
    const pos = /moving_variance|gamma/.test(w.role);
    for (let i = 0; i < w.tensor.size; i++) w.tensor.data[i] = pos ? 0.6 + Math.abs(r()) : r();
  }
}

function inputsOf(m: Model, seed = 7): Tensor[] {
  const r = rng(seed);
  return m.inputs.map((t) => {
    const shape = [2, ...t.perSampleShape];
    const n = shape.reduce((a, b) => a * b, 1);
    return gl.tensor(Array.from({ length: n }, () => 2 * r()), { dtype: 'float32' }).reshape(shape);
  });
}

function outputsOf(m: Model, xs: Tensor[]): Float32Array[] {
  return m.predictAll(xs.length === 1 ? xs[0] : xs).map((t: Tensor) => Float32Array.from(t.data));
}

function copyWeights(from: Model, to: Model): void {
  assignKerasWeights(to, kerasWeightEntries(from), {}, 'copy');
}

test('tfjs topologies (Sequential, Model, nested Sequential, shared layer) load with the right graph', () => {
  const seq = modelFromKerasConfig(topology('seq_cnn'), 'seq_cnn/model.json');
  assert.equal(seq.className, 'Sequential');
  assert.deepEqual(seq.layers.map((l) => l.className), ['Conv2D', 'BatchNormalization', 'DepthwiseConv2D', 'SeparableConv2D', 'MaxPooling2D', 'Flatten', 'Dense']);
  assert.deepEqual(seq.inputs[0].perSampleShape, [8, 8, 3]);
  assert.deepEqual(seq.outputs[0].perSampleShape, [6]);
  const f = modelFromKerasConfig(topology('functional'), 'functional/model.json');
  assert.deepEqual(f.inputNames, ['image', 'hint']);
  assert.deepEqual(f.outputNames, ['digit', 'big']);
  const n = modelFromKerasConfig(topology('nested'), 'nested/model.json');
  assert.equal(n.getLayer('inner').className, 'Sequential');
  assert.equal(n.getLayer('shared').inboundNodes.length, 2);
  assert.deepEqual(kerasWeightedLayers(n).map((l) => l.name), ['inner', 'shared', 'bn', 'out']);
  const all = modelFromKerasConfig(topology('all_layers'), 'all_layers/model.json');
  assert.ok(all.layers.length > 40);
});

const keras2Functional = {
  class_name: 'Functional',
  config: {
    name: 'k2',
    layers: [
      { class_name: 'InputLayer', config: { batch_input_shape: [null, 4], dtype: 'float32', sparse: false, ragged: false, name: 'in' }, name: 'in', inbound_nodes: [] },
      { class_name: 'Dense', config: { name: 'd1', trainable: true, dtype: 'float32', units: 3, activation: 'relu', use_bias: true, kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } }, bias_initializer: { class_name: 'Zeros', config: {} }, kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null }, name: 'd1', inbound_nodes: [[['in', 0, 0, {}]]] },
      { class_name: 'Dense', config: { name: 'd2', units: 3, activation: 'linear' }, name: 'd2', inbound_nodes: [[['in', 0, 0, {}]]] },
      { class_name: 'Add', config: { name: 'add' }, name: 'add', inbound_nodes: [[['d1', 0, 0, {}], ['d2', 0, 0, {}]]] },
    ],
    input_layers: [['in', 0, 0]],
    output_layers: [['add', 0, 0]],
  },
};

// The same graph as Keras 3 writes it (config.json)
const tensor = (layer: string, shape: (number | null)[]) => ({ class_name: '__keras_tensor__', config: { shape, dtype: 'float32', keras_history: [layer, 0, 0] } });
const policy = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
const keras3Functional = {
  module: 'keras.src.models.functional', class_name: 'Functional', registered_name: 'Functional', build_config: { input_shape: null },
  config: {
    name: 'k3', trainable: true,
    layers: [
      { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 4], dtype: 'float32', sparse: false, name: 'in' }, registered_name: null, name: 'in', inbound_nodes: [] },
      { module: 'keras.layers', class_name: 'Dense', config: { name: 'd1', trainable: true, dtype: policy, units: 3, activation: 'relu', use_bias: true, kernel_initializer: { module: 'keras.initializers', class_name: 'GlorotUniform', config: { seed: null } }, bias_initializer: null, kernel_regularizer: null, bias_regularizer: null, kernel_constraint: null, bias_constraint: null }, registered_name: null, build_config: { input_shape: [null, 4] }, name: 'd1', inbound_nodes: [{ args: [tensor('in', [null, 4])], kwargs: {} }] },
      { module: 'keras.layers', class_name: 'Dense', config: { name: 'd2', dtype: policy, units: 3, activation: 'linear' }, registered_name: null, name: 'd2', inbound_nodes: [{ args: [tensor('in', [null, 4])], kwargs: {} }] },
      { module: 'keras.layers', class_name: 'Add', config: { name: 'add', dtype: policy }, registered_name: null, name: 'add', inbound_nodes: [{ args: [[tensor('d1', [null, 3]), tensor('d2', [null, 3])]], kwargs: {} }] },
    ],
    input_layers: ['in', 0, 0],
    output_layers: ['add', 0, 0],
  },
};

test('tf.keras 2.x and Keras 3 configs of one graph compute the same', () => {
  const a = modelFromKerasConfig({ model_config: keras2Functional, keras_version: '2.13.1', backend: 'tensorflow' }, 'k2.h5');
  const b = modelFromKerasConfig(keras3Functional, 'config.json');
  randomize(a);
  copyWeights(a, b);
  const x = inputsOf(a);
  assert.deepEqual(outputsOf(b, x), outputsOf(a, x));
  assert.ok(outputsOf(a, x)[0].some((v) => v !== 0));
});

test('old Sequential list, batch_input_shape on the first layer, and the "Model" class with a nested model', () => {
  const list = { class_name: 'Sequential', config: [
    { class_name: 'Dense', config: { name: 'a', units: 5, activation: 'tanh', batch_input_shape: [null, 3] } },
    { class_name: 'Dropout', config: { name: 'dr', rate: 0.5, noise_shape: null, seed: null } },
    { class_name: 'Dense', config: { name: 'b', units: 2, activation: 'softmax' } },
  ] };
  const s = modelFromKerasConfig(list, 'old.h5');
  assert.deepEqual(s.inputs[0].perSampleShape, [3]);
  const outer = {
    class_name: 'Model',
    config: {
      name: 'outer',
      layers: [
        { class_name: 'InputLayer', config: { batch_input_shape: [null, 3], name: 'x' }, name: 'x', inbound_nodes: [] },
        { ...list, config: { name: 'inner', layers: list.config }, name: 'inner', inbound_nodes: [[['x', 0, 0, {}]]] },
        { class_name: 'Dense', config: { name: 'head', units: 1 }, name: 'head', inbound_nodes: [[['inner', 1, 0, {}]]] },
      ],
      input_layers: [['x', 0, 0]],
      output_layers: [['head', 0, 0]],
    },
  };
  const m = modelFromKerasConfig(outer, 'outer.h5');
  assert.equal(m.getLayer('inner').className, 'Sequential');
  randomize(m);
  const x = inputsOf(m);
  const inner = m.getLayer('inner') as Model;
  const want = m.getLayer('head').apply(inner.apply(x[0]) as Tensor) as Tensor;
  assert.deepEqual(outputsOf(m, x)[0], Float32Array.from(want.data));
});

test('refusals name the layer, the key and the value', () => {
  const layer = (class_name: string, config: Record<string, unknown>) => ({ class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'InputLayer', config: { batch_input_shape: [null, 6, 6, 2], name: 'i' } }, { class_name, config: { name: 'bad', ...config } }] } });
  const cases: [unknown, RegExp][] = [
    [layer('Conv3D', { filters: 2 }), /layer 'bad' \(Conv3D\).*unknown layer class 'Conv3D'/],
    [layer('Conv2D', { filters: 2, kernel_size: 3, data_format: 'channels_first' }), /layer 'bad' \(Conv2D\).*data_format "channels_first"/],
    [layer('Dense', { units: 2, activation: 'softsign' }), /layer 'bad' \(Dense\).*activation "softsign".*does not have/],
    [layer('Dense', { units: 2, activation: 'hard_sigmoid' }), /hard_sigmoid.*clip\(0\.2x/],
    [layer('Dense', { units: 2, frobnicate: 3 }), /layer 'bad' \(Dense\).*frobnicate 3/],
    [layer('BatchNormalization', { renorm: true }), /layer 'bad' \(BatchNormalization\).*renorm true/],
    [layer('Dense', { units: 2, dtype: 'float16' }), /layer 'bad' \(Dense\).*dtype "float16"/],
    [layer('Dense', { units: -1 }), /layer 'bad' \(Dense\).*units/],
    [layer('BatchNormalization', { axis: 1 }), /bad.*axis 1/],
    [layer('__proto__', {}), /unknown layer class '__proto__'/],
    [layer('constructor', {}), /unknown layer class 'constructor'/],
    [{ class_name: 'Dense', config: { units: 1 } }, /not Sequential, Functional or Model/],
    [{ ...keras2Functional, config: { ...keras2Functional.config, output_layers: [['nope', 0, 0]] } }, /'nope'/],
  ];
  for (const [c, re] of cases) {
    assert.throws(() => modelFromKerasConfig(c, 'bad.json'), (e: unknown) => e instanceof FormatError && re.test(e.message) && e.message.includes('bad.json'), `expected ${re}`);
  }
});

test('assignKerasWeights: order, byName, mismatches named, nothing half-loaded', () => {
  const m = modelFromKerasConfig(keras2Functional, 'k2');
  assert.deepEqual(kerasWeightNames(m.getLayer('d1')), ['kernel', 'bias']);
  randomize(m, 3);
  const entries = kerasWeightEntries(m);
  const before = m.getLayer('d1').getWeights().map((t) => Float32Array.from(t.data));
  const bad = entries.map((e) => ({ ...e, arrays: e.arrays.map((a) => ({ ...a })) }));
  bad[1].arrays[0] = { name: 'd2/kernel:0', shape: [4, 2], data: new Float32Array(8) };
  bad[0].arrays[0] = { ...bad[0].arrays[0], data: new Float32Array(12).fill(9) };
  assert.throws(() => assignKerasWeights(m, bad, {}, 'w.h5'), /w\.h5.*layer 'd2' weight 'd2\/kernel:0' has shape \[4,2\].*needs \[4,3\]/);
  assert.deepEqual(m.getLayer('d1').getWeights().map((t) => Float32Array.from(t.data)), before);
  assert.throws(() => assignKerasWeights(m, entries.slice(1), {}, 'w.h5'), /1 layers.*2 layers with weights/);
  assignKerasWeights(m, bad, { byName: true, skipMismatch: true }, 'w.h5');
  assert.ok(m.getLayer('d1').getWeights()[0].data.every((v) => v === 9));
});

test('round trip kerasConfigFromModel -> modelFromKerasConfig for every fixture topology', () => {
  for (const name of ['seq_cnn', 'functional', 'nested', 'all_layers']) {
    const a = modelFromKerasConfig(topology(name), name);
    randomize(a, 5);
    const cfg = JSON.parse(JSON.stringify(kerasConfigFromModel(a))) as unknown;
    const b = modelFromKerasConfig(cfg, `${name} again`);
    copyWeights(a, b);
    const x = inputsOf(a);
    assert.deepEqual(outputsOf(b, x), outputsOf(a, x), name);
  }
});

test('every gradlab layer class survives kerasConfigFromModel -> modelFromKerasConfig with identical predictions', () => {
  const { layers } = gl;
  const img = gl.input({ shape: [8, 8, 4], name: 'img' });
  const seq = gl.input({ shape: [9, 3], name: 'seq' });
  const vec = gl.input({ shape: [6], name: 'vec' });
  let t = layers.randomFlip({ mode: 'horizontal', seed: 3, name: 'rf' }).apply(img);
  t = layers.randomRotation({ factor: [-0.1, 0.2], fillMode: 'constant', fillValue: 0.5, seed: 4, name: 'rr' }).apply(t);
  t = layers.randomZoom({ heightFactor: 0.2, widthFactor: [-0.1, 0.3], interpolation: 'nearest', seed: 5, name: 'rzm' }).apply(t);
  t = layers.randomTranslation({ heightFactor: 0.1, widthFactor: 0.2, fillMode: 'wrap', seed: 6, name: 'rt' }).apply(t);
  t = layers.zeroPadding2d({ padding: [[1, 2], [0, 1]], name: 'zp' }).apply(t);
  t = layers.cropping2d({ cropping: [[1, 0], [0, 1]], name: 'cr' }).apply(t);
  t = layers.conv2d({ filters: 4, kernelSize: 3, groups: 2, dilationRate: [1, 2], padding: 'same', activation: 'relu', name: 'c2' }).apply(t);
  t = layers.batchNormalization({ momentum: 0.8, epsilon: 0.02, center: false, name: 'bn' }).apply(t);
  t = layers.depthwiseConv2d({ kernelSize: 2, dilationRate: 2, depthMultiplier: 2, padding: 'same', name: 'dw' }).apply(t);
  t = layers.separableConv2d({ filters: 3, kernelSize: [2, 3], strides: 2, depthMultiplier: 2, useBias: false, activation: 'sigmoid', name: 'sp' }).apply(t);
  t = layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, outputPadding: 1, activation: 'silu', name: 'ct' }).apply(t);
  t = layers.upSampling2d({ size: 2, interpolation: 'bilinear', name: 'upb' }).apply(t);
  t = layers.resizing({ height: 5, width: 7, name: 'rz' }).apply(t);
  t = layers.resizing({ height: 6, width: 4, interpolation: 'nearest', name: 'rzn' }).apply(t);
  t = layers.upSampling2d({ size: [1, 2], name: 'up' }).apply(t);
  t = layers.layerNormalization({ axis: [-2, -1], epsilon: 1e-2, scale: false, name: 'ln' }).apply(t);
  t = layers.rescaling({ scale: 3, offset: 0.1, name: 'rs' }).apply(t);
  const a = layers.maxPooling2d({ poolSize: [2, 3], strides: 1, padding: 'same', name: 'mp' }).apply(t);
  const b = layers.averagePooling2d({ poolSize: 2, name: 'ap' }).apply(t);
  const pooled = [
    layers.flatten({ name: 'fl' }).apply(layers.globalMaxPooling2d({ keepdims: true, name: 'gmp' }).apply(a)),
    layers.globalAveragePooling2d({ name: 'gap' }).apply(b),
  ];
  let s = layers.conv1d({ filters: 4, kernelSize: 2, strides: 2, padding: 'same', activation: 'softplus', name: 'c1' }).apply(seq);
  s = layers.maxPooling1d({ poolSize: 2, padding: 'same', name: 'mp1' }).apply(s);
  pooled.push(layers.globalAveragePooling1d({ name: 'gap1' }).apply(layers.averagePooling1d({ poolSize: 2, strides: 1, name: 'ap1' }).apply(s)));
  pooled.push(layers.globalMaxPooling1d({ name: 'gmp1' }).apply(s));
  const d = layers.dense({ units: 6, activation: 'gelu', name: 'd' }).apply(vec);
  const acts = [
    layers.relu({ maxValue: 0.7, negativeSlope: 0.1, threshold: 0.05, name: 'relu' }).apply(d),
    layers.leakyRelu({ negativeSlope: 0.15, name: 'leaky' }).apply(d),
    layers.elu({ alpha: 0.6, name: 'elu' }).apply(d),
    layers.softmax({ name: 'sm' }).apply(d),
    layers.activation({ activation: 'selu', name: 'selu' }).apply(layers.dropout({ rate: 0.25, seed: 3, name: 'drop' }).apply(d)),
  ];
  const m1 = layers.subtract({ name: 'sub' }).apply([acts[0], acts[1]]);
  const m2 = layers.multiply({ name: 'mul' }).apply([acts[2], acts[3]]);
  const m3 = layers.maximum({ name: 'max' }).apply([m1, m2]);
  const m4 = layers.minimum({ name: 'min' }).apply([m3, acts[4]]);
  const m5 = layers.average({ name: 'avg' }).apply([m4, layers.add({ name: 'add' }).apply([m1, acts[4]])]);
  pooled.push(layers.flatten({ name: 'fl2' }).apply(layers.reshape({ targetShape: [2, -1], name: 'rsh' }).apply(m5)));
  const all = layers.concatenate({ name: 'cat' }).apply(pooled);
  const out = layers.dense({ units: 3, activation: 'log_softmax', useBias: false, name: 'out' }).apply(all);
  const m = gl.model({ name: 'every', inputs: [img, seq, vec], outputs: [out, layers.activation({ activation: 'relu6', name: 'r6' }).apply(t)] });
  randomize(m, 11);
  const covered = new Set(m.layers.map((l) => l.className));
  for (const name of Object.keys(gl.layerClasses)) assert.ok(covered.has(name), `no ${name} in the model`);
  const cfg = JSON.parse(JSON.stringify(kerasConfigFromModel(m))) as unknown;
  const back = modelFromKerasConfig(cfg, 'every.json');
  copyWeights(m, back);
  const x = inputsOf(m);
  assert.deepEqual(outputsOf(back, x), outputsOf(m, x));
  // silu is written as Keras' and tfjs' 'swish', the same function
  const configs = (mm: Model) => JSON.stringify(mm.layers.map((l) => l.getConfig())).replaceAll('"silu"', '"swish"');
  assert.equal(configs(back), configs(m));
});

test('kerasConfigFromModel refuses what Keras cannot express', () => {
  const { layers } = gl;
  const full = gl.sequential([layers.conv2d({ inputShape: [4, 4, 1], filters: 1, kernelSize: 2, padding: 'full', name: 'cf' })]);
  assert.throws(() => kerasConfigFromModel(full), /layer 'cf' \(Conv2D\) uses padding 'full'/);
  const step = gl.sequential([layers.dense({ inputShape: [2], units: 1, activation: 'step', name: 'st' })]);
  assert.throws(() => kerasConfigFromModel(step), /layer 'st' \(Dense\) uses activation 'step'/);
});

test('Keras 3: a nested Sequential (calls numbered from 0) and a shared layer called twice', () => {
  const dense = (name: string, units: number, history: [string, number, number][], shapes: (number | null)[][]) => ({
    module: 'keras.layers', class_name: 'Dense', registered_name: null, name,
    config: { name, trainable: true, dtype: policy, units, activation: 'tanh', use_bias: true, kernel_initializer: null, bias_initializer: null, lora_rank: null },
    inbound_nodes: history.map((h, i) => ({ args: [{ class_name: '__keras_tensor__', config: { shape: shapes[i], dtype: 'float32', keras_history: h } }], kwargs: {} })),
  });
  const inner = {
    module: 'keras', class_name: 'Sequential', registered_name: null, name: 'inner', build_config: { input_shape: [null, 3] },
    config: { name: 'inner', trainable: true, dtype: policy, layers: [
      { module: 'keras.layers', class_name: 'InputLayer', registered_name: null, config: { batch_shape: [null, 3], dtype: 'float32', sparse: false, name: 'inner_in' } },
      { module: 'keras.layers', class_name: 'Dense', registered_name: null, config: { name: 'i1', dtype: policy, units: 4, activation: 'leaky_relu' } },
      { module: 'keras.layers', class_name: 'Dense', registered_name: null, config: { name: 'i2', dtype: policy, units: 3, activation: 'hard_sigmoid' } },
    ] },
    inbound_nodes: [{ args: [tensor('x', [null, 3])], kwargs: { mask: null } }],
  };
  const cfg = {
    module: 'keras.src.models.functional', class_name: 'Functional', registered_name: 'Functional',
    config: { name: 'outer', trainable: true, layers: [
      { module: 'keras.layers', class_name: 'InputLayer', registered_name: null, name: 'x', config: { batch_shape: [null, 3], dtype: 'float32', sparse: false, name: 'x' }, inbound_nodes: [] },
      inner,
      dense('shared', 3, [['x', 0, 0], ['inner', 0, 0]], [[null, 3], [null, 3]]),
      { module: 'keras.layers', class_name: 'Add', registered_name: null, name: 'sum', config: { name: 'sum', dtype: policy }, inbound_nodes: [{ args: [[tensor('shared', [null, 3]), { class_name: '__keras_tensor__', config: { shape: [null, 3], dtype: 'float32', keras_history: ['shared', 1, 0] } }]], kwargs: {} }] },
    ], input_layers: [['x', 0, 0]], output_layers: [['sum', 0, 0]] },
  };
  const m = modelFromKerasConfig(cfg, 'model.keras');
  randomize(m, 2);
  const x = inputsOf(m);
  const sh = m.getLayer('shared');
  const inn = m.getLayer('inner') as Model;
  assert.equal(inn.layers[1].getConfig().activation, 'hard_sigmoid');
  const want = gl.add(sh.apply(x[0]) as Tensor, sh.apply(inn.apply(x[0]) as Tensor) as Tensor);
  assert.deepEqual(outputsOf(m, x)[0], Float32Array.from(want.data));
  // the same activation in a tf.keras 2.x file means something else
  const k2 = JSON.parse(JSON.stringify(cfg).replaceAll('"module"', '"modulex"').replaceAll('"registered_name"', '"rn"')) as unknown;
  assert.throws(() => modelFromKerasConfig(k2, 'model.h5'), /layer 'i1' \(Dense\): activation "leaky_relu"/);
});
