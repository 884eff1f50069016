import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { Random } from '../tensor/random.js';
import { Tensor, allocate, noGrad } from '../tensor/tensor.js';
import { Sequential } from '../nn/sequential.js';
import { takeRows } from '../data/transforms.js';
import { Dense, Activation, Conv1D, Conv2D } from '../nn/layers.js';
import { resolveOptimizer, type Optimizer } from '../optim/index.js';
import { ProgressBar, type Callback, type Logs, type TrainingParams } from './callbacks.js';
import { resolveLoss, resolveMetric, type LossFn, type LossName, type MetricFn, type ResolvedLoss, type ResolvedMetric } from './losses.js';

export interface CompileArgs {
  optimizer: 'sgd' | 'adam' | 'rmsprop' | Optimizer;
  loss: LossName | LossFn;
  metrics?: readonly (string | MetricFn)[];
}

/** Labels or targets: a tensor, or plain numbers for integer labels. */
export type Targets = Tensor | readonly number[] | Int32Array | Uint8Array;

export interface FitArgs {
  epochs?: number;
  batchSize?: number;
  validationData?: readonly [Tensor, Targets];
  /** Fraction of the samples, taken from the end before shuffling (as Keras), held out for validation. */
  validationSplit?: number;
  shuffle?: boolean;
  /** Seed of the shuffling (default: drawn from the global generator). */
  seed?: number;
  callbacks?: readonly Callback[];
  /** 0 silent, 1 progress bar (default), 2 one line per epoch. */
  verbose?: 0 | 1 | 2;
  /** Stop with the last good weights when the loss becomes NaN or infinite (default true). */
  terminateOnNaN?: boolean;
}

export interface EvaluateArgs {
  batchSize?: number;
}

/** What fit() returns: per-epoch logs under Keras' keys. */
export class History {
  readonly epoch: number[] = [];
  readonly history: Record<string, number[]> = {};
  /** Set when training stopped because the loss became NaN or infinite. */
  terminatedOnNaN: { epoch: number; batch: number } | null = null;
  params: TrainingParams | null = null;

  record(epoch: number, logs: Logs): void {
    this.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) (this.history[k] ??= []).push(v);
  }
}

interface Compiled {
  optimizer: Optimizer;
  loss: ResolvedLoss;
  metrics: ResolvedMetric[];
  lossSpec: string | null;
  metricSpecs: string[];
}

const compiled = new WeakMap<Sequential, Compiled>();

declare module '../nn/sequential.js' {
  interface Sequential {
    /** Chooses the optimizer, the loss and the metrics (Keras' compile). */
    compile(args: CompileArgs): void;
    /** Trains for `epochs` over x and y; resolves to the History. */
    fit(x: Tensor, y: Targets, args?: FitArgs): Promise<History>;
    /** Loss and metrics over x and y in inference mode. */
    evaluate(x: Tensor, y: Targets, args?: EvaluateArgs): Logs;
    /** evaluate() and predict() in one pass over x: the logs and the model's outputs. */
    evaluateAndPredict(x: Tensor, y: Targets, args?: EvaluateArgs): { logs: Logs; predictions: Tensor };
    /** The optimizer chosen by compile(), if any. */
    readonly optimizer: Optimizer | null;
    /** The compile() arguments as names, for saving. */
    compileConfig(): { optimizer: { name: string; config: Record<string, number | boolean> }; loss: string | null; metrics: string[] } | null;
  }
}

function outputUnits(model: Sequential): number {
  const s = model.outputShape;
  return s ? s[s.length - 1] : 1;
}

/** The last layer's activation when a loss can use its pre-activation instead. */
function lastActivation(model: Sequential): string | null {
  const last = model.layers[model.layers.length - 1];
  if (last instanceof Dense || last instanceof Conv2D || last instanceof Conv1D || last instanceof Activation) return last.activation;
  return null;
}

Sequential.prototype.compile = function (this: Sequential, args: CompileArgs): void {
  if (!args || args.loss === undefined) throw new ValueError(`${this.name}.compile: a loss is required, e.g. { optimizer: 'adam', loss: 'sparse_categorical_crossentropy' }`);
  const optimizer = resolveOptimizer(`${this.name}.compile`, args.optimizer ?? 'rmsprop');
  const loss = resolveLoss(`${this.name}.compile`, args.loss);
  const specs = args.metrics ?? [];
  compiled.set(this, {
    optimizer, loss,
    metrics: specs.map((m) => resolveMetric(`${this.name}.compile`, m, loss, outputUnits(this))),
    lossSpec: typeof args.loss === 'string' ? loss.name : null,
    metricSpecs: specs.filter((m): m is string => typeof m === 'string'),
  });
};

