// COURSE C2: data x = [0, 1, 3, 5], y = [0, 0, 1, 0]. The threshold network with W_H = [1; 1],
// b_H = [-2; -4], W_O = [1, -2], b_O = -0.5 fits all four: its hidden units test x >= 2 and x >= 4,
// and the output fires only when the first does and the second does not, i.e. on [2, 4).
// Prints z_H, u_H and z_O per sample from the model's trace(); at x = 3.5, y_hat = 1.
import assert from 'node:assert/strict';
import * as gl from '../src/index.js';

const model = gl.sequential({
  layers: [
    gl.layers.dense({ inputShape: [1], units: 2, activation: 'step', name: 'hidden' }),
    gl.layers.dense({ units: 1, activation: 'step', name: 'output' }),
  ],
});
// Dense kernels are [inputs, units]: the course's W_H = [1; 1] is [[1, 1]], W_O = [1, -2] is [[1], [-2]].
model.setWeights([[[1, 1]], [-2, -4], [[1], [-2]], [-0.5]]);

const x = [0, 1, 3, 5];
const y = [0, 0, 1, 0];
// Worked by hand: z_H = x - [2, 4], u_H = step(z_H), z_O = u_H1 - 2 u_H2 - 0.5.
const expected = [
  { zH: [-2, -4], uH: [0, 0], zO: -0.5, yHat: 0 },
  { zH: [-1, -3], uH: [0, 0], zO: -0.5, yHat: 0 },
  { zH: [1, -1], uH: [1, 0], zO: 0.5, yHat: 1 },
  { zH: [3, 1], uH: [1, 1], zO: -1.5, yHat: 0 },
];

const [hidden, output] = model.trace(gl.tensor(x.map((v) => [v])));
assert.equal(hidden.name, 'hidden');
assert.equal(output.name, 'output');
console.log('  x  y   z_H        u_H      z_O   y_hat');
x.forEach((xi, i) => {
  const zH = Array.from(hidden.z.data.subarray(2 * i, 2 * i + 2));
  const uH = Array.from(hidden.u.data.subarray(2 * i, 2 * i + 2));
  const zO = output.z.data[i];
  const yHat = output.u.data[i];
  console.log(`  ${xi}  ${y[i]}   [${zH.join(', ')}]`.padEnd(22) + `[${uH.join(', ')}]   ${zO.toFixed(1).padStart(4)}   ${yHat}`);
  assert.deepEqual(zH, expected[i].zH, `z_H for x = ${xi}`);
  assert.deepEqual(uH, expected[i].uH, `u_H for x = ${xi}`);
  assert.equal(zO, expected[i].zO, `z_O for x = ${xi}`);
  assert.equal(yHat, expected[i].yHat, `y_hat for x = ${xi}`);
});
// The network fits all four samples.
assert.deepEqual(Array.from(output.u.data), y);

// A new point between the samples.
const at = model.trace(gl.tensor([[3.5]]));
console.log(`x = 3.5: z_H = [${Array.from(at[0].z.data).join(', ')}], u_H = [${Array.from(at[0].u.data).join(', ')}], ` +
  `z_O = ${at[1].z.item()}, y_hat = ${at[1].u.item()}`);
assert.deepEqual(Array.from(at[0].z.data), [1.5, -0.5]);
assert.equal(at[1].z.item(), 0.5);
assert.equal(at[1].u.item(), 1);

// Over the whole line y_hat = 1 exactly on [2, 4) (steps of 1/64 are exact in float32).
const grid = Array.from({ length: 641 }, (_, k) => (k - 128) / 64);
const yHat = model.predict(gl.tensor(grid.map((v) => [v]))).data;
grid.forEach((v, i) => assert.equal(yHat[i], v >= 2 && v < 4 ? 1 : 0, `y_hat at x = ${v}`));
console.log('y_hat = 1 exactly on [2, 4) over x in [-2, 8]');
console.log('C2 ok');
