// The random augmentation layers against hand-computed cases: flips exact, a quarter turn as
// np.rot90, zoom and translation by Keras' matrices with each fill mode, identity in inference,
// seeded reproducibility, the adjoint's gradient, and their option checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import * as gl from '../../src/index.js';
import { transformImages } from '../../src/nn/preprocessing.js';

const L = gl.layers;

/** [n, h, w, 1] with value 10 y + x + 100 i at image i, row y, column x. */
function ramp(n: number, h: number, w: number, dtype: 'float32' | 'float64' = 'float32'): gl.Tensor {
  const t = gl.zeros([n, h, w, 1], { dtype });
  for (let i = 0; i < n; i++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) t.data[(i * h + y) * w + x] = 10 * y + x + 100 * i;
  return t;
}

const image = (t: gl.Tensor, i: number) => {
  const [, h, w, c] = t.shape;
  return Array.from(t.data.subarray(i * h * w * c, (i + 1) * h * w * c));
};
const close = (a: readonly number[], b: readonly number[], tol: number, what: string) => {
  assert.equal(a.length, b.length, what);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= tol, `${what}: element ${i} is ${v}, expected ${b[i]}`));
};

test('randomFlip: every training output is the image or its exact flip, both happen; identity in inference', () => {
  const one = ramp(1, 3, 4);
  const x = gl.concat(Array.from({ length: 40 }, () => one), 0);
  const base = image(one, 0);
  const hflip = [0, 1, 2].flatMap((y) => [3, 2, 1, 0].map((c) => base[y * 4 + c]));
  const vflip = [2, 1, 0].flatMap((y) => [0, 1, 2, 3].map((c) => base[y * 4 + c]));
  const both = [2, 1, 0].flatMap((y) => [3, 2, 1, 0].map((c) => base[y * 4 + c]));
  for (const [mode, allowed] of [['horizontal', [base, hflip]], ['vertical', [base, vflip]], ['horizontal_and_vertical', [base, hflip, vflip, both]]] as const) {
    const layer = L.randomFlip({ mode, seed: 3 });
    assert.equal(layer.apply(x), x, 'inference passes x through');
    const y = layer.apply(x, true);
    const counts = allowed.map(() => 0);
    for (let i = 0; i < 40; i++) {
      const k = allowed.findIndex((a) => a.every((v, j) => v === image(y, i)[j]));
      assert.ok(k >= 0, `${mode}: image ${i} is neither the input nor a flip`);
      counts[k]++;
    }
    assert.ok(counts.every((c) => c > 0), `${mode}: counts ${counts}`);
  }
});

test('randomRotation: a quarter turn is np.rot90 (counter-clockwise), a half turn reverses both axes', () => {
  const x = ramp(2, 4, 4);
  const q = L.randomRotation({ factor: [0.25, 0.25], seed: 1 }).apply(x, true);
  for (let i = 0; i < 2; i++) {
    const src = image(x, i);
    // np.rot90(a)[r][c] = a[c][n - 1 - r]
    const want = [0, 1, 2, 3].flatMap((r) => [0, 1, 2, 3].map((c) => src[c * 4 + (3 - r)]));
    close(image(q, i), want, 1e-4, 'quarter turn');
  }
  const half = L.randomRotation({ factor: [-0.5, -0.5], interpolation: 'nearest', seed: 1 }).apply(ramp(1, 3, 5), true);
  close(image(half, 0), image(ramp(1, 3, 5), 0).reverse(), 0, 'half turn');
  // a zero angle leaves the image alone; random angles stay within the factor (corners of a
  // constant image keep the constant under 'nearest' fill)
  close(image(L.randomRotation({ factor: 0, seed: 2 }).apply(x, true), 0), image(x, 0), 1e-6, 'zero angle');
  const flat = gl.full([3, 5, 5, 1], 4);
  close(Array.from(L.randomRotation({ factor: 0.3, fillMode: 'nearest', seed: 9 }).apply(flat, true).data), Array.from(flat.data), 1e-5, 'constant image');
});

