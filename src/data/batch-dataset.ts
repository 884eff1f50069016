// A data set that hands out batches one at a time (Keras' tf.data.Dataset as fit takes it):
// model.fit, evaluate and predict read it batch by batch, so data that does not fit in memory
// streams. Batches are random-access and synchronous (decoding is CPU work either way), which
// keeps evaluate() and predict() synchronous and lets each epoch have its own seeded order.
import { ValueError } from '../core/errors.js';
import { env } from '../core/env.js';
import { checkOptions, describeValue, nonNegativeInt, optionKeys, positiveInt } from '../core/validate.js';
import { Tensor, allocate } from '../tensor/tensor.js';

/** One batch: inputs x [b, ...] and targets y [b, ...] (null when the data set has no labels). */
export interface Batch {
  x: Tensor;
  y: Tensor | null;
}

/** Options of `dataset.batches(options)`. */
export interface BatchesOptions {
  /** Which pass over the data: 0 (default) is the data set's own order; later ones are reshuffled when it shuffles. */
  epoch?: number;
}

const BATCHES_KEYS = optionKeys<BatchesOptions>({ epoch: true });

/** Base of the data sets that fit, evaluate and predict accept in place of tensors. */
export abstract class BatchDataset {
  /** Samples per batch (the last batch may be smaller). */
  abstract readonly batchSize: number;
  /** Samples in the data set. */
  abstract readonly size: number;

  /** Batches in one pass: ceil(size / batchSize). */
  get batchCount(): number {
    return Math.ceil(this.size / this.batchSize);
  }

  /** Batch `index` of pass `epoch` (0 = the data set's own order; the same index and epoch give the same batch). */
  batch(index: number, epoch = 0): Batch {
    const fn = `${this.constructor.name}.batch`;
    if (!Number.isInteger(index) || index < 0 || index >= this.batchCount) throw new ValueError(`${fn}: index must be an integer in [0, ${this.batchCount}), got ${describeValue(index)}`);
    nonNegativeInt(fn, 'epoch', epoch);
    return this.makeBatch(index, epoch);
  }

  protected abstract makeBatch(index: number, epoch: number): Batch;

  /** The batches of pass 0, in order. */
  *[Symbol.iterator](): Iterator<Batch> {
    for (let i = 0; i < this.batchCount; i++) yield this.makeBatch(i, 0);
  }

  /** The batches of one pass as an async iterator (`for await (const { x, y } of ds.batches())`), yielding to the event loop between batches. */
  async *batches(options?: BatchesOptions): AsyncGenerator<Batch, void, undefined> {
    const o = checkOptions(`${this.constructor.name}.batches`, options, BATCHES_KEYS);
    const epoch = nonNegativeInt(`${this.constructor.name}.batches`, 'epoch', o.epoch ?? 0);
    for (let i = 0; i < this.batchCount; i++) {
      yield this.makeBatch(i, epoch);
      await env().yieldToEventLoop();
    }
  }

  /** The first `n` batches of each pass as a data set (Keras' take). */
  take(n: number): BatchDataset {
    positiveInt(`${this.constructor.name}.take`, 'n', n);
    return new TakeDataset(this, Math.min(n, this.batchCount));
  }

  /** Every batch of pass 0 joined into x [size, ...] and y (for data that fits in memory). */
  toTensors(): { x: Tensor; y: Tensor | null } {
    const xs: Tensor[] = [];
    const ys: Tensor[] = [];
    for (const b of this) {
      xs.push(b.x);
      if (b.y) ys.push(b.y);
    }
    return { x: joinRows(xs), y: ys.length > 0 ? joinRows(ys) : null };
  }
}

/** Tensors with the same first axis stacked along it. */
export function joinRows(parts: readonly Tensor[]): Tensor {
  const total = parts.reduce((n, t) => n + t.shape[0], 0);
  const out = allocate(parts[0].dtype, parts.reduce((n, t) => n + t.size, 0));
  let o = 0;
  for (const t of parts) {
    out.set(t.data, o);
    o += t.size;
  }
  return new Tensor(out, [total, ...parts[0].shape.slice(1)]);
}

class TakeDataset extends BatchDataset {
  readonly batchSize: number;
  readonly size: number;
  constructor(private readonly source: BatchDataset, private readonly count: number) {
    super();
    this.batchSize = source.batchSize;
    this.size = Math.min(source.size, count * source.batchSize);
  }
  protected makeBatch(index: number, epoch: number): Batch {
    return this.source.batch(index, epoch);
  }
}
