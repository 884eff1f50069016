// SVC probabilities (Platt scaling by libsvm's internal 5-fold cross-validation, pairwise coupling)
// against scikit-learn 1.2. Golden values from test/svm/fixtures/make_svm_golden.py.
// libsvm's folds come from its own random generator, so a fit's probA/probB cannot equal
// scikit-learn's; what is deterministic is checked exactly: sigmoid_train on given decision values
// (against a Python transcription of libsvm's), the folds' decision values, and the coupling of
// scikit-learn's own probA/probB. The random part is checked as averages over seeds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SVC, load, save } from '../../src/svm/index.js';
import type { SVCOptions } from '../../src/svm/index.js';
import { binaryProbability } from '../../src/svm/svc.js';
import { multiclassProbability, sigmoidTrain } from '../../src/svm/probability.js';
import { Random } from '../../src/tensor/random.js';

type Params = { kernel: 'rbf' | 'linear' | 'poly'; C: number; gamma?: number | 'scale'; degree?: number; coef0?: number };
interface Golden {
  data: Record<string, { x: number[][]; y: number[]; xt: number[][] }>;
  probability: { data: string; params: Params; probA: number[]; probB: number[]; proba: number[][]; probaSeeds: number[][][]; ovo: number[] | number[][] }[];
  folds: { data: string; params: Params; pair: [number, number]; index: number[]; dec: number[]; labels: number[]; A: number; B: number }[];
}
const golden = JSON.parse(readFileSync(new URL('../../../test/svm/fixtures/svm_plus_golden.json', import.meta.url), 'utf8')) as Golden;

test('sigmoidTrain equals libsvm\'s sigmoid_train (Python transcription) on the same decision values to 1e-9', () => {
  let worst = 0;
  for (const f of golden.folds) {
    const { A, B } = sigmoidTrain(f.dec, f.labels);
    worst = Math.max(worst, Math.abs(A - f.A), Math.abs(B - f.B));
    assert.ok(Math.abs(A - f.A) <= 1e-9 * (1 + Math.abs(f.A)) && Math.abs(B - f.B) <= 1e-9 * (1 + Math.abs(f.B)), `pair ${f.pair}: A ${A} vs ${f.A}, B ${B} vs ${f.B}`);
  }
  console.log(`sigmoidTrain: ${golden.folds.length} pairs, largest |dA|, |dB| ${worst.toExponential(2)}`);
  // separable decision values: the priors keep A finite
  const { A } = sigmoidTrain([3, 2, 1, -1, -2, -3], [1, 1, 1, -1, -1, -1]);
  assert.ok(Number.isFinite(A) && A < 0);
});

test('fixed folds: the cross-validated decision values and sigmoid A, B match scikit-learn\'s within 1e-6', () => {
  let worstDec = 0, worstAB = 0;
  for (const f of golden.folds) {
    const { x } = golden.data[f.data];
    const d = x[0].length;
    const px = new Float64Array(f.index.length * d);
    f.index.forEach((r, t) => px.set(x[r], t * d));
    const perm = Int32Array.from(f.index, (_, t) => t);
    const { A, B, dec } = binaryProbability(px, Float64Array.from(f.labels), d, f.params.C, f.params.C,
      { kernel: f.params.kernel, gamma: f.params.gamma, tol: 1e-10 }, new Random(0), perm);
    for (let i = 0; i < dec.length; i++) worstDec = Math.max(worstDec, Math.abs(dec[i] - f.dec[i]));
    worstAB = Math.max(worstAB, Math.abs(A - f.A), Math.abs(B - f.B));
    assert.ok(Math.abs(A - f.A) <= 1e-6 && Math.abs(B - f.B) <= 1e-6, `pair ${f.pair}: A ${A} vs ${f.A}, B ${B} vs ${f.B}`);
  }
  assert.ok(worstDec <= 1e-5, `decision values differ by ${worstDec}`);
  console.log(`fixed folds: largest decision-value difference ${worstDec.toExponential(2)}, largest |dA|, |dB| ${worstAB.toExponential(2)}`);
});

function opts(p: Params): SVCOptions {
  return { kernel: p.kernel, C: p.C, gamma: p.gamma, degree: p.degree, coef0: p.coef0, tol: 1e-8 };
}

