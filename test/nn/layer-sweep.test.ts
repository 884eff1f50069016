// Every layer class, in float64: its gradients (input and weights) against central differences,
// and its config round trip (rebuilt from JSON, same outputs). The ops inside are checked by the
// op registry's sweep; this checks how each layer wires them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as gl from '../../src/index.js';

interface Case {
  label: string;
  make: () => gl.Layer;
  /** Per-sample shapes, one per input. */
  inputs: number[][];
  /** Keep clear of kinks (relu at 0, max ties). */
  awayFromZero?: boolean;
}

const L = gl.layers;
const f64 = { dtype: 'float64' } as const;

const CASES: Case[] = [
  { label: 'Dense relu', make: () => L.dense({ units: 3, activation: 'relu', ...f64 }), inputs: [[4]], awayFromZero: true },
  { label: 'Dense on [T, F]', make: () => L.dense({ units: 2, activation: 'tanh', ...f64 }), inputs: [[3, 4]] },
  { label: 'Conv2D same stride 2 sigmoid', make: () => L.conv2d({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', activation: 'sigmoid', ...f64 }), inputs: [[5, 5, 2]] },
  { label: 'Conv2D dilated, no bias', make: () => L.conv2d({ filters: 2, kernelSize: 2, dilationRate: 2, useBias: false, ...f64 }), inputs: [[5, 5, 1]] },
  { label: 'Conv2D groups 2', make: () => L.conv2d({ filters: 4, kernelSize: 2, groups: 2, activation: 'tanh', ...f64 }), inputs: [[3, 3, 4]] },
  { label: 'DepthwiseConv2D multiplier 2, same, stride 2', make: () => L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same', activation: 'relu', ...f64 }), inputs: [[5, 5, 2]], awayFromZero: true },
  { label: 'DepthwiseConv2D dilated, no bias', make: () => L.depthwiseConv2d({ kernelSize: 2, dilationRate: 2, useBias: false, ...f64 }), inputs: [[4, 4, 3]] },
  { label: 'SeparableConv2D', make: () => L.separableConv2d({ filters: 3, kernelSize: 3, padding: 'same', depthMultiplier: 2, activation: 'sigmoid', ...f64 }), inputs: [[4, 4, 2]] },
  { label: 'Conv2DTranspose stride 2 same', make: () => L.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh', ...f64 }), inputs: [[3, 3, 2]] },
  { label: 'Conv2DTranspose valid, outputPadding 1', make: () => L.conv2dTranspose({ filters: 1, kernelSize: 2, strides: 2, outputPadding: 1, ...f64 }), inputs: [[2, 3, 2]] },
  { label: 'Conv1D', make: () => L.conv1d({ filters: 2, kernelSize: 3, padding: 'same', activation: 'tanh', ...f64 }), inputs: [[6, 2]] },
  { label: 'MaxPooling2D', make: () => L.maxPooling2d({ poolSize: 2, ...f64 }), inputs: [[4, 4, 2]], awayFromZero: true },
  { label: 'AveragePooling2D same', make: () => L.averagePooling2d({ poolSize: 2, padding: 'same', ...f64 }), inputs: [[3, 5, 1]] },
  { label: 'MaxPooling1D', make: () => L.maxPooling1d({ poolSize: 2, ...f64 }), inputs: [[6, 2]], awayFromZero: true },
  { label: 'AveragePooling1D', make: () => L.averagePooling1d({ poolSize: 3, strides: 1, ...f64 }), inputs: [[6, 2]] },
  { label: 'GlobalAveragePooling2D keepdims', make: () => L.globalAveragePooling2d({ keepdims: true, ...f64 }), inputs: [[3, 3, 2]] },
  { label: 'GlobalMaxPooling2D', make: () => L.globalMaxPooling2d(f64), inputs: [[3, 3, 2]], awayFromZero: true },
  { label: 'GlobalAveragePooling1D', make: () => L.globalAveragePooling1d(f64), inputs: [[4, 3]] },
  { label: 'GlobalMaxPooling1D', make: () => L.globalMaxPooling1d(f64), inputs: [[4, 3]], awayFromZero: true },
  { label: 'Flatten', make: () => L.flatten(f64), inputs: [[2, 3, 2]] },
  { label: 'Reshape', make: () => L.reshape({ targetShape: [3, -1], ...f64 }), inputs: [[2, 3, 2]] },
  { label: 'Dropout (inference: identity)', make: () => L.dropout({ rate: 0.5, seed: 1, ...f64 }), inputs: [[5]] },
  { label: 'Activation gelu', make: () => L.activation({ activation: 'gelu', ...f64 }), inputs: [[5]] },
  { label: 'BatchNormalization (inference)', make: () => L.batchNormalization(f64), inputs: [[3, 2]] },
  { label: 'Add', make: () => L.add(f64), inputs: [[2, 3], [2, 3], [2, 3]] },
  { label: 'Subtract', make: () => L.subtract(f64), inputs: [[4], [4]] },
  { label: 'Multiply (broadcast)', make: () => L.multiply(f64), inputs: [[2, 3], [1, 3]] },
  { label: 'Average', make: () => L.average(f64), inputs: [[4], [4]] },
  { label: 'Maximum', make: () => L.maximum(f64), inputs: [[5], [5]], awayFromZero: true },
  { label: 'Minimum', make: () => L.minimum(f64), inputs: [[5], [5]], awayFromZero: true },
  { label: 'Concatenate axis 1', make: () => L.concatenate({ axis: 1, ...f64 }), inputs: [[2, 3], [1, 3]] },
  { label: 'ZeroPadding2D [[1,0],[2,1]]', make: () => L.zeroPadding2d({ padding: [[1, 0], [2, 1]], ...f64 }), inputs: [[2, 2, 1]] },
  { label: 'Cropping2D', make: () => L.cropping2d({ cropping: [[1, 0], [0, 1]], ...f64 }), inputs: [[4, 4, 1]] },
  { label: 'Rescaling', make: () => L.rescaling({ scale: 1 / 127.5, offset: -1, ...f64 }), inputs: [[4]] },
  { label: 'ReLU maxValue 0.5, slope 0.1, threshold 0.2', make: () => L.relu({ maxValue: 0.5, negativeSlope: 0.1, threshold: 0.2, ...f64 }), inputs: [[6]], awayFromZero: true },
  { label: 'LeakyReLU', make: () => L.leakyRelu({ negativeSlope: 0.2, ...f64 }), inputs: [[6]], awayFromZero: true },
  { label: 'ELU', make: () => L.elu({ alpha: 0.7, ...f64 }), inputs: [[6]], awayFromZero: true },
  { label: 'Softmax axis 1', make: () => L.softmax({ axis: 1, ...f64 }), inputs: [[3, 2]] },
  { label: 'LayerNormalization axes [1, 2]', make: () => L.layerNormalization({ axis: [1, 2], ...f64 }), inputs: [[2, 3]] },
  { label: 'UpSampling2D bilinear', make: () => L.upSampling2d({ size: [2, 1], interpolation: 'bilinear', ...f64 }), inputs: [[2, 3, 1]] },
  { label: 'UpSampling2D nearest', make: () => L.upSampling2d(f64), inputs: [[2, 2, 2]] },
  { label: 'Resizing', make: () => L.resizing({ height: 3, width: 5, ...f64 }), inputs: [[2, 3, 1]] },
  // The random augmentation layers are the identity in inference (checked here); their training mode is in preprocessing.test.ts.
  { label: 'RandomFlip (inference)', make: () => L.randomFlip({ seed: 1, ...f64 }), inputs: [[3, 4, 2]] },
  { label: 'RandomRotation (inference)', make: () => L.randomRotation({ factor: 0.2, seed: 1, ...f64 }), inputs: [[3, 4, 1]] },
  { label: 'RandomZoom (inference)', make: () => L.randomZoom({ heightFactor: 0.2, widthFactor: [-0.1, 0.3], seed: 1, ...f64 }), inputs: [[3, 3, 1]] },
  { label: 'RandomTranslation (inference)', make: () => L.randomTranslation({ heightFactor: 0.1, widthFactor: 0.2, fillMode: 'constant', seed: 1, ...f64 }), inputs: [[3, 3, 1]] },
];

function sample(rng: gl.Random, shape: number[], awayFromZero: boolean): gl.Tensor {
  const t = gl.zeros(shape, f64);
  for (let i = 0; i < t.size; i++) {
    const m = awayFromZero ? 0.1 + 0.9 * rng.random() : rng.random();
    t.data[i] = (awayFromZero ? (rng.random() < 0.5 ? -1 : 1) : 2 * rng.random() - 1) * m + (awayFromZero ? 0.01 * i : 0);
  }
  return t;
}

/** Largest |analytic - numerical| relative to scale, over the inputs and the trainable weights. */
function layerGradError(layer: gl.Layer, xs: gl.Tensor[], rng: gl.Random): number {
  const out0 = gl.noGrad(() => layer.apply(xs));
  const v = sample(rng, [...out0.shape], false);
  const loss = () => gl.sum(gl.mul(layer.apply(xs), v));
  for (const x of xs) {
    x.requiresGrad = true;
    x.grad = null;
  }
  const weights = layer.trainableWeights;
  for (const w of weights) w.grad = null;
  loss().backward();
  const eps = 1e-6;
  let worst = 0;
  for (const t of [...xs, ...weights]) {
    const analytic = t.grad ? Float64Array.from(t.grad.data) : new Float64Array(t.size);
    for (let i = 0; i < t.size; i++) {
      const keep = t.data[i];
      t.data[i] = keep + eps;
      const up = gl.noGrad(() => loss().item());
      t.data[i] = keep - eps;
      const down = gl.noGrad(() => loss().item());
      t.data[i] = keep;
      const numerical = (up - down) / (2 * eps);
      worst = Math.max(worst, Math.abs(analytic[i] - numerical) / (1e-5 + 1e-3 * Math.abs(numerical)));
    }
  }
  return worst;
}

test('every layer class is in the sweep', () => {
  const covered = new Set(CASES.map((c) => c.make().className));
  const missing = Object.keys(gl.layerClasses).filter((k) => k !== 'InputLayer' && !covered.has(k));
  assert.deepEqual(missing, []);
});

test('every layer passes a float64 gradient check on its inputs and weights', () => {
  const rng = new gl.Random(20261202);
  const failures: string[] = [];
  for (const c of CASES) {
    gl.manualSeed(1);
    const layer = c.make();
    const xs = c.inputs.map((s) => sample(rng, [2, ...s], c.awayFromZero ?? false));
    layer.build(c.inputs.length === 1 ? c.inputs[0] : c.inputs);
    // weights away from zero too, so relu-like kinks are not hit by a zero bias
    for (const w of layer.trainableWeights) w.data.set(sample(rng, [...w.shape], c.awayFromZero ?? false).data);
    const err = layerGradError(layer, xs, rng);
    if (!(err <= 1)) failures.push(`${c.label}: error ${err.toFixed(2)} x tolerance`);
  }
  assert.deepEqual(failures, []);
});

test('every layer rebuilds from its JSON config with the same outputs', () => {
  const rng = new gl.Random(7);
  for (const c of CASES) {
    gl.manualSeed(2);
    const layer = c.make();
    const xs = c.inputs.map((s) => sample(rng, [3, ...s], c.awayFromZero ?? false));
    const y = layer.apply(xs);
    const config = JSON.parse(JSON.stringify(layer.getConfig())) as Record<string, unknown>;
    const again = gl.layerFromConfig(layer.className, config);
    assert.equal(again.name, layer.name);
    again.build(c.inputs.length === 1 ? c.inputs[0] : c.inputs);
    again.setWeights(layer.getWeights());
    assert.deepEqual(Array.from(again.apply(xs).data), Array.from(y.data), c.label);
    assert.deepEqual(again.getConfig(), config, `${c.label}: config is stable`);
  }
});
