// gl.metrics: scikit-learn's metrics (and the Keras compile metrics that share their names).
export { accuracyScore, confusionMatrix, precisionScore, recallScore, f1Score, fbetaScore, precisionRecallFscoreSupport, classificationReport } from './classification.js';
export type { Average, ZeroDivision, AccuracyOptions, ConfusionMatrixOptions, PrfOptions, FbetaOptions, PrfResult, ClassificationReportOptions, ClassificationReportDict, ReportRow, TopKOptions } from './classification.js';
export { rocCurve, rocAucScore, auc, logLoss, topKAccuracyScore } from './ranking.js';
export type { RocCurve, RocCurveOptions, RocAucOptions, LogLossOptions } from './ranking.js';
export { meanSquaredError, meanAbsoluteError, r2Score } from './regression.js';
export type { RegressionOptions } from './regression.js';
export type { MetricInput, ScoreInput } from './input.js';
