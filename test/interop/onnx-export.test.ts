// ONNX export checked in ONNX Runtime: one small model per layer class and notable option (with
// seeded random weights, batch norm statistics included), fed NHWC inputs as gradlab is, must
// give gradlab's predictions within 1e-5; then whole networks, every opset, and the errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, TensorProto_DataType } from 'onnx-buf';
import * as ort from 'onnxruntime-node';
import * as gl from '../../src/index.js';

const L = gl.layers;
const TOLERANCE = 1e-5;

interface Case {
  label: string;
  /** The layer under test (a fresh one per call). */
  make: () => gl.Layer;
  /** Per-sample input shapes, one per input. */
  inputs: number[][];
  /**
   * Also run the layer behind a 1x1 convolution per input, so that it sees a channels-first
   * value inside the exported graph (default: for inputs of rank 2 and 3 per sample).
   */
  afterConv?: boolean;
}

const ACTIVATIONS = ['linear', 'step', 'sigmoid', 'tanh', 'relu', 'relu6', 'silu', 'swish', 'gelu', 'hard_sigmoid', 'hard_swish', 'selu',
  'softmax', 'leaky_relu', 'elu', 'softplus', 'log_softmax'] as const;

const CASES: Case[] = [
  { label: 'Dense relu', make: () => L.dense({ units: 3, activation: 'relu' }), inputs: [[4]] },
  { label: 'Dense on [T, F] tanh', make: () => L.dense({ units: 2, activation: 'tanh' }), inputs: [[3, 4]] },
  { label: 'Dense no bias softmax', make: () => L.dense({ units: 5, useBias: false, activation: 'softmax' }), inputs: [[4]] },
  { label: 'Conv2D same stride 2 sigmoid', make: () => L.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'sigmoid' }), inputs: [[5, 6, 2]] },
  { label: 'Conv2D same even kernel strides [2,1]', make: () => L.conv2d({ filters: 2, kernelSize: [2, 4], strides: [2, 1], padding: 'same' }), inputs: [[5, 6, 2]] },
  { label: 'Conv2D valid dilated no bias', make: () => L.conv2d({ filters: 2, kernelSize: 2, dilationRate: [2, 3], useBias: false }), inputs: [[6, 7, 1]] },
  { label: 'Conv2D full padding', make: () => L.conv2d({ filters: 2, kernelSize: [3, 2], padding: 'full', activation: 'relu' }), inputs: [[4, 4, 3]] },
  { label: 'Conv2D groups 2', make: () => L.conv2d({ filters: 4, kernelSize: 3, groups: 2, padding: 'same', activation: 'tanh' }), inputs: [[4, 5, 4]] },
  { label: 'Conv2D same dilated stride 3', make: () => L.conv2d({ filters: 2, kernelSize: 3, strides: 3, dilationRate: 1, padding: 'same' }), inputs: [[7, 8, 2]] },
  { label: 'Conv1D same tanh', make: () => L.conv1d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'tanh' }), inputs: [[7, 2]] },
  { label: 'Conv1D valid stride 2 dilation 2', make: () => L.conv1d({ filters: 2, kernelSize: 2, strides: 2, dilationRate: 2 }), inputs: [[9, 3]] },
  { label: 'Conv1D full', make: () => L.conv1d({ filters: 2, kernelSize: 4, padding: 'full', useBias: false }), inputs: [[5, 2]] },
  { label: 'DepthwiseConv2D multiplier 2 same stride 2 relu', make: () => L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same', activation: 'relu' }), inputs: [[5, 5, 3]] },
  { label: 'DepthwiseConv2D dilated valid no bias', make: () => L.depthwiseConv2d({ kernelSize: [2, 3], dilationRate: 2, useBias: false }), inputs: [[6, 7, 2]] },
  { label: 'SeparableConv2D same multiplier 2 sigmoid', make: () => L.separableConv2d({ filters: 3, kernelSize: 3, padding: 'same', depthMultiplier: 2, activation: 'sigmoid' }), inputs: [[4, 5, 2]] },
  { label: 'SeparableConv2D valid stride 2 no bias', make: () => L.separableConv2d({ filters: 4, kernelSize: 2, strides: 2, useBias: false }), inputs: [[6, 6, 3]] },
  { label: 'Conv2DTranspose stride 2 same tanh', make: () => L.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh' }), inputs: [[3, 4, 2]] },
  { label: 'Conv2DTranspose valid outputPadding 1', make: () => L.conv2dTranspose({ filters: 3, kernelSize: 2, strides: 2, outputPadding: 1 }), inputs: [[2, 3, 2]] },
  { label: 'Conv2DTranspose kernel 1 below stride 3 valid', make: () => L.conv2dTranspose({ filters: 2, kernelSize: 1, strides: 3 }), inputs: [[2, 3, 2]] },
  { label: 'Conv2DTranspose kernel 2 stride 3 same', make: () => L.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 3, padding: 'same' }), inputs: [[2, 3, 1]] },
  { label: 'Conv2DTranspose dilated same, outputPadding [1, 0]', make: () => L.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, dilationRate: 1, padding: 'same', outputPadding: [1, 0] }), inputs: [[3, 3, 2]] },
  { label: 'Conv2DTranspose dilation 2 valid', make: () => L.conv2dTranspose({ filters: 1, kernelSize: 2, dilationRate: 2, useBias: false }), inputs: [[3, 3, 2]] },
  { label: 'MaxPooling2D 2', make: () => L.maxPooling2d({ poolSize: 2 }), inputs: [[4, 5, 2]] },
  { label: 'MaxPooling2D 3 stride 2 same', make: () => L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }), inputs: [[5, 6, 2]] },
  { label: 'AveragePooling2D 2 same (real cells only)', make: () => L.averagePooling2d({ poolSize: 2, padding: 'same' }), inputs: [[3, 5, 2]] },
  { label: 'AveragePooling2D [3,2] strides [2,1] same', make: () => L.averagePooling2d({ poolSize: [3, 2], strides: [2, 1], padding: 'same' }), inputs: [[5, 4, 1]] },
  { label: 'AveragePooling2D valid', make: () => L.averagePooling2d({ poolSize: [2, 3] }), inputs: [[5, 6, 2]] },
  { label: 'MaxPooling1D', make: () => L.maxPooling1d({ poolSize: 2 }), inputs: [[7, 2]] },
  { label: 'MaxPooling1D 3 stride 2 same', make: () => L.maxPooling1d({ poolSize: 3, strides: 2, padding: 'same' }), inputs: [[6, 2]] },
  { label: 'AveragePooling1D 3 stride 1', make: () => L.averagePooling1d({ poolSize: 3, strides: 1 }), inputs: [[6, 2]] },
  { label: 'AveragePooling1D 2 same', make: () => L.averagePooling1d({ poolSize: 2, padding: 'same' }), inputs: [[5, 3]] },
  { label: 'GlobalAveragePooling2D', make: () => L.globalAveragePooling2d(), inputs: [[3, 4, 2]] },
  { label: 'GlobalAveragePooling2D keepdims', make: () => L.globalAveragePooling2d({ keepdims: true }), inputs: [[3, 4, 2]] },
  { label: 'GlobalMaxPooling2D', make: () => L.globalMaxPooling2d(), inputs: [[3, 3, 2]] },
  { label: 'GlobalMaxPooling2D keepdims', make: () => L.globalMaxPooling2d({ keepdims: true }), inputs: [[3, 3, 2]] },
  { label: 'GlobalAveragePooling1D', make: () => L.globalAveragePooling1d(), inputs: [[4, 3]] },
  { label: 'GlobalMaxPooling1D keepdims', make: () => L.globalMaxPooling1d({ keepdims: true }), inputs: [[4, 3]] },
  { label: 'Flatten', make: () => L.flatten(), inputs: [[2, 3, 4]] },
  { label: 'Reshape [3, -1]', make: () => L.reshape({ targetShape: [3, -1] }), inputs: [[2, 3, 2]] },
  { label: 'Reshape to images', make: () => L.reshape({ targetShape: [2, 2, 3] }), inputs: [[12]] },
  { label: 'Dropout (inference: identity)', make: () => L.dropout({ rate: 0.5, seed: 1 }), inputs: [[5]] },
  { label: 'RandomFlip (inference: identity)', make: () => L.randomFlip({ seed: 1 }), inputs: [[3, 4, 2]] },
  { label: 'RandomRotation (inference: identity)', make: () => L.randomRotation({ factor: 0.2, seed: 1 }), inputs: [[3, 4, 1]] },
  { label: 'RandomZoom (inference: identity)', make: () => L.randomZoom({ heightFactor: 0.2, seed: 1 }), inputs: [[3, 3, 1]] },
  { label: 'RandomTranslation (inference: identity)', make: () => L.randomTranslation({ heightFactor: 0.1, widthFactor: 0.2, seed: 1 }), inputs: [[3, 3, 1]] },
  ...ACTIVATIONS.map((a): Case => ({ label: `Activation ${a}`, make: () => L.activation({ activation: a }), inputs: [[3, 2, 4]] })),
  { label: 'Activation gelu on [6]', make: () => L.activation({ activation: 'gelu' }), inputs: [[6]], afterConv: false },
  { label: 'BatchNormalization on [C]', make: () => L.batchNormalization(), inputs: [[3]] },
  { label: 'BatchNormalization on images', make: () => L.batchNormalization({ epsilon: 0.01 }), inputs: [[3, 4, 3]] },
  { label: 'BatchNormalization on [L, C]', make: () => L.batchNormalization(), inputs: [[5, 3]] },
  { label: 'BatchNormalization center/scale false', make: () => L.batchNormalization({ center: false, scale: false }), inputs: [[3, 3, 2]] },
  { label: 'LayerNormalization axis -1', make: () => L.layerNormalization(), inputs: [[3, 4]] },
  { label: 'LayerNormalization axes [1, 2]', make: () => L.layerNormalization({ axis: [1, 2], epsilon: 1e-5 }), inputs: [[2, 3]] },
  { label: 'LayerNormalization axis 1 of 3 (not trailing)', make: () => L.layerNormalization({ axis: 1 }), inputs: [[3, 4]] },
  { label: 'LayerNormalization axes [1, 3] of images', make: () => L.layerNormalization({ axis: [1, 3] }), inputs: [[3, 2, 4]] },
  { label: 'LayerNormalization no center, no scale', make: () => L.layerNormalization({ center: false, scale: false }), inputs: [[5]] },
  { label: 'LayerNormalization scale only', make: () => L.layerNormalization({ center: false }), inputs: [[2, 5]] },
  { label: 'Add of 3', make: () => L.add(), inputs: [[2, 3, 2], [2, 3, 2], [2, 3, 2]] },
  { label: 'Subtract', make: () => L.subtract(), inputs: [[4, 3], [4, 3]] },
  { label: 'Multiply (broadcast)', make: () => L.multiply(), inputs: [[2, 3], [1, 3]] },
  { label: 'Average', make: () => L.average(), inputs: [[3, 3, 2], [3, 3, 2]] },
  { label: 'Maximum', make: () => L.maximum(), inputs: [[5], [5], [5]] },
  { label: 'Minimum', make: () => L.minimum(), inputs: [[2, 2, 3], [2, 2, 3]] },
  { label: 'Concatenate channels', make: () => L.concatenate(), inputs: [[2, 3, 2], [2, 3, 3]] },
  { label: 'Concatenate axis 1', make: () => L.concatenate({ axis: 1 }), inputs: [[2, 3], [1, 3]] },
  { label: 'Concatenate axis 2 of images', make: () => L.concatenate({ axis: 2 }), inputs: [[2, 3, 2], [2, 1, 2]] },
  { label: 'ZeroPadding2D [[1,0],[2,1]]', make: () => L.zeroPadding2d({ padding: [[1, 0], [2, 1]] }), inputs: [[2, 3, 2]] },
  { label: 'ZeroPadding2D default', make: () => L.zeroPadding2d(), inputs: [[2, 2, 1]] },
  { label: 'Cropping2D', make: () => L.cropping2d({ cropping: [[1, 0], [0, 2]] }), inputs: [[4, 5, 2]] },
  { label: 'Rescaling', make: () => L.rescaling({ scale: 1 / 127.5, offset: -1 }), inputs: [[3, 2, 2]] },
  { label: 'Rescaling no offset', make: () => L.rescaling({ scale: 3 }), inputs: [[4]] },
  { label: 'ReLU', make: () => L.relu(), inputs: [[6]] },
  { label: 'ReLU maxValue 0.6', make: () => L.relu({ maxValue: 0.6 }), inputs: [[3, 3, 2]] },
  { label: 'ReLU negativeSlope 0.1', make: () => L.relu({ negativeSlope: 0.1 }), inputs: [[6]] },
  { label: 'ReLU threshold 0.2', make: () => L.relu({ threshold: 0.2 }), inputs: [[6]] },
  { label: 'ReLU maxValue 0.5, slope 0.1, threshold 0.2', make: () => L.relu({ maxValue: 0.5, negativeSlope: 0.1, threshold: 0.2 }), inputs: [[3, 2, 2]] },
  { label: 'ReLU maxValue 0.4, slope 0.3', make: () => L.relu({ maxValue: 0.4, negativeSlope: 0.3 }), inputs: [[8]] },
  { label: 'LeakyReLU default', make: () => L.leakyRelu(), inputs: [[6]] },
  { label: 'LeakyReLU 0.05', make: () => L.leakyRelu({ negativeSlope: 0.05 }), inputs: [[2, 3, 2]] },
  { label: 'ELU alpha 0.7', make: () => L.elu({ alpha: 0.7 }), inputs: [[2, 3, 2]] },
  { label: 'Softmax', make: () => L.softmax(), inputs: [[2, 3, 4]] },
  { label: 'Softmax axis 1', make: () => L.softmax({ axis: 1 }), inputs: [[3, 2]] },
  { label: 'Softmax axis 2 of images', make: () => L.softmax({ axis: 2 }), inputs: [[2, 3, 2]] },
  { label: 'UpSampling2D nearest [2, 3]', make: () => L.upSampling2d({ size: [2, 3] }), inputs: [[2, 3, 2]] },
  { label: 'UpSampling2D bilinear [2, 1]', make: () => L.upSampling2d({ size: [2, 1], interpolation: 'bilinear' }), inputs: [[2, 3, 1]] },
  { label: 'UpSampling2D bilinear 3', make: () => L.upSampling2d({ size: 3, interpolation: 'bilinear' }), inputs: [[3, 2, 2]] },
  { label: 'Resizing bilinear up', make: () => L.resizing({ height: 5, width: 7 }), inputs: [[2, 3, 2]] },
  { label: 'Resizing bilinear down', make: () => L.resizing({ height: 3, width: 2 }), inputs: [[7, 5, 1]] },
  { label: 'Resizing nearest up', make: () => L.resizing({ height: 7, width: 5, interpolation: 'nearest' }), inputs: [[3, 2, 2]] },
  { label: 'Resizing bilinear to one row', make: () => L.resizing({ height: 1, width: 4 }), inputs: [[4, 3, 2]] },
  { label: 'Resizing nearest to one column', make: () => L.resizing({ height: 2, width: 1, interpolation: 'nearest' }), inputs: [[4, 3, 2]] },
  { label: 'Dense on images', make: () => L.dense({ units: 3, activation: 'elu' }), inputs: [[2, 3, 4]] },
  { label: 'Resizing nearest down', make: () => L.resizing({ height: 3, width: 4, interpolation: 'nearest' }), inputs: [[7, 9, 1]] },
];