test('randomZoom: Keras matrix input = zoom (output - centre) + centre; each fill mode by hand', () => {
  // zoom in 2x (factor -0.5): bilinear on the affine ramp is exact: value = 10 y_in + x_in
  const x = ramp(1, 5, 5);
  const zin = L.randomZoom({ heightFactor: [-0.5, -0.5], seed: 1 }).apply(x, true);
  const coords = [0, 1, 2, 3, 4].map((o) => 0.5 * o + 1);
  close(image(zin, 0), coords.flatMap((yi) => coords.map((xi) => 10 * yi + xi)), 1e-4, 'zoom in');
  // width only (height factor 0): rows unchanged
  const wonly = L.randomZoom({ heightFactor: 0, widthFactor: [-0.5, -0.5], seed: 1 }).apply(x, true);
  close(image(wonly, 0), [0, 1, 2, 3, 4].flatMap((y) => coords.map((xi) => 10 * y + xi)), 1e-4, 'width zoom');
  // zoom out 2x (factor 1): output column o reads 2 o - 2 = -2, 0, 2, 4, 6
  const row = gl.tensor([[[[0], [1], [2], [3], [4]]]]); // [1, 1, 5, 1]
  const out = (fillMode: 'reflect' | 'wrap' | 'constant' | 'nearest') =>
    Array.from(L.randomZoom({ heightFactor: 0, widthFactor: [1, 1], fillMode, fillValue: 7, seed: 1 }).apply(row, true).data);
  assert.deepEqual(out('constant'), [7, 0, 2, 4, 7]);
  assert.deepEqual(out('reflect'), [1, 0, 2, 4, 3]); // dcba|abcd|dcba: -2 -> 1, 6 -> 3
  assert.deepEqual(out('wrap'), [3, 0, 2, 4, 1]);
  assert.deepEqual(out('nearest'), [0, 0, 2, 4, 4]);
});

test('randomTranslation: positive factors move the image right and down by factor x size', () => {
  const x = ramp(1, 5, 5);
  const t = L.randomTranslation({ heightFactor: [0.4, 0.4], widthFactor: [0.2, 0.2], fillMode: 'constant', fillValue: -1, seed: 1 }).apply(x, true);
  // dy = 2 rows, dx = 1 column: out[y][x] = in[y - 2][x - 1]
  const want = [0, 1, 2, 3, 4].flatMap((y) => [0, 1, 2, 3, 4].map((c) => (y < 2 || c < 1 ? -1 : 10 * (y - 2) + (c - 1))));
  close(image(t, 0), want, 1e-5, 'shift');
  const left = L.randomTranslation({ heightFactor: 0, widthFactor: [-0.4, -0.4], fillMode: 'wrap', seed: 1 }).apply(x, true);
  close(image(left, 0), [0, 1, 2, 3, 4].flatMap((y) => [2, 3, 4, 0, 1].map((c) => 10 * y + c)), 1e-5, 'wrap left');
});

test("the resampling equals TensorFlow.js tf.image.transform (TensorFlow's ImageProjectiveTransformV3) for every fill mode and interpolation", async () => {
  await tf.setBackend('cpu');
  const [H, W, C] = [7, 9, 2];
  // general affine maps, a flip with half-pixel rows, a rotation, a zoom out and a shift far outside
  const maps = [[0.9, -0.3, 0.7, 0.25, 1.1, -0.4], [-1, 0, 8, 0, 1, 0.5], [Math.cos(1), -Math.sin(1), 3, Math.sin(1), Math.cos(1), -2], [2.5, 0, -9, 0, 2.2, -6.5], [1, 0, -13.3, 0, 1, 9.7]];
  for (const fill of ['reflect', 'wrap', 'constant', 'nearest'] as const) {
    for (const interp of ['bilinear', 'nearest'] as const) {
      for (const [k, m] of maps.entries()) {
        const x = gl.randn([1, H, W, C], { seed: k });
        // float32 parameters as TensorFlow holds them: wrap and nearest jump where a coordinate crosses an integer or a half
        const ours = transformImages(x, Float64Array.from(m, Math.fround), fill, interp, 0.5);
        const theirs = tf.tidy(() => tf.image.transform(tf.tensor4d(Array.from(x.data), [1, H, W, C]), tf.tensor2d([[...m, 0, 0]]), interp, fill, 0.5).dataSync());
        close(Array.from(ours.data), Array.from(theirs), 1e-6, `${fill} ${interp} map ${k}`);
      }
    }
  }
});

test('seeded: the same seed gives the same draws, another seed others; gl.manualSeed fixes unseeded layers', () => {
  const x = ramp(6, 6, 6);
  const run = (seed?: number) => {
    const l = L.randomRotation({ factor: 0.2, seed });
    return [Array.from(l.apply(x, true).data), Array.from(l.apply(x, true).data)];
  };
  const [a1, a2] = run(5);
  const [b1, b2] = run(5);
  assert.deepEqual(a1, b1);
  assert.deepEqual(a2, b2);
  assert.notDeepEqual(a1, a2, 'each call draws anew');
  assert.notDeepEqual(run(6)[0], a1);
  gl.manualSeed(11);
  const u1 = run()[0];
  gl.manualSeed(11);
  assert.deepEqual(run()[0], u1);
  for (const l of [L.randomFlip({ seed: 1 }), L.randomZoom({ heightFactor: 0.3, seed: 1 }), L.randomTranslation({ heightFactor: 0.3, widthFactor: 0.1, seed: 1 })]) {
    assert.equal(l.apply(x), x, `${l.className}: inference is the identity`);
    assert.notDeepEqual(Array.from(l.apply(x, true).data), Array.from(x.data), `${l.className} changes images in training`);
  }
});

