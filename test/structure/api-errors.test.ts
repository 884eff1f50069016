// Every public factory and function, called with bad arguments, throws a GradlabError (a typed
// error naming the function) or works: never a raw TypeError/RangeError from deep inside.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as gl from '../../src/index.js';

const bad = (): unknown[] => [undefined, null, {}, [], 'x', '', NaN, -1, 0.5, 1e10, Infinity, '__proto__', 'constructor', [NaN], [-1], [1e10], ['x'], [[1e10]], () => 1, true, Symbol('s'), 10n, { __proto__: null }];
// Fresh values per call: a function that mutates its argument must not spoil the next call.
const BAD_COUNT = bad().length;
const show = (v: unknown): string => { try { return showJson(v); } catch { return Object.prototype.toString.call(v); } };
const showJson = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' || typeof x === 'symbol' ? String(x) : typeof x === 'function' ? 'fn' : x instanceof gl.Tensor ? `Tensor${JSON.stringify(x.shape)}` : x)) ?? String(v);

// Data sets, CSV/IDX files, SVMs and pictures have their own sweeps (test/data, test/svm, test/plot).
const SKIP = new Set(['concatDatasets', 'loadCsv', 'loadIdx', 'parseCsv', 'parseIdx', 'readIdx', 'shuffle', 'trainTestSplit', 'minMaxScaler', 'standardScaler',
  // called with a function argument by design: a bad one is the caller's exception, passed through
  'noGrad', 'gradcheck', 'jacobian']);

interface Untyped { call: string; error: string }

async function probe(name: string, f: (...a: unknown[]) => unknown, args: unknown[], untyped: Untyped[]): Promise<void> {
  try {
    const r = f(...args);
    if (r instanceof Promise) await r;
  } catch (e) {
    if (!(e instanceof gl.GradlabError)) untyped.push({ call: `${name}(${args.map(show).join(', ')})`, error: `${(e as Error)?.constructor?.name}: ${(e as Error)?.message}` });
  }
}

function argLists(arity: number, good: unknown): unknown[][] {
  const lists: unknown[][] = [];
  for (let i = 0; i < BAD_COUNT; i++) {
    const b = () => bad()[i];
    lists.push([b()]);
    if (arity >= 2) lists.push([good, b()], [b(), good]);
    if (arity >= 3) lists.push([good, good, b()]);
  }
  return lists;
}

// A valid set of options for each layer factory, so that each option can be spoilt in turn.
const LAYER_BASE: Record<string, Record<string, unknown>> = {
  dense: { units: 2 }, conv2d: { filters: 2, kernelSize: 2 }, conv1d: { filters: 2, kernelSize: 2 },
  depthwiseConv2d: { kernelSize: 2 }, separableConv2d: { filters: 2, kernelSize: 2 }, conv2dTranspose: { filters: 2, kernelSize: 2 },
  reshape: { targetShape: [4] }, dropout: { rate: 0.5 }, activation: { activation: 'relu' }, rescaling: { scale: 2 },
  resizing: { height: 2, width: 2 },
};
const LAYER_KEYS = ['name', 'inputShape', 'trainable', 'dtype', 'units', 'filters', 'kernelSize', 'strides', 'padding', 'activation', 'useBias',
  'kernelInitializer', 'biasInitializer', 'dilationRate', 'groups', 'poolSize', 'rate', 'seed', 'targetShape', 'axis', 'momentum', 'epsilon',
  'center', 'scale', 'offset', 'height', 'width', 'interpolation', 'size', 'cropping', 'alpha', 'maxValue', 'negativeSlope', 'threshold',
  'depthMultiplier', 'depthwiseInitializer', 'pointwiseInitializer', 'keepdims', 'cropToAspectRatio', 'ectivation'];