/** Uniform values in [-scale, scale) from a seeded generator. */
function uniform(rng: gl.Random, shape: readonly number[], scale = 1, low?: number): gl.Tensor {
  const t = gl.zeros([...shape]);
  for (let i = 0; i < t.size; i++) t.data[i] = low === undefined ? (2 * rng.random() - 1) * scale : low + rng.random() * scale;
  return t;
}

/** Random weights everywhere, batch norm's moving statistics included (variances positive). */
function randomizeWeights(m: gl.Model, rng: gl.Random): void {
  for (const w of m.weights) {
    const role = w.role.split('/').pop()!;
    const t = role === 'moving_variance' ? uniform(rng, w.tensor.shape, 1.5, 0.2) : uniform(rng, w.tensor.shape, role === 'moving_mean' ? 0.5 : 1);
    w.tensor.data.set(t.data);
  }
}

/** A functional model around one layer: behind 1x1 convolutions when `afterConv`. */
function wrap(c: Case, afterConv: boolean): gl.Model {
  const ins = c.inputs.map((s, i) => gl.input({ shape: s, name: `x${i}` }));
  const fed = ins.map((x, i) => {
    if (!afterConv) return x;
    const ch = x.perSampleShape[x.perSampleShape.length - 1];
    const conv = x.perSampleShape.length === 3 ? L.conv2d({ filters: ch, kernelSize: 1, name: `pre${i}` }) : L.conv1d({ filters: ch, kernelSize: 1, name: `pre${i}` });
    return conv.apply(x);
  });
  const layer = c.make();
  const y = layer.apply(fed.length === 1 ? fed[0] : fed);
  return gl.model({ inputs: ins, outputs: y, name: 'case' });
}

