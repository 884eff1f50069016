// COURSE D2: x = [0, 1.3, 2.1, 2.8, 4.2, 5.7], y = [-1, -1, -1, 1, -1, 1], z = x - t. The summed
// hinge loss J(t) = sum_i max(0, 1 - y_i z_i) over 100 values of t in [0, 5] has minimum 3.4,
// reached for every t in [3.1, 4.7]; at t = 4 the slacks are [0, 0, 0, 2.2, 1.2, 0].
// Plots J(t) into $GRADLAB_OUT (default: the system temp folder).
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import * as gl from '../src/index.js';

const x = gl.tensor([0, 1.3, 2.1, 2.8, 4.2, 5.7], { dtype: 'float64' });
const y = gl.tensor([-1, -1, -1, 1, -1, 1], { dtype: 'float64' });

/** The slacks max(0, 1 - y (x - t)), with gradlab ops. */
const slacks = (t: number): gl.Tensor => gl.relu(gl.sub(1, gl.mul(y, gl.sub(x, t))));
const J = (t: number): number => gl.sum(slacks(t)).item();

const fig = gl.plot.fn({ 'J(t)': J }, [0, 5], { samples: 100, title: 'D2: summed hinge loss J(t), z = x - t', xLabel: 't', yLabel: 'J(t)' });

// Read the plotted values back from the spec: they are what the figure shows.
const rows = (fig.toSpec() as unknown as { data: { values: { x: number; y: number }[] } }).data.values;
assert.equal(rows.length, 100);
const min = Math.min(...rows.map((r) => r.y));
assert.ok(Math.abs(min - 3.4) < 1e-9, `min J = ${min}`);
const argmins = rows.filter((r) => Math.abs(r.y - 3.4) < 1e-9).map((r) => r.x);
assert.ok(argmins.every((t) => t >= 3.1 - 1e-9 && t <= 4.7 + 1e-9), `minimisers ${argmins}`);
// Every sampled t inside [3.1, 4.7] attains the minimum (step 5/99, so 32 of them).
assert.equal(argmins.length, rows.filter((r) => r.x >= 3.1 && r.x <= 4.7).length);
assert.ok(argmins.length >= 30);

const s4 = Array.from(slacks(4).data);
[0, 0, 0, 2.2, 1.2, 0].forEach((v, i) => assert.ok(Math.abs(s4[i] - v) < 1e-12, `slack ${i} at t = 4: ${s4[i]}`));
// Samples 3 and 4 violate the margin (slack > 0) and are misclassified (slack > 1).
assert.deepEqual(s4.map((s) => s > 1), [false, false, false, true, true, false]);

const out = process.env.GRADLAB_OUT ?? path.join(os.tmpdir(), 'gradlab-examples');
await fig.save(path.join(out, 'd2_hinge.png'));
await fig.save(path.join(out, 'd2_hinge.svg'));
console.log(`min J = ${min.toFixed(4)} at ${argmins.length} of 100 t values, t in [${argmins[0].toFixed(3)}, ${argmins[argmins.length - 1].toFixed(3)}]`);
console.log(`slacks at t = 4: [${s4.map((s) => s.toFixed(1)).join(', ')}]`);
console.log(`saved ${path.join(out, 'd2_hinge.png')} and .svg`);
console.log('D2 ok');
