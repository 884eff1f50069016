// `npm run bench`: runs each workload module in its own Node process (fresh JIT, heap and threads),
// prints one table with gradlab's ratio to every peer, and writes bench/results/latest.json.
// Usage: node dist/bench/run.js [workload ...]   (default: all; names below), e.g. npm run bench -- vgg16
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeFileAtomicSync } from '../src/core/atomic.js';
import { benchFile, machine, tmpDir, type BenchRow } from './common.js';

export type { BenchRow } from './common.js';

interface Workload { name: string; file: string; what: string }

/**
 * Each module exports `async function run(): Promise<BenchRow[]>`. Modules that are not there
 * (not written yet) are skipped with a note, so a workload can be added by dropping in a file.
 */
const WORKLOADS: Workload[] = [
  { name: 'gemm', file: 'gemm.js', what: 'GEMM n = 256, 512, 1024, 2048' },
  { name: 'conv', file: 'conv.js', what: 'conv2d forward and both backward passes, cases (a) and (b)' },
  // depthwise (MobileNet) and grouped convolution kernels (bench/grouped.ts)
  { name: 'grouped', file: 'grouped.js', what: 'depthwise and grouped conv kernels, js vs wasm vs PyTorch' },
  // LeNet-5 training/inference on MNIST and the dense 784-256-10 network (bench/training.ts)
  { name: 'training', file: 'training.js', what: 'LeNet-5 and dense-network training and inference' },
  // SVC fit and predict (bench/svc.ts)
  { name: 'svc', file: 'svc.js', what: 'SVC fit and predict' },
  // The fixed cost of one op call on tiny tensors (bench/overhead.ts)
  { name: 'overhead', file: 'overhead.js', what: 'per-op overhead' },
  // VGG16's conv base at 224x224 against PyTorch and onnxruntime-node (bench/vgg16.ts)
  { name: 'vgg16', file: 'vgg16.js', what: 'VGG16 conv base inference at 224x224, batch 8' },
  // 3x3 convs at ImageNet sizes, where the im2col panel passes the scratch cap (bench/conv224.ts)
  { name: 'conv224', file: 'conv224.js', what: 'conv2d at 224x224 / 112 / 56, forward and both backward passes' },
  // the pretrained-network lab end to end (bench/transfer.ts)
  { name: 'transfer', file: 'transfer.js', what: 'gradlab transfer with its defaults' },
  // VGG16 block 1 at 224x224, forward and forward + backward, per fast backend vs PyTorch (bench/vgg16block1.ts)
  { name: 'vgg16block1', file: 'vgg16block1.js', what: 'VGG16 block 1 at 224x224, forward and forward + backward' },
  // a CIFAR-size CNN's training, per fast backend vs PyTorch on 1 and 2 threads (bench/cifar.ts)
  { name: 'cifar', file: 'cifar.js', what: 'CIFAR-size CNN training, batch 32, Adam' },
  // ten more CNNs (Keras' MNIST CNN, batch normalization, strided, separable, 1-D, an autoencoder, ...), one spec for both sides (bench/zoo.ts)
  { name: 'zoo', file: 'zoo.js', what: 'training ten CNNs of the size class from one spec, vs PyTorch on 1 and 2 threads' },
  // LeNet-5 training in headless Chromium: the browser bundle against TF.js (bench/browser.ts)
  { name: 'browser', file: 'browser.js', what: 'LeNet-5 training in headless Chromium, gradlab vs TF.js' },
];

const here = dirname(fileURLToPath(import.meta.url));
const CHILD_TIMEOUT_MS = 8 * 60_000;
const LOWER_IS_BETTER = new Set(['ms', 's']);
const HIGHER_IS_BETTER = new Set(['GFLOP/s', 'images/s', 'samples/s']);

async function child(name: string, out: string): Promise<void> {
  const w = WORKLOADS.find((x) => x.name === name);
  if (!w) throw new Error(`unknown workload ${name}`);
  const mod = (await import(pathToFileURL(join(here, w.file)).href)) as { run(): Promise<BenchRow[]> };
  const rows = await mod.run();
  writeFileAtomicSync(out, JSON.stringify(rows));
  // pool workers and peers' handles must not keep the child alive
  process.exit(0);
}