/** Runs the ONNX bytes in ONNX Runtime on the inputs (NHWC), outputs by the session's names. */
async function runOnnx(bytes: Uint8Array, names: readonly string[], xs: readonly gl.Tensor[]): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(bytes);
  const feeds: Record<string, ort.Tensor> = {};
  names.forEach((n, i) => { feeds[n] = new ort.Tensor('float32', Float32Array.from(xs[i].data), [...xs[i].shape]); });
  return session.run(feeds);
}

/** Largest |gradlab - ONNX Runtime| over the model's outputs, checking their names and shapes. */
async function compare(m: gl.Model, xs: gl.Tensor[], opset = 13): Promise<number> {
  const bytes = gl.io.encodeOnnx(m, { opset });
  const expected = m.predictAll(xs);
  const got = await runOnnx(bytes, m.inputNames, xs);
  assert.deepEqual(Object.keys(got), m.outputNames, 'output names and order');
  let worst = 0;
  m.outputNames.forEach((n, k) => {
    const o = got[n];
    assert.deepEqual([...o.dims], expected[k].shape, `${n}: shape`);
    const a = o.data as Float32Array;
    const e = expected[k].data;
    for (let i = 0; i < e.length; i++) {
      const d = Math.abs(a[i] - e[i]);
      worst = Math.max(worst, Number.isNaN(d) ? Infinity : d);
    }
  });
  return worst;
}

