// Data sets and transforms: the public surface of src/data.
export { datasets, mnist, fashionMnist, FASHION_MNIST_DIR, FASHION_MNIST_CLASSES } from './datasets.js';
export type { ImageClassification, ImageDatasetOptions, LabelledImages } from './datasets.js';
export { loadIdx, readIdx, parseIdx } from './idx.js';
export type { IdxArray, IdxData, IdxType, LoadIdxOptions, ParseIdxOptions } from './idx.js';
export { loadCsv, parseCsv } from './csv.js';
export type { CsvData, LoadCsvOptions } from './csv.js';
export {
  shuffle, trainTestSplit, concatDatasets, standardScaler, minMaxScaler, StandardScaler, MinMaxScaler,
} from './transforms.js';
export type {
  Dataset, SeedOptions, TrainTestSplit, TrainTestSplitOptions, StandardScalerOptions, MinMaxScalerOptions,
} from './transforms.js';
// oneHot lives with the shape ops (src/ops/shape.ts) and is exported from the package there.
