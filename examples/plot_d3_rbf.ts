// COURSE D3: the RBF classifier z(x) = sum_i alpha_i y_i exp(-gamma (x - x_i)^2) on x = [0, 1, 2, 3],
// y = [1, -1, 1, -1], y_hat = sign(z).
//   gamma = 3,   alpha = [0, 1, 1, 1]: z at the samples = [-0.0498, -0.9502, 0.9004, -0.9502], one error (x = 0).
//   gamma = 0.3, alpha = [1, 1, 1, 1]: z at the samples = [0.4932, 0.1804, -0.1804, -0.4932], two errors.
// Plots z and y_hat over x in [-2, 5] for both gammas into $GRADLAB_OUT (default: the system temp folder).
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import * as gl from '../src/index.js';

const xs = gl.tensor([0, 1, 2, 3], { dtype: 'float64' });
const ys = gl.tensor([1, -1, 1, -1], { dtype: 'float64' });

/** z at the points `at` (a vector): the kernel matrix K[j, i] = exp(-gamma (at_j - x_i)^2) times alpha * y. */
function rbfDecision(at: gl.Tensor, gamma: number, alpha: gl.Tensor): gl.Tensor {
  const diff = gl.sub(gl.reshape(at, [-1, 1]), gl.reshape(xs, [1, -1]));
  const k = gl.exp(gl.mul(-gamma, gl.square(diff)));
  return gl.reshape(gl.matmul(k, gl.reshape(gl.mul(alpha, ys), [-1, 1])), [-1]);
}

const cases = [
  { gamma: 3, alpha: [0, 1, 1, 1], z: [-0.0498, -0.9502, 0.9004, -0.9502], errors: [0] },
  { gamma: 0.3, alpha: [1, 1, 1, 1], z: [0.4932, 0.1804, -0.1804, -0.4932], errors: [1, 2] },
];

const out = process.env.GRADLAB_OUT ?? path.join(os.tmpdir(), 'gradlab-examples');
for (const c of cases) {
  const alpha = gl.tensor(c.alpha, { dtype: 'float64' });
  const z = Array.from(rbfDecision(xs, c.gamma, alpha).data);
  // The course's values to 4 decimals.
  z.forEach((v, i) => assert.equal(v.toFixed(4), c.z[i].toFixed(4), `gamma ${c.gamma}: z(${i}) = ${v}, expected ${c.z[i]}`));
  // The same sum written out by hand, term by term.
  z.forEach((v, i) => {
    let s = 0;
    for (let j = 0; j < 4; j++) s += c.alpha[j] * ys.data[j] * Math.exp(-c.gamma * (i - j) ** 2);
    assert.ok(Math.abs(v - s) < 1e-12, `gamma ${c.gamma}: z(${i}) = ${v} by ops, ${s} by hand`);
  });
  const yHat = Array.from(gl.sign(gl.tensor(z, { dtype: 'float64' })).data);
  const errors = yHat.flatMap((p, i) => (p !== ys.data[i] ? [i] : []));
  assert.deepEqual(errors, c.errors, `gamma ${c.gamma}: training errors at samples ${errors}`);

  const zAt = (x: number): number => rbfDecision(gl.tensor([x], { dtype: 'float64' }), c.gamma, alpha).item();
  const fig = gl.plot.fn(
    { 'z(x)': zAt, 'y_hat(x)': (x) => Math.sign(zAt(x)) },
    [-2, 5],
    { samples: 281, title: `D3: RBF classifier, gamma = ${c.gamma}, alpha = [${c.alpha.join(', ')}]`, xLabel: 'x', yLabel: 'z(x) and y_hat(x) = sign z(x)' },
  );
  // The plotted z agrees with the ops at the samples (x = 0..3 lie on the grid: step 7/280 = 0.025).
  const rows = (fig.toSpec() as unknown as { data: { values: { series: string; x: number; y: number }[] } }).data.values;
  for (let i = 0; i < 4; i++) {
    const r = rows.find((row) => row.series === 'z(x)' && Math.abs(row.x - i) < 1e-9);
    assert.ok(r !== undefined && Math.abs(r.y - z[i]) < 1e-12, `plotted z(${i})`);
  }
  const name = `d3_rbf_gamma${String(c.gamma).replace('.', '_')}`;
  await fig.save(path.join(out, `${name}.png`));
  await fig.save(path.join(out, `${name}.svg`));
  console.log(`gamma = ${c.gamma}, alpha = [${c.alpha}]: z = [${z.map((v) => v.toFixed(4)).join(', ')}], y_hat = [${yHat}], errors at x = [${errors}]; saved ${path.join(out, name)}.png and .svg`);
}
console.log('D3 ok');
