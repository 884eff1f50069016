// COURSE E1: digits vs non-digits with an RBF SVC. 5000 random MNIST digits rescaled to [-1, 1]
// plus 1000 Fashion-MNIST images labelled 10; shuffled; 5000 train, 1000 test;
// SVC(rbf, C = 2.8, gamma = 0.0073). Prints the accuracy and plots four random digits with their
// labels, up to four digits classified as non-digit, and four digits mistaken for another digit.
// Takes about 5 s; the test suite skips it (e1_*), run it with `node dist/examples/e1_digits_vs_nondigits.js`.
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import * as gl from '../src/index.js';
import { INSTALL_HINT, digitsVsNonDigits, fashionAvailable } from './e1_data.js';

if (!fashionAvailable()) {
  console.log(`E1 skipped: ${INSTALL_HINT}`);
  process.exit(0);
}
const { xTrain, yTrain, xTest, yTest } = digitsVsNonDigits(0);
const model = new gl.svm.SVC({ kernel: 'rbf', C: 2.8, gamma: 0.0073 });
const t0 = performance.now();
model.fit(xTrain, yTrain);
const fitS = (performance.now() - t0) / 1000;
const pred = model.predict(xTest).data;
let correct = 0;
for (let i = 0; i < yTest.length; i++) if (pred[i] === yTest[i]) correct++;
const accuracy = correct / yTest.length;
console.log(`E1: accuracy ${(100 * accuracy).toFixed(1)}% on ${yTest.length} test images; fit ${fitS.toFixed(2)} s; ` +
  `${model.supportIndices.length} support vectors (per class ${model.nSupport.join(' ')})`);
// scikit-learn's SVC reaches 95-96% on such splits; much less means the solver is wrong.
assert.ok(accuracy > 0.94, `accuracy ${accuracy}`);

const rng = new gl.Random(1);
const pick = (idx: number[], k: number): number[] => { const p = rng.permutation(idx.length); return Array.from(p.subarray(0, Math.min(k, idx.length)), (i) => idx[i]); };
const all = Array.from(yTest.keys());
const digitIdx = all.filter((i) => yTest[i] !== 10);
const asNonDigit = digitIdx.filter((i) => pred[i] === 10);
const wrongDigit = digitIdx.filter((i) => pred[i] !== 10 && pred[i] !== yTest[i]);
const name = (v: number) => (v === 10 ? 'non-digit' : String(v));
const out = process.env.GRADLAB_OUT ?? path.join(os.tmpdir(), 'gradlab-examples');
const show = async (idx: number[], title: string, file: string): Promise<void> => {
  if (idx.length === 0) { console.log(`${title}: there are none`); return; }
  const imgs = gl.tensor(Array.from(idx, (i) => Array.from(xTest.data.subarray(i * 784, (i + 1) * 784))).flat(), { shape: [idx.length, 28, 28] });
  const titles = idx.map((i) => `true=${name(yTest[i])} est=${name(pred[i])}`);
  await gl.plot.images(imgs, { titles, title, range: [-1, 1] }).save(path.join(out, file));
  console.log(`${title}: ${titles.join('; ')} -> ${path.join(out, file)}`);
};
await show(pick(digitIdx, 4), 'Four random digits', 'e1_digits.svg');
await show(pick(asNonDigit, 4), 'Digits classified as non-digit', 'e1_as_nondigit.svg');
await show(pick(wrongDigit, 4), 'Digits mistaken for another digit', 'e1_wrong_digit.svg');
console.log(`${asNonDigit.length} digits classified as non-digit, ${wrongDigit.length} mistaken for another digit`);
console.log('E1 ok');
