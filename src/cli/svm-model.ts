// SVM folders (written by gl.svm.save) in `gradlab summary|evaluate|predict`. gl.loadModel opens
// neural models only; the CLI tells the two apart by model.json's format (isSvmFolder).
import { Tensor } from '../tensor/tensor.js';
import { performance } from 'node:perf_hooks';
import { LinearSVC, SVC, load, type SVCProgress } from '../svm/index.js';
import type { MetricValue } from '../plot/report.js';
import { UsageError, plural } from './common.js';

/** [n, ...] -> [n, features]: SVMs take flat feature vectors. */
export function flatSamples(x: Tensor): Tensor {
  const n = x.shape[0];
  return new Tensor(x.data, [n, n === 0 ? 0 : x.size / n]);
}

/** The classifier in an SVM folder; SVR and OneClassSVM folders are for the API (no classes to count or report). */
export async function loadSvm(dir: string): Promise<SVC | LinearSVC> {
  const model = await load(dir);
  if (model instanceof SVC || model instanceof LinearSVC) return model;
  throw new UsageError(`'${dir}' holds a regression or one-class SVM (${model.constructor.name}); the command line reads SVM classifiers (SVC, LinearSVC) only; use gl.svm.load('${dir}') from code`);
}

/** What `gradlab summary` prints for an SVM: the kernel, its parameters and the support vectors. */
export function svmSummary(model: SVC | LinearSVC): string {
  if (model instanceof SVC) {
    const nSV = model.nSupport;
    const sv = model.supportVectors;
    const total = nSV.reduce((a, b) => a + b, 0);
    return [
      `SVC(kernel=${model.options.kernel ?? 'rbf'}, C=${model.options.C ?? 1}, gamma=${model.gamma.toPrecision(4)})`,
      `${plural(model.classes.length, 'class', 'classes')} (${model.classes.join(', ')}), ${plural(sv.shape[1], 'feature')}`,
      `${plural(total, 'support vector')} (per class: ${model.classes.map((c, i) => `${c}: ${nSV[i]}`).join(', ')})`,
      `${plural(model.classes.length * (model.classes.length - 1) / 2, 'one-vs-one subproblem')}`,
    ].join('\n');
  }
  const coef = model.coef;
  return [
    `LinearSVC(C=${model.options.C ?? 1})`,
    `${plural(model.classes.length, 'class', 'classes')} (${model.classes.join(', ')}), ${plural(coef.shape[1], 'feature')}`,
    `coefficients: [${coef.shape}] and ${plural(model.intercept.size, 'intercept')}`,
  ].join('\n');
}

/**
 * One progress bar over the one-vs-one subproblems of an SVC fit, redrawn on stderr when it is a
 * terminal; elsewhere (a log file) one line when the fit is done, not one line per subproblem.
 */
export function svmProgressBar(tty: boolean, write: (s: string) => void): (p: SVCProgress) => void {
  const width = 30;
  let iterations = 0;
  let t0 = 0;
  return (p) => {
    if (!p.done) return;
    if (p.problem === 0) { iterations = 0; t0 = performance.now(); }
    iterations += p.iterations;
    const done = p.problem + 1;
    const last = done === p.problems;
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    if (tty) {
      const filled = Math.round((width * done) / p.problems);
      const bar = '='.repeat(Math.max(0, filled - 1)) + (last ? '=' : filled > 0 ? '>' : '') + '.'.repeat(width - filled);
      write(`\r\x1b[KFitting ${done}/${p.problems} [${bar}] ${seconds} s, ${plural(iterations, 'SMO iteration')}${last ? '\n' : ''}`);
    } else if (last) {
      write(`Fitted ${plural(p.problems, 'one-vs-one subproblem')} in ${seconds} s (${plural(iterations, 'SMO iteration')})\n`);
    }
  };
}

/** The fields of gradlab svm's metrics.json as the report's metrics table: named, in units, in reading order. */
export function svmReportMetrics(m: {
  data: string; kernel: string; C: number; gamma: number; degree: number; coef0: number; tol: number;
  train_samples: number; test_samples: number; features: number; train_accuracy: number; test_accuracy: number;
  fit_seconds: number; predict_seconds: number; iterations: number; support_vectors: number;
}): Record<string, MetricValue> {
  const pct = (a: number) => `${(100 * a).toFixed(2)}%`;
  const n = (v: number) => v.toLocaleString('en-US');
  return {
    'test accuracy': pct(m.test_accuracy),
    'training accuracy': pct(m.train_accuracy),
    data: m.data,
    'training samples': n(m.train_samples),
    'test samples': n(m.test_samples),
    features: n(m.features),
    kernel: m.kernel,
    C: m.C,
    gamma: Number(m.gamma.toPrecision(4)),
    ...(m.kernel === 'poly' ? { degree: m.degree } : {}),
    ...(m.kernel === 'poly' || m.kernel === 'sigmoid' ? { coef0: m.coef0 } : {}),
    tolerance: m.tol,
    'support vectors': `${n(m.support_vectors)} of ${n(m.train_samples)} (${pct(m.support_vectors / m.train_samples)})`,
    'SMO iterations': n(m.iterations),
    'fit time': `${m.fit_seconds.toFixed(2)} s`,
    'prediction time (training and test sets)': `${m.predict_seconds.toFixed(2)} s`,
  };
}
