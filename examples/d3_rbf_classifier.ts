// COURSE D3: the RBF classifier z(x) = sum_i alpha_i y_i exp(-gamma (x - x_i)^2) on x = [0, 1, 2, 3],
// y = [1, -1, 1, -1]. gamma = 3, alpha = [0, 1, 1, 1]: z at the samples = [-0.0498, -0.9502,
// 0.9004, -0.9502], one training error (x = 0). gamma = 0.3, alpha = [1, 1, 1, 1]:
// z = [0.4932, 0.1804, -0.1804, -0.4932], two errors. Plots z and y_hat over x in [-2, 5].
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import * as gl from '../src/index.js';

const xs = [0, 1, 2, 3];
const y = [1, -1, 1, -1];

/** z at the points q, from gradlab's RBF Gram matrix: K(q, x) (alpha * y). */
function z(q: number[], gamma: number, alpha: number[]): number[] {
  const K = gl.svm.kernels.rbf.gram(q, xs, { gamma });
  const ay = gl.tensor(alpha.map((a, i) => a * y[i]), { dtype: 'float64' });
  return Array.from(gl.matmul(K, ay).data);
}

const cases = [
  { gamma: 3, alpha: [0, 1, 1, 1], z: [-0.0498, -0.9502, 0.9004, -0.9502], errors: 1 },
  { gamma: 0.3, alpha: [1, 1, 1, 1], z: [0.4932, 0.1804, -0.1804, -0.4932], errors: 2 },
];
const out = process.env.GRADLAB_OUT ?? path.join(os.tmpdir(), 'gradlab-examples');
for (const c of cases) {
  const zs = z(xs, c.gamma, c.alpha);
  c.z.forEach((v, i) => assert.ok(Math.abs(zs[i] - v) < 5e-5, `gamma ${c.gamma}: z(${xs[i]}) = ${zs[i]}, expected ${v}`));
  // The kernel as a function agrees with the Gram matrix.
  const z0 = c.alpha.reduce((s, a, i) => s + a * y[i] * gl.svm.kernels.rbf(xs[0], xs[i], { gamma: c.gamma }), 0);
  assert.ok(Math.abs(z0 - zs[0]) < 1e-12);
  const yhat = zs.map((v) => (v >= 0 ? 1 : -1));
  const errors = yhat.filter((v, i) => v !== y[i]).length;
  assert.equal(errors, c.errors, `gamma ${c.gamma}: ${errors} training errors`);
  if (c.gamma === 3) assert.deepEqual(yhat.map((v, i) => v !== y[i]), [true, false, false, false]);
  const fig = gl.plot.fn({
    'z(x)': (t: number) => z([t], c.gamma, c.alpha)[0],
    'y_hat(x)': (t: number) => (z([t], c.gamma, c.alpha)[0] >= 0 ? 1 : -1),
  }, [-2, 5], { samples: 200, title: `D3: RBF classifier, gamma = ${c.gamma}`, xLabel: 'x', yLabel: 'z, y_hat' });
  await fig.save(path.join(out, `d3_rbf_gamma${c.gamma}.svg`));
  console.log(`gamma = ${c.gamma}: z = [${zs.map((v) => v.toFixed(4)).join(', ')}], ${errors} training error(s)`);
}
console.log(`plots: ${path.join(out, 'd3_rbf_gamma*.svg')}`);
console.log('D3 ok');
