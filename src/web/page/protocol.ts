// Messages between the lab page and its training worker (types only: both sides compile against them).

export interface TrainSettings {
  trainSize: number;
  testSize: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
}

export type ToWorker =
  | { type: 'init'; bundle: string }
  | { type: 'train'; settings: TrainSettings }
  | { type: 'stop' }
  | { type: 'predict'; id: number; pixels: Float32Array }
  | { type: 'load'; url: string; source: string };

/** A Vega-Lite spec as JSON (the page hands it to vega-embed). */
export type Spec = Record<string, unknown>;

export interface ChartSpecs {
  batchLoss: Spec;
  batchAccuracy: Spec;
  epochLoss: Spec;
  epochAccuracy: Spec;
}

export interface ModelInfo {
  name: string;
  params: number;
  source: string;
  summary: string;
  /** Whether Draw can feed it: a [28, 28, 1] input and 10 outputs. */
  drawable: boolean;
  why?: string;
}

export type FromWorker =
  | { type: 'ready'; backend: string; threads: number; isolated: boolean }
  | { type: 'status'; text: string }
  | { type: 'data'; train: number; test: number; ms: number }
  | { type: 'batch'; step: number; epoch: number; batch: number; steps: number; loss: number; accuracy: number; batchLoss: number; batchAccuracy: number; imagesPerSecond: number }
  | { type: 'epoch'; epoch: number; logs: Record<string, number> }
  | { type: 'done'; stopped: boolean; seconds: number; images: number }
  | { type: 'model'; info: ModelInfo }
  | { type: 'prediction'; id: number; probs: number[]; maps: Float32Array | null; mapShape: number[] | null; layer: string | null }
  | { type: 'error'; where: string; message: string };
