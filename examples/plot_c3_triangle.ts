// COURSE C3: a 2-2... network with hand-set weights and threshold units outputs y_hat = 1 exactly on
// the triangle x1 >= 0, x2 >= 0, x1 + x2 < 1. Hidden units test x1 >= 0, x2 >= 0 and x1 + x2 >= 1;
// the output fires only when the first two do and the third does not (1 + 1 - 0 - 1.5 >= 0).
// Draws the decision region into $GRADLAB_OUT (default: the system temp folder).
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import * as gl from '../src/index.js';

const WH = gl.tensor([[1, 0], [0, 1], [1, 1]]);
const bH = gl.tensor([0, 0, -1]);
const WO = gl.tensor([[1, 1, -1]]);
const bO = gl.tensor([-1.5]);

/** y_hat for a batch X [n, 2]: step(step(X W_H^T + b_H) W_O^T + b_O), shape [n, 1]. */
function network(X: gl.Tensor): gl.Tensor {
  const uH = gl.step(gl.add(gl.matmul(X, gl.transpose(WH)), bH));
  return gl.step(gl.add(gl.matmul(uH, gl.transpose(WO)), bO));
}

const inTriangle = (x1: number, x2: number): number => (x1 >= 0 && x2 >= 0 && x1 + x2 < 1 ? 1 : 0);

// y_hat at hand-picked points, corners and edges included.
const probes: [number, number, number][] = [
  [0.2, 0.2, 1], [0, 0, 1], [0.5, 0.49, 1], [0, 0.99, 1],
  [0.5, 0.5, 0], [1, 0, 0], [-0.1, 0.5, 0], [0.3, -0.01, 0], [1, 1, 0], [-1, -1, 0],
];
const yHat = network(gl.tensor(probes.map(([a, b]) => [a, b])));
probes.forEach(([a, b, expected], i) => {
  assert.equal(yHat.data[i], expected, `y_hat(${a}, ${b})`);
  assert.equal(inTriangle(a, b), expected);
});

// Sample points labelled by the rule, drawn over the network's regions.
const pts = gl.rand([40, 2], { low: -0.6, high: 1.4, seed: 3 });
const labels = Array.from({ length: 40 }, (_, i) => inTriangle(pts.data[2 * i], pts.data[2 * i + 1]));
const fig = gl.plot.decisionRegions(network, pts, labels, {
  title: 'C3: y_hat = 1 on the triangle x1 >= 0, x2 >= 0, x1 + x2 < 1',
  resolution: 200,
  bounds: [[-0.6, 1.4], [-0.6, 1.4]],
});

// Every grid cell the network labels 1 is inside the triangle and vice versa (cells whose centre
// is within float32 rounding of an edge are skipped).
const grid = (fig.toSpec() as unknown as { usermeta: { grid: gl.plot.RegionGrid } }).usermeta.grid;
let ones = 0;
grid.y.forEach((x2, j) => grid.x.forEach((x1, i) => {
  if (Math.abs(x1) < 1e-6 || Math.abs(x2) < 1e-6 || Math.abs(x1 + x2 - 1) < 1e-6) return;
  const label = grid.labels[j * grid.x.length + i];
  assert.equal(label, inTriangle(x1, x2), `cell (${x1}, ${x2})`);
  ones += label;
}));
// Area check: the triangle covers 0.5 of the 2 x 2 window, i.e. 1/8 of the 200 x 200 cells.
assert.ok(Math.abs(ones / (200 * 200) - 0.125) < 0.01, `triangle share ${ones / 40000}`);

const out = process.env.GRADLAB_OUT ?? path.join(os.tmpdir(), 'gradlab-examples');
await fig.save(path.join(out, 'c3_triangle.png'));
await fig.save(path.join(out, 'c3_triangle.svg'));
console.log(`y_hat at ${probes.length} probe points as expected; ${ones} of 40000 grid cells in the triangle`);
console.log(`saved ${path.join(out, 'c3_triangle.png')} and .svg`);
console.log('C3 ok');