function inputsFor(m: gl.Model, rng: gl.Random, batch = 3): gl.Tensor[] {
  return m.inputs.map((s) => uniform(rng, [batch, ...s.perSampleShape], 2));
}

test('every layer class is in the ONNX sweep', () => {
  const covered = new Set(CASES.map((c) => c.make().className));
  const missing = Object.keys(gl.layerClasses).filter((k) => k !== 'InputLayer' && !covered.has(k));
  assert.deepEqual(missing, []);
});

test('every layer and option matches gradlab within 1e-5 in ONNX Runtime, on its own and inside a channels-first run', async () => {
  const rng = new gl.Random(20261202);
  const failures: string[] = [];
  let worst = 0;
  let runs = 0;
  for (const c of CASES) {
    const variants = [false, ...((c.afterConv ?? c.inputs.every((s) => s.length === 2 || s.length === 3)) ? [true] : [])];
    for (const afterConv of variants) {
      gl.manualSeed(3);
      const m = wrap(c, afterConv);
      randomizeWeights(m, rng);
      const label = `${c.label}${afterConv ? ' (after conv)' : ''}`;
      try {
        const d = await compare(m, inputsFor(m, rng));
        worst = Math.max(worst, d);
        runs++;
        if (!(d <= TOLERANCE)) failures.push(`${label}: max |difference| ${d}`);
      } catch (e) {
        failures.push(`${label}: ${(e as Error).message}`);
      }
    }
  }
  console.log(`ONNX sweep: ${runs} models, ${CASES.length} cases, max |gradlab - onnxruntime| = ${worst.toExponential(2)}`);
  assert.deepEqual(failures, []);
});

