// erf and erfc against values known to 35 digits (mpmath.erf / mpmath.erfc at mp.dps = 35; the
// first ones agree with Abramowitz & Stegun table 7.1), and against a denser table in
// fixtures/activation_golden.json written by fixtures/gen_activation_golden.py.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { erf, erfc, normalCdf } from '../../src/ops/special.js';

const KNOWN: [fn: 'erf' | 'erfc', x: number, value: number][] = [
  ['erf', 1, 0.84270079294971486934122063508260926],
  ['erf', 0.5, 0.52049987781304653768274665389196453],
  ['erf', 0.1, 0.11246291601828489840471225101430406],
  ['erf', 2, 0.99532226501895273416206925636725293],
  ['erf', 1e-10, 1.1283791670955126150017301015519376e-10],
  ['erf', -3.5, -0.9999992569016276585872544763162439],
  ['erfc', 0.3, 0.67137324054087258381038201468179697],
  ['erfc', -1, 1.8427007929497148693412206350826093],
  ['erfc', 5, 1.5374597944280348501883434853833789e-12],
  ['erfc', 10, 2.0884875837625447570007862949577886e-45],
  ['erfc', 26, 5.6631924088561428464757278969260926e-296],
];

function relErr(a: number, e: number): number {
  return e === 0 ? Math.abs(a) : Math.abs(a - e) / Math.abs(e);
}

test('erf and erfc match known values to ~1e-15 relative error', () => {
  for (const [fn, x, value] of KNOWN) {
    const got = fn === 'erf' ? erf(x) : erfc(x);
    assert.ok(relErr(got, value) < 2e-15, `${fn}(${x}) = ${got}, expected ${value} (relative error ${relErr(got, value)})`);
  }
  assert.equal(erf(0), 0);
  assert.ok(Object.is(erf(-0), -0));
  assert.equal(erf(Infinity), 1);
  assert.equal(erf(-Infinity), -1);
  assert.equal(erfc(Infinity), 0);
  assert.equal(erfc(-Infinity), 2);
  assert.ok(Number.isNaN(erf(NaN)) && Number.isNaN(erfc(NaN)));
  assert.equal(normalCdf(0), 0.5);
  // Phi(-x) = 1 - Phi(x), and Phi(-10) keeps its relative accuracy (7.62e-24, not 0)
  assert.ok(Math.abs(normalCdf(-10) - 7.619853024160526e-24) / 7.619853024160526e-24 < 1e-14);
});

test('erf and erfc over a dense table (mpmath, 40 digits): within 1e-15 relative error', () => {
  const golden = JSON.parse(readFileSync(new URL('../../../test/ops/fixtures/activation_golden.json', import.meta.url), 'utf8')) as
    { erf: { x: number[]; erf: number[]; erfc: number[] } };
  const { x, erf: e, erfc: c } = golden.erf;
  assert.ok(x.length >= 500);
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    worst = Math.max(worst, relErr(erf(x[i]), e[i]));
    // erfc below the smallest normal number (x > 26.5) loses relative precision to underflow
    worst = Math.max(worst, Math.abs(c[i]) < 2.3e-308 ? Math.abs(erfc(x[i]) - c[i]) : relErr(erfc(x[i]), c[i]));
  }
  assert.ok(worst < 1.5e-15, `worst relative error ${worst}`);
});
