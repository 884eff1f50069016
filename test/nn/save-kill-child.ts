// Run by save-kill.test.ts: saves two models into one folder in turn, as fast as it can, until killed.
import * as gl from '../../src/index.js';

const [dir, a, b] = process.argv.slice(2);
// The test runner also loads every file under test/ on its own: without arguments there is nothing to do.
if (dir !== undefined) {
  const models = [await gl.loadModel(a), await gl.loadModel(b)];
  process.stdout.write('ready\n');
  for (let i = 0; ; i++) await models[i % 2].save(dir);
}