function lenet(): gl.Model {
  gl.manualSeed(5);
  return gl.sequential({ name: 'lenet5', layers: [
    L.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }),
    L.maxPooling2d({ poolSize: 2 }),
    L.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
    L.maxPooling2d({ poolSize: 2 }),
    L.flatten(),
    L.dense({ units: 120, activation: 'relu' }),
    L.dense({ units: 84, activation: 'relu' }),
    L.dense({ units: 10, activation: 'softmax' }),
  ] });
}

function residual(): gl.Model {
  gl.manualSeed(11);
  const x = gl.input({ shape: [12, 12, 3], name: 'image' });
  const stem = L.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'stem' }).apply(x);
  let y = L.conv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'res_conv1' }).apply(stem);
  y = L.batchNormalization({ name: 'res_bn1' }).apply(y);
  y = L.activation({ activation: 'relu', name: 'res_relu1' }).apply(y);
  y = L.conv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'res_conv2' }).apply(y);
  y = L.batchNormalization({ name: 'res_bn2' }).apply(y);
  const sum = L.add({ name: 'skip' }).apply([y, stem]);
  const act = L.activation({ activation: 'relu', name: 'res_out' }).apply(sum);
  const pooled = L.globalAveragePooling2d({ name: 'gap' }).apply(act);
  const out = L.dense({ units: 4, activation: 'softmax', name: 'classes' }).apply(pooled);
  return gl.model({ inputs: x, outputs: out, name: 'residual' });
}

