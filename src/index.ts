// The public API: re-exports only.
export { GradlabError, ShapeError, ValueError, DTypeError, FormatError, IOError } from './core/errors.js';
export { Tensor, noGrad, isGradEnabled } from './tensor/tensor.js';
export type { DType, FloatDType, TensorData, NestedArray, NestedValues, BackwardOptions } from './tensor/tensor.js';
export { promoteTypes } from './tensor/dtype.js';
export * from './tensor/creation.js';
export { manualSeed, Random } from './tensor/random.js';
export { setBackend, getBackend, listBackends } from './backend/index.js';
export { backendInfo } from './backend/select.js';
export type { BackendInfo } from './backend/select.js';
import { loadDefaultBackend } from './backend/select.js';
// The fastest backend by default: native, else wasm SIMD (GRADLAB_BACKEND=native|wasm|js overrides).
loadDefaultBackend();
export { ready } from './backend/wasm/ready.js';
// (more exports are added below as modules land; keep one line per module)
export * from './ops/index.js';
export type { TensorLike } from './ops/util.js';
export { writeFileAtomic, writeFileAtomicSync } from './core/atomic.js';
export { encodeSafetensors, decodeSafetensors, writeSafetensors, readSafetensors, readSafetensorsSync } from './io/safetensors.js';
export type { SafetensorsContents, SafetensorsDType } from './io/safetensors.js';
export { datasets, loadIdx, readIdx, parseIdx, loadCsv, parseCsv, shuffle, trainTestSplit, concatDatasets, standardScaler, minMaxScaler, StandardScaler, MinMaxScaler } from './data/index.js';
export type { Dataset, ImageClassification, ImageDatasetOptions, LabelledImages, IdxArray, LoadIdxOptions, CsvData, LoadCsvOptions, TrainTestSplit, TrainTestSplitOptions, StandardScalerOptions, MinMaxScalerOptions } from './data/index.js';
export * as data from './data/index.js';
export * from './nn/index.js';
export { optimizers } from './optim/index.js';
export type { Optimizer, OptimizerState, SgdOptions, AdamOptions, RmspropOptions } from './optim/index.js';
export * from './train/index.js';
export * as plot from './plot/index.js';
export * as svm from './svm/index.js';
export * as modelSelection from './selection/index.js';
export * as io from './interop/index.js';
// gl.loadModel opens every format gradlab reads (it replaces nn's folder-only loadModel here).
export { loadModel, detectModelFormat } from './interop/door.js';
export * as applications from './apps/index.js';
export * as metrics from './metrics/index.js';
// models as bytes in memory (the browser entry also has IndexedDB and URLs)
export { modelToFiles, loadModelFromFiles } from './nn/files.js';
