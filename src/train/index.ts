export { callbacks, ProgressBar, EarlyStopping, ModelCheckpoint, CsvLogger, LogRecorder, CallbackList, History } from './callbacks.js';
export type { Callback, CallbackModel, Logs, StopReason, TrainingParams, EarlyStoppingOptions, ModelCheckpointOptions, ProgressBarOptions } from './callbacks.js';
export type { LossFn, MetricFn, LossName } from './losses.js';
