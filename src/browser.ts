// The browser entry: what works in a page. The same modules as src/index.ts minus files,
// folders, pictures rendered to PNG/SVG and the data sets read from disk; models go to and from
// bytes, URLs (fetch) and IndexedDB instead. The wasm backend loads asynchronously here (a page
// may not compile a large module synchronously): `await gl.ready()` before timing anything;
// until then, and if it cannot load, the js backend computes.
export { GradlabError, ShapeError, ValueError, DTypeError, FormatError, IOError } from './core/errors.js';
export { Tensor, noGrad, isGradEnabled } from './tensor/tensor.js';
export type { DType, NestedArray, BackwardOptions } from './tensor/tensor.js';
export * from './tensor/creation.js';
export { manualSeed, Random } from './tensor/random.js';
export { setBackend, getBackend, listBackends } from './backend/index.js';
export * from './ops/index.js';
export type { TensorLike } from './ops/util.js';
export { encodeSafetensors, decodeSafetensors } from './io/safetensors.js';
export type { SafetensorsContents, SafetensorsDType } from './io/safetensors.js';
export { parseIdx, parseCsv, shuffle, trainTestSplit, concatDatasets, standardScaler, minMaxScaler, StandardScaler, MinMaxScaler, BatchDataset } from './data/index.js';
export type { Dataset, IdxArray, CsvData, TrainTestSplit, TrainTestSplitOptions, StandardScalerOptions, MinMaxScalerOptions, Batch, BatchesOptions } from './data/index.js';
export * from './nn/index.js';
export { optimizers } from './optim/index.js';
export type { Optimizer, OptimizerState, SgdOptions, AdamOptions, RmspropOptions } from './optim/index.js';
export * from './train/index.js';
export * as metrics from './metrics/index.js';
// Chart specifications (fig.toSpec() for vega-embed, toSVG through vega); PNG rendering and files are Node's.
export * as plot from './plot/index.js';
// Keras, TF.js and ONNX from bytes and artifacts (gl.io.loadKeras(bytes), gl.io.loadOnnx(bytes), ...)
export * as io from './browser-io.js';
export { createWasmBackend, wasmBackend } from './backend/wasm/index.js';
export type { WasmBackend, WasmBackendOptions } from './backend/wasm/index.js';
export { setWasmPaths } from './core/env-browser.js';
// Models in the page: 'indexeddb://name' and http(s) URLs for model.save/loadModel/loadWeights, bytes in memory.
export { modelToFiles, loadModelFromFiles } from './nn/files.js';
export { listModels, removeModel } from './io/indexeddb.js';
export { registerModelStore } from './io/stores.js';
export type { ModelStore } from './io/stores.js';
import { indexedDbStore } from './io/indexeddb.js';
import { fetchStore, registerModelStore } from './io/stores.js';
registerModelStore(indexedDbStore);
registerModelStore(fetchStore('http'));
registerModelStore(fetchStore('https'));
import { getBackend } from './backend/index.js';
import { loadWasmBackend } from './backend/wasm/index.js';
import { wasmFile } from './backend/wasm/module.js';
import { env } from './core/env.js';
import { loadWasmModules } from './core/env-browser.js';

let loading: Promise<string> | undefined;

/**
 * Fetches and compiles the wasm kernels (with threads when the page is crossOriginIsolated) and
 * makes the wasm backend the default, as TF.js' `await tf.ready()`; resolves to the backend's
 * name ('wasm', or 'js' when the modules cannot load: the reason goes to console.warn).
 */
export function ready(): Promise<string> {
  loading ??= (async () => {
    const shared = env().defaultThreads() > 1;
    try {
      const relaxed = wasmFile('relaxed', shared);
      await loadWasmModules([relaxed]);
      if (env().wasmModule(relaxed) === undefined) await loadWasmModules([wasmFile('simd', shared)]);
      loadWasmBackend();
    } catch (e) {
      console.warn(`gradlab: the wasm backend did not load; computing with the js backend (${String(e)})`);
    }
    return getBackend();
  })();
  return loading;
}
