// `gradlab svm`: fit a kernel SVC on MNIST, Fashion-MNIST or a CSV file and report accuracy.
import { Option, type Command } from 'commander';
import { mkdir } from 'node:fs/promises';
import { svmGridSearch, type SvmGridResult } from './svm-grid.js';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeFileAtomic } from '../core/atomic.js';
import { writeClassifierReport } from '../plot/report.js';
import { Tensor } from '../tensor/tensor.js';
import { SVC, type SVCProgress } from '../svm/index.js';
import { finiteNumber, integer, loadCliData, positiveInt, positiveNumber, timestamp } from './common.js';
import { plural } from './common.js';
import { svmProgressBar, svmReportMetrics } from './svm-model.js';

/** [n, ...] -> [n, features]: SVMs take flat feature vectors. */
function flat(x: Tensor): Tensor {
  const n = x.shape[0];
  return new Tensor(x.data, [n, x.size / n]);
}

/** Adds `gradlab svm` to the program. */
export function registerSvmCommand(program: Command): void {
  program.command('svm')
    .description('fit a kernel support vector classifier (libsvm\'s SMO, one-vs-one) and write metrics.json and the model')
    .addOption(new Option('--data <data>', "'mnist', 'fashion-mnist', or a CSV file").default('mnist'))
    .option('--label <column>', 'label column of a CSV file (default: the last)')
    .addOption(new Option('--kernel <kernel>', 'kernel').choices(['rbf', 'linear', 'poly', 'sigmoid']).default('rbf'))
    .option('--C <C>', 'penalty on margin violations', '1')
    .option('--gamma <gamma>', "'scale', 'auto' or a positive number", 'scale')
    .option('--degree <n>', 'poly kernel degree', '3')
    .option('--coef0 <c>', 'poly/sigmoid constant', '0')
    .option('--tol <tol>', 'stopping tolerance', '0.001')
    .option('--grid <grid>', 'grid search before the fit, e.g. "C=1,2.8,10 gamma=0.001,0.0073,0.03" (C, gamma, degree, coef0); the best values are refitted on the training set')
    .option('--cv <k>', 'folds of the --grid cross-validation (stratified, on the training set)', '3')
    .option('--train-size <n>', 'training samples, the first n (default 5000 for mnist/fashion-mnist, all of a CSV; fit time grows about as n^2)')
    .option('--test-size <n>', 'test samples, the first n (default 1000 for mnist/fashion-mnist; a CSV holds out 20%)')
    .option('--seed <n>', 'seed of the train/test split of a CSV file', '42')
    .option('--out <dir>', 'output folder (default runs/svm-<timestamp>)')
    .option('--quiet', 'no progress on stderr')
    .option('--verbose', 'one line per one-vs-one subproblem instead of the progress bar')
    .action(async (o: Record<string, string | boolean | undefined>) => {
      let C = positiveNumber('--C', String(o.C));
      const g = String(o.gamma);
      let gamma: number | 'scale' | 'auto' = g === 'scale' || g === 'auto' ? g : positiveNumber('--gamma', g);
      let degree = positiveInt('--degree', String(o.degree));
      let coef0 = finiteNumber('--coef0', String(o.coef0));
      const cv = positiveInt('--cv', String(o.cv));
      const tol = positiveNumber('--tol', String(o.tol));
      const images = o.data === 'mnist' || o.data === 'fashion-mnist';
      const trainSize = o.trainSize !== undefined ? positiveInt('--train-size', String(o.trainSize)) : images ? 5000 : undefined;
      const testSize = o.testSize !== undefined ? positiveInt('--test-size', String(o.testSize)) : images ? 1000 : undefined;
      const seed = integer('--seed', String(o.seed));
      const kernel = String(o.kernel) as 'rbf' | 'linear' | 'poly' | 'sigmoid';
      const out = resolve(String(o.out ?? join('runs', `svm-${timestamp()}`)));
      const err = (s: string) => { if (!o.quiet) process.stderr.write(s); };

      let t = performance.now();
      const data = loadCliData(String(o.data), { trainSize, testSize, seed, label: o.label as string | undefined });
      const xTrain = flat(data.xTrain), xTest = flat(data.xTest);
      console.log(`Data: ${data.name}, ${xTrain.shape[0].toLocaleString('en-US')} training and ${plural(xTest.shape[0], 'test sample')}, ${plural(xTrain.shape[1], 'feature')} (${((performance.now() - t) / 1000).toFixed(2)} s)`);

      let grid: SvmGridResult | null = null;
      if (o.grid !== undefined) {
        t = performance.now();
        grid = await svmGridSearch(xTrain, data.yTrain, { kernel, C, gamma, degree, coef0, tol }, String(o.grid), cv, err);
        console.log(`Grid search, ${cv}-fold cross-validation on the training set (${((performance.now() - t) / 1000).toFixed(2)} s):\n${grid.table}`);
        const b = grid.best;
        C = typeof b.C === 'number' ? b.C : C;
        gamma = typeof b.gamma === 'number' || b.gamma === 'scale' || b.gamma === 'auto' ? b.gamma : gamma;
        degree = typeof b.degree === 'number' ? b.degree : degree;
        coef0 = typeof b.coef0 === 'number' ? b.coef0 : coef0;
        console.log(`Best: ${Object.entries(b).map(([k, v]) => `${k}=${v}`).join(', ')} (mean cross-validation accuracy ${(100 * grid.bestScore).toFixed(2)}%); refitting on the whole training set`);
      }

      const tty = process.stderr.isTTY === true;
      const progress = o.verbose ? (p: SVCProgress) => {
        const line = `fitting: subproblem ${p.problem + 1}/${p.problems} (${p.pair[0]} vs ${p.pair[1]}): ${plural(p.iterations, 'iteration')}, objective ${p.objective.toFixed(4)}`;
        if (tty) err(`\r\x1b[K${line}${p.done && p.problem + 1 === p.problems ? '\n' : ''}`);
        else if (p.done) err(`${line}\n`);
      } : svmProgressBar(tty, err);
      const model = new SVC({ kernel, C, gamma, degree, coef0, tol, onProgress: progress });
      t = performance.now();
      model.fit(xTrain, data.yTrain);
      const fitSeconds = (performance.now() - t) / 1000;
      t = performance.now();
      const trainAccuracy = model.score(xTrain, data.yTrain);
      const yPred = model.predict(xTest);
      let hits = 0;
      for (let i = 0; i < yPred.size; i++) if (yPred.data[i] === data.yTest.data[i]) hits++;
      const testAccuracy = hits / yPred.size;
      const predictSeconds = (performance.now() - t) / 1000;
      const iterations = model.fitInfo.reduce((s, f) => s + f.iterations, 0);
      const nSV = model.nSupport;
      const total = nSV.reduce((a, b) => a + b, 0);
      console.log(`SVC(kernel=${kernel}, C=${C}, gamma=${model.gamma.toPrecision(4)}): fit ${fitSeconds.toFixed(2)} s, ${plural(iterations, 'SMO iteration')} over ${plural(model.fitInfo.length, 'one-vs-one subproblem')}`);
      console.log(`Support vectors: ${total.toLocaleString('en-US')} of ${xTrain.shape[0].toLocaleString('en-US')} (per class: ${model.classes.map((c, i) => `${c}: ${nSV[i]}`).join(', ')})`);
      console.log(`Accuracy: train ${(100 * trainAccuracy).toFixed(2)}%, test ${(100 * testAccuracy).toFixed(2)}%`);
      const hit = model.fitInfo.filter((f) => f.hitMaxIter).length;
      if (hit > 0) console.log(`Warning: ${plural(hit, 'subproblem')} stopped at the iteration limit before reaching tol`);

      await mkdir(out, { recursive: true });
      await model.save(join(out, 'model'));
      const metrics = {
        data: data.name, kernel, C, gamma: model.gamma, degree, coef0, tol,
        train_samples: xTrain.shape[0], test_samples: xTest.shape[0], features: xTrain.shape[1],
        train_accuracy: trainAccuracy, test_accuracy: testAccuracy,
        fit_seconds: fitSeconds, predict_seconds: predictSeconds, iterations,
        support_vectors: total, n_support: Object.fromEntries(model.classes.map((c, i) => [String(c), nSV[i]])),
        subproblems: model.fitInfo,
        ...(grid ? { grid_search: grid.json } : {}),
      };
      await writeFileAtomic(join(out, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
      const report = await writeClassifierReport(out, {
        title: `gradlab svm: SVC(${kernel}) on ${data.name}`,
        subtitle: `C = ${C}, gamma = ${model.gamma.toPrecision(4)}, ${xTrain.shape[0]} training samples, seed ${seed}`,
        metrics: svmReportMetrics(metrics),
        yTrue: data.yTest, yPred, classNames: data.classNames,
        ...(data.images ? { images: data.xTest } : {}),
        seed,
        ...(grid ? { figures: grid.figures } : {}),
        tables: [...(grid?.tables ?? []), { title: 'Support vectors per class', columns: ['class', 'support vectors'], rows: model.classes.map((c, i) => [data.classNames[c] ?? String(c), nSV[i]]) }],
      });
      console.log(`Wrote ${join(out, 'metrics.json')}, ${join(out, 'model')}/ and ${report.html}`);
    });
}
