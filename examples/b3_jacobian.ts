// COURSE B3: the Jacobian of f(x) = (x1 + x2 x3, x1^2 + 3 x2) is [[1, x3, x2], [2 x1, 3, 0]].
import assert from 'node:assert/strict';
import * as gl from '../src/index.js';

const f = (x: gl.Tensor): gl.Tensor => {
  const [x1, x2, x3] = [0, 1, 2].map((i) => gl.slice(x, [i], [1]));
  return gl.concat([gl.add(x1, gl.mul(x2, x3)), gl.add(gl.square(x1), gl.mul(x2, 3))]);
};
for (const point of [[1, 2, 3], [-0.5, 4, 0.25], [0, 0, 0]]) {
  const J = gl.jacobian(f, gl.tensor(point, { dtype: 'float64' }));
  const [x1, x2, x3] = point;
  assert.deepEqual(J.toArray(), [[1, x3, x2], [2 * x1, 3, 0]]);
  console.log(`J at (${point}) =`, J.toString());
}
console.log('B3 ok');