function runWorkload(w: Workload): BenchRow[] {
  if (!existsSync(join(here, w.file))) {
    return [{ workload: w.what, impl: '-', value: NaN, unit: '', note: `skipped: bench/${w.file.replace(/\.js$/, '.ts')} not written yet` }];
  }
  const out = join(tmpDir(), `rows-${w.name}-${process.pid}.json`);
  const partial = join(tmpDir(), `partial-${w.name}-${process.pid}.jsonl`);
  rmSync(partial, { force: true });
  const t0 = performance.now();
  process.stderr.write(`bench: ${w.name} ...`);
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', w.name, out],
    { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: CHILD_TIMEOUT_MS,
      env: { ...process.env, GRADLAB_BENCH_PARTIAL: partial } });
  process.stderr.write(` ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  if (r.status !== 0 || !existsSync(out)) {
    const why = r.error ? String(r.error) : (r.stderr ?? '').trim().split('\n').slice(-3).join(' | ');
    // keep whatever the workload finished before it failed or ran out of time
    const done = existsSync(partial)
      ? readFileSync(partial, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as BenchRow)
      : [];
    rmSync(partial, { force: true });
    return [...done, { workload: w.what, impl: '-', value: NaN, unit: '', note: `failed: ${why.slice(0, 300)}` }];
  }
  rmSync(partial, { force: true });
  const rows = JSON.parse(readFileSync(out, 'utf8')) as BenchRow[];
  rmSync(out, { force: true });
  return rows;
}

/**
 * How many times faster the workload's reference gradlab row is than `row`; NaN when either is
 * missing or the unit is not a speed (accuracy, memory).
 */
function ratio(ref: BenchRow | undefined, row: BenchRow): number {
  if (!ref || !Number.isFinite(ref.value) || !Number.isFinite(row.value) || ref.unit !== row.unit) return NaN;
  if (LOWER_IS_BETTER.has(row.unit)) return row.value / ref.value;
  return HIGHER_IS_BETTER.has(row.unit) ? ref.value / row.value : NaN;
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return '-';
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

interface Rated extends BenchRow { gradlabRatio: number }

/** The reference of each workload: its first gradlab wasm row (the default backend), else its first gradlab row. */
function rate(rows: BenchRow[]): Rated[] {
  const ref = new Map<string, BenchRow>();
  const usable = (r: BenchRow) => r.impl.startsWith('gradlab') && Number.isFinite(r.value);
  for (const r of rows) if (usable(r) && r.impl.includes('wasm') && !ref.has(r.workload)) ref.set(r.workload, r);
  for (const r of rows) if (usable(r) && !ref.has(r.workload)) ref.set(r.workload, r);
  return rows.map((r) => ({ ...r, gradlabRatio: ratio(ref.get(r.workload), r) }));
}

function table(rows: Rated[]): string {
  const lines: string[] = [];
  const wImpl = Math.max(4, ...rows.map((r) => r.impl.length));
  const order = [...new Set(rows.map((r) => r.workload))];
  lines.push(`${'implementation'.padEnd(wImpl)}  ${'value'.padStart(9)}  ${'unit'.padEnd(9)}  ${'gradlab x'.padStart(9)}  note`);
  for (const wl of order) {
    lines.push('', wl);
    for (const r of rows.filter((x) => x.workload === wl)) {
      lines.push(`${r.impl.padEnd(wImpl)}  ${fmt(r.value).padStart(9)}  ${r.unit.padEnd(9)}  ${(Number.isFinite(r.gradlabRatio) ? fmt(r.gradlabRatio) + 'x' : '-').padStart(9)}  ${r.note ?? ''}`);
    }
  }
  lines.push('', "gradlab x: how many times faster the workload's first gradlab wasm row (else its first gradlab row) is than that row.");
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') return child(args[1], args[2]);
  const unknown = args.filter((a) => !WORKLOADS.some((w) => w.name === a));
  if (unknown.length) {
    console.error(`unknown workload(s) ${unknown.join(', ')}; choose from ${WORKLOADS.map((w) => w.name).join(', ')}`);
    process.exit(2);
  }
  const chosen = args.length ? WORKLOADS.filter((w) => args.includes(w.name)) : WORKLOADS;
  const t0 = performance.now();
  const rows: BenchRow[] = [];
  for (const w of chosen) rows.push(...runWorkload(w));
  const rated = rate(rows);
  const m = machine();
  const header = `gradlab benchmark, ${new Date().toISOString()}\n${m.cpu}, ${m.cores} cores, Node ${m.node}`;
  console.log(`${header}\n\n${table(rated)}`);
  // a run of chosen workloads (npm run bench -- vgg16) leaves the full run's latest.json as it was
  const file = join(dirname(benchFile('run.ts')), 'results', args.length ? `latest-${chosen.map((w) => w.name).join('-')}.json` : 'latest.json');
  writeFileAtomicSync(file, JSON.stringify({ date: new Date().toISOString(), machine: m, workloads: chosen.map((w) => w.name),
    seconds: Math.round((performance.now() - t0) / 1000), rows: rated }, null, 2) + '\n');
  console.log(`\nwrote ${file}`);
}

await main();