/** Two inputs, two outputs, a shared layer, a flatten of a channels-first run and an output that is a conv map. */
function multiInOut(): gl.Model {
  gl.manualSeed(12);
  const image = gl.input({ shape: [8, 8, 2], name: 'image' });
  const hint = gl.input({ shape: [3], name: 'hint' });
  const conv = L.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv' });
  const features = L.maxPooling2d({ name: 'pool' }).apply(conv.apply(image));
  const shared = L.dense({ units: 5, activation: 'tanh', name: 'shared' });
  const joined = L.concatenate({ name: 'join' }).apply([L.flatten({ name: 'flat' }).apply(features), shared.apply(hint)]);
  const digit = L.dense({ units: 10, activation: 'softmax', name: 'digit' }).apply(joined);
  const big = L.dense({ units: 1, activation: 'sigmoid', name: 'big' }).apply(joined);
  return gl.model({ inputs: [image, hint], outputs: [features, digit, big, shared.apply(L.dense({ units: 3, name: 'back' }).apply(shared.apply(hint)))], name: 'two' });
}

/** A sequential base inside a functional model inside a sequential model. */
function nested(): gl.Model {
  gl.manualSeed(13);
  const base = gl.sequential({ name: 'base', layers: [
    L.conv2d({ inputShape: [10, 10, 3], filters: 4, kernelSize: 3, activation: 'relu' }),
    L.batchNormalization(),
    L.maxPooling2d(),
  ] });
  const x = gl.input({ shape: [10, 10, 3], name: 'pixels' });
  const f = base.apply(x);
  const branch = L.conv2d({ filters: 4, kernelSize: 1, name: 'branch' }).apply(f);
  const mid = gl.model({ inputs: x, outputs: L.add({ name: 'merge' }).apply([f, branch]), name: 'mid' });
  return gl.sequential({ name: 'outer', layers: [mid, L.flatten(), L.dense({ units: 3, activation: 'softmax' })] });
}

test('LeNet-5, a residual block, a multi-input multi-output model and nested models match in ONNX Runtime', async () => {
  const rng = new gl.Random(99);
  for (const [name, make] of [['lenet5', lenet], ['residual', residual], ['multi', multiInOut], ['nested', nested]] as const) {
    const m = make();
    randomizeWeights(m, rng);
    const d = await compare(m, inputsFor(m, rng, 4));
    console.log(`${name}: max |difference| ${d.toExponential(2)}`);
    assert.ok(d <= TOLERANCE, `${name}: ${d}`);
  }
  const two = multiInOut();
  assert.deepEqual(two.outputNames, ['pool', 'digit', 'big', 'shared']);
});