test('training mode: gradients reach the input through the adjoint of the resampling (float64 finite differences)', () => {
  const x = gl.randn([2, 4, 5, 2], { dtype: 'float64', seed: 1 });
  const m = Float64Array.from([0.9, -0.3, 0.7, 0.25, 1.1, -0.4, -1, 0, 4, 0, 1, 0.5]);
  const v = gl.randn([2, 4, 5, 2], { dtype: 'float64', seed: 2 });
  for (const fill of ['reflect', 'wrap', 'constant', 'nearest'] as const) {
    for (const interp of ['bilinear', 'nearest'] as const) {
      const loss = () => gl.sum(gl.mul(transformImages(x, m, fill, interp, 0.5), v));
      x.requiresGrad = true;
      x.grad = null;
      loss().backward();
      const g = Float64Array.from(x.grad!.data);
      for (let i = 0; i < x.size; i += 3) {
        const keep = x.data[i];
        x.data[i] = keep + 1e-6;
        const up = gl.noGrad(() => loss().item());
        x.data[i] = keep - 1e-6;
        const down = gl.noGrad(() => loss().item());
        x.data[i] = keep;
        assert.ok(Math.abs((up - down) / 2e-6 - g[i]) < 1e-6, `${fill} ${interp}: element ${i}`);
      }
    }
  }
  // and through a layer in a model: fit runs it in training mode
  const layer = L.randomZoom({ heightFactor: 0.2, seed: 4, dtype: 'float64' });
  const xi = gl.randn([3, 6, 6, 1], { dtype: 'float64', seed: 3, requiresGrad: true });
  gl.sum(layer.apply(xi, true)).backward();
  assert.ok(xi.grad && xi.grad.data.some((d) => d !== 0));
});

test('options: Keras meanings and errors', () => {
  assert.throws(() => L.randomRotation({} as never), /option 'factor' is required/);
  assert.throws(() => L.randomRotation({ factor: [0.3, 0.1] }), /lower <= upper/);
  assert.throws(() => L.randomRotation({ factor: -0.1 }), />= 0/);
  assert.throws(() => L.randomZoom({ heightFactor: 1.5 }), /\[-1, 1\]/);
  assert.throws(() => L.randomTranslation({ heightFactor: 0.1 } as never), /'heightFactor' and 'widthFactor' are required/);
  assert.throws(() => L.randomFlip({ mode: 'diagonal' as never }), /mode must be/);
  assert.throws(() => L.randomZoom({ heightFactor: 0.1, fillMode: 'mirror' as never }), /fillMode/);
  assert.throws(() => L.randomZoom({ heightFactor: 0.1, interpolation: 'bicubic' as never }), /interpolation/);
  assert.throws(() => L.randomFlip({ fill_mode: 'wrap' } as never), /unknown option 'fill_mode'/);
  assert.throws(() => L.randomFlip({ seed: 1.5 }), /seed/);
  assert.throws(() => L.randomFlip().apply(gl.zeros([2, 3])), gl.ShapeError);
  const r = L.randomRotation({ factor: 0.1, seed: 3 });
  assert.deepEqual(r.factor, [-0.1, 0.1]);
  const z = L.randomZoom({ heightFactor: [-0.3, -0.2], seed: 1 });
  assert.deepEqual(z.getConfig().widthFactor, null);
});

test('a model with augmentation layers saves and loads (configs with seeds), and predicts identically', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-aug-'));
  try {
    const m = gl.sequential([
      L.randomFlip({ inputShape: [6, 6, 1], seed: 1 }), L.randomRotation({ factor: 0.1, fillMode: 'constant', seed: 2 }),
      L.randomZoom({ heightFactor: 0.1, widthFactor: [-0.2, 0.1], seed: 3 }), L.randomTranslation({ heightFactor: 0.1, widthFactor: 0.2, interpolation: 'nearest', seed: 4 }),
      L.flatten(), L.dense({ units: 2 }),
    ]);
    const x = ramp(2, 6, 6);
    await m.save(join(dir, 'm'));
    const again = await gl.loadModel(join(dir, 'm'));
    assert.deepEqual(again.layers.map((l) => l.getConfig()), m.layers.map((l) => l.getConfig()));
    assert.deepEqual(Array.from(again.predict(x).data), Array.from(m.predict(x).data));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