Object.defineProperty(Sequential.prototype, 'optimizer', {
  get(this: Sequential) { return compiled.get(this)?.optimizer ?? null; },
});

Sequential.prototype.compileConfig = function (this: Sequential) {
  const c = compiled.get(this);
  if (!c) return null;
  return { optimizer: { name: c.optimizer.name, config: c.optimizer.getConfig() }, loss: c.lossSpec, metrics: c.metricSpecs };
};

function getCompiled(model: Sequential, fn: string): Compiled {
  const c = compiled.get(model);
  if (!c) throw new ValueError(`${model.name}.${fn}: call compile({ optimizer, loss, metrics }) first`);
  return c;
}

/** Targets as a float32 tensor with the sample axis first. */
function targetTensor(y: Targets): Tensor {
  if (y instanceof Tensor) return y;
  const data = allocate('float32', y.length);
  for (let i = 0; i < y.length; i++) data[i] = y[i];
  return new Tensor(data, [y.length]);
}

/** Checks x and y against the model and the loss before any work. */
function validate(model: Sequential, fn: string, x: Tensor, y: Tensor, loss: ResolvedLoss, what = 'x'): void {
  if (!(x instanceof Tensor)) throw new ValueError(`${model.name}.${fn}: ${what} must be a Tensor`);
  if (x.rank < 1 || y.rank < 1 || x.shape[0] !== y.shape[0]) {
    throw new ShapeError(`${model.name}.${fn}: ${what} and its targets have different numbers of samples (${what} ${fmtShape(x.shape)}, y ${fmtShape(y.shape)})`);
  }
  if (x.shape[0] === 0) throw new ValueError(`${model.name}.${fn}: ${what} has no samples`);
  if (!model.built) model.build(x.shape.slice(1));
  const expected = model.inputShape!;
  const got = x.shape.slice(1);
  if (got.length !== expected.length || got.some((d, i) => d !== expected[i])) {
    throw new ShapeError(`${model.name}.${fn}: the first layer '${model.layers[0].name}' expects input [batch,${expected.join(',')}] but ${what} has shape ${fmtShape(x.shape)}`);
  }
  const xd = x.data;
  for (let i = 0; i < xd.length; i++) {
    // x - x is 0 for every finite value and NaN for NaN and +-Infinity
    if (xd[i] - xd[i] !== 0) {
      const per = x.size / x.shape[0];
      throw new ValueError(`${model.name}.${fn}: ${what} holds ${xd[i]} at sample ${Math.floor(i / per)} (flat index ${i}); clean or impute the data first`);
    }
  }
  const out = model.outputShape!;
  const units = out[out.length - 1];
  if (loss.sparse) {
    for (let i = 0; i < y.size; i++) {
      const v = y.data[i];
      if (!Number.isInteger(v) || v < 0 || v >= units) {
        throw new ValueError(`${model.name}.${fn}: label ${v} at sample ${i} is out of range for the ${units} outputs of '${model.layers[model.layers.length - 1].name}' (labels must be integers in [0, ${units}))`);
      }
    }
  } else if (y.size / y.shape[0] !== out.reduce((a, b) => a * b, 1)) {
    throw new ShapeError(`${model.name}.${fn}: targets ${fmtShape(y.shape)} do not match the model's output [batch,${out.join(',')}] for loss '${loss.name}'`);
  }
}

function rowsOf(t: Tensor, start: number, end: number): Tensor {
  const per = t.size / t.shape[0];
  return new Tensor(t.data.subarray(start * per, end * per), [end - start, ...t.shape.slice(1)]);
}

interface BatchResult {
  loss: Tensor;
  pred: Tensor;
}

function lossOnBatch(model: Sequential, c: Compiled, xb: Tensor, yb: Tensor, training: boolean): BatchResult {
  const { z, u } = model.forwardWithLogits(xb, training);
  const yTarget = c.loss.sparse ? yb : reshapeLike(yb, u);
  const fused = c.loss.fromLogits && lastActivation(model) === c.loss.fromLogits.activation;
  const loss = fused ? c.loss.fromLogits!.fn(yTarget, z) : c.loss.fn(yTarget, u);
  return { loss, pred: u };
}

function reshapeLike(y: Tensor, u: Tensor): Tensor {
  if (y.shape.length === u.shape.length && y.shape.every((d, i) => d === u.shape[i])) return y.dtype === u.dtype ? y : castTo(y, u);
  return castTo(new Tensor(y.data, u.shape), u);
}

