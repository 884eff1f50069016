// Options from plain JavaScript, as a Keras or scikit-learn user first writes them: no compiler
// stands between the call and the library, so a snake_case key must be an error that names the
// camelCase one, never a silent default.
//
// npm run build copies this file to dist/test/js/ (scripts/copy-mjs.mjs); it imports the built
// package there. One section per module, each test one call per spelling, with the whole message.
// Sections for layers and models (nn, train) belong here too, added by their owners.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as gl from '../../src/index.js';

const { ValueError, svm, plot, optimizers } = gl;

/** The call throws a ValueError with exactly this message. */
function rejects(call, message) {
  assert.throws(call, (e) => {
    assert.ok(e instanceof ValueError, `expected a ValueError, got ${e}`);
    assert.equal(e.message, message);
    return true;
  });
}

async function rejectsAsync(promise, message) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof ValueError, `expected a ValueError, got ${e}`);
    assert.equal(e.message, message);
    return true;
  });
}

const x = gl.tensor([[0, 0], [1, 1], [2, 2], [3, 3], [4, 4], [5, 5], [6, 6], [7, 7]]);
const y = gl.tensor([0, 1, 0, 1, 0, 1, 0, 1]);

// ---------------------------------------------------------------------------------------------
// optim

test('optim: Keras and PyTorch optimizer options', () => {
  rejects(() => optimizers.adam({ learning_rate: 0.001 }), "adam: unknown option 'learning_rate' (did you mean 'learningRate'?)");
  rejects(() => optimizers.sgd({ learning_rate: 0.01, momentum: 0.9 }), "sgd: unknown option 'learning_rate' (did you mean 'learningRate'?)");
  rejects(() => optimizers.rmsprop({ learning_rate: 0.001 }), "rmsprop: unknown option 'learning_rate' (did you mean 'learningRate'?)");
  rejects(() => optimizers.sgd({ lr: 0.1 }), "sgd: unknown option 'lr' (did you mean 'learningRate'?)");
  rejects(() => optimizers.adam({ beta_1: 0.9, beta_2: 0.999 }), "adam: unknown option 'beta_1' (did you mean 'beta1'?)");
  rejects(() => optimizers.adam({ amsgrad: true }), "adam: unknown option 'amsgrad' (known: 'learningRate', 'beta1', 'beta2', 'epsilon')");
  rejects(() => optimizers.sgd({ learningRate: '0.1' }), 'sgd: learningRate must be a positive finite number, got the string "0.1"');
  assert.equal(optimizers.adam({ learningRate: 0.01 }).learningRate, 0.01);
});

// ---------------------------------------------------------------------------------------------
// data

test('data: scikit-learn splits, shuffles and scalers', () => {
  rejects(() => gl.trainTestSplit(x, y, { test_size: 0.25 }), "trainTestSplit: unknown option 'test_size' (did you mean 'testSize'?)");
  rejects(() => gl.trainTestSplit(x, y, { testSize: 0.25, random_state: 42 }), "trainTestSplit: unknown option 'random_state' (did you mean 'seed'?)");
  rejects(() => gl.trainTestSplit(x, y, { train_size: 0.75 }), "trainTestSplit: unknown option 'train_size' (known: 'testSize', 'shuffle', 'stratify', 'seed')");
  rejects(() => gl.shuffle(x, y, { random_state: 0 }), "shuffle: unknown option 'random_state' (did you mean 'seed'?)");
  rejects(() => gl.standardScaler({ with_mean: false }), "StandardScaler: unknown option 'with_mean' (did you mean 'withMean'?)");
  rejects(() => gl.minMaxScaler({ feature_range: [-1, 1] }), "MinMaxScaler: unknown option 'feature_range' (did you mean 'featureRange'?)");
  assert.equal(gl.trainTestSplit(x, y, { testSize: 0.25, seed: 42 }).xTest.shape[0], 2);
});

test('data: loaders, before any file is read', () => {
  rejects(() => gl.datasets.mnist({ train_size: 1000, dir: '/nonexistent' }), "datasets.mnist: unknown option 'train_size' (did you mean 'trainSize'?)");
  rejects(() => gl.datasets.fashionMnist({ n_test: 10 }), "datasets.fashionMnist: unknown option 'n_test' (known: 'trainSize', 'testSize', 'dir')");
  rejects(() => gl.loadCsv('/nonexistent.csv', { delimeter: ';' }), "loadCsv: unknown option 'delimeter' (did you mean 'delimiter'?)");
  rejects(() => gl.parseCsv('a;b\n1;2\n', { sep: ';' }), "parseCsv: unknown option 'sep' (known: 'label', 'header', 'delimiter', 'dtype', 'labelType')");
  rejects(() => gl.loadIdx('/nonexistent.idx', { d_type: 'float64' }), "loadIdx: unknown option 'd_type' (did you mean 'dtype'?)");
});

// ---------------------------------------------------------------------------------------------
// svm

