// Options of the svm module: unknown keys are errors naming the nearest known key, values are
// checked before any work, and a saved model.json is checked as strictly as the options it holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SVC, LinearSVC, OneClassSVM, SVR, load, save, kernels, onMargin } from '../../src/svm/index.js';
import { FormatError, ValueError } from '../../src/core/errors.js';
import { encodeSafetensors, readSafetensorsSync } from '../../src/io/safetensors.js';

const x = [[0, 0], [1, 1], [2, 2], [3, 3]];
const y = [0, 0, 1, 1];

function valueError(re: RegExp): (e: unknown) => boolean {
  return (e: unknown) => e instanceof ValueError && re.test(e.message);
}

test('SVC and LinearSVC: scikit-learn spellings name the gradlab option', () => {
  assert.throws(() => new SVC({ class_weight: 'balanced' } as never), valueError(/^SVC: unknown option 'class_weight' \(did you mean 'classWeight'\?\)$/));
  assert.throws(() => new SVC({ max_iter: 10 } as never), valueError(/unknown option 'max_iter' \(did you mean 'maxIter'\?\)/));
  assert.throws(() => new SVC({ cache_size: 100 } as never), valueError(/did you mean 'cacheSize'/));
  assert.throws(() => new SVC({ kernal: 'rbf' } as never), valueError(/unknown option 'kernal' \(did you mean 'kernel'\?\)/));
  assert.throws(() => new SVC({ probabilty: true } as never), valueError(/SVC: unknown option 'probabilty' \(did you mean 'probability'\?\)/));
  assert.throws(() => new SVC({ random_state: 1 } as never), valueError(/SVC: unknown option 'random_state' \(did you mean 'seed'\?\)/));
  assert.throws(() => new SVC({ decision_function_shape: 'ovo' } as never), valueError(/SVC: unknown option 'decision_function_shape' \(known: 'kernel', 'C', /));
  assert.throws(() => new LinearSVC({ random_state: 0 } as never), valueError(/^LinearSVC: unknown option 'random_state' \(did you mean 'seed'\?\)$/));
  assert.throws(() => new LinearSVC({ c: 1 } as never), valueError(/unknown option 'c' \(did you mean 'C'\?\)/));
  assert.throws(() => SVC.fromState({} as never, { gama: 1 } as never), valueError(/SVC: unknown option 'gama' \(did you mean 'gamma'\?\)/));
  for (const bad of [null, 3, 'rbf', [1]]) assert.throws(() => new SVC(bad as never), valueError(/SVC: options must be an object/));
});

test('SVC and LinearSVC: option values are checked at construction', () => {
  assert.throws(() => new SVC({ kernel: 'rbff' as never }), valueError(/kernel must be 'rbf', 'linear', 'poly', 'sigmoid' or a function, got 'rbff' \(did you mean 'rbf'\?\)/));
  assert.throws(() => new SVC({ degree: 2.5 }), valueError(/SVC: degree must be a non-negative integer/));
  assert.throws(() => new SVC({ coef0: NaN }), valueError(/SVC: coef0 must be a finite number/));
  assert.throws(() => new SVC({ shrinking: 'yes' as never }), valueError(/SVC: shrinking must be true or false/));
  assert.throws(() => new SVC({ onProgress: 'log' as never }), valueError(/SVC: onProgress must be a function/));
  assert.throws(() => new SVC({ classWeight: 'auto' as never }), valueError(/classWeight must be 'balanced' or a \{label: weight\} object/));
  assert.throws(() => new SVC({ classWeight: { 1: -2 } }), valueError(/SVC: classWeight\[1\] must be a positive finite number/));
  assert.throws(() => new LinearSVC({ loss: 'squared-hinge' as never }), valueError(/LinearSVC: loss must be 'hinge', 'squared_hinge'.*did you mean 'squared_hinge'/));
  assert.throws(() => new LinearSVC({ maxIter: 0 }), valueError(/LinearSVC: maxIter must be a positive integer/));
  assert.throws(() => new LinearSVC({ seed: NaN }), valueError(/LinearSVC: seed must be a finite number/));
});

test('decisionFunction, kernels and onMargin check their options', () => {
  const m = new SVC({ kernel: 'linear' }).fit(x, y);
  assert.throws(() => m.decisionFunction(x, { shap: 'ovo' } as never), valueError(/SVC\.decisionFunction: unknown option 'shap' \(did you mean 'shape'\?\)/));
  assert.throws(() => m.decisionFunction(x, { shape: 'ovx' as never }), valueError(/shape must be 'ovr', 'ovo'/));
  assert.throws(() => kernels.rbf([1], [2], { gamm: 1 } as never), valueError(/kernels\.rbf: unknown option 'gamm' \(did you mean 'gamma'\?\)/));
  assert.throws(() => kernels.poly.gram(x, undefined, { Degree: 2 } as never), valueError(/kernels\.poly\.gram: unknown option 'Degree' \(did you mean 'degree'\?\)/));
  assert.throws(() => kernels.rbf([1], [2], { gamma: -1 }), valueError(/kernels\.rbf: gamma must be a finite number >= 0/));
  assert.throws(() => kernels.poly([1], [2], { degree: 1.5 }), valueError(/degree must be a non-negative integer/));
  assert.equal(kernels.sigmoid([1], [2], { gamma: -1 }), Math.tanh(-2)); // only rbf needs gamma >= 0
  assert.throws(() => onMargin([1, -1], [1, -1], { tolerance: 1e-6 } as never), valueError(/^onMargin: unknown option 'tolerance' \(known: 'margin', 'tol'\)$/));
  assert.throws(() => onMargin([1, -1], [1, -1], { tol: -1 }), valueError(/onMargin: tol must be a finite number >= 0/));
  assert.throws(() => onMargin([1, -1], [1, -1], { margin: NaN }), valueError(/onMargin: margin must be a finite number/));
  assert.deepEqual(onMargin([1, -1], [1, -2], { margin: 1 }), [0]);
});

test('svm.load checks model.json as strictly as options: unknown and missing fields, bad values, counts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-svm-opts-'));
  try {
    const svcDir = join(dir, 'svc');
    await save(new SVC({ kernel: 'rbf', C: 2 }).fit(x, y), svcDir);
    const file = join(svcDir, 'model.json');
    const good = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const rewrite = (json: Record<string, unknown>) => writeFileSync(file, JSON.stringify(json));
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...good, class_weight: null }, /model\.json: unknown field 'class_weight'/],
      [{ ...good, gama: 1 }, /unknown field 'gama' \(did you mean 'gamma'\?\)/],
      [(({ classes: _c, ...rest }) => rest)(good), /model\.json has no field 'classes'/],
      [{ ...good, C: -1 }, /model\.json: SVC: C must be a positive finite number/],
      [{ ...good, kernel: 'rbff' }, /model\.json: SVC: kernel must be/],
      [{ ...good, gamma: 'scale' }, /field 'gamma' must be the number the fit used/],
      [{ ...good, nSupport: [1] }, /2 classes and 1 support-vector counts/],
      [{ ...good, supportIndices: [0] }, /support indices for \d+ support vectors/],
      [{ ...good, kind: 'SVQ' }, /unknown model kind "SVQ"/],
      [{ ...good, classes: [1, 0] }, /field 'classes' must be sorted and distinct, as fit writes it; 0 follows 1/],
      [{ ...good, classes: [0, 0] }, /field 'classes' must be sorted and distinct/],
      [{ ...good, classes: 'x' }, /field 'classes' must be an array of finite numbers/],
      [{ ...good, nSupport: [-1, 5] }, /field 'nSupport' must be an array of non-negative integers/],
      [{ ...good, nSupport: [0, 0] }, /field 'nSupport' counts no support vectors/],
      [{ ...good, degree: 'x' }, /field 'degree' must be a number, got "x"/],
      [{ ...good, kernel: 7 }, /field 'kernel' must be a kernel name, got 7/],
      [{ ...good, gamma: null }, /has no field 'gamma'/],
    ];
    for (const [json, re] of cases) {
      rewrite(json);
      await assert.rejects(load(svcDir), (e: unknown) => e instanceof FormatError && e.message.startsWith('svm.load: ') && re.test(e.message), String(re));
    }
    // a shifted nSupport agrees with every shape: the dual coefficients' signs tell
    const ns = good.nSupport as number[];
    rewrite({ ...good, nSupport: [ns[0] - 1, ns[1] + 1] });
    await assert.rejects(load(svcDir), /weights\.safetensors tensor 'sv_coef' \[0,\d+\] is .*, but support vector \d+ is of class 1 \(by 'nSupport'\), which needs <= 0 against class 0/);
    rewrite(good);
    assert.ok((await load(svcDir)) instanceof SVC);
    // the tensors: finite values, no stray tensor
    const wFile = join(svcDir, 'weights.safetensors');
    const tensors = readSafetensorsSync(wFile).tensors;
    const withNaN = tensors.support_vectors.clone();
    withNaN.data[1] = NaN;
    writeFileSync(wFile, encodeSafetensors({ ...tensors, support_vectors: withNaN }));
    await assert.rejects(load(svcDir), /tensor 'support_vectors' holds NaN at flat index 1; a fitted model has finite values only/);
    writeFileSync(wFile, encodeSafetensors({ ...tensors, extra: tensors.rho }));
    await assert.rejects(load(svcDir), /holds a tensor 'extra' that the model does not have/);
    const flipped = tensors.sv_coef.clone();
    flipped.data[0] = -flipped.data[0];
    writeFileSync(wFile, encodeSafetensors({ ...tensors, sv_coef: flipped }));
    await assert.rejects(load(svcDir), FormatError, 'a sign-flipped dual coefficient');

    const linDir = join(dir, 'lin');
    await new LinearSVC().fit(x, y).save(linDir);
    const linFile = join(linDir, 'model.json');
    const lin = JSON.parse(readFileSync(linFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(linFile, JSON.stringify({ ...lin, loss: 'log' }));
    await assert.rejects(load(linDir), (e: unknown) => e instanceof FormatError && /LinearSVC: loss must be 'hinge', 'squared_hinge'/.test(e.message));
    writeFileSync(linFile, JSON.stringify({ ...lin, classes: [0, 1, 2] }));
    await assert.rejects(load(linDir), /tensor 'coef' has 1 rows for 3 classes, expected 3/);
    // two classes with a three-row coef (as a 3-class model has): refused, not predicted as null
    writeFileSync(linFile, JSON.stringify(lin));
    const linW = join(linDir, 'weights.safetensors');
    const linT = readSafetensorsSync(linW).tensors;
    const coef3 = new LinearSVC().fit([[0, 0], [1, 1], [2, 0], [3, 3], [0, 3], [1, 0]], [0, 1, 2, 0, 1, 2]);
    writeFileSync(linW, encodeSafetensors({ coef: coef3.coef, intercept: coef3.intercept }));
    await assert.rejects(load(linDir), /tensor 'coef' has 3 rows for 2 classes, expected 1/);
    writeFileSync(linW, encodeSafetensors(linT));
    writeFileSync(linFile, JSON.stringify({ ...lin, classes: [1, 1] }));
    await assert.rejects(load(linDir), /field 'classes' must be sorted and distinct/);
    writeFileSync(linFile, JSON.stringify({ ...lin, maxIter: 10 }));
    await assert.rejects(load(linDir), /unknown field 'maxIter'/);

    await assert.rejects(save(new SVC({ kernel: (a, b) => a[0] * b[0] }).fit(x, y), join(dir, 'custom')), /custom kernel function cannot be saved/);
    await assert.rejects(save(new SVC(), join(dir, 'unfitted')), /SVC\.getState: the model is not fitted/);
    await assert.rejects(save({} as never, join(dir, 'other')), /svm\.save: model must be a fitted SVC, LinearSVC, SVR or OneClassSVM/);
    await assert.rejects(save(new SVC().fit(x, y), ''), /svm\.save: dir must be a non-empty path/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SVR and OneClassSVM: options checked as SVC\'s, scikit-learn spellings named', () => {
  assert.throws(() => new SVR({ epsilion: 0.1 } as never), valueError(/^SVR: unknown option 'epsilion' \(did you mean 'epsilon'\?\)$/));
  assert.throws(() => new SVR({ cache_size: 100 } as never), valueError(/SVR: unknown option 'cache_size' \(did you mean 'cacheSize'\?\)/));
  assert.throws(() => new SVR({ nu: 0.5 } as never), valueError(/SVR: unknown option 'nu'/));
  assert.throws(() => new OneClassSVM({ C: 1 } as never), valueError(/OneClassSVM: unknown option 'C'/));
  assert.throws(() => new OneClassSVM({ Nu: 0.5 } as never), valueError(/did you mean 'nu'/));
  for (const bad of [null, 3, 'rbf']) {
    assert.throws(() => new SVR(bad as never), valueError(/SVR: options must be an object/));
    assert.throws(() => new OneClassSVM(bad as never), valueError(/OneClassSVM: options must be an object/));
  }
  assert.throws(() => new SVR({ kernel: 'rbff' as never }), valueError(/SVR: kernel must be 'rbf', 'linear', 'poly', 'sigmoid' or a function, got 'rbff' \(did you mean 'rbf'\?\)/));
  assert.throws(() => new SVR({ C: 0 }), valueError(/SVR: C must be a positive finite number/));
  assert.throws(() => new SVR({ epsilon: -0.1 }), valueError(/SVR: epsilon must be a finite number >= 0/));
  assert.throws(() => new SVR({ gamma: 'sc' as never }), valueError(/SVR: gamma must be 'scale', 'auto' or a number > 0/));
  assert.throws(() => new SVR({ degree: 1.5 }), valueError(/SVR: degree must be a non-negative integer/));
  assert.throws(() => new SVR({ shrinking: 1 as never }), valueError(/SVR: shrinking must be true or false/));
  assert.throws(() => new SVR({ maxIter: 0 }), valueError(/SVR: maxIter must be -1 or a positive integer/));
  assert.throws(() => new OneClassSVM({ nu: 0 }), valueError(/OneClassSVM: nu must be a number in \(0, 1\], got 0/));
  assert.throws(() => new OneClassSVM({ nu: 1.5 }), valueError(/nu must be a number in \(0, 1\]/));
  assert.throws(() => new OneClassSVM({ tol: -1 }), valueError(/OneClassSVM: tol must be a positive finite number/));
  assert.throws(() => new OneClassSVM({ coef0: Infinity }), valueError(/OneClassSVM: coef0 must be a finite number/));
  assert.throws(() => new SVR().predict(x), valueError(/SVR\.predict: the model is not fitted; call fit first/));
  assert.throws(() => new SVR().fit(x, [1, 2]), /SVR\.fit: x has 4 samples but y has 2 targets/);
  assert.throws(() => new OneClassSVM().fit(x).decisionFunction([[1, 2, 3]]), /OneClassSVM\.decisionFunction: x has 3 features but the model was fitted on 2/);
});

test('svm.load checks an SVR or OneClassSVM model.json and its dual coefficients strictly', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-svr-opts-'));
  try {
    const xs = [[0, 0], [1, 0.5], [2, 2.5], [3, 2], [4, 4.5], [5, 4]];
    const svrDir = join(dir, 'svr');
    await save(new SVR({ C: 2, epsilon: 0.1, kernel: 'linear' }).fit(xs, [0, 1, 2.5, 2.9, 4.1, 5.2]), svrDir);
    const ocDir = join(dir, 'oc');
    await save(new OneClassSVM({ nu: 0.4 }).fit(xs), ocDir);
    for (const [d, cases] of [
      [svrDir, [
        [(j: Record<string, unknown>) => ({ ...j, nu: 0.5 }), /unknown field 'nu'/],
        [(j: Record<string, unknown>) => ({ ...j, epsilon: -1 }), /model\.json: SVR: epsilon must be a finite number >= 0/],
        [(j: Record<string, unknown>) => ({ ...j, C: 'x' }), /field 'C' must be a finite number, got "x"/],
        [(j: Record<string, unknown>) => (({ epsilon: _e, ...rest }) => rest)(j), /has no field 'epsilon'/],
        [(j: Record<string, unknown>) => ({ ...j, C: 1e-6 }), /tensor 'dual_coef' \[0,\d+\] is .*, outside the dual's bounds \[-C, C\]/],
        [(j: Record<string, unknown>) => ({ ...j, supportIndices: [...(j.supportIndices as number[])].reverse() }), /field 'supportIndices' must be increasing/],
      ]],
      [ocDir, [
        [(j: Record<string, unknown>) => ({ ...j, C: 1 }), /unknown field 'C'/],
        [(j: Record<string, unknown>) => ({ ...j, nu: 2 }), /model\.json: OneClassSVM: nu must be a number in \(0, 1\]/],
        [(j: Record<string, unknown>) => ({ ...j, kind: 'SVR' }), /unknown field 'nu'/],
        [(j: Record<string, unknown>) => ({ ...j, supportIndices: [0] }), /tensor 'dual_coef' has shape \[1,\d+\], expected \[1,1\]/],
      ]],
    ] as const) {
      const file = join(d, 'model.json');
      const good = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      for (const [change, re] of cases) {
        writeFileSync(file, JSON.stringify(change(good)));
        await assert.rejects(load(d), (e: unknown) => e instanceof FormatError && re.test(e.message), String(re));
      }
      writeFileSync(file, JSON.stringify(good));
      assert.ok(await load(d));
      const wFile = join(d, 'weights.safetensors');
      const t = readSafetensorsSync(wFile).tensors;
      const flipped = t.dual_coef.clone();
      flipped.data[0] = -flipped.data[0];
      writeFileSync(wFile, encodeSafetensors({ ...t, dual_coef: flipped }));
      await assert.rejects(load(d), /tensor 'dual_coef'.*(outside the dual's bounds \(0, 1\]|sums to .*, not 0)/);
      writeFileSync(wFile, encodeSafetensors({ ...t, prob_a: t.rho }));
      await assert.rejects(load(d), /holds a tensor 'prob_a' that the model does not have/);
    }
    // an SVC folder: 'probability' says which tensors there are
    const svcDir = join(dir, 'svc');
    await save(new SVC({ probability: true }).fit([...xs, [0, 1], [1, 1], [5, 5], [4, 3]], [0, 0, 0, 1, 1, 1, 0, 1, 1, 0]), svcDir);
    const file = join(svcDir, 'model.json');
    const good = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    assert.equal(good.probability, true);
    writeFileSync(file, JSON.stringify({ ...good, probability: false }));
    await assert.rejects(load(svcDir), /holds a tensor 'prob_a' that the model does not have/);
    writeFileSync(file, JSON.stringify({ ...good, probability: 'yes' }));
    await assert.rejects(load(svcDir), /field 'probability' must be true or false, got "yes"/);
    const wFile = join(svcDir, 'weights.safetensors');
    const t = readSafetensorsSync(wFile).tensors;
    writeFileSync(file, JSON.stringify(good));
    writeFileSync(wFile, encodeSafetensors({ support_vectors: t.support_vectors, sv_coef: t.sv_coef, rho: t.rho, prob_a: t.prob_a }));
    await assert.rejects(load(svcDir), /has no tensor 'prob_b'/);
    // a folder written before probabilities existed (no field) loads as a model without them
    const { probability: _p, ...old } = good;
    writeFileSync(file, JSON.stringify(old));
    writeFileSync(wFile, encodeSafetensors({ support_vectors: t.support_vectors, sv_coef: t.sv_coef, rho: t.rho }));
    const back = await load(svcDir);
    assert.ok(back instanceof SVC);
    assert.throws(() => back.probA, /fitted without probability estimates/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
