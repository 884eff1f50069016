// Model selection as scikit-learn's: KFold and StratifiedKFold folds, cross-validated scores and
// an exhaustive grid search over hyperparameters (SVC, LinearSVC, Keras-style model factories).
export { KFold, StratifiedKFold } from './split.js';
export type { Fold, Splitter, KFoldOptions, Labels, SampleCount } from './split.js';
export { crossValScore, GridSearchCV, parameterGrid, registerScorer, scorerNames } from './search.js';
export type {
  BestEstimator, CV, CVResults, FoldLike, CrossValScoreOptions, Estimator, GridSearchCVOptions, ModelFactory, ParamGrid, ParamValue, Params,
  Samples, ScoreFunction, Scoring,
} from './search.js';
