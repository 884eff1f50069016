// Seeded mutations of saved SVM folders (model.json and weights.safetensors): each must be a
// FormatError, or load a model whose predictions are identical, or differ only where the format
// cannot tell (a changed float, gamma or C); never an untyped error, never NaN decision values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError, ShapeError, ValueError } from '../../src/core/errors.js';
import { randn } from '../../src/tensor/creation.js';
import { LinearSVC, OneClassSVM, SVC, SVR, load } from '../../src/svm/index.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const VALUES: unknown[] = [null, 'x', -1, 0, 0.5, 1e300, [], {}, [1], 'scale', true, '__proto__', [0, 0], [-1, 33, 16], [2, 1, 0]];

const HYPER = ['C', 'gamma', 'degree', 'coef0', 'tol', 'epsilon', 'nu'];
const increasing = (a: number[]) => a.every((v, i) => i === 0 || v > a[i - 1]);

/** A mutated model.json, and whether the change is one the format cannot detect (a hyper-parameter, a relabelling). */
function mutateJson(text: string, r: () => number): [string, boolean] {
  const json = JSON.parse(text) as Record<string, unknown>;
  const keys = Object.keys(json);
  const key = keys[Math.floor(r() * keys.length)];
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  switch (Math.floor(r() * 6)) {
    case 0: delete json[key]; return [JSON.stringify(json), false];
    case 1: json[key] = pick(VALUES); return [JSON.stringify(json), HYPER.includes(key)];
    case 2: {
      const field = pick(keys.filter((k) => Array.isArray(json[k])));
      const a = [...(json[field] as number[])];
      const i = Math.floor(r() * a.length);
      const how = Math.floor(r() * 5);
      if (how === 0) a[i] += 1;
      else if (how === 1) a[i] -= 1;
      else if (how === 2) a.splice(i, 1);
      else if (how === 3) a.push(a[i]);
      else a[i] = 1.5;
      json[field] = a;
      // supportIndices only name training samples: changing them changes no prediction
      return [JSON.stringify(json), field === 'classes' && increasing(a)];
    }
    case 3: return [text.replace('{', `{"${pick(['__proto__', 'constructor', 'prototype', 'extra'])}": ${JSON.stringify(pick(VALUES))},`), false];
    case 4: {
      const at = Math.floor(r() * text.length);
      // a flipped character may land in a number anywhere: not judged
      return [r() < 0.5 ? text.slice(0, at) : text.slice(0, at) + String.fromCharCode(text.charCodeAt(at) ^ (1 << Math.floor(r() * 6))) + text.slice(at + 1), true];
    }
    default: {
      const k = pick(keys.filter((n) => typeof json[n] === 'number'));
      json[k] = (json[k] as number) * pick([1.5, -1, 0, 1e308, 1 + 1e-9]);
      return [JSON.stringify(json), true];
    }
  }
}

/** Mutated weights, and whether the change is one the format cannot detect (a bit inside the float data). */
function mutateWeights(bytes: Uint8Array, r: () => number): [Uint8Array, boolean] {
  const out = bytes.slice();
  const headerLength = Number(new DataView(out.buffer).getBigUint64(0, true));
  switch (Math.floor(r() * 5)) {
    case 0: return [out.subarray(0, Math.floor(r() * out.length)), false];
    case 1: out[Math.floor(r() * 8)] ^= 1 << Math.floor(r() * 8); return [out, false]; // the header length
    case 2: out[8 + Math.floor(r() * headerLength)] ^= 1 << Math.floor(r() * 7); return [out, false]; // header JSON
    case 3: out[8 + headerLength + Math.floor(r() * (out.length - 8 - headerLength))] ^= 1 << Math.floor(r() * 8); return [out, true]; // data
    default: return [new Uint8Array([...out, ...new Uint8Array(1 + Math.floor(r() * 16))]), false];
  }
}