test('every public function and factory throws only typed errors on bad arguments', { timeout: 60_000 }, async () => {
  const untyped: Untyped[] = [];
  let calls = 0;
  const t = gl.ones([2, 3]);
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-api-'));
  const file = join(dir, 'a-file');
  writeFileSync(file, 'not a folder');
  process.chdir(dir); // a function that takes a bad name as a path writes here, not into the checkout

  for (const [name, v] of Object.entries(gl)) {
    if (typeof v !== 'function' || /^[A-Z]/.test(name) || SKIP.has(name)) continue;
    for (const args of argLists(Math.max(v.length, 2), t)) {
      calls++;
      await probe(name, v as (...a: unknown[]) => unknown, args, untyped);
    }
  }
  const namespaces = { layers: gl.layers, optimizers: gl.optimizers, callbacks: gl.callbacks, losses: gl.losses, initializers: gl.initializers, io: gl.io, metrics: gl.metrics, modelSelection: gl.modelSelection, applications: gl.applications } as Record<string, Record<string, unknown>>;
  for (const [ns, table] of Object.entries(namespaces)) {
    for (const [name, v] of Object.entries(table)) {
      if (typeof v !== 'function' || /^[A-Z]/.test(name)) continue;
      for (const args of argLists(Math.max(v.length, 1), t)) {
        calls++;
        await probe(`${ns}.${name}`, v as (...a: unknown[]) => unknown, args, untyped);
      }
    }
  }
  // Each option of each layer spoilt in turn.
  for (const [name, make] of Object.entries(gl.layers)) {
    const base = LAYER_BASE[name] ?? {};
    for (const key of LAYER_KEYS) {
      for (let i = 0; i < BAD_COUNT; i++) {
        calls++;
        await probe(`layers.${name}`, make as (...a: unknown[]) => unknown, [{ ...base, [key]: bad()[i] }], untyped);
      }
    }
  }
  // Models, fit and save.
  const m = gl.sequential([gl.layers.dense({ inputShape: [3], units: 2 })]);
  m.compile({ optimizer: 'sgd', loss: 'mse' });
  const y = gl.ones([2, 2]);
  const modelCalls: [string, (b: unknown) => unknown][] = [
    ['sequential', (b) => gl.sequential(b as never)],
    ['sequential({ layers })', (b) => gl.sequential({ layers: b as never })],
    ['sequential([b])', (b) => gl.sequential([b as never])],
    ['model', (b) => gl.model(b as never)],
    ['model({ inputs })', (b) => gl.model({ inputs: b as never, outputs: b as never })],
    ['input', (b) => gl.input(b as never)],
    ['input({ shape })', (b) => gl.input({ shape: b as never })],
    ['compile', (b) => m.compile(b as never)],
    ['compile({ optimizer })', (b) => m.compile({ optimizer: b as never, loss: 'mse' })],
    ['compile({ loss })', (b) => m.compile({ optimizer: 'sgd', loss: b as never })],
    ['fit(b)', (b) => m.fit(b as never, y, { verbose: 0 })],
    ['fit(x, b)', (b) => m.fit(t, b as never, { verbose: 0 })],
    ['fit options', (b) => m.fit(t, y, b as never)],
    ['fit callbacks', (b) => m.fit(t, y, { verbose: 0, callbacks: [b as never] })],
    ['fit epochs', (b) => m.fit(t, y, { verbose: 0, epochs: b as never })],
    ['fit batchSize', (b) => m.fit(t, y, { verbose: 0, batchSize: b as never })],
    ['fit validationData', (b) => m.fit(t, y, { verbose: 0, validationData: b as never })],
    ['predict', (b) => m.predict(b as never)],
    ['predict options', (b) => m.predict(t, b as never)],
    ['evaluate', (b) => m.evaluate(b as never, y)],
    ['summary', (b) => m.summary(b as never)],
    ['getLayer', (b) => m.getLayer(b as never)],
    ['setWeights', (b) => m.layers[0].setWeights(b as never)],
    ['setWeights([b, b])', (b) => m.layers[0].setWeights([b, b] as never)],
    ['save', (b) => m.save(b as never)],
    ['save options', (b) => m.save(join(dir, 'm'), b as never)],
    ['save under a file', () => m.save(join(file, 'm'))],
    ['loadWeights', (b) => m.loadWeights(b as never)],
    ['loadWeights options', (b) => m.loadWeights(join(dir, 'm'), b as never)],
    ['loadModel options', (b) => gl.loadModel(join(dir, 'm'), b as never)],
    ['modelFromConfig', (b) => gl.modelFromConfig({ className: 'Sequential', config: { layers: b } } as never)],
    ['layerFromConfig', (b) => gl.layerFromConfig(b as never, {})],
    ['layerFromConfig config', (b) => gl.layerFromConfig('Dense', { units: b })],
    ['csvLogger under a file', () => gl.callbacks.csvLogger(join(file, 'log.csv')).onEpochEnd(0, { loss: 1 })],
    ['tensor method reshape', (b) => t.reshape(b as never)],
    ['tensor method sum', (b) => t.sum(b as never)],
    ['tensor method slice', (b) => t.slice(b as never, b as never)],
    ['apply', (b) => m.layers[0].apply(b as never)],
    ['trainable', (b) => { m.trainable = b as never; }],
    ['randn seed', (b) => gl.randn([2], { seed: b as never })],
    ['zeros dtype', (b) => gl.zeros([2], { dtype: b as never })],
    ['zeros options', (b) => gl.zeros([2], b as never)],
    ['tensor options', (b) => gl.tensor([1, 2], b as never)],
  ];
  for (const [name, f] of modelCalls) {
    for (let i = 0; i < BAD_COUNT; i++) {
      calls++;
      await probe(name, f as (...a: unknown[]) => unknown, [bad()[i]], untyped);
    }
  }
  m.trainable = true;
  const seen = new Set<string>();
  const distinct = untyped.filter((u) => {
    const k = u.call.replace(/\(.*/, '') + ' ' + u.error.replace(/\d+/g, 'N').slice(0, 60);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  console.log(`api errors: ${calls} calls with bad arguments, ${untyped.length} untyped errors (${distinct.length} distinct)`);
  for (const u of distinct.slice(0, 400)) console.log(`  ${u.call} -> ${u.error.slice(0, 160)}`);
  assert.equal(untyped.length, 0, `untyped errors: ${distinct.slice(0, 10).map((u) => `${u.call} -> ${u.error}`).join('; ')}`);
});
