import { ValueError } from '../core/errors.js';
import { booleanOption, checkOptions, finiteNumber, nonEmptyString, nonNegativeInt, oneOf, optionKeys, positiveNumber } from '../core/validate.js';
import type { Tensor } from '../tensor/tensor.js';
import { writeFileAtomicSync } from '../core/atomic.js';
import { env } from '../core/env.js';

/** Loss, metrics and val_ values by name. */
export type Logs = Record<string, number>;

/** What fit() tells callbacks before training. */
export interface TrainingParams {
  epochs: number;
  steps: number;
  samples: number;
  verbose: 0 | 1 | 2;
  metrics: string[];
}

/** What callbacks may do with the model being trained (gradlab's Model implements it). */
export interface CallbackModel {
  readonly name: string;
  /** Set to true to end fit() after the current batch (Keras' stop_training). */
  stopTraining: boolean;
  getWeights(): Tensor[];
  setWeights(values: readonly Tensor[]): void;
  save(dir: string): Promise<void>;
}

/** Any of these hooks, sync or async; `model` and `params` are set before onTrainBegin. */
export interface Callback {
  model?: CallbackModel;
  params?: TrainingParams;
  onTrainBegin?(logs: Logs): void | Promise<void>;
  onTrainEnd?(logs: Logs): void | Promise<void>;
  onEpochBegin?(epoch: number, logs: Logs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: Logs): void | Promise<void>;
  onBatchBegin?(batch: number, logs: Logs): void | Promise<void>;
  onBatchEnd?(batch: number, logs: Logs): void | Promise<void>;
}

const fmtLogs = (logs: Logs, keys?: string[]) =>
  (keys ?? Object.keys(logs)).filter((k) => k in logs && k !== 'batch' && k !== 'size').map((k) => `${k}: ${logs[k].toFixed(4)}`).join(' - ');