function castTo(y: Tensor, like: Tensor): Tensor {
  if (y.dtype === like.dtype) return y;
  const d = allocate(like.dtype, y.size);
  d.set(y.data);
  return new Tensor(d, y.shape);
}

function metricValue(m: ResolvedMetric, y: Tensor, pred: Tensor): number {
  const v = noGrad(() => m.fn(y, pred));
  return typeof v === 'number' ? v : v.item();
}

/** Weighted running means of batch values over an epoch. */
class Averager {
  private sums = new Map<string, number>();
  private count = 0;
  add(values: Logs, n: number): void {
    for (const [k, v] of Object.entries(values)) this.sums.set(k, (this.sums.get(k) ?? 0) + v * n);
    this.count += n;
  }
  result(): Logs {
    const out: Logs = {};
    for (const [k, s] of this.sums) out[k] = s / this.count;
    return out;
  }
}

function evaluateInternal(model: Sequential, c: Compiled, x: Tensor, y: Tensor, batchSize: number, keep?: Tensor[]): Logs {
  const avg = new Averager();
  noGrad(() => {
    for (let s = 0; s < x.shape[0]; s += batchSize) {
      const e = Math.min(s + batchSize, x.shape[0]);
      const yb = rowsOf(y, s, e);
      const { loss, pred } = lossOnBatch(model, c, rowsOf(x, s, e), yb, false);
      keep?.push(pred);
      const logs: Logs = { loss: loss.item() };
      for (const m of c.metrics) logs[m.name] = metricValue(m, c.loss.sparse ? yb : reshapeLike(yb, pred), pred);
      avg.add(logs, e - s);
    }
  });
  return avg.result();
}

function positiveInt(fn: string, name: string, v: number): number {
  if (!Number.isInteger(v) || v <= 0) throw new ValueError(`${fn}: ${name} must be a positive integer, got ${v}`);
  return v;
}

Sequential.prototype.evaluateAndPredict = function (this: Sequential, x: Tensor, yIn: Targets, args: EvaluateArgs = {}) {
  const c = getCompiled(this, 'evaluateAndPredict');
  const y = targetTensor(yIn);
  validate(this, 'evaluateAndPredict', x, y, c.loss);
  const parts: Tensor[] = [];
  const logs = evaluateInternal(this, c, x, y, positiveInt(`${this.name}.evaluateAndPredict`, 'batchSize', args.batchSize ?? 32), parts);
  const per = parts[0].size / parts[0].shape[0];
  const data = allocate(parts[0].dtype, x.shape[0] * per);
  let at = 0;
  for (const p of parts) {
    data.set(p.data, at);
    at += p.size;
  }
  return { logs, predictions: new Tensor(data, [x.shape[0], ...parts[0].shape.slice(1)]) };
};

Sequential.prototype.evaluate = function (this: Sequential, x: Tensor, yIn: Targets, args: EvaluateArgs = {}): Logs {
  const c = getCompiled(this, 'evaluate');
  const y = targetTensor(yIn);
  validate(this, 'evaluate', x, y, c.loss);
  return evaluateInternal(this, c, x, y, positiveInt(`${this.name}.evaluate`, 'batchSize', args.batchSize ?? 32));
};

function copyWeights(ws: readonly Tensor[]): Float32Array[] | Float64Array[] {
  return ws.map((w) => w.data.slice()) as Float32Array[];
}

/** copyWeights into the arrays of the previous copy when they still fit (no allocation per batch). */
function saveWeights(ws: readonly Tensor[], into: Float32Array[] | Float64Array[] | null): Float32Array[] | Float64Array[] {
  if (!into || into.length !== ws.length || ws.some((w, i) => w.data.constructor !== into[i].constructor || w.size !== into[i].length)) {
    return copyWeights(ws);
  }
  ws.forEach((w, i) => into[i].set(w.data));
  return into;
}

