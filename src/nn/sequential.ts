import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { Tensor, noGrad, type NestedArray } from '../tensor/tensor.js';
import { concat, slice } from '../ops/index.js';
import { Layer, uniqueName } from './layer.js';

export interface SequentialArgs {
  layers?: readonly Layer[];
  name?: string;
}

/** One layer's values in `trace()`: the pre-activation z and the output u. */
export interface LayerTrace {
  name: string;
  className: string;
  z: Tensor;
  u: Tensor;
}

export interface SummaryOptions {
  /** Print the table (default true); it is returned either way. */
  print?: boolean;
  /** Where to print (default console.log). */
  printFn?: (line: string) => void;
}

export interface PredictOptions {
  batchSize?: number;
}

/** A stack of layers, each feeding the next (Keras' Sequential). */
export class Sequential {
  readonly name: string;
  readonly layers: Layer[] = [];
  /** Set by a callback to end fit() after the current batch (Keras' stop_training). */
  stopTraining = false;

  constructor(args: SequentialArgs = {}) {
    this.name = args.name ?? uniqueName('sequential');
    for (const l of args.layers ?? []) this.add(l);
  }

  /** Appends a layer; with a known input shape it is built at once, so shapes are inferred as you go. */
  add(layer: Layer): this {
    if (!(layer instanceof Layer)) throw new ValueError(`${this.name}.add: expected a layer (e.g. layers.dense({ units: 10 })), got ${typeof layer}`);
    if (this.layers.some((l) => l.name === layer.name)) throw new ValueError(`${this.name}.add: a layer named '${layer.name}' is already in the model`);
    const prev = this.layers[this.layers.length - 1];
    if (prev === undefined) {
      if (layer.requestedInputShape && !layer.built) layer.build(layer.requestedInputShape);
    } else {
      if (layer.requestedInputShape) {
        throw new ValueError(`${this.name}.add: only the first layer takes inputShape ('${layer.name}' is layer ${this.layers.length + 1})`);
      }
      if (prev.outputShape) layer.build(prev.outputShape);
    }
    this.layers.push(layer);
    return this;
  }

  /** Builds every layer for a per-sample input shape (done automatically by the first call). */
  build(inputShape: readonly number[]): void {
    let s: readonly number[] = inputShape;
    for (const l of this.layers) {
      l.build(s);
      s = l.outputShape!;
    }
  }

  get built(): boolean {
    return this.layers.length > 0 && this.layers.every((l) => l.built);
  }

  /** Per-sample input shape (after building). */
  get inputShape(): number[] | null {
    return this.layers[0]?.inputShape ?? null;
  }

  get outputShape(): number[] | null {
    return this.layers[this.layers.length - 1]?.outputShape ?? null;
  }

  private ensureBuilt(fn: string, x: Tensor): void {
    if (this.layers.length === 0) throw new ValueError(`${this.name}.${fn}: the model has no layers`);
    if (!(x instanceof Tensor)) throw new ValueError(`${this.name}.${fn}: x must be a Tensor`);
    if (!this.built) this.build(x.shape.slice(1));
    const expected = this.inputShape!;
    const got = x.shape.slice(1);
    if (got.length !== expected.length || got.some((d, i) => d !== expected[i])) {
      throw new ShapeError(`${this.name}.${fn}: the first layer '${this.layers[0].name}' expects input [batch,${expected.join(',')}] but x has shape ${fmtShape(x.shape)}`);
    }
  }

  /** The forward pass on one batch, recording the graph (used by training). */
  forward(x: Tensor, training: boolean): Tensor {
    this.ensureBuilt('forward', x);
    let u = x;
    for (const l of this.layers) u = l.apply(u, training);
    return u;
  }

  /** The forward pass returning, for the last layer, its pre-activation too (losses from logits use it). */
  forwardWithLogits(x: Tensor, training: boolean): { z: Tensor; u: Tensor } {
    this.ensureBuilt('forward', x);
    let u = x;
    const last = this.layers.length - 1;
    // only the last layer's z is read: the others may leave it uncomputed (fused ops)
    for (let i = 0; i < last; i++) u = this.layers[i].call(u, training).u;
    return this.layers[last].call(u, training, true);
  }

