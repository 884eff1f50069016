// COURSE E1 with the course's search for C and gamma: GridSearchCV over C = 1, 2.8, 10 and
// gamma = 0.001, 0.0073, 0.03 with 3-fold stratified cross-validation on the training set of the
// digits-vs-non-digits data (e1_data.ts), then the best SVC's accuracy on the test set.
// GRADLAB_E1_TRAIN=n uses the first n training samples (default all 5000; a few minutes).
// The test suite skips it (e1_*); run it with `node dist/examples/e1_grid_search.js`.
import * as gl from '../src/index.js';
import { INSTALL_HINT, digitsVsNonDigits, fashionAvailable } from './e1_data.js';

if (!fashionAvailable()) {
  console.log(`E1 grid search skipped: ${INSTALL_HINT}`);
  process.exit(0);
}
const { xTrain, yTrain, xTest, yTest } = digitsVsNonDigits(0);
const n = Number(process.env.GRADLAB_E1_TRAIN ?? 5000);
const x = gl.tensor(xTrain.data.subarray(0, n * 784), { shape: [n, 784] });
const y = yTrain.slice(0, n);
const t0 = performance.now();
const gs = new gl.modelSelection.GridSearchCV({
  estimator: new gl.svm.SVC({ kernel: 'rbf' }),
  paramGrid: { C: [1, 2.8, 10], gamma: [0.001, 0.0073, 0.03] },
  cv: 3,
  onProgress: (p) => { if (p.fold + 1 === p.folds) process.stderr.write(`${p.candidate + 1}/${p.candidates} `); },
});
await gs.fit(x, y);
const seconds = (performance.now() - t0) / 1000;
console.log(`\nE1 grid search on ${n} training samples, 3-fold CV (${seconds.toFixed(1)} s):\n${gs.resultsTable()}`);
const best = gs.bestEstimator as gl.svm.SVC;
const pred = best.predict(xTest).data;
let ok = 0;
for (let i = 0; i < yTest.length; i++) if (pred[i] === yTest[i]) ok++;
console.log(`best ${JSON.stringify(gs.bestParams)}: CV accuracy ${(100 * gs.bestScore).toFixed(2)}%, test accuracy ${(100 * ok / yTest.length).toFixed(2)}% on ${yTest.length} test images`);
