// COURSE D2: x = [0, 1.3, 2.1, 2.8, 4.2, 5.7], y = [-1, -1, -1, 1, -1, 1], z = x - t. The summed
// hinge loss J(t) over 100 values of t in [0, 5] has minimum 3.4, reached for every t in
// [3.1, 4.7]. At t = 4 the slacks are [0, 0, 0, 2.2, 1.2, 0]: samples 3 and 4 violate the margin
// and both are misclassified (slack > 1). Computed with gradlab's svm.hingeLoss and svm.slack.
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import * as gl from '../src/index.js';

const x = gl.tensor([0, 1.3, 2.1, 2.8, 4.2, 5.7], { dtype: 'float64' });
const y = [-1, -1, -1, 1, -1, 1];
const J = (t: number): number => gl.svm.hingeLoss(y, gl.sub(x, t));

const ts = Array.from(gl.linspace(0, 5, 100, { dtype: 'float64' }).data);
const js = ts.map(J);
const min = Math.min(...js);
assert.ok(Math.abs(min - 3.4) < 1e-9, `min J = ${min}`);
const argmin = ts.filter((_, i) => Math.abs(js[i] - min) < 1e-9);
const inside = ts.filter((t) => t >= 3.1 && t <= 4.7);
// The minimisers are exactly the sampled t in [3.1, 4.7] (J is flat there and larger outside).
assert.deepEqual(argmin, inside);
assert.ok(argmin[0] - 3.1 < 5 / 99 && 4.7 - argmin[argmin.length - 1] < 5 / 99);
// The flat piece itself: J = (t - 1.8) + (5.2 - t) = 3.4 on [3.1, 4.7], checked at its ends.
assert.ok(Math.abs(J(3.1) - 3.4) < 1e-12 && Math.abs(J(4.7) - 3.4) < 1e-12);
assert.ok(J(3.0) > 3.4 + 1e-3 && J(4.8) > 3.4 + 1e-3);

const s4 = Array.from(gl.svm.slack(y, gl.sub(x, 4)).data);
[0, 0, 0, 2.2, 1.2, 0].forEach((v, i) => assert.ok(Math.abs(s4[i] - v) < 1e-12, `slack ${i} at t = 4: ${s4[i]}`));
const violators = s4.flatMap((s, i) => (s > 0 ? [i] : []));
const misclassified = s4.flatMap((s, i) => (s > 1 ? [i] : []));
assert.deepEqual(violators, [3, 4]);
assert.deepEqual(misclassified, [3, 4]);

const fig = gl.plot.fn({ 'J(t)': J }, [0, 5], { samples: 100, title: 'D2: summed hinge loss J(t), z = x - t', xLabel: 't', yLabel: 'J(t)' });
const out = process.env.GRADLAB_OUT ?? path.join(os.tmpdir(), 'gradlab-examples');
await fig.save(path.join(out, 'd2_hinge_loss.svg'));
console.log(`min J = ${min.toFixed(4)} for t in [${argmin[0].toFixed(3)}, ${argmin[argmin.length - 1].toFixed(3)}] (${argmin.length} of 100 samples)`);
console.log(`slacks at t = 4: [${s4.map((s) => s.toFixed(1)).join(', ')}]; margin violators ${violators.join(', ')}, misclassified ${misclassified.join(', ')}`);
console.log(`plot: ${path.join(out, 'd2_hinge_loss.svg')}`);
console.log('D2 ok');
