import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import * as gl from '../../src/index.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

test('listPretrained: the shipped digit network, with what its script measured', () => {
  const list = gl.applications.listPretrained();
  const info = list.find((p) => p.name === 'mnist-digits-0-4');
  assert.ok(info, `shipped: ${list.map((p) => p.name).join(', ')}`);
  assert.equal(info.path, join(repo, 'pretrained', 'mnist-digits-0-4'));
  assert.equal(gl.applications.pretrainedRoot(), join(repo, 'pretrained'));
  assert.deepEqual(info.classNames, ['0', '1', '2', '3', '4']);
  assert.deepEqual(info.inputShape, [28, 28, 1]);
  assert.ok(info.testAccuracy > 0.97 && info.testAccuracy <= 1, `recorded accuracy ${info.testAccuracy}`);
  assert.ok(info.trainSamples > 30000 && info.testSamples > 5000);
  assert.ok(existsSync(join(repo, info.script)), info.script);
  assert.match(info.description, /0-4/);
  // Small enough to ship: under 1 MB of weights.
  const weights = readdirSync(info.path).filter((f) => f.endsWith('.safetensors'));
  assert.equal(weights.length, 1, weights.join(', '));
  const bytes = statSync(join(info.path, weights[0])).size;
  assert.ok(bytes < 1_000_000, `${bytes} bytes`);
  assert.ok(Math.abs(bytes - 4 * info.parameters) < 10_000, `${bytes} bytes for ${info.parameters} parameters`);
});

test('pretrained: loads offline in milliseconds and predicts the source task at its recorded accuracy', async () => {
  const info = gl.applications.listPretrained().find((p) => p.name === 'mnist-digits-0-4')!;
  const t = performance.now();
  const net = await gl.applications.pretrained('mnist-digits-0-4');
  const ms = performance.now() - t;
  assert.ok(ms < 3000, `loaded in ${ms.toFixed(0)} ms`);
  assert.equal(net.countParams(), info.parameters);
  assert.ok(net.getLayer(info.featureLayer));
  for (const name of info.topBlock) assert.ok(net.getLayer(name).weights.length > 0, name);
  // 2,000 test digits 0-4 (of the 5,139 the script scored): within 1.5 points of the recorded accuracy.
  const { test: t10k } = gl.datasets.mnist();
  const slice = gl.applications.selectClasses(t10k, [0, 1, 2, 3, 4], { limit: 2000, seed: 7 });
  const pred = gl.argmax(net.predict(slice.x, { batchSize: 256 }), -1).toFlatArray();
  let hits = 0;
  pred.forEach((p, i) => { if (p === slice.labels[i]) hits++; });
  const acc = hits / pred.length;
  assert.ok(Math.abs(acc - info.testAccuracy) < 0.015, `accuracy ${acc} on the slice, recorded ${info.testAccuracy}`);
  // The digits it never saw are not its classes: it cannot be right on them.
  const unseen = gl.applications.selectClasses(t10k, [5], { limit: 50 });
  assert.equal(net.predict(unseen.x).shape[1], 5);
});

test('pretrained, digitNet, selectClasses: bad arguments are typed errors naming the function', async () => {
  await assert.rejects(gl.applications.pretrained('vgg99'), (e: unknown) => e instanceof gl.ValueError && /pretrained: unknown network 'vgg99'.*mnist-digits-0-4/.test(e.message));
  await assert.rejects(gl.applications.pretrained(undefined as unknown as string), gl.ValueError);
  assert.throws(() => gl.applications.digitNet({ classes: 0 }), (e: unknown) => e instanceof gl.ValueError && /digitNet/.test(e.message));
  assert.throws(() => gl.applications.digitNet({ classes: 3, unitz: 4 } as never), /unknown option 'unitz'/);
  assert.throws(() => gl.applications.digitNet({ classes: 3, filters: [8, 8] as never }), /filters must be three/);
  const { test: t10k } = gl.datasets.mnist({ testSize: 100 });
  assert.throws(() => gl.applications.selectClasses(t10k, []), /selectClasses: classes must be a non-empty list/);
  assert.throws(() => gl.applications.selectClasses(t10k, [1, 1]), /repeats a class/);
  assert.throws(() => gl.applications.selectClasses(t10k, [11]), /no sample has a label/);
  assert.throws(() => gl.applications.selectClasses(t10k, [1], { limit: 0 }), gl.ValueError);
});