test('svm: scikit-learn SVC and LinearSVC parameters', () => {
  rejects(() => new svm.SVC({ C: 1, class_weight: 'balanced' }), "SVC: unknown option 'class_weight' (did you mean 'classWeight'?)");
  rejects(() => new svm.SVC({ kernel: 'rbf', max_iter: 1000 }), "SVC: unknown option 'max_iter' (did you mean 'maxIter'?)");
  rejects(() => new svm.SVC({ cache_size: 500 }), "SVC: unknown option 'cache_size' (did you mean 'cacheSize'?)");
  rejects(() => new svm.LinearSVC({ random_state: 0 }), "LinearSVC: unknown option 'random_state' (did you mean 'seed'?)");
  rejects(() => new svm.LinearSVC({ dual: true }), "LinearSVC: unknown option 'dual' (known: 'C', 'loss', 'tol', 'maxIter', 'seed')");
  rejects(() => new svm.SVC({ kernel: 'RBF' }), "SVC: kernel must be 'rbf', 'linear', 'poly', 'sigmoid' or a function, got 'RBF' (did you mean 'rbf'?)");
  rejects(() => svm.kernels.rbf([0, 1], [1, 0], { Gamma: 0.5 }), "kernels.rbf: unknown option 'Gamma' (did you mean 'gamma'?)");
  const m = new svm.SVC({ kernel: 'linear', classWeight: 'balanced' }).fit(x, y);
  rejects(() => m.decisionFunction(x, { decision_function_shape: 'ovo' }), "SVC.decisionFunction: unknown option 'decision_function_shape' (known: 'shape')");
});

// ---------------------------------------------------------------------------------------------
// plot

test('plot: matplotlib spellings of chart options', async () => {
  rejects(() => plot.line([3, 2, 1], { xlabel: 'epoch' }), "plot.line: unknown option 'xlabel' (did you mean 'xLabel'?)");
  rejects(() => plot.line({ loss: [3, 2, 1] }, { y_label: 'loss' }), "plot.line: unknown option 'y_label' (did you mean 'yLabel'?)");
  rejects(() => plot.line([3, 2, 1], { yscale: 'log' }), "plot.line: unknown option 'yscale' (did you mean 'yScale'?)");
  rejects(() => plot.images(gl.zeros([2, 4, 4]), { color_map: 'gray' }), "plot.images: unknown option 'color_map' (did you mean 'colormap'?)");
  rejects(() => plot.confusionMatrix([0, 1], [1, 1], undefined, { normalise: true }), "plot.confusionMatrix: unknown option 'normalise' (did you mean 'normalize'?)");
  rejects(() => plot.decisionRegions(() => [0], [[0, 0]], [0], { x_label: 'x1' }), "plot.decisionRegions: unknown option 'x_label' (did you mean 'xLabel'?)");
  await rejectsAsync(plot.line([1, 2]).toPNG({ dpi: 144 }), "Figure.toPNG: unknown option 'dpi' (known: 'scale')");
  await rejectsAsync(
    plot.writeClassifierReport('/nonexistent/report', { title: 'r', metrics: {}, yTrue: [0, 1], yPred: [0, 1], class_names: ['a', 'b'] }),
    "writeClassifierReport: unknown option 'class_names' (did you mean 'classNames'?)",
  );
});

// ---------------------------------------------------------------------------------------------
// ops

test('ops: PyTorch and Keras spellings of op options', () => {
  const img = gl.zeros([1, 5, 5, 1]);
  const k = gl.zeros([3, 3, 1, 1]);
  rejects(() => gl.conv2d(img, k, { strides: 2 }), "conv2d: unknown option 'strides' (did you mean 'stride'?)");
  rejects(() => gl.maxPool2d(img, { pool_size: 2 }), "maxPool2d: unknown option 'pool_size' (known: 'size', 'stride', 'padding')");
  rejects(() => gl.losses.binaryCrossentropy(gl.zeros([2]), gl.zeros([2]), { from_logits: true }), "losses.binaryCrossentropy: unknown option 'from_logits' (did you mean 'fromLogits'?)");
  rejects(() => gl.gelu(gl.zeros([2]), { approximated: true }), "gelu: unknown option 'approximated' (did you mean 'approximate'?)");
});

// ---------------------------------------------------------------------------------------------
// nn and train: layers, models, compile, fit, callbacks