test('the exported graph: names, symbolic batch, producer, ir_version per opset, raw little-endian initializers', async () => {
  const m = residual();
  randomizeWeights(m, new gl.Random(3));
  for (const opset of gl.io.ONNX_OPSETS) {
    const proto = fromBinary(ModelProtoSchema, gl.io.encodeOnnx(m, { opset }));
    assert.equal(proto.producerName, 'gradlab');
    assert.equal(proto.producerVersion, JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')).version);
    assert.equal(proto.irVersion, opset <= 14 ? 7n : 8n);
    assert.deepEqual(proto.opsetImport.map((o) => [o.domain, Number(o.version)]), [['', opset]]);
    const g = proto.graph!;
    assert.deepEqual(g.input.map((v) => v.name), ['image']);
    assert.deepEqual(g.output.map((v) => v.name), ['classes']);
    const dims = (v: (typeof g.input)[number]) => (v.type!.value.value as { shape: { dim: { value: { case?: string; value?: unknown } }[] } }).shape.dim.map((d) => d.value.value);
    assert.deepEqual(dims(g.input[0]), ['batch', 12n, 12n, 3n]);
    assert.deepEqual(dims(g.output[0]), ['batch', 4n]);
    // NHWC in: one transpose into the channels-first run, none out of it (global pooling ends it)
    assert.equal(g.node.filter((n) => n.opType === 'Transpose').length, 1);
    const kernel = g.initializer.find((t) => t.name === 'res_conv1/kernel')!;
    assert.equal(kernel.dataType, TensorProto_DataType.FLOAT);
    assert.deepEqual(kernel.dims, [8n, 8n, 3n, 3n]);
    const w = m.getLayer('res_conv1').weights[0].tensor;
    const view = new DataView(kernel.rawData.buffer, kernel.rawData.byteOffset, kernel.rawData.byteLength);
    // ONNX [out, in, kh, kw] from gradlab's [kh, kw, in, out]: element (o=5, i=2, y=1, x=2)
    assert.equal(view.getFloat32(((5 * 8 + 2) * 3 + 1) * 3 * 4 + 2 * 4, true), w.data[((1 * 3 + 2) * 8 + 2) * 8 + 5]);
  }
});

test('every opset from 13 to 17 runs in ONNX Runtime with the same outputs', async () => {
  gl.manualSeed(21);
  const x = gl.input({ shape: [6, 6, 2], name: 'x' });
  let y = L.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'hard_swish' }).apply(x);
  y = L.layerNormalization().apply(y);
  y = L.layerNormalization({ axis: [2, 3] }).apply(y);
  y = L.activation({ activation: 'hard_swish' }).apply(L.upSampling2d({ interpolation: 'bilinear' }).apply(y));
  const m = gl.model({ inputs: x, outputs: L.dense({ units: 3 }).apply(y) });
  const rng = new gl.Random(4);
  randomizeWeights(m, rng);
  const xs = inputsFor(m, rng);
  for (const opset of gl.io.ONNX_OPSETS) {
    const d = await compare(m, xs, opset);
    assert.ok(d <= TOLERANCE, `opset ${opset}: ${d}`);
    const ops = fromBinary(ModelProtoSchema, gl.io.encodeOnnx(m, { opset })).graph!.node.map((n) => n.opType);
    assert.equal(ops.includes('LayerNormalization'), opset >= 17, `opset ${opset}: LayerNormalization op`);
    assert.equal(ops.includes('HardSwish'), opset >= 14, `opset ${opset}: HardSwish op`);
  }
});

test('model.save writes ONNX by extension and by format; the batch axis is free', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-onnx-'));
  try {
    const m = lenet();
    randomizeWeights(m, new gl.Random(8));
    await m.save(join(dir, 'lenet.ONNX'));
    await m.save(join(dir, 'nested', 'lenet.bin'), { format: 'onnx', opset: 16 });
    await gl.io.saveOnnx(m, join(dir, 'direct.onnx'), { opset: 15 });
    assert.deepEqual(readdirSync(dir).sort(), ['direct.onnx', 'lenet.ONNX', 'nested']);
    const x = uniform(new gl.Random(2), [7, 28, 28, 1], 1, 0);
    const want = m.predict(x);
    for (const file of [join(dir, 'lenet.ONNX'), join(dir, 'nested', 'lenet.bin'), join(dir, 'direct.onnx')]) {
      const session = await ort.InferenceSession.create(file);
      for (const n of [7, 1]) {
        const xn = gl.slice(x, [0], [n, 28, 28, 1]);
        const out = (await session.run({ [m.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(xn.data), [n, 28, 28, 1]) }))[m.outputNames[0]];
        assert.deepEqual([...out.dims], [n, 10]);
        const a = out.data as Float32Array;
        for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - want.data[i]) <= TOLERANCE, `${file} batch ${n}: ${i}`);
      }
    }
    assert.equal(fromBinary(ModelProtoSchema, readFileSync(join(dir, 'nested', 'lenet.bin'))).opsetImport[0].version, 16n);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

class Scale extends gl.Layer {
  readonly className = 'ScaleByTwo';
  constructor() { super({}, 'scale_by_two'); }
  forward(x: gl.Tensor) { const u = gl.mul(x, 2); return { z: u, u }; }
}

