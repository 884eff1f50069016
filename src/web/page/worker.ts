// The lab's Web Worker: it owns the network. It imports gradlab's browser bundle (wasm backend),
// trains LeNet-5 on the MNIST digits the server sends, reports every batch and epoch, and answers
// the Draw panel's predictions between batches, so the page never blocks.
import type { FromWorker, ModelInfo, ToWorker, TrainSettings } from './protocol.js';
import type { Model } from '../../nn/model.js';
import type { Sequential } from '../../nn/sequential.js';
import type * as nn from '../../nn/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { Logs } from '../../train/callbacks.js';
import type { optimizers } from '../../optim/index.js';

/** What the worker uses of gradlab's browser build (its entry exports these under the same names). */
interface Gradlab {
  Tensor: typeof Tensor;
  sequential: typeof nn.sequential;
  layers: typeof nn.layers;
  optimizers: typeof optimizers;
  manualSeed(seed: number): void;
  getBackend(): string;
  loadModel(source: string): Promise<Model>;
}

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;
const post = (m: FromWorker, transfer: Transferable[] = []) => scope.postMessage(m, transfer);

let gl: Gradlab | null = null;
let current: Model | null = null;
let training = false;
let stopRequested = false;

/** Lets queued messages (Stop, predictions) run between batches: a task, not a microtask. */
function yieldToEvents(): Promise<void> {
  return new Promise((ok) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => ok();
    ch.port2.postMessage(0);
  });
}