test('fuzz: mutated SVM model folders give a FormatError or a model that predicts as the format allows', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-svm-fuzz-'));
  try {
    const x = randn([48, 3], { seed: 3, dtype: 'float64' });
    const y3 = Array.from({ length: 48 }, (_, i) => (i * 5) % 3);
    const y2 = y3.map((v) => (v === 2 ? 7 : 1));
    const models = [
      ['svc3', new SVC({ kernel: 'rbf', C: 2 }).fit(x, y3)],
      ['svc2', new SVC({ kernel: 'poly', degree: 2, C: 1 }).fit(x, y2)],
      ['lin2', new LinearSVC().fit(x, y2)],
      ['lin3', new LinearSVC().fit(x, y3)],
      ['svc3p', new SVC({ kernel: 'rbf', probability: true }).fit(x, y3)],
      ['svr', new SVR({ kernel: 'rbf', C: 2, epsilon: 0.2 }).fit(x, Array.from(x.data).filter((_, i) => i % 3 === 0))],
      ['ocsvm', new OneClassSVM({ nu: 0.3 }).fit(x)],
    ] as const;
    // What a mutation may not change undetected: predictions, decision values and, with probabilities, those.
    const outputs = (m: SVC | LinearSVC | SVR | OneClassSVM): number[] => [
      ...Array.from(m.predict(x).data), ...Array.from(m.decisionFunction(x).data),
      ...(m instanceof SVC && m.getState().probA ? Array.from(m.predictProba(x).data) : []),
    ];
    const counts = { mutations: 0, typedErrors: 0, acceptedIdentical: 0, acceptedDifferent: 0, untyped: 0 };
    const r = lcg(17);
    for (const [name, model] of models) {
      const src = join(dir, name);
      await model.save(src);
      const ref = outputs(model);
      const jsonText = readFileSync(join(src, 'model.json'), 'utf8');
      const weights = new Uint8Array(readFileSync(join(src, 'weights.safetensors'))); // a copy: Buffer.slice would share memory
      for (let k = 0; k < 100; k++) {
        const m = join(dir, `${name}-m`);
        mkdirSync(m, { recursive: true });
        let undetectable: boolean;
        if (k % 2 === 0) {
          const [text, ok] = mutateJson(jsonText, r);
          writeFileSync(join(m, 'model.json'), text);
          copyFileSync(join(src, 'weights.safetensors'), join(m, 'weights.safetensors'));
          undetectable = ok;
        } else {
          const [bytes, ok] = mutateWeights(weights, r);
          writeFileSync(join(m, 'model.json'), jsonText);
          writeFileSync(join(m, 'weights.safetensors'), bytes);
          undetectable = ok;
        }
        counts.mutations++;
        let got: Awaited<ReturnType<typeof load>>;
        try {
          got = await load(m);
        } catch (e) {
          if (e instanceof FormatError || e instanceof ValueError || e instanceof ShapeError) { counts.typedErrors++; continue; }
          counts.untyped++;
          assert.fail(`${name} mutation ${k}: untyped ${e instanceof Error ? e.stack : String(e)}`);
        }
        const pred = Array.from(got.predict(x).data);
        const out = outputs(got);
        assert.ok(out.every(Number.isFinite), `${name} mutation ${k}: outputs must be finite`);
        const classes = got instanceof SVC || got instanceof LinearSVC ? got.classes : got instanceof OneClassSVM ? [-1, 1] : null;
        if (classes) assert.ok(pred.every((p) => classes.includes(p)), `${name} mutation ${k}: predictions are classes`);
        if (out.length === ref.length && out.every((v, i) => v === ref[i])) counts.acceptedIdentical++;
        else {
          counts.acceptedDifferent++;
          assert.ok(undetectable, `${name} mutation ${k} (${k % 2 ? 'weights' : 'model.json'}): a detectable change was accepted and changed the predictions`);
        }
      }
    }
    console.log(`svm fuzz: ${JSON.stringify(counts)}`);
    assert.equal(counts.untyped, 0);
    assert.ok(counts.typedErrors > 350 && counts.acceptedIdentical > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
