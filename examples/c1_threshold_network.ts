// COURSE C1: a scalar input, two hard-threshold hidden units and one threshold output unit with
// W_H = [1; 1], b_H = [-1; -3], W_O = [-1, 2], b_O = 0.5. The hidden units test x >= 1 and x >= 3,
// so z_O = 0.5 for x < 1, -0.5 for 1 <= x < 3 and 1.5 for x >= 3, and y_hat = 1 except on [1, 3).
// N_h = 2 hidden units, N_o = 1 output.
import assert from 'node:assert/strict';
import * as gl from '../src/index.js';

const model = gl.sequential({
  layers: [
    gl.layers.dense({ inputShape: [1], units: 2, activation: 'step', name: 'hidden' }),
    gl.layers.dense({ units: 1, activation: 'step', name: 'output' }),
  ],
});
// Keras layouts: a Dense kernel is [inputs, units], i.e. the course's W transposed.
model.layers[0].setWeights([[[1, 1]], [-1, -3]]);
model.layers[1].setWeights([[[-1], [2]], [0.5]]);

const nH = model.layers[0].outputShape![0];
const nO = model.layers[1].outputShape![0];
console.log(`N_h = ${nH}, N_o = ${nO}`);
assert.equal(nH, 2);
assert.equal(nO, 1);
const summary = model.summary({ print: false });
console.log(summary);
// 2 weights + 2 biases in the hidden layer, 2 + 1 in the output layer.
assert.match(summary, /Total params: 7\b/);

// The course's answer, interval by interval (the step is 1 at z = 0, so each boundary belongs to
// the interval on its right).
const zOCourse = (x: number): number => (x < 1 ? 0.5 : x < 3 ? -0.5 : 1.5);
const yHatCourse = (x: number): number => (x >= 1 && x < 3 ? 0 : 1);

// Points inside each interval, on both boundaries and just beside them.
const xs = [-5, -1, 0, 0.5, 0.99, 1, 1.01, 2, 2.5, 2.99, 3, 3.01, 4, 10];
const trace = model.trace(gl.tensor(xs.map((x) => [x])));
const [hidden, output] = trace;
console.log('     x   z_H          u_H      z_O   y_hat');
xs.forEach((x, i) => {
  const zH = [hidden.z.data[2 * i], hidden.z.data[2 * i + 1]];
  const uH = [hidden.u.data[2 * i], hidden.u.data[2 * i + 1]];
  const zO = output.z.data[i];
  const yHat = output.u.data[i];
  console.log(`${x.toFixed(2).padStart(6)}   [${zH.map((v) => v.toFixed(2)).join(', ')}]`.padEnd(26) +
    `[${uH.join(', ')}]   ${zO.toFixed(1).padStart(4)}   ${yHat}`);
  assert.equal(zO, zOCourse(x), `z_O at x = ${x}`);
  assert.equal(yHat, yHatCourse(x), `y_hat at x = ${x}`);
  // Hidden unit 1 fires for x >= 1, unit 2 for x >= 3.
  assert.deepEqual(uH, [x >= 1 ? 1 : 0, x >= 3 ? 1 : 0], `u_H at x = ${x}`);
});

// predict() gives the same y_hat as the trace's last layer.
assert.deepEqual(Array.from(model.predict(gl.tensor(xs.map((x) => [x]))).data), Array.from(output.u.data));

// Dense sweep: y_hat is 0 exactly on [1, 3). Steps of 1/64 are exact in float32, boundaries included.
const grid = Array.from({ length: 513 }, (_, k) => (k - 128) / 64);
const sweep = model.predict(gl.tensor(grid.map((x) => [x]))).data;
grid.forEach((x, i) => assert.equal(sweep[i], yHatCourse(x), `y_hat at x = ${x}`));
const zeros = grid.filter((_, i) => sweep[i] === 0).length;
// [1, 3) holds 2 * 64 grid points.
assert.equal(zeros, 128);
console.log('C1 ok');
