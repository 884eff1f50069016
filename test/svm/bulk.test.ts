// The kernel matrix computed in bulk by the backend's matrix product (wasm) must give the same
// model as the row-by-row gathers of the js path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SVC } from '../../src/svm/index.js';
import { Random } from '../../src/tensor/random.js';
import { getBackend, setBackend } from '../../src/backend/index.js';
import { loadWasmBackend } from '../../src/backend/wasm/index.js';

function problem(n: number, seed: number): { x: number[][]; y: number[] } {
  const rng = new Random(seed);
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    const row = Array.from({ length: 12 }, (_, k) => (k % 3 === c ? 1 : 0) + 0.8 * rng.normal());
    x.push(row);
    y.push(c);
  }
  return { x, y };
}

test('SVC on the wasm backend (bulk kernel matrix) matches the js backend (lazy gathers)', () => {
  const before = getBackend();
  const wasm = loadWasmBackend();
  setBackend(before);
  // CI builds the wasm kernels: a missing build is a failure here, not a silent skip.
  assert.ok(wasm !== undefined, 'the wasm backend is not built (dist/wasm/*.wasm missing: run npm run build:wasm); this test needs it');
  const { x, y } = problem(600, 3);
  const q = problem(50, 4).x;
  for (const kernel of ['rbf', 'poly'] as const) {
    setBackend('js');
    const lazy = new SVC({ kernel, C: 2, gamma: 0.05, coef0: 1, degree: 2, tol: 1e-6 }).fit(x, y);
    assert.equal(lazy.cacheStats.bulk, false);
    setBackend('wasm');
    let bulk: SVC;
    try {
      bulk = new SVC({ kernel, C: 2, gamma: 0.05, coef0: 1, degree: 2, tol: 1e-6 }).fit(x, y);
    } finally {
      setBackend(before);
    }
    assert.equal(bulk.cacheStats.bulk, true);
    const a = lazy.decisionFunction(q, { shape: 'ovo' }).data;
    const b = bulk.decisionFunction(q, { shape: 'ovo' }).data;
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-3 * (1 + Math.abs(a[i])), `${kernel} ${i}: ${a[i]} vs ${b[i]}`);
    assert.deepEqual(Array.from(bulk.predict(q).data), Array.from(lazy.predict(q).data));
  }
  wasm.close();
});
