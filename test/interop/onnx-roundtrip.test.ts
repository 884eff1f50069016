// gradlab -> ONNX (encodeOnnx, the export side) -> gradlab (loadOnnx): the imported graph gives
// the same predictions as the model that was exported, for a sweep of layer kinds and opsets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as gl from '../../src/index.js';

const { layers } = gl;

/** Non-trivial batch norm statistics, so that the inference form is checked. */
function randomizeState(model: gl.Model): void {
  let seed = 100;
  for (const l of model.layers) {
    for (const w of l.weights) {
      const r = gl.rand(w.tensor.shape, { seed: seed++ });
      if (/moving_variance$/.test(w.role)) w.tensor.data.set(r.data.map((v) => v + 0.5));
      else if (/moving_mean|gamma|beta$/.test(w.role)) w.tensor.data.set(r.data.map((v) => v - 0.3));
    }
  }
}

const cases: [string, () => gl.Model, number[]][] = [
  ['conv stack', () => gl.sequential([
    layers.conv2d({ inputShape: [12, 12, 3], filters: 6, kernelSize: 3, padding: 'same', activation: 'relu' }),
    layers.batchNormalization(),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'valid', activation: 'tanh' }),
    layers.averagePooling2d({ poolSize: 2, padding: 'same' }),
    layers.flatten(),
    layers.dropout({ rate: 0.3 }),
    layers.dense({ units: 5, activation: 'softmax' }),
  ]), [12, 12, 3]],
  ['depthwise and separable', () => gl.sequential([
    layers.depthwiseConv2d({ inputShape: [10, 10, 4], kernelSize: 3, depthMultiplier: 2, padding: 'same' }),
    layers.relu({ maxValue: 6 }),
    layers.separableConv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'sigmoid' }),
    layers.globalAveragePooling2d(),
    layers.dense({ units: 3 }),
  ]), [10, 10, 4]],
  ['transposed conv and upsampling', () => gl.sequential([
    layers.conv2dTranspose({ inputShape: [5, 5, 3], filters: 4, kernelSize: 3, strides: 2, padding: 'same' }),
    layers.leakyRelu({ negativeSlope: 0.1 }),
    layers.upSampling2d({ size: 2 }),
    layers.zeroPadding2d({ padding: 1 }),
    layers.cropping2d({ cropping: 2 }),
    layers.globalMaxPooling2d(),
  ]), [5, 5, 3]],
  ['residual functional', () => {
    const x = gl.input({ shape: [8, 8, 2] });
    const a = layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'elu' }).apply(x);
    const b = layers.conv2d({ filters: 4, kernelSize: 1 }).apply(x);
    const s = layers.add().apply([a, b]);
    const c = layers.concatenate().apply([s, layers.multiply().apply([a, b])]);
    const f = layers.flatten().apply(layers.maxPooling2d({ poolSize: 2 }).apply(c));
    return gl.model({ inputs: x, outputs: layers.dense({ units: 4, activation: 'selu' }).apply(f) });
  }, [8, 8, 2]],
  ['dense and normalization', () => gl.sequential([
    layers.dense({ inputShape: [12], units: 16, activation: 'gelu' }),
    layers.layerNormalization(),
    layers.dense({ units: 8, activation: 'softplus' }),
    layers.reshape({ targetShape: [2, 4] }),
    layers.softmax({ axis: 1 }),
  ]), [12]],
];

for (const [name, make, shape] of cases) {
  for (const opset of [13, 17]) {
    test(`round trip through ONNX (opset ${opset}): ${name}`, () => {
      gl.manualSeed(3);
      let model: gl.Model;
      try {
        model = make();
      } catch (e) {
        assert.fail(`building the gradlab model: ${(e as Error).message}`);
      }
      randomizeState(model);
      const x = gl.randn([3, ...shape], { seed: 8 });
      const want = model.predict(x);
      const back = gl.io.loadOnnxSync(gl.io.encodeOnnx(model, { opset }), name);
      const got = back.predict(x);
      assert.deepEqual(got.shape, want.shape);
      let err = 0;
      for (let i = 0; i < want.size; i++) err = Math.max(err, Math.abs(got.data[i] - want.data[i]));
      console.log(`${name}, opset ${opset}: max |imported - original| = ${err.toExponential(2)}`);
      assert.ok(err < 1e-5, `max error ${err}`);
    });
  }
}