test('errors: bad options, bad opsets, layers ONNX cannot express, bad paths; nothing is written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-onnx-err-'));
  try {
    const m = lenet();
    const file = join(dir, 'm.onnx');
    await assert.rejects(gl.io.saveOnnx(m, file, { opset: 13, dtype: 'float16' } as unknown as gl.io.OnnxExportOptions), (e) => e instanceof gl.ValueError && /unknown option 'dtype'/.test(e.message));
    for (const opset of [12, 18, 13.5, '13', null]) {
      await assert.rejects(gl.io.saveOnnx(m, file, { opset } as unknown as gl.io.OnnxExportOptions), (e) => e instanceof gl.ValueError && /opset must be an integer from 13 to 17/.test(e.message), String(opset));
      await assert.rejects(m.save(file, { opset: opset as number }), gl.ValueError);
    }
    assert.throws(() => gl.io.encodeOnnx(m, { opset: 19 }), /opset must be an integer from 13 to 17, got 19/);
    // a layer class gradlab has no ONNX mapping for, deep inside a nested model
    const x = gl.input({ shape: [4], name: 'x' });
    const inner = gl.model({ inputs: x, outputs: new Scale().apply(L.dense({ units: 4 }).apply(x)), name: 'inner' });
    const outer = gl.sequential([inner, L.dense({ units: 2 })]);
    await assert.rejects(outer.save(file), (e) => e instanceof gl.ValueError && /layer 'scale_by_two' \(ScaleByTwo\) cannot be exported to ONNX: gradlab has no ONNX mapping/.test(e.message));
    // a subclass of a built-in class may compute something else under its class name
    class Doubled extends gl.Dense {
      override forward(x: gl.Tensor) { const u = gl.mul(super.forward(x).u, 2); return { z: u, u }; }
    }
    const sub = gl.sequential([new Doubled({ inputShape: [3], units: 2, name: 'doubled' })]);
    await assert.rejects(gl.io.saveOnnx(sub, file), (e) => e instanceof gl.ValueError && /'doubled' \(Dense\) cannot be exported to ONNX: it is a Doubled \(a subclass of Dense\)/.test(e.message));
    class Custom extends gl.Model {}
    const xi = gl.input({ shape: [3] });
    const custom = new Custom({ inputs: xi, outputs: L.dense({ units: 2 }).apply(xi), name: 'custom' });
    await assert.rejects(gl.io.saveOnnx(gl.sequential([custom]), file), (e) => e instanceof gl.ValueError && /'custom' \(Functional\) cannot be exported to ONNX: it is a Custom/.test(e.message));
    // float64 weights would not give the same outputs
    const f64 = gl.sequential([L.dense({ inputShape: [3], units: 2, dtype: 'float64', name: 'wide' })]);
    await assert.rejects(gl.io.saveOnnx(f64, file), (e) => e instanceof gl.ValueError && /'wide'|float64/.test(e.message));
    const unbuilt = gl.sequential([L.dense({ units: 2 })]);
    await assert.rejects(gl.io.saveOnnx(unbuilt, file), (e) => e instanceof gl.ValueError && /not built yet/.test(e.message));
    await assert.rejects(gl.io.saveOnnx({} as gl.Model, file), (e) => e instanceof gl.ValueError && /must be a gradlab Model/.test(e.message));
    // paths
    await assert.rejects(gl.io.saveOnnx(m, ''), (e) => e instanceof gl.ValueError && /non-empty file path/.test(e.message));
    await assert.rejects(gl.io.saveOnnx(m, 7 as unknown as string), gl.ValueError);
    mkdirSync(join(dir, 'folder.onnx'));
    await assert.rejects(gl.io.saveOnnx(m, join(dir, 'folder.onnx')), (e) => e instanceof gl.ValueError && /existing folder/.test(e.message));
    await assert.rejects(gl.io.saveOnnx(m, `${dir}/sub/`), (e) => e instanceof gl.ValueError && /names a folder/.test(e.message));
    writeFileSync(join(dir, 'plain'), 'x');
    await assert.rejects(gl.io.saveOnnx(m, join(dir, 'plain', 'm.onnx')), (e) => e instanceof gl.ValueError && /is a file, not a folder/.test(e.message));
    assert.deepEqual(readdirSync(dir).sort(), ['folder.onnx', 'plain'], 'no file and no temporary file left behind');
    assert.deepEqual(readdirSync(join(dir, 'folder.onnx')), []);
    assert.ok(!existsSync(file));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
