// Data sets and transforms: the public surface of src/data.
export { datasets, mnist, fashionMnist, FASHION_MNIST_DIR, FASHION_MNIST_CLASSES } from './datasets.js';
export type { ImageClassification, ImageDatasetOptions, LabelledImages } from './datasets.js';
export { loadIdx, readIdx, parseIdx } from './idx.js';
export type { IdxArray, IdxData, IdxType, LoadIdxOptions, ParseIdxOptions, ReadIdxOptions } from './idx.js';
export { loadCsv, parseCsv } from './csv.js';
export type { CsvData, LoadCsvOptions } from './csv.js';
export {
  shuffle, trainTestSplit, concatDatasets, standardScaler, minMaxScaler, StandardScaler, MinMaxScaler,
} from './transforms.js';
export type {
  Dataset, SeedOptions, TrainTestSplit, TrainTestSplitOptions, StandardScalerOptions, MinMaxScalerOptions,
} from './transforms.js';
// oneHot lives with the shape ops (src/ops/shape.ts) and is exported from the package there.
export { loadImage, readImageHeader, sniffImageFormat } from './images.js';
export type { LoadImageOptions, ImageHeader, ImageFormat, ImageChannels, ImageInterpolation } from './images.js';
export { BatchDataset } from './batch-dataset.js';
export type { Batch, BatchesOptions } from './batch-dataset.js';
export { imageDatasetFromDirectory, ImageDataset } from './image-dataset.js';
export type { ImageDirectoryOptions, LabelMode, ColorMode, Subset } from './image-dataset.js';