/** The server's binary MNIST ('GLMN', count, rows, cols, pixels, labels) as [n,28,28,1] in [0, 1] and labels. */
async function fetchMnist(lib: Gradlab, split: 'train' | 'test', count: number): Promise<{ x: Tensor; y: Tensor }> {
  const res = await fetch(`/api/mnist?split=${split}&count=${count}`);
  if (!res.ok) throw new Error(`/api/mnist (${split}): ${res.status} ${await res.text()}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const dv = new DataView(bytes.buffer);
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  const n = dv.getUint32(4, true);
  if (magic !== 'GLMN' || dv.getUint32(8, true) !== 28 || dv.getUint32(12, true) !== 28 || bytes.length !== 16 + n * 785) {
    throw new Error(`/api/mnist (${split}): not a GLMN answer of ${n} 28x28 digits (${bytes.length} bytes)`);
  }
  const x = new Float32Array(n * 784);
  for (let i = 0; i < x.length; i++) x[i] = bytes[16 + i] / 255;
  const y = Float32Array.from(bytes.subarray(16 + n * 784));
  return { x: new lib.Tensor(x, [n, 28, 28, 1]), y: new lib.Tensor(y, [n]) };
}

/** LeNet-5 as `gradlab train` builds it. */
function lenet(lib: Gradlab): Sequential {
  const { layers } = lib;
  return lib.sequential({ name: 'lenet5', layers: [
    layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.flatten(),
    layers.dense({ units: 120, activation: 'relu' }),
    layers.dense({ units: 84, activation: 'relu' }),
    layers.dense({ units: 10, activation: 'softmax' }),
  ] });
}

function describe(model: Model, source: string): ModelInfo {
  const inShape = model.inputShapes?.[0] ?? [];
  const outShape = model.outputShapes?.[0] ?? [];
  const drawable = model.inputShapes?.length === 1 && inShape.join(',') === '28,28,1' && outShape.join(',') === '10';
  return {
    name: model.name, params: model.countParams(), source, summary: model.summary({ print: false }), drawable,
    ...(drawable ? {} : { why: `Draw needs one [28,28,1] input and 10 outputs; this model takes [${inShape}] and gives [${outShape}]` }),
  };
}

async function train(lib: Gradlab, s: TrainSettings): Promise<void> {
  training = true;
  stopRequested = false;
  try {
    post({ type: 'status', text: `Loading ${s.trainSize} training and ${s.testSize} test digits` });
    const t0 = performance.now();
    const [tr, te] = await Promise.all([fetchMnist(lib, 'train', s.trainSize), fetchMnist(lib, 'test', s.testSize)]);
    post({ type: 'data', train: s.trainSize, test: s.testSize, ms: performance.now() - t0 });
    lib.manualSeed(s.seed);
    const model = lenet(lib);
    model.compile({ optimizer: lib.optimizers.adam({ learningRate: s.learningRate }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    current = model;
    post({ type: 'model', info: describe(model, 'trained in this page') });
    const steps = Math.ceil(s.trainSize / s.batchSize);
    let step = 0;
    let epoch = 0;
    let seen = 0;
    let inEpoch = 0;
    let prevLoss = 0;
    let prevAcc = 0;
    const start = performance.now();
    post({ type: 'status', text: `Training LeNet-5 on the ${lib.getBackend()} backend` });
    await model.fit(tr.x, tr.y, {
      epochs: s.epochs, batchSize: s.batchSize, seed: s.seed, verbose: 0, validationData: [te.x, te.y],
      callbacks: [{
        onEpochBegin: (e: number) => {
          epoch = e;
          inEpoch = 0;
          prevLoss = 0;
          prevAcc = 0;
        },
        onBatchEnd: async (b: number, logs: Logs) => {
          const size = logs.size;
          const total = inEpoch + size;
          // fit reports running means over the epoch; the batch's own values are recovered from them.
          const batchLoss = (logs.loss * total - prevLoss * inEpoch) / size;
          const batchAcc = (logs.accuracy * total - prevAcc * inEpoch) / size;
          inEpoch = total;
          prevLoss = logs.loss;
          prevAcc = logs.accuracy;
          seen += size;
          post({
            type: 'batch', step, epoch, batch: b, steps, loss: logs.loss, accuracy: logs.accuracy, batchLoss, batchAccuracy: batchAcc,
            imagesPerSecond: seen / ((performance.now() - start) / 1000),
          });
          step++;
          await yieldToEvents();
          if (stopRequested) model.stopTraining = true;
        },
        onEpochEnd: (e: number, logs: Logs) => post({ type: 'epoch', epoch: e, logs: { ...logs } }),
      }],
    });
    post({ type: 'done', stopped: stopRequested, seconds: (performance.now() - start) / 1000, images: seen });
  } finally {
    training = false;
  }
}

function predict(id: number, pixels: Float32Array): void {
  if (!gl || !current) {
    post({ type: 'error', where: 'draw', message: 'No model yet: train one in the Train panel or load one in Models.' });
    return;
  }
  const info = describe(current, '');
  if (!info.drawable) {
    post({ type: 'error', where: 'draw', message: info.why ?? 'this model cannot read a drawing' });
    return;
  }
  const x = new gl.Tensor(pixels, [1, 28, 28, 1]);
  const probs = Array.from(current.predict(x).data);
  const conv = current.trace(x).find((t) => t.className === 'Conv2D');
  const maps = conv ? Float32Array.from(conv.u.data) : null;
  post({ type: 'prediction', id, probs, maps, mapShape: conv ? conv.u.shape.slice(1) : null, layer: conv ? conv.name : null }, maps ? [maps.buffer] : []);
}

const queue: ToWorker[] = [];
let busy = false;

async function handle(m: ToWorker): Promise<void> {
  if (m.type === 'init') {
    // A URL the page computed: the bundle is not part of this program's sources.
    const lib = (await import(m.bundle)) as Gradlab & { ready?: () => Promise<unknown> };
    if (typeof lib.ready === 'function') await lib.ready();
    gl = lib;
    const threads = (navigator as { hardwareConcurrency?: number }).hardwareConcurrency ?? 1;
    post({ type: 'ready', backend: lib.getBackend(), threads, isolated: (self as { crossOriginIsolated?: boolean }).crossOriginIsolated === true });
    return;
  }
  if (!gl) throw new Error('the worker got a message before init');
  if (m.type === 'train') {
    if (training) throw new Error('already training');
    await train(gl, m.settings);
  } else if (m.type === 'load') {
    post({ type: 'status', text: `Loading ${m.source}` });
    // A gradlab folder by URL (model.json + weights-<hash>.safetensors), fetched and checked by the bundle.
    const model = await gl.loadModel(new URL(m.url, self.location.href).href);
    current = model;
    post({ type: 'model', info: describe(model, m.source) });
  }
}

scope.onmessage = (e) => {
  const m = e.data;
  // Stop and predictions run at once, even mid-training (between two batches).
  if (m.type === 'stop') {
    stopRequested = true;
    return;
  }
  if (m.type === 'predict') {
    try {
      predict(m.id, m.pixels);
    } catch (err) {
      post({ type: 'error', where: 'draw', message: err instanceof Error ? err.message : String(err) });
    }
    return;
  }
  queue.push(m);
  if (busy) return;
  busy = true;
  void (async () => {
    while (queue.length > 0) {
      const next = queue.shift()!;
      try {
        await handle(next);
      } catch (err) {
        post({ type: 'error', where: next.type, message: err instanceof Error ? err.message : String(err) });
      }
    }
    busy = false;
  })();
};
