/**
 * Charts as Vega-Lite specifications, rendered headlessly to SVG and PNG.
 * Use as `import { plot } from 'gradlab'; await plot.line({ loss }).save('loss.png')`.
 */
export { Figure } from './figure.js';
export type { FigureFormat, PNGOptions, TopLevelSpec } from './figure.js';
export { line, fn, confusionMatrix, confusionCounts, PALETTE } from './charts.js';
export type { Series, LineOptions, FnOptions, Fn1, ConfusionMatrixOptions, ConfusionCounts } from './charts.js';
export { decisionRegions } from './regions.js';
export { heatMap } from './heatmap.js';
export type { HeatMapOptions } from './heatmap.js';
export type { Predict2D, DecisionRegionsOptions, RegionGrid } from './regions.js';
export { images, filters, featureMaps } from './images.js';
export type { Colormap, GridOptions, ImagesOptions, FiltersOptions, FeatureMapsOptions, HasWeights, Traceable } from './images.js';
export { encodePNG } from './png.js';
export type { NumericInput, ArrayInput } from './input.js';
export {
  writeReport, writeClassifierReport, reportHTML, trainingCurves, batchLosses, scalarMetrics, formatMetric,
} from './report.js';
export type {
  ReportSpec, ReportFigure, ReportTable, ReportResult, ReportFileFormat, MetricValue, ClassifierReportSpec, TrainingLogs,
} from './report.js';