test('the pairwise coupling of scikit-learn\'s own probA/probB gives its predict_proba (to 1e-5)', () => {
  let worst = 0;
  for (const c of golden.probability) {
    const { x, y, xt } = golden.data[c.data];
    const fit = new SVC(opts(c.params)).fit(x, y);
    const m = SVC.fromState({ ...fit.getState(), probA: Float64Array.from(c.probA), probB: Float64Array.from(c.probB) });
    const p = m.predictProba(xt).data;
    const e = c.proba.flat();
    for (let i = 0; i < e.length; i++) {
      worst = Math.max(worst, Math.abs(p[i] - e[i]));
      assert.ok(Math.abs(p[i] - e[i]) <= 1e-5, `${c.data} ${c.params.kernel} [${i}]: ${p[i]} vs ${e[i]}`);
    }
  }
  console.log(`coupling of scikit-learn's sigmoids: largest difference ${worst.toExponential(2)}`);
  // method 2 on consistent pairwise probabilities returns the class probabilities they came from
  const truth = [0.5, 0.3, 0.2], k = 3, r = new Float64Array(9), out = new Float64Array(3);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) if (i !== j) r[i * k + j] = truth[i] / (truth[i] + truth[j]);
  multiclassProbability(k, r, out);
  for (let i = 0; i < k; i++) assert.ok(Math.abs(out[i] - truth[i]) < 2e-3, `p[${i}] = ${out[i]}`);
});

test('probability: true matches scikit-learn\'s predict_proba on average over 5 seeds (max abs <= 0.06, mean abs <= 0.03)', () => {
  for (const c of golden.probability) {
    const { x, y, xt } = golden.data[c.data];
    const k = c.proba[0].length, n = xt.length;
    const ours = new Float64Array(n * k);
    for (let seed = 0; seed < 5; seed++) {
      const m = new SVC({ ...opts(c.params), probability: true, seed }).fit(x, y);
      const p = m.predictProba(xt).data;
      for (let i = 0; i < n * k; i++) ours[i] += p[i] / 5;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < k; j++) s += p[i * k + j];
        assert.ok(Math.abs(s - 1) < 1e-9, 'rows sum to 1');
      }
    }
    let max = 0, mean = 0, spread = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < k; j++) {
        const sk = c.probaSeeds.reduce((s, q) => s + q[i][j], 0) / c.probaSeeds.length;
        const e = Math.abs(ours[i * k + j] - sk);
        max = Math.max(max, e); mean += e / (n * k);
        for (const q of c.probaSeeds) spread = Math.max(spread, Math.abs(q[i][j] - sk));
      }
    }
    console.log(`${c.data} ${JSON.stringify(c.params)}: max abs ${max.toFixed(4)}, mean abs ${mean.toFixed(4)} (scikit-learn's own seeds stray up to ${spread.toFixed(4)} from their mean)`);
    assert.ok(max <= 0.06 && mean <= 0.03, `${c.data} ${c.params.kernel}: max ${max}, mean ${mean}`);
  }
});

test('predictLogProba, the same seed gives the same sigmoids, probA/probB survive save and load', async () => {
  const { x, y, xt } = golden.data.multi;
  const a = new SVC({ probability: true, seed: 3 }).fit(x, y);
  const b = new SVC({ probability: true, seed: 3 }).fit(x, y);
  assert.deepEqual(Array.from(a.probA.data), Array.from(b.probA.data));
  assert.equal(a.probA.shape[0], 6);
  const p = a.predictProba(xt).data, lp = a.predictLogProba(xt).data;
  for (let i = 0; i < p.length; i++) assert.ok(Math.abs(lp[i] - Math.log(p[i])) < 1e-15);
  // the most probable class mostly agrees with the vote
  const pred = a.predict(xt).data;
  let agree = 0;
  for (let i = 0; i < xt.length; i++) {
    let best = 0;
    for (let j = 1; j < 4; j++) if (p[i * 4 + j] > p[i * 4 + best]) best = j;
    if (a.classes[best] === pred[i]) agree++;
  }
  assert.ok(agree >= 0.8 * xt.length, `argmax agrees with predict on ${agree} of ${xt.length}`);
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-svc-proba-'));
  try {
    await save(a, dir);
    const back = await load(dir);
    assert.ok(back instanceof SVC);
    assert.deepEqual(Array.from(back.predictProba(xt).data), Array.from(p));
    assert.deepEqual(Array.from(back.probB.data), Array.from(a.probB.data));
    const plain = new SVC().fit(x, y);
    assert.throws(() => plain.predictProba(xt), /SVC\.predictProba: the model was fitted without probability estimates; construct it with \{ probability: true \}/);
    await save(plain, dir);
    const plainBack = await load(dir);
    assert.ok(plainBack instanceof SVC);
    assert.throws(() => plainBack.predictProba(xt), /fitted without probability estimates/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
  assert.throws(() => new SVC({ probability: 1 as never }), /SVC: probability must be true or false/);
  assert.throws(() => new SVC({ seed: NaN }), /SVC: seed must be a finite number/);
});
