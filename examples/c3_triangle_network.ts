// COURSE C3: a 2-D input, three threshold hidden units with W_H = [[1,0],[0,1],[1,1]],
// b_H = [0,0,-1], and a threshold output with W_O = [1,1,-1], b_O = -1.5. The hidden units test
// x1 >= 0, x2 >= 0 and x1 + x2 >= 1 (the step is 1 at z = 0); the output needs
// u1 + u2 - u3 >= 1.5, i.e. the first two on and the third off. So y_hat = 1 exactly on the
// triangle x1 >= 0, x2 >= 0, x1 + x2 < 1: the two axes belong to it, the hypotenuse does not.
// This example checks that with a Sequential model on a grid, edges included, and prints the
// region; examples/plot_c3_triangle.ts draws it as an image.
import assert from 'node:assert/strict';
import * as gl from '../src/index.js';

const model = gl.sequential({
  layers: [
    gl.layers.dense({ inputShape: [2], units: 3, activation: 'step', name: 'hidden' }),
    gl.layers.dense({ units: 1, activation: 'step', name: 'output' }),
  ],
});
// Dense kernels are [inputs, units] = W^T.
model.setWeights([[[1, 0, 1], [0, 1, 1]], [0, 0, -1], [[1], [1], [-1]], [-1.5]]);

const inTriangle = (x1: number, x2: number): number => (x1 >= 0 && x2 >= 0 && x1 + x2 < 1 ? 1 : 0);

// A grid with step 1/16 over [-1, 2]^2: every coordinate and every sum x1 + x2 is exact in
// float32, so the points on the edges x1 = 0, x2 = 0 and x1 + x2 = 1 are really on them.
const step = 1 / 16;
const ticks = Array.from({ length: 49 }, (_, k) => -1 + k * step);
const points: [number, number][] = [];
for (const x2 of ticks) for (const x1 of ticks) points.push([x1, x2]);
// Points just beside each edge (2^-12 away: still exact) and the three corners.
const e = 2 ** -12;
const near: [number, number][] = [
  [0, 0], [1, 0], [0, 1], [0.5, 0.5], [0.25, 0.75], [0.75, 0.25],
  [0.5 - e, 0.5], [0.5, 0.5 - e], [0.5 + e, 0.5], [0.25 - e, 0.75 - e],
  [-e, 0.5], [e, 0.5], [0.5, -e], [0.5, e], [-e, -e], [e, e], [1 - e, 0], [0, 1 - e], [1 - 2 * e, e],
];
points.push(...near);

const [hidden, output] = model.trace(gl.tensor(points));
let inside = 0;
points.forEach(([x1, x2], i) => {
  const uH = Array.from(hidden.u.data.subarray(3 * i, 3 * i + 3));
  assert.deepEqual(uH, [x1 >= 0 ? 1 : 0, x2 >= 0 ? 1 : 0, x1 + x2 >= 1 ? 1 : 0], `u_H at (${x1}, ${x2})`);
  // z_O = u1 + u2 - u3 - 1.5 takes only the values -2.5, -1.5, -0.5 and 0.5.
  assert.equal(output.z.data[i], uH[0] + uH[1] - uH[2] - 1.5, `z_O at (${x1}, ${x2})`);
  assert.equal(output.u.data[i], inTriangle(x1, x2), `y_hat at (${x1}, ${x2})`);
  if (i < ticks.length ** 2) inside += output.u.data[i];
});

console.log('y_hat at the corners and beside the edges:');
for (const [x1, x2] of near) {
  const i = points.findIndex(([a, b]) => a === x1 && b === x2);
  console.log(`  (${x1}, ${x2}) -> ${output.u.data[i]}`);
}
// Exactly on the hypotenuse y_hat = 0 (strict < 1); on the axes, inside the segment, it is 1.
const at = (x1: number, x2: number) => model.predict(gl.tensor([[x1, x2]])).item();
assert.equal(at(0.5, 0.5), 0);
assert.equal(at(0, 0.5), 1);
assert.equal(at(0.5, 0), 1);
assert.equal(at(0, 0), 1);
assert.equal(at(1, 0), 0);

// Grid points (1/16 apart) with i, j >= 0 and i + j < 16: 16 + 15 + ... + 1 = 136.
assert.equal(inside, 136);
console.log(`${inside} of ${ticks.length ** 2} grid points in the triangle, as the inequality says`);

// The region on the grid, x2 growing upwards ('#' where y_hat = 1), every other tick.
console.log('y_hat over [-1, 2]^2, x2 upwards:');
for (let r = ticks.length - 1; r >= 0; r -= 2) {
  let row = '';
  for (let c = 0; c < ticks.length; c += 2) row += output.u.data[r * ticks.length + c] === 1 ? '#' : '.';
  console.log(`  ${ticks[r].toFixed(3).padStart(6)} ${row}`);
}
console.log('C3 ok');
