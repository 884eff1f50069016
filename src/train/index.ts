import './fit.js';
export { History } from './fit.js';
export type { CompileArgs, FitArgs, EvaluateArgs, Targets } from './fit.js';
export { callbacks, ProgressBar, EarlyStopping, ModelCheckpoint, CsvLogger, LogRecorder } from './callbacks.js';
export type { Callback, Logs, TrainingParams, EarlyStoppingOptions, ModelCheckpointOptions, ProgressBarOptions } from './callbacks.js';
export type { LossFn, MetricFn, LossName } from './losses.js';
