// runConformance (src/backend/conformance.ts) on every backend here: the js reference itself, a
// backend made of js's required core and the defaults alone (this proves the defaults), and each
// wasm build (plain and relaxed SIMD, 1 and 2 threads, and a 4 MiB scratch cap that forces the
// chunked and blocked paths), and the native addon on each ISA path this CPU has, 1 and 2 threads. A backend written elsewhere is checked with one import:
//   import { runConformance } from 'gradlab/dist/src/backend/conformance.js'
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CORE_KERNELS, type Backend, type BackendParts } from '../../src/backend/backend.js';
import { formatFailures, runConformance } from '../../src/backend/conformance.js';
import { withDefaults } from '../../src/backend/defaults.js';
import { listBackends, registerBackend } from '../../src/backend/index.js';
import { jsBackend } from '../../src/backend/js/index.js';
import { createWasmBackend, type WasmBackend, type WasmBackendOptions } from '../../src/backend/wasm/index.js';
import { loadNativeBackend, nativeUnavailableReason } from '../../src/backend/native/index.js';

function assertConforms(be: Backend, seed = 1): void {
  const failures = runConformance(be, { seed });
  assert.equal(failures.length, 0, `${be.name}: ${failures.length} failures\n${formatFailures(failures)}`);
}

/** js's required core alone; every other kernel comes from withDefaults. */
function jsCore(): BackendParts {
  const parts: Record<string, unknown> = { name: 'js-core' };
  for (const k of CORE_KERNELS) parts[k] = jsBackend[k];
  return parts as BackendParts;
}

describe('conformance of the reference and of the defaults', () => {
  test('the js reference against itself', () => assertConforms(jsBackend));

  test('the required core + defaults, on two seeds', () => {
    const be = withDefaults(jsCore());
    // the defaults really are in use
    assert.notEqual(be.conv2dBackpropFilter, jsBackend.conv2dBackpropFilter);
    assert.notEqual(be.activationBackward, jsBackend.activationBackward);
    assertConforms(be, 1);
    assertConforms(be, 2);
  });

  test('a wrong kernel is reported by name, a wrong default too', () => {
    // a filter gradient off by 1e-4 relative, and a core matmul that ignores the last k term
    const off = withDefaults({
      ...jsCore(),
      conv2dBackpropFilter: (x, dy, dw, g) => { jsBackend.conv2dBackpropFilter(x, dy, dw, g); dw[0] *= 1 + 1e-4; },
    });
    const f1 = runConformance(off, { cases: 2 });
    assert.ok(f1.some((f) => f.kernel === 'conv2dBackpropFilter'), formatFailures(f1));
    assert.ok(f1.every((f) => f.kernel === 'conv2dBackpropFilter' || f.kernel === 'conv2dBackward'
      || f.kernel === 'groupedConv2dBackpropFilter'), formatFailures(f1));
    const writes = withDefaults({ ...jsCore(), unary: (op, x, out) => { jsBackend.unary(op, x, out); if (x.length > 0 && op === 'exp') x[0] = 5; } });
    const f2 = runConformance(writes, { cases: 1 });
    assert.ok(f2.some((f) => f.kernel === 'unary' && /wrote into input/.test(f.message)), formatFailures(f2));
  });

  test('a backend missing a kernel is refused: by the types, and at run time for JavaScript callers', () => {
    const { conv2d: _conv2d, ...noConv } = jsCore();
    // @ts-expect-error conv2d is a required kernel
    assert.throws(() => withDefaults(noConv), /withDefaults: backend 'js-core' lacks the kernel conv2d/);
    // @ts-expect-error a bare core is not a Backend: registerBackend wants every kernel
    assert.throws(() => registerBackend(jsCore()), /registerBackend: backend 'js-core' lacks the kernels conv2dBackward, /);
    assert.ok(!listBackends().includes('js-core'));
  });
});

const variants: [string, WasmBackendOptions][] = [
  ['relaxed, 1 thread', { simd: 'relaxed', threads: 1 }],
  ['simd, 1 thread', { simd: 'simd', threads: 1 }],
  ['relaxed, 2 threads', { simd: 'relaxed', threads: 2 }],
  ['simd, 2 threads', { simd: 'simd', threads: 2 }],
  ['relaxed, 2 threads, 4 MiB scratch', { simd: 'relaxed', threads: 2, scratchMiB: 4 }],
  ['simd, 1 thread, grouped convs always on the lane kernels', { simd: 'simd', threads: 1, groupedSlicesMinCgM: Infinity }],
  ['relaxed, 2 threads, grouped convs always per group', { simd: 'relaxed', threads: 2, groupedSlicesMinCgM: 1 }],
];

describe('conformance of the wasm backend', () => {
  const opened: WasmBackend[] = [];
  after(() => { for (const b of opened) b.close(); });
  for (const [label, opts] of variants) {
    test(label, () => {
      const be = createWasmBackend(opts);
      opened.push(be);
      assert.equal(be.info().simd, opts.simd);
      assertConforms(be);
    });
  }
});

describe('conformance of the native backend', () => {
  const be = loadNativeBackend();
  const skip = be ? false : `native backend not built: ${nativeUnavailableReason() ?? 'unknown'}`;
  const ORDER = ['c', 'avx2', 'avx512'] as const;
  const isas = be ? ORDER.slice(0, ORDER.indexOf(be.info().detectedIsa as (typeof ORDER)[number]) + 1) : ['c' as const];
  const initial = be ? { isa: be.info().isa as (typeof ORDER)[number], threads: be.info().threads } : undefined;
  after(() => {
    if (!be || !initial) return;
    be.setIsa(initial.isa);
    be.setThreads(initial.threads);
  });
  for (const isa of isas) {
    for (const threads of [1, 2]) {
      test(`${isa}, ${threads} thread${threads > 1 ? 's' : ''}`, { skip }, () => {
        if (!be) return;
        be.setIsa(isa);
        be.setThreads(threads);
        assert.equal(be.info().isa, isa);
        assertConforms(be, threads);
      });
    }
  }
});
