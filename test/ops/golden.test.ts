// The new activations, layerNorm, resize and upSampling2d against PyTorch (float64): forward
// values and gradients from fixtures/activation_golden.json, written by
// fixtures/gen_activation_golden.py (which also notes where a TensorFlow rule has no PyTorch mode).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as gl from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

type Nested = number | Nested[];
interface Golden {
  activations: {
    x: number[]; kinks: number[]; options: Record<string, gl.ReluOptions>;
    ops: Record<string, { y: number[]; dy: number[]; atKinks: number[] }>;
  };
  layerNorm: {
    shape: number[]; axis: number | number[]; epsilon: number; x: Nested; weights: Nested; y: Nested; dx: Nested;
    gamma?: Nested; beta?: Nested; dgamma?: Nested; dbeta?: Nested;
  }[];
  resize: { shape: number[]; size: [number, number]; method: gl.ResizeMethod; scaling: string; source: string; x: Nested; weights: Nested; y: Nested; dx: Nested }[];
  upSampling2d: { shape: number[]; size: number | [number, number]; interpolation: gl.ResizeMethod; x: Nested; weights: Nested; y: Nested; dx: Nested }[];
}

const golden = JSON.parse(readFileSync(new URL('../../../test/ops/fixtures/activation_golden.json', import.meta.url), 'utf8')) as Golden;

const f64 = (v: Nested, requiresGrad = false) => gl.tensor(v, { dtype: 'float64', requiresGrad });
const flat = (v: Nested): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v]);

function close(actual: ArrayLike<number>, expected: readonly number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    if (!(Math.abs(actual[i] - e) <= tol * (1 + Math.abs(e)))) assert.fail(`${what}: index ${i}: ${actual[i]} vs ${e}`);
  }
}

const ACTIVATIONS: Record<string, (x: Tensor) => Tensor> = {
  relu: (x) => gl.relu(x),
  relu6: gl.relu6,
  hardSigmoid: gl.hardSigmoid,
  hardSwish: gl.hardSwish,
  silu: gl.silu,
  gelu: (x) => gl.gelu(x),
  geluApproximate: (x) => gl.gelu(x, { approximate: true }),
  selu: gl.selu,
};

test('activations match PyTorch: values, gradients, values at the kinks, float32 too', () => {
  const { x, kinks, options, ops } = golden.activations;
  const fns: Record<string, (x: Tensor) => Tensor> = { ...ACTIVATIONS };
  for (const [name, o] of Object.entries(options)) fns[name] = (t) => gl.relu(t, o);
  assert.deepEqual(Object.keys(fns).sort(), Object.keys(ops).sort(), 'every golden op is tested');
  for (const [name, f] of Object.entries(fns)) {
    const g = ops[name];
    const xt = f64(x, true);
    const y = f(xt);
    close(y.data, g.y, 1e-14, `${name} forward`);
    gl.sum(y).backward();
    close(xt.grad!.data, g.dy, 1e-13, `${name} gradient`);
    close(f(f64(kinks)).data, g.atKinks, 1e-15, `${name} at the kinks`);
    const y32 = f(gl.tensor(x));
    assert.equal(y32.dtype, 'float32');
    close(y32.data, g.y, 2e-6, `${name} float32`);
  }
  // relu without options (or with the defaults) is the one-kernel relu of before
  const xr = f64(x, true);
  for (const o of [undefined, {}, { maxValue: null, negativeSlope: 0, threshold: 0 }]) assert.equal(gl.relu(xr, o).gradFn!.op, 'relu', JSON.stringify(o));
  assert.equal(gl.relu(xr, { maxValue: 6 }).gradFn!.op, 'clippedRelu');
  // gradients at the kinks as TensorFlow's: 0 at relu6's 0 and 6 (as relu's at 0), the slope at the threshold
  const k = f64([0, 6, 0.5, 2], true);
  gl.sum(gl.relu6(k)).backward();
  assert.deepEqual(Array.from(k.grad!.data), [0, 0, 1, 1]);
  k.zeroGrad();
  gl.sum(gl.relu(k, { maxValue: 2, negativeSlope: 0.25, threshold: 0.5 })).backward();
  assert.deepEqual(Array.from(k.grad!.data), [0.25, 0, 0.25, 0]);
  // swish is silu under Keras' name
  close(gl.swish(f64(x)).data, ops.silu.y, 1e-14, 'swish');
});

test('layerNorm matches PyTorch (layer_norm, or the same formula over non-trailing axes): values and gradients of x, gamma, beta', () => {
  for (const c of golden.layerNorm) {
    const what = `layerNorm ${JSON.stringify(c.shape)} axis ${JSON.stringify(c.axis)}`;
    const x = f64(c.x, true);
    const gamma = c.gamma ? f64(c.gamma, true) : undefined;
    const beta = c.beta ? f64(c.beta, true) : undefined;
    const y = gl.layerNorm(x, { axis: c.axis, epsilon: c.epsilon, gamma, beta });
    assert.deepEqual(y.shape, c.shape);
    close(y.data, flat(c.y), 1e-13, `${what} forward`);
    gl.sum(gl.mul(y, f64(c.weights))).backward();
    close(x.grad!.data, flat(c.dx), 1e-12, `${what} dx`);
    if (gamma) close(gamma.grad!.data, flat(c.dgamma!), 1e-12, `${what} dgamma`);
    if (beta) close(beta.grad!.data, flat(c.dbeta!), 1e-12, `${what} dbeta`);
  }
});

const SCALING: Record<string, gl.ResizeOptions> = {
  halfPixel: {},
  alignCorners: { alignCorners: true },
  legacy: { halfPixelCenters: false },
};

test('resize matches tf.image.resize (through PyTorch interpolate where it has the mode): values and gradients', () => {
  assert.ok(golden.resize.some((c) => c.source.startsWith('torch')) && golden.resize.length >= 10);
  for (const c of golden.resize) {
    const what = `resize ${JSON.stringify(c.shape)} -> ${JSON.stringify(c.size)} ${c.method} ${c.scaling} (${c.source})`;
    const x = f64(c.x, true);
    const y = gl.resize(x, c.size, { method: c.method, ...SCALING[c.scaling] });
    assert.deepEqual(y.shape, [c.shape[0], ...c.size, c.shape[3]], what);
    close(y.data, flat(c.y), 1e-14, `${what} forward`);
    gl.sum(gl.mul(y, f64(c.weights))).backward();
    close(x.grad!.data, flat(c.dx), 1e-13, `${what} gradient`);
  }
});

test('upSampling2d matches Keras (repeat for nearest, tf.image.resize for bilinear) through PyTorch: values and gradients', () => {
  for (const c of golden.upSampling2d) {
    const what = `upSampling2d ${JSON.stringify(c.shape)} size ${JSON.stringify(c.size)} ${c.interpolation}`;
    const x = f64(c.x, true);
    const y = gl.upSampling2d(x, { size: c.size, interpolation: c.interpolation });
    close(y.data, flat(c.y), 1e-14, `${what} forward`);
    gl.sum(gl.mul(y, f64(c.weights))).backward();
    close(x.grad!.data, flat(c.dx), 1e-13, `${what} gradient`);
  }
});