test('nn: Keras layer arguments in snake_case name the camelCase ones', () => {
  const { layers } = gl;
  rejects(() => layers.conv2d({ filters: 8, kernel_size: 5 }), "layers.conv2d: unknown option 'kernel_size' (did you mean 'kernelSize'?)");
  rejects(() => layers.conv2d({ filters: 8 }), "layers.conv2d: option 'kernelSize' is required, e.g. { filters: 8, kernelSize: 3 }");
  rejects(() => layers.dense({ units: 10, input_shape: [4] }), "layers.dense: unknown option 'input_shape' (did you mean 'inputShape'?)");
  rejects(() => layers.dense({ units: 10, use_bias: false }), "layers.dense: unknown option 'use_bias' (did you mean 'useBias'?)");
  rejects(() => layers.dense({ unit: 10 }), "layers.dense: unknown option 'unit' (did you mean 'units'?)");
  rejects(() => layers.dense({}), "layers.dense: option 'units' is required, e.g. { units: 10 }");
  rejects(() => layers.maxPooling2d({ pool_size: 2 }), "layers.maxPooling2d: unknown option 'pool_size' (did you mean 'poolSize'?)");
  rejects(() => layers.dropout({ rate: 0.5, noise_shape: [1] }), "layers.dropout: unknown option 'noise_shape' (known: 'name', 'inputShape', 'trainable', 'dtype', 'rate', 'seed')");
  rejects(() => layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5, moving_mean_initializer: 'zeros' }),
    "layers.batchNormalization: unknown option 'moving_mean_initializer' (known: 'name', 'inputShape', 'trainable', 'dtype', 'axis', 'momentum', 'epsilon', 'center', 'scale')");
  rejects(() => layers.dense({ units: 2, activation: 'constructor' }), "layers.dense: unknown activation 'constructor' (known: 'linear', 'step', 'sigmoid', 'tanh', 'relu', 'relu6', 'silu', 'swish', 'gelu', 'hard_sigmoid', 'hard_swish', 'selu', 'softmax', 'leaky_relu', 'elu', 'softplus', 'log_softmax')");
  rejects(() => layers.dense({ units: 2, activation: 'Relu6' }), "layers.dense: unknown activation 'Relu6' (did you mean 'relu6'?)");
  rejects(() => layers.concatenate({ axis: -1, name: 'c', dtypes: 'float32' }), "layers.concatenate: unknown option 'dtypes' (did you mean 'dtype'?)");
  rejects(() => gl.input({ shape: [2], batch_size: 4 }), "input: unknown option 'batch_size' (known: 'shape', 'name', 'dtype')");
  rejects(() => gl.input({ batch_shape: [null, 2] }), "input: unknown option 'batch_shape' (known: 'shape', 'name', 'dtype')");
  rejects(() => gl.sequential({ layer: [] }), "sequential: unknown option 'layer' (did you mean 'layers'?)");
  const i = gl.input({ shape: [2] });
  rejects(() => gl.model({ input: i, outputs: i }), "model: unknown option 'input' (did you mean 'inputs'?)");
});

test('nn and train: compile, fit, evaluate, predict and callbacks as Keras users spell them', async () => {
  const m = gl.sequential([gl.layers.dense({ inputShape: [2], units: 2, activation: 'softmax', name: 'out' })]);
  m.build([2]);
  rejects(() => m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', loss_weights: [1] }),
    `${m.name}.compile: unknown option 'loss_weights' (did you mean 'lossWeights'?)`);
  m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  await rejectsAsync(m.fit(x, y, { epochs: 1, batch_size: 4 }), `${m.name}.fit: unknown option 'batch_size' (did you mean 'batchSize'?)`);
  await rejectsAsync(m.fit(x, y, { validation_data: [x, y] }), `${m.name}.fit: unknown option 'validation_data' (did you mean 'validationData'?)`);
  await rejectsAsync(m.fit(x, y, { validation_split: 0.2 }), `${m.name}.fit: unknown option 'validation_split' (did you mean 'validationSplit'?)`);
  await rejectsAsync(m.fit(x, y, { epochs: 1, verbose: 0, steps_per_epoch: 2 }), `${m.name}.fit: unknown option 'steps_per_epoch' (known: 'epochs', 'batchSize', 'validationData', 'validationSplit', 'shuffle', 'seed', 'callbacks', 'verbose', 'terminateOnNaN')`);
  rejects(() => m.evaluate(x, y, { batch_size: 4 }), `${m.name}.evaluate: unknown option 'batch_size' (did you mean 'batchSize'?)`);
  rejects(() => m.predict(x, { batch_size: 4 }), `${m.name}.predict: unknown option 'batch_size' (did you mean 'batchSize'?)`);
  rejects(() => m.summary({ line_length: 80 }), `${m.name}.summary: unknown option 'line_length' (known: 'print', 'printFn')`);
  rejects(() => gl.callbacks.earlyStopping({ monitor: 'val_loss', restore_best_weights: true }), "earlyStopping: unknown option 'restore_best_weights' (did you mean 'restoreBestWeights'?)");
  rejects(() => gl.callbacks.modelCheckpoint({ filepath: 'x' }), "modelCheckpoint: unknown option 'filepath' (did you mean 'path'?)");
  rejects(() => gl.callbacks.modelCheckpoint({ path: 'x', save_best_only: true }), "modelCheckpoint: unknown option 'save_best_only' (did you mean 'saveBestOnly'?)");
});