  /** Outputs for x in inference mode, in batches (default 32). */
  predict(x: Tensor, options: PredictOptions = {}): Tensor {
    this.ensureBuilt('predict', x);
    const bs = options.batchSize ?? 32;
    if (!Number.isInteger(bs) || bs <= 0) throw new ValueError(`${this.name}.predict: batchSize must be a positive integer, got ${bs}`);
    return noGrad(() => {
      const n = x.shape[0];
      if (n <= bs) return this.forward(x, false);
      const parts: Tensor[] = [];
      for (let s = 0; s < n; s += bs) {
        const size = Math.min(bs, n - s);
        parts.push(this.forward(slice(x, [s], [size, ...x.shape.slice(1)]), false));
      }
      return concat(parts, 0);
    });
  }

  /** Every layer's pre-activation z and output u for x (inference mode), for inspection. */
  trace(x: Tensor): LayerTrace[] {
    this.ensureBuilt('trace', x);
    return noGrad(() => {
      const out: LayerTrace[] = [];
      let u = x;
      for (const l of this.layers) {
        const r = l.call(u, false, true);
        out.push({ name: l.name, className: l.className, z: r.z, u: r.u });
        u = r.u;
      }
      return out;
    });
  }

  /** Weights of all layers, in layer order. */
  getWeights(): Tensor[] {
    return this.layers.flatMap((l) => l.getWeights());
  }

  setWeights(values: readonly (Tensor | NestedArray)[]): void {
    const total = this.layers.reduce((n, l) => n + l.weights.length, 0);
    if (values.length !== total) throw new ValueError(`${this.name}.setWeights: expected ${total} arrays, got ${values.length}`);
    let k = 0;
    for (const l of this.layers) {
      const n = l.weights.length;
      l.setWeights(values.slice(k, k + n));
      k += n;
    }
  }

  get trainableWeights(): Tensor[] {
    return this.layers.flatMap((l) => l.trainableWeights);
  }

  get nonTrainableWeights(): Tensor[] {
    return this.layers.flatMap((l) => l.nonTrainableWeights);
  }

  countParams(): number {
    return this.layers.reduce((n, l) => n + l.countParams(), 0);
  }

  /** Keras' table plus multiplications per sample; printed unless told otherwise, and returned. */
  summary(options: SummaryOptions = {}): string {
    if (!this.built) {
      throw new ValueError(`${this.name}.summary: the model is not built yet; give the first layer an inputShape or call build([..]) or fit/predict first`);
    }
    const fmt = (n: number) => n.toLocaleString('en-US');
    const rows = this.layers.map((l) => [`${l.name} (${l.className})`, `(None, ${l.outputShape!.join(', ')})`, fmt(l.countParams()), fmt(l.multiplications())]);
    const head = ['Layer (type)', 'Output Shape', 'Param #', 'Mult. / sample'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)) + 3);
    const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('').trimEnd();
    const total = widths.reduce((a, b) => a + b, 0);
    const trainable = this.layers.reduce((n, l) => n + l.trainableWeights.reduce((m, w) => m + w.size, 0), 0);
    const all = this.countParams();
    const mults = this.layers.reduce((n, l) => n + l.multiplications(), 0);
    const out = [
      `Model: "${this.name}"`,
      '_'.repeat(total),
      line(head),
      '='.repeat(total),
      ...rows.flatMap((r, i) => [line(r), i < rows.length - 1 ? '_'.repeat(total) : '='.repeat(total)]),
      `Total params: ${fmt(all)}`,
      `Trainable params: ${fmt(trainable)}`,
      `Non-trainable params: ${fmt(all - trainable)}`,
      `Multiplications per sample: ${fmt(mults)}`,
      '_'.repeat(total),
    ].join('\n');
    if (options.print !== false) (options.printFn ?? console.log)(out);
    return out;
  }
}

/** A new Sequential model (Keras' tf.keras.Sequential). */
export function sequential(args: SequentialArgs = {}): Sequential {
  return new Sequential(args);
}