Sequential.prototype.fit = async function (this: Sequential, xIn: Tensor, yIn: Targets, args: FitArgs = {}): Promise<History> {
  const fn = `${this.name}.fit`;
  const c = getCompiled(this, 'fit');
  const epochs = args.epochs ?? 1;
  if (!Number.isInteger(epochs) || epochs < 0) throw new ValueError(`${fn}: epochs must be a non-negative integer, got ${epochs}`);
  const batchSize = positiveInt(fn, 'batchSize', args.batchSize ?? 32);
  const verbose = args.verbose ?? 1;
  let x = xIn;
  let y = targetTensor(yIn);
  validate(this, 'fit', x, y, c.loss);
  let val: [Tensor, Tensor] | null = null;
  if (args.validationData) {
    const [vx, vy] = args.validationData;
    const vyT = targetTensor(vy);
    validate(this, 'fit', vx, vyT, c.loss, 'validationData x');
    val = [vx, vyT];
  } else if (args.validationSplit !== undefined && args.validationSplit > 0) {
    const f = args.validationSplit;
    if (!(f > 0 && f < 1)) throw new ValueError(`${fn}: validationSplit must be in (0, 1), got ${f}`);
    const nTrain = Math.floor(x.shape[0] * (1 - f));
    if (nTrain === 0 || nTrain === x.shape[0]) throw new ValueError(`${fn}: validationSplit ${f} leaves no training or no validation samples out of ${x.shape[0]}`);
    val = [rowsOf(x, nTrain, x.shape[0]), rowsOf(y, nTrain, y.shape[0])];
    x = rowsOf(x, 0, nTrain);
    y = rowsOf(y, 0, nTrain);
  }
  const n = x.shape[0];
  const steps = Math.ceil(n / batchSize);
  const rng = new Random(args.seed ?? Math.floor(Math.random() * 2 ** 31));
  const history = new History();
  const metricNames = ['loss', ...c.metrics.map((m) => m.name)];
  const params: TrainingParams = { epochs, steps, samples: n, verbose, metrics: metricNames };
  history.params = params;
  const cbs: Callback[] = [...(verbose > 0 ? [new ProgressBar()] : []), ...(args.callbacks ?? [])];
  for (const cb of cbs) {
    cb.model = this;
    cb.params = params;
  }
  const emit = async (hook: keyof Callback, ...a: unknown[]) => {
    for (const cb of cbs) {
      const f = cb[hook] as ((...b: unknown[]) => void | Promise<void>) | undefined;
      if (typeof f === 'function') await f.apply(cb, a);
    }
  };
  const terminateOnNaN = args.terminateOnNaN ?? true;
  const order = new Int32Array(n).map((_, i) => i);
  this.stopTraining = false;
  await emit('onTrainBegin', {});
  let lastGood: Float32Array[] | Float64Array[] | null = null;
  outer:
  for (let epoch = 0; epoch < epochs; epoch++) {
    await emit('onEpochBegin', epoch, {});
    const perm = args.shuffle === false ? order : rng.permutation(n);
    const avg = new Averager();
    for (let b = 0; b < steps; b++) {
      const s = b * batchSize;
      const e = Math.min(s + batchSize, n);
      await emit('onBatchBegin', b, { batch: b, size: e - s });
      const xb = takeRows(x, perm.subarray(s, e));
      const yb = takeRows(y, perm.subarray(s, e));
      const trainable = this.trainableWeights;
      const { loss, pred } = lossOnBatch(this, c, xb, yb, true);
      const lossValue = loss.item();
      if (terminateOnNaN && !Number.isFinite(lossValue)) {
        // The weights now produced a bad loss: put back the ones from before the last update.
        if (lastGood) trainable.forEach((w, i) => w.data.set(lastGood![i]));
        history.terminatedOnNaN = { epoch, batch: b };
        if (verbose > 0) process.stderr.write(`\nEpoch ${epoch + 1}, batch ${b}: the loss is ${lossValue}; training stopped and the weights from before the last update were kept (lower the learning rate, or check the data)\n`);
        break outer;
      }
      if (terminateOnNaN) lastGood = saveWeights(trainable, lastGood);
      for (const w of trainable) w.grad = null;
      if (loss.requiresGrad) loss.backward();
      c.optimizer.step(trainable);
      for (const w of trainable) w.grad = null;
      const logs: Logs = { loss: lossValue };
      for (const m of c.metrics) logs[m.name] = metricValue(m, c.loss.sparse ? yb : reshapeLike(yb, pred), pred);
      avg.add(logs, e - s);
      await emit('onBatchEnd', b, { batch: b, size: e - s, ...avg.result() });
      if (this.stopTraining) break;
    }
    const epochLogs = avg.result();
    if (val) {
      const v = evaluateInternal(this, c, val[0], val[1], batchSize);
      for (const [k, value] of Object.entries(v)) epochLogs[`val_${k}`] = value;
    }
    history.record(epoch, epochLogs);
    await emit('onEpochEnd', epoch, epochLogs);
    // Let timers, I/O and the browser breathe between epochs.
    await new Promise((r) => setImmediate(r));
    if (this.stopTraining) break;
  }
  await emit('onTrainEnd', {});
  return history;
};

export { Sequential };
