import { ValueError } from '../core/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Sequential } from '../nn/sequential.js';
import { writeFileAtomicSync } from '../core/atomic.js';

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

/** Any of these hooks, sync or async; `model` and `params` are set before onTrainBegin. */
export interface Callback {
  model?: Sequential;
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

export interface ProgressBarOptions {
  /** Where to write (default process.stdout). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Redraws per second in a terminal (default 10). */
  updatesPerSecond?: number;
}

/**
 * Keras' progress bar: in a terminal one updating line per epoch with ETA, loss and metrics;
 * otherwise (a pipe, a CI log) one plain line at the end of each epoch.
 */
export class ProgressBar implements Callback {
  model?: Sequential;
  params?: TrainingParams;
  private readonly stream: NonNullable<ProgressBarOptions['stream']>;
  private readonly interval: number;
  private epochStart = 0;
  private lastDraw = 0;

  constructor(options: ProgressBarOptions = {}) {
    this.stream = options.stream ?? process.stdout;
    this.interval = 1000 / (options.updatesPerSecond ?? 10);
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

export interface EarlyStoppingOptions {
  monitor?: string;
  patience?: number;
  minDelta?: number;
  mode?: Mode;
  /** Put back the weights of the best epoch when stopping (or at the end). */
  restoreBestWeights?: boolean;
}

/** Stops fit() when `monitor` (default val_loss) has not improved for `patience` epochs. */
export class EarlyStopping implements Callback {
  model?: Sequential;
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
    this.monitor = options.monitor ?? 'val_loss';
    this.patience = options.patience ?? 0;
    this.minDelta = Math.abs(options.minDelta ?? 0);
    this.mode = options.mode ?? 'auto';
    this.restoreBestWeights = options.restoreBestWeights ?? false;
    if (!Number.isInteger(this.patience) || this.patience < 0) throw new ValueError(`earlyStopping: patience must be a non-negative integer, got ${this.patience}`);
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

export interface ModelCheckpointOptions {
  /** Folder to save into; `{epoch}` is replaced by the 1-based epoch number. */
  path: string;
  monitor?: string;
  saveBestOnly?: boolean;
  mode?: Mode;
}

/** Saves the model at the end of each epoch (or only when `monitor` improves). */
export class ModelCheckpoint implements Callback {
  model?: Sequential;
  readonly path: string;
  readonly monitor: string;
  readonly saveBestOnly: boolean;
  readonly mode: Mode;
  best = NaN;

  constructor(options: ModelCheckpointOptions) {
    if (!options || typeof options.path !== 'string' || options.path === '') throw new ValueError('modelCheckpoint: path must be a non-empty string');
    this.path = options.path;
    this.monitor = options.monitor ?? 'val_loss';
    this.saveBestOnly = options.saveBestOnly ?? false;
    this.mode = options.mode ?? 'auto';
  }

  async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    const dir = this.path.replace('{epoch}', String(epoch + 1));
    if (this.saveBestOnly) {
      const v = logs[this.monitor];
      if (v === undefined) throw new ValueError(`modelCheckpoint: monitor '${this.monitor}' is not in the logs (available: ${Object.keys(logs).join(', ')})`);
      if (!Number.isNaN(this.best) && !better(this.mode, this.monitor, v, this.best, 0)) return;
      this.best = v;
    }
    const model = this.model as Sequential & { save?: (dir: string) => Promise<void> };
    if (typeof model.save !== 'function') throw new ValueError('modelCheckpoint: model.save is not available');
    await model.save(dir);
  }
}

/** Writes one CSV row per epoch (epoch and every log), rewriting the file atomically each time. */
export class CsvLogger implements Callback {
  readonly path: string;
  private rows: Logs[] = [];
  private keys: string[] = [];

  constructor(path: string) {
    if (typeof path !== 'string' || path === '') throw new ValueError('csvLogger: path must be a non-empty string');
    this.path = path;
  }

  onTrainBegin(): void {
    this.rows = [];
    this.keys = [];
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    for (const k of Object.keys(logs)) if (!this.keys.includes(k)) this.keys.push(k);
    this.rows.push({ epoch, ...logs });
    const lines = [['epoch', ...this.keys].join(','), ...this.rows.map((r) => ['epoch', ...this.keys].map((k) => (r[k] === undefined ? '' : String(r[k]))).join(','))];
    writeFileAtomicSync(this.path, lines.join('\n') + '\n');
  }
}

/** Records every batch's logs and every epoch's logs (for plotting loss per batch). */
export class LogRecorder implements Callback {
  readonly batches: Logs[] = [];
  readonly epochs: Logs[] = [];
  onBatchEnd(_batch: number, logs: Logs): void { this.batches.push({ ...logs }); }
  onEpochEnd(_epoch: number, logs: Logs): void { this.epochs.push({ ...logs }); }
}

export const callbacks = {
  progressBar: (options?: ProgressBarOptions) => new ProgressBar(options),
  earlyStopping: (options?: EarlyStoppingOptions) => new EarlyStopping(options),
  modelCheckpoint: (options: ModelCheckpointOptions) => new ModelCheckpoint(options),
  csvLogger: (path: string) => new CsvLogger(path),
  logRecorder: () => new LogRecorder(),
};