test('selectClasses relabels in the order given and draws a seeded subset', () => {
  const { test: t10k } = gl.datasets.mnist({ testSize: 500 });
  const all = gl.applications.selectClasses(t10k, [7, 3]);
  let n7 = 0, n3 = 0;
  for (const l of t10k.labels) { if (l === 7) n7++; if (l === 3) n3++; }
  assert.equal(all.x.shape[0], n7 + n3);
  let j = 0;
  t10k.labels.forEach((l, i) => {
    if (l !== 7 && l !== 3) return;
    assert.equal(all.labels[j], l === 7 ? 0 : 1);
    assert.equal(all.x.data[j * 784 + 400], t10k.x.data[i * 784 + 400]);
    j++;
  });
  const a = gl.applications.selectClasses(t10k, [7, 3], { limit: 20, seed: 1 });
  const b = gl.applications.selectClasses(t10k, [7, 3], { limit: 20, seed: 1 });
  const c = gl.applications.selectClasses(t10k, [7, 3], { limit: 20, seed: 2 });
  assert.equal(a.x.shape[0], 20);
  assert.deepEqual(Array.from(a.x.data), Array.from(b.x.data));
  assert.notDeepEqual(Array.from(a.x.data), Array.from(c.x.data));
  // balanced: as many of each class (the first classes take the remainder), still seeded.
  const bal = gl.applications.selectClasses(t10k, [7, 3, 1], { limit: 11, seed: 5, balanced: true });
  const count = (k: number) => bal.labels.filter((l) => l === k).length;
  assert.deepEqual([count(0), count(1), count(2)], [4, 4, 3]);
  assert.deepEqual(Array.from(gl.applications.selectClasses(t10k, [7, 3, 1], { limit: 11, seed: 5, balanced: true }).x.data), Array.from(bal.x.data));
  assert.throws(() => gl.applications.selectClasses(t10k, [7], { limit: 3, balanced: 'yes' as never }), /selectClasses: balanced must be/);
});

test('digitNet: the shipped architecture, block names as Keras writes them', () => {
  const net = gl.applications.digitNet({ classes: 5 });
  assert.deepEqual(net.layers.map((l) => l.name), ['image', 'block1_conv1', 'block1_pool', 'block2_conv1', 'block2_pool', 'block3_conv1', 'block3_pool', 'flatten', 'fc1', 'predictions']);
  assert.equal(net.countParams(), 60549);
});

test('gl.applications: every function throws only typed errors on bad arguments', async () => {
  const bad = (): unknown[] => [undefined, null, {}, [], 'x', '', NaN, -1, 0.5, 1e10, '__proto__', 'constructor', [NaN], [-1], ['x'], () => 1, true, { __proto__: null }];
  const { test: t10k } = gl.datasets.mnist({ testSize: 50 });
  const untyped: string[] = [];
  let calls = 0;
  const probe = async (name: string, f: () => unknown) => {
    calls++;
    try {
      const r = f();
      if (r instanceof Promise) await r;
    } catch (e) {
      if (!(e instanceof gl.GradlabError)) untyped.push(`${name}: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    }
  };
  for (const b of bad()) {
    await probe('pretrained', () => gl.applications.pretrained(b as string));
    await probe('digitNet', () => gl.applications.digitNet(b as never));
    await probe('digitNet classes', () => gl.applications.digitNet({ classes: b } as never));
    await probe('digitNet filters', () => gl.applications.digitNet({ classes: 2, filters: b } as never));
    await probe('digitNet inputShape', () => gl.applications.digitNet({ classes: 2, inputShape: b } as never));
    await probe('selectClasses data', () => gl.applications.selectClasses(b as never, [1]));
    await probe('selectClasses classes', () => gl.applications.selectClasses(t10k, b as never));
    await probe('selectClasses options', () => gl.applications.selectClasses(t10k, [1], b as never));
    await probe('selectClasses limit', () => gl.applications.selectClasses(t10k, [1], { limit: b } as never));
    await probe('selectClasses seed', () => gl.applications.selectClasses(t10k, [1], { seed: b } as never));
  }
  console.log(`gl.applications sweep: ${calls} calls, ${untyped.length} untyped errors`);
  assert.deepEqual(untyped, []);
});