function fmtTime(s: number): string {
  if (s >= 3600) return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
  if (s >= 60) return `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
  return `${Math.round(s)}s`;
}

/** Options of `callbacks.progressBar`. */
export interface ProgressBarOptions {
  /** Where to write (default process.stdout). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Redraws per second in a terminal (default 10). */
  updatesPerSecond?: number;
}

const PROGRESS_BAR_KEYS = optionKeys<ProgressBarOptions>({ stream: true, updatesPerSecond: true });

/**
 * Keras' progress bar: in a terminal one updating line per epoch with ETA, loss and metrics;
 * otherwise (a pipe, a CI log) one plain line at the end of each epoch.
 */
export class ProgressBar implements Callback {
  model?: CallbackModel;
  params?: TrainingParams;
  private readonly stream: NonNullable<ProgressBarOptions['stream']>;
  private readonly interval: number;
  private epochStart = 0;
  private lastDraw = 0;

  constructor(options: ProgressBarOptions = {}) {
    const o = checkOptions('callbacks.progressBar', options, PROGRESS_BAR_KEYS);
    if (o.stream !== undefined && (o.stream === null || typeof (o.stream as { write?: unknown }).write !== 'function')) {
      throw new ValueError('callbacks.progressBar: stream must have a write(text) method, e.g. process.stdout');
    }
    this.stream = o.stream ?? (env().stdout() as NonNullable<ProgressBarOptions['stream']>);
    this.interval = 1000 / positiveNumber('callbacks.progressBar', 'updatesPerSecond', o.updatesPerSecond ?? 10);
  }

  private get tty(): boolean {
    return this.stream.isTTY === true;
  }

  onEpochBegin(epoch: number): void {
    this.epochStart = performance.now();
    this.lastDraw = 0;
    if (this.params && this.params.verbose === 1) this.stream.write(`Epoch ${epoch + 1}/${this.params.epochs}\n`);
  }

  onBatchEnd(batch: number, logs: Logs): void {
    if (!this.params || this.params.verbose !== 1 || !this.tty) return;
    const now = performance.now();
    if (now - this.lastDraw < this.interval && batch + 1 < this.params.steps) return;
    this.lastDraw = now;
    const steps = this.params.steps;
    const done = batch + 1;
    const elapsed = (now - this.epochStart) / 1000;
    const eta = (elapsed / done) * (steps - done);
    const width = 30;
    const filled = Math.floor((done / steps) * width);
    const bar = '='.repeat(Math.max(0, filled - 1)) + (done < steps ? '>' : '=') + '.'.repeat(width - filled);
    const counter = `${String(done).padStart(String(steps).length)}/${steps}`;
    const line = `${counter} [${bar.slice(0, width)}] - ETA: ${fmtTime(eta)} - ${fmtLogs(logs, this.params.metrics)}`;
    const cols = this.stream.columns ?? 120;
    this.stream.write(`\r${line.slice(0, cols - 1).padEnd(Math.min(cols - 1, line.length))}\x1b[K`);
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    if (!this.params || this.params.verbose === 0) return;
    const secs = (performance.now() - this.epochStart) / 1000;
    const steps = this.params.steps;
    const perStep = steps > 0 ? (secs * 1000) / steps : 0;
    const summary = `${steps}/${steps} [${'='.repeat(30)}] - ${fmtTime(secs)} ${perStep.toFixed(0)}ms/step - ${fmtLogs(logs)}`;
    if (this.params.verbose === 2) this.stream.write(`Epoch ${epoch + 1}/${this.params.epochs} - ${fmtTime(secs)} - ${fmtLogs(logs)}\n`);
    else this.stream.write(`${this.tty ? '\r' : ''}${summary}${this.tty ? '\x1b[K' : ''}\n`);
  }
}

type Mode = 'min' | 'max' | 'auto';

function better(mode: Mode, monitor: string, a: number, b: number, minDelta: number): boolean {
  const m = mode === 'auto' ? (/acc|auc|precision|recall/.test(monitor) ? 'max' : 'min') : mode;
  return m === 'min' ? a < b - minDelta : a > b + minDelta;
}

/** Options of `callbacks.earlyStopping` (Keras' EarlyStopping). */
export interface EarlyStoppingOptions {
  /** The log watched at the end of each epoch, e.g. 'val_loss', 'val_accuracy', 'loss'. Default: 'val_loss'. */
  monitor?: string;
  /** Epochs without improvement before stopping (0: the first one stops). Default: 0. */
  patience?: number;
  /** The least change that counts as an improvement (its absolute value is used). Default: 0. */
  minDelta?: number;
  /** 'min' (lower is better), 'max', or 'auto': 'max' for names with acc, auc, precision or recall, else 'min'. Default: 'auto'. */
  mode?: Mode;
  /** Put back the weights of the best epoch when stopping (or at the end). Default: false. */
  restoreBestWeights?: boolean;
}

const MODES = ['min', 'max', 'auto'] as const;
const EARLY_STOPPING_KEYS = optionKeys<EarlyStoppingOptions>({ monitor: true, patience: true, minDelta: true, mode: true, restoreBestWeights: true });

/** Stops fit() when `monitor` (default val_loss) has not improved for `patience` epochs. */
export class EarlyStopping implements Callback {
  model?: CallbackModel;
  readonly monitor: string;
  readonly patience: number;
  readonly minDelta: number;
  readonly mode: Mode;
  readonly restoreBestWeights: boolean;
  best = NaN;
  bestEpoch = -1;
  stoppedEpoch = -1;
  private wait = 0;
  private bestWeights: Tensor[] | null = null;

  constructor(options: EarlyStoppingOptions = {}) {
    const fn = 'earlyStopping';
    const o = checkOptions(fn, options, EARLY_STOPPING_KEYS);
    this.monitor = nonEmptyString(fn, 'monitor', o.monitor ?? 'val_loss');
    this.patience = nonNegativeInt(fn, 'patience', o.patience ?? 0);
    this.minDelta = Math.abs(finiteNumber(fn, 'minDelta', o.minDelta ?? 0));
    this.mode = oneOf(fn, 'mode', o.mode ?? 'auto', MODES);
    this.restoreBestWeights = booleanOption(fn, 'restoreBestWeights', o.restoreBestWeights ?? false);
  }

  onTrainBegin(): void {
    this.best = NaN;
    this.bestEpoch = -1;
    this.stoppedEpoch = -1;
    this.wait = 0;
    this.bestWeights = null;
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    const v = logs[this.monitor];
    if (v === undefined) {
      throw new ValueError(`earlyStopping: monitor '${this.monitor}' is not in the logs (available: ${Object.keys(logs).join(', ')}); pass validationData or choose another monitor`);
    }
    if (Number.isNaN(this.best) || better(this.mode, this.monitor, v, this.best, this.minDelta)) {
      this.best = v;
      this.bestEpoch = epoch;
      this.wait = 0;
      if (this.restoreBestWeights) this.bestWeights = this.model!.getWeights();
      return;
    }
    this.wait++;
    if (this.wait >= this.patience) {
      this.stoppedEpoch = epoch;
      this.model!.stopTraining = true;
    }
  }

  onTrainEnd(): void {
    if (this.restoreBestWeights && this.bestWeights && this.bestEpoch >= 0) this.model!.setWeights(this.bestWeights);
  }
}

/** Options of `callbacks.modelCheckpoint` (Keras' ModelCheckpoint). */
export interface ModelCheckpointOptions {
  /** Required: folder to save into; `{epoch}` is replaced by the 1-based epoch number. */
  path: string;
  /** The log that saveBestOnly compares. Default: 'val_loss'. */
  monitor?: string;
  /** Save only when `monitor` improves on the best so far (the first epoch always saves). Default: false (every epoch). */
  saveBestOnly?: boolean;
  /** 'min', 'max' or 'auto' (as EarlyStopping's). Default: 'auto'. */
  mode?: Mode;
}

const MODEL_CHECKPOINT_KEYS = optionKeys<ModelCheckpointOptions>({ path: true, monitor: true, saveBestOnly: true, mode: true });

/** Saves the model at the end of each epoch (or only when `monitor` improves). */
export class ModelCheckpoint implements Callback {
  model?: CallbackModel;
  readonly path: string;
  readonly monitor: string;
  readonly saveBestOnly: boolean;
  readonly mode: Mode;
  best = NaN;

  constructor(options: ModelCheckpointOptions) {
    const fn = 'modelCheckpoint';
    if (options === undefined) throw new ValueError(`${fn}: options with a path are required, e.g. { path: 'checkpoints/epoch-{epoch}' }`);
    const o = checkOptions(fn, options, MODEL_CHECKPOINT_KEYS);
    this.path = nonEmptyString(fn, 'path', o.path);
    this.monitor = nonEmptyString(fn, 'monitor', o.monitor ?? 'val_loss');
    this.saveBestOnly = booleanOption(fn, 'saveBestOnly', o.saveBestOnly ?? false);
    this.mode = oneOf(fn, 'mode', o.mode ?? 'auto', MODES);
  }

  async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    const dir = this.path.replace('{epoch}', String(epoch + 1));
    if (this.saveBestOnly) {
      const v = logs[this.monitor];
      if (v === undefined) throw new ValueError(`modelCheckpoint: monitor '${this.monitor}' is not in the logs (available: ${Object.keys(logs).join(', ')})`);
      if (!Number.isNaN(this.best) && !better(this.mode, this.monitor, v, this.best, 0)) return;
      this.best = v;
    }
    await this.model!.save(dir);
  }
}

/** Writes one CSV row per epoch (epoch and every log), rewriting the file atomically each time. */
export class CsvLogger implements Callback {
  readonly path: string;
  private rows: Logs[] = [];
  private keys: string[] = [];

  constructor(path: string) {
    this.path = nonEmptyString('csvLogger', 'path', path);
  }

  onTrainBegin(): void {
    this.rows = [];
    this.keys = [];
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    for (const k of Object.keys(logs)) if (!this.keys.includes(k)) this.keys.push(k);
    this.rows.push({ epoch, ...logs });
    const lines = [['epoch', ...this.keys].join(','), ...this.rows.map((r) => ['epoch', ...this.keys].map((k) => (r[k] === undefined ? '' : String(r[k]))).join(','))];
    writeFileAtomicSync(this.path, lines.join('\n') + '\n', 'csvLogger', 'the log');
  }
}

/** Records every batch's logs and every epoch's logs (for plotting loss per batch). */
export class LogRecorder implements Callback {
  readonly batches: Logs[] = [];
  readonly epochs: Logs[] = [];
  onBatchEnd(_batch: number, logs: Logs): void { this.batches.push({ ...logs }); }
  onEpochEnd(_epoch: number, logs: Logs): void { this.epochs.push({ ...logs }); }
}

/** Makers of the callbacks `fit` takes: progress bar, early stopping, checkpoints, a CSV log and a log recorder. */
export const callbacks = {
  progressBar: (options?: ProgressBarOptions) => new ProgressBar(options),
  earlyStopping: (options?: EarlyStoppingOptions) => new EarlyStopping(options),
  modelCheckpoint: (options: ModelCheckpointOptions) => new ModelCheckpoint(options),
  csvLogger: (path: string) => new CsvLogger(path),
  logRecorder: () => new LogRecorder(),
};

type Hook = 'onTrainBegin' | 'onTrainEnd' | 'onEpochBegin' | 'onEpochEnd' | 'onBatchBegin' | 'onBatchEnd';

/** The callbacks of one fit() call, given the model and the run's parameters, called in order. */
export class CallbackList {
  readonly callbacks: readonly Callback[];

  constructor(callbacks: readonly Callback[], model: CallbackModel, params: TrainingParams) {
    callbacks.forEach((cb, i) => {
      if (cb === null || typeof cb !== 'object') throw new ValueError(`${model.name}.fit: callbacks[${i}] must be an object with hooks such as onEpochEnd, got ${cb === null ? 'null' : typeof cb}`);
    });
    this.callbacks = callbacks;
    for (const cb of callbacks) {
      cb.model = model;
      cb.params = params;
    }
  }

  private async call(hook: Hook, args: [Logs] | [number, Logs]): Promise<void> {
    for (const cb of this.callbacks) {
      const f = cb[hook] as ((...a: unknown[]) => void | Promise<void>) | undefined;
      if (typeof f === 'function') await f.apply(cb, args);
    }
  }

  trainBegin(logs: Logs = {}): Promise<void> { return this.call('onTrainBegin', [logs]); }
  trainEnd(logs: Logs = {}): Promise<void> { return this.call('onTrainEnd', [logs]); }
  epochBegin(epoch: number, logs: Logs = {}): Promise<void> { return this.call('onEpochBegin', [epoch, logs]); }
  epochEnd(epoch: number, logs: Logs): Promise<void> { return this.call('onEpochEnd', [epoch, logs]); }
  batchBegin(batch: number, logs: Logs): Promise<void> { return this.call('onBatchBegin', [batch, logs]); }
  batchEnd(batch: number, logs: Logs): Promise<void> { return this.call('onBatchEnd', [batch, logs]); }
}

/** What fit() returns: per-epoch logs under Keras' keys. */
/**
 * Why fit() ended before its last epoch: `nan` when a loss, a weight or a layer's moving statistic
 * became NaN or infinite (`what` names it; the model and the optimizer were put back as they were
 * before that step), `callback` when a callback set `stopTraining`. Epochs and batches count from 0.
 */
export type StopReason =
  | { kind: 'nan'; epoch: number; batch: number; what: string }
  | { kind: 'callback'; epoch: number; batch: number };

/** What `fit` returns: each epoch's logs (loss, metrics, val_ ones) and why training stopped early, if it did. */
export class History {
  readonly epoch: number[] = [];
  readonly history: Record<string, number[]> = {};
  /** Set when training stopped because the loss, a weight or a moving statistic became NaN or infinite. */
  terminatedOnNaN: { epoch: number; batch: number } | null = null;
  /** Why training stopped early; null when every epoch ran. */
  stopReason: StopReason | null = null;
  params: TrainingParams | null = null;

  record(epoch: number, logs: Logs): void {
    this.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) (this.history[k] ??= []).push(v);
  }
}
