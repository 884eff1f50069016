// Same seed and thread count, same bits (ARCHITECTURE.md): the wasm backend on 2 threads must
// give bit-identical results however its pool threads happen to share the jobs of a call. The
// filter gradients reduce over images, so they are where a dynamic job-to-thread assignment
// would change the order of the float additions; these tests repeat them (and a short training
// run, whose every step depends on them, and two runs of the gradlab command) and compare the bits.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Conv2dGeometry, FloatArray } from '../../src/backend/backend.js';
import { getBackend, registerBackend, setBackend } from '../../src/backend/index.js';
import { createWasmBackend, wasmBackend, type WasmBackend } from '../../src/backend/wasm/index.js';
import { Random } from '../../src/tensor/random.js';
import * as gl from '../../src/index.js';

const REPEATS = 25;

function randArray(rng: Random, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = 2 * rng.random() - 1;
  return a;
}

/** The first element whose bits differ, or -1. */
function firstBitDifference(a: FloatArray, b: FloatArray): number {
  assert.equal(a.length, b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return i;
  return -1;
}

function assertSameBits(got: FloatArray, want: FloatArray, what: string): void {
  const i = firstBitDifference(got, want);
  if (i >= 0) assert.fail(`${what}: element ${i} is ${got[i]}, the first call gave ${want[i]}`);
}

/** 'same' padding, stride 1, 3x3 kernel. */
function same3x3(batch: number, hw: number, inC: number, outC: number): Conv2dGeometry {
  return { batch, inH: hw, inW: hw, inC, outH: hw, outW: hw, outC, kH: 3, kW: 3, strideH: 1, strideW: 1,
    dilationH: 1, dilationW: 1, padTop: 1, padLeft: 1 };
}

/** Calls fn REPEATS times and asserts every output has the first call's bits. */
function assertRepeatable(fn: () => FloatArray[], what: string): void {
  const first = fn();
  for (let r = 1; r < REPEATS; r++) {
    const again = fn();
    again.forEach((a, i) => assertSameBits(a, first[i], `${what}, repeat ${r}, output ${i}`));
  }
}

describe('wasm backend on 2 threads: bit-identical kernel results across repeated calls', () => {
  const be = createWasmBackend({ threads: 2 });
  // a tiny cap: several chunks of images per call, each with its own jobs
  const small = createWasmBackend({ threads: 2, scratchMiB: 4 });
  after(() => { be.close(); small.close(); });

  test('the backend under test runs 2 threads', () => {
    assert.equal(be.info().threads, 2);
    assert.equal(small.info().threads, 2);
  });

  const convCases: [string, Conv2dGeometry][] = [
    ['32x28x28x1 -> 8 (one-channel direct kernel)', same3x3(32, 28, 1, 8)],
    ['32x28x28x8 -> 8 (im2col + GEMM)', same3x3(32, 28, 8, 8)],
    ['48x12x12x32 -> 64', same3x3(48, 12, 32, 64)],
  ];
  for (const [label, g] of convCases) {
    const rng = new Random(11);
    const x = randArray(rng, g.batch * g.inH * g.inW * g.inC);
    const w = randArray(rng, g.kH * g.kW * g.inC * g.outC);
    const dy = randArray(rng, g.batch * g.outH * g.outW * g.outC);
    const y = randArray(rng, dy.length).map(Math.abs);
    for (const [name, b] of [['', be], [', 4 MiB scratch', small]] as [string, WasmBackend][]) {
      test(`conv2dBackward dw, dx and dbias ${label}${name}`, () => {
        assertRepeatable(() => {
          const dx = new Float32Array(x.length);
          const dw = new Float32Array(w.length);
          const dbias = new Float32Array(g.outC);
          b.conv2dBackward(x, w, dy, g, { dx, dw, dbias }, { y, activation: 'relu' });
          return [dw, dx, dbias];
        }, `conv2dBackward ${label}${name}`);
      });
    }
  }

  const groupedCases: [string, Conv2dGeometry, number][] = [
    ['depthwise 32x16x16x32 (lane kernels)', same3x3(32, 16, 32, 32), 32],
    ['4 groups 32x16x16x16 -> 32 (lane kernels)', same3x3(32, 16, 16, 32), 4],
    ['4 groups 16x12x12x64 -> 128 (one GEMM conv per group)', same3x3(16, 12, 64, 128), 4],
  ];
  for (const [label, g, groups] of groupedCases) {
    test(`groupedConv2dBackpropFilter ${label}`, () => {
      const rng = new Random(12);
      const x = randArray(rng, g.batch * g.inH * g.inW * g.inC);
      const dy = randArray(rng, g.batch * g.outH * g.outW * g.outC);
      const wLen = g.kH * g.kW * (g.inC / groups) * g.outC;
      assertRepeatable(() => {
        const dw = new Float32Array(wLen);
        be.groupedConv2dBackpropFilter(x, dy, dw, g, groups);
        return [dw];
      }, `groupedConv2dBackpropFilter ${label}`);
    });
  }
});

describe('wasm backend on 2 threads: training twice with the same seeds', () => {
  test('gives bit-identical losses and final weights (conv + batch norm + dense)', async () => {
    const be = createWasmBackend({ threads: 2 });
    const before = getBackend();
    const loaded = wasmBackend();
    registerBackend(be);
    setBackend('wasm');
    try {
      const rng = new Random(5);
      const n = 256;
      const x = gl.tensor(Array.from({ length: n * 16 * 16 }, () => rng.random()), { dtype: 'float32' }).reshape([n, 16, 16, 1]);
      const y = gl.tensor(Array.from({ length: n }, () => Math.floor(10 * rng.random())), { dtype: 'float32' });
      const once = async (): Promise<{ loss: number[]; weights: Float32Array[] }> => {
        gl.manualSeed(3);
        const m = gl.sequential({ layers: [
          gl.layers.conv2d({ inputShape: [16, 16, 1], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }),
          gl.layers.batchNormalization(),
          gl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }),
          gl.layers.maxPooling2d(),
          gl.layers.flatten(),
          gl.layers.dense({ units: 10, activation: 'softmax' }),
        ] });
        m.compile({ optimizer: gl.optimizers.adam({ learningRate: 0.01 }), loss: 'sparse_categorical_crossentropy' });
        const h = await m.fit(x, y, { epochs: 2, batchSize: 32, seed: 1, verbose: 0 });
        return { loss: h.history.loss, weights: m.weights.map((w) => Float32Array.from(w.tensor.data)) };
      };
      const a = await once();
      const b = await once();
      assert.ok(a.loss.every(Number.isFinite), `losses ${a.loss.join(', ')}`);
      assert.deepEqual(b.loss, a.loss, 'the losses of two identical runs');
      assert.equal(b.weights.length, a.weights.length);
      a.weights.forEach((w, i) => assertSameBits(b.weights[i], w, `final weight ${i}`));
    } finally {
      if (loaded) registerBackend(loaded);
      setBackend(before);
      be.close();
    }
  });
});

describe('gradlab train twice, 2 threads, the same seed', () => {
  test('writes bit-identical weights and reports the same test loss', () => {
    const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
    const dir = mkdtempSync(join(tmpdir(), 'gl-determinism-'));
    try {
      const run = (i: number): { loss: string; weights: Buffer } => {
        const out = join(dir, `run${i}`);
        const env: NodeJS.ProcessEnv = { ...process.env, GRADLAB_THREADS: '2' };
        delete env.GRADLAB_BACKEND;
        const r = spawnSync(process.execPath, [main, 'train', '--train-size', '600', '--test-size', '200', '--epochs', '1',
          '--quiet', '--out', out], { env, encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        const loss = /loss ([0-9.]+)/.exec(r.stdout)?.[1];
        assert.ok(loss, r.stdout);
        const file = readdirSync(join(out, 'model')).find((f) => f.endsWith('.safetensors'));
        assert.ok(file);
        return { loss, weights: readFileSync(join(out, 'model', file)) };
      };
      const a = run(1);
      const b = run(2);
      assert.equal(b.loss, a.loss);
      assert.ok(a.weights.equals(b.weights), 'the two runs wrote different weights');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
