/**
 * Run reports: a folder of figures (PNG and SVG files) and one self-contained `report.html` with
 * the figures inlined and the metrics as a table. `writeReport` takes any figures (the SVM command
 * uses it too); `writeClassifierReport` builds the usual ones for a classifier first: training
 * curves, confusion matrix, random test samples with their predictions, misclassified samples and
 * the first convolution's filters.
 */
import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { Tensor, allocate } from '../tensor/tensor.js';
import { rngFor } from '../tensor/random.js';
import { writeFileAtomic } from '../core/atomic.js';
import {
  checkOptions, describeValue as describe, integer, isPositiveInt, nonEmptyString, nonNegativeInt, optionKeys, optional, orderedPair,
  requireOption, stringArray, stringOption,
} from '../core/validate.js';
import type { EvaluateArgs, Targets } from '../nn/model.js';
import type { Logs } from '../train/callbacks.js';
import { Figure, pngScale } from './figure.js';
import { line, confusionMatrix, confusionCounts, type Series } from './charts.js';
import { images, filters, type HasWeights } from './images.js';
import { type NumericInput, vector } from './input.js';
import { nodeModule } from '../core/env.js';
const path = nodeModule('path');

/** A value in the metrics table. */
export type MetricValue = number | string | boolean | null;

/** One figure of a report: written as `<name>.png` / `<name>.svg` and shown with its caption. */
export interface ReportFigure {
  /** File name without extension: letters, digits, '_' and '-'. */
  name: string;
  figure: Figure;
  caption?: string;
}

/** A table of the report (e.g. per-epoch logs, per-class scores). */
export interface ReportTable {
  title: string;
  columns: readonly string[];
  rows: readonly (readonly MetricValue[])[];
}

/** A file format a report writes each figure in besides its page. */
export type ReportFileFormat = 'png' | 'svg';

/** What `plot.writeReport(dir, spec)` puts on the page. */
export interface ReportSpec {
  /** Required: the page's heading, non-empty. */
  title: string;
  /** One line under the title (model, data, date). Default: none. */
  subtitle?: string;
  /** Required: shown as a two-column table, in this order ({} for none). */
  metrics: Readonly<Record<string, MetricValue>>;
  /** Required: the figures, in page order, each written as <name>.png/.svg too ([] for none). */
  figures: readonly ReportFigure[];
  /** Short remarks shown under the metrics, e.g. that no test sample was misclassified. Default: none. */
  notes?: readonly string[];
  /** More tables, each with a title, column names and rows, after the metrics. Default: none. */
  tables?: readonly ReportTable[];
  /** Files written per figure besides the page. Default ['png', 'svg']; [] writes only report.html. */
  formats?: readonly ReportFileFormat[];
  /** Pixels per SVG unit of the PNG files. Default 1. */
  pngScale?: number;
}

/** What `plot.writeReport` and `plot.writeClassifierReport` wrote. */
export interface ReportResult {
  /** Absolute path of report.html. */
  html: string;
  /** Every file written (figures, then report.html). */
  files: string[];
  /** Time spent rendering and writing. */
  seconds: number;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

function escapeHTML(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const REPORT_KEYS = optionKeys<ReportSpec>({
  title: true, subtitle: true, metrics: true, figures: true, notes: true, tables: true, formats: true, pngScale: true,
});
const FIGURE_KEYS = optionKeys<ReportFigure>({ name: true, figure: true, caption: true });
const TABLE_KEYS = optionKeys<ReportTable>({ title: true, columns: true, rows: true });

function isMetricValue(v: unknown): v is MetricValue {
  return v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean';
}

/** Numbers as people read them: integers whole, others to 6 significant digits. */
export function formatMetric(v: MetricValue): string {
  if (v === null) return '–';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(6)));
}

/**
 * The scalar entries of a record (e.g. the object written to metrics.json): numbers, strings,
 * booleans and null are kept, small objects of scalars become JSON text, arrays and nested
 * records (per-epoch histories) are left out.
 */
export function scalarMetrics(record: Readonly<Record<string, unknown>>): Record<string, MetricValue> {
  if (record === null || typeof record !== 'object') {
    throw new ValueError(`scalarMetrics: record must be an object, got ${describe(record)}`);
  }
  const out: Record<string, MetricValue> = {};
  for (const [k, v] of Object.entries(record)) {
    if (isMetricValue(v)) out[k] = v;
    else if (v !== undefined && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every(isMetricValue)) {
      out[k] = JSON.stringify(v);
    }
  }
  return out;
}

/** A report spec's keys and values, checked before anything is rendered or written. */
function checkSpec(fn: string, dir: string, input: ReportSpec): void {
  nonEmptyString(fn, 'dir', dir);
  if (input === undefined) throw new ValueError(`${fn}: spec is required, e.g. { title: 'Run 3', metrics: {}, figures: [] }`);
  const spec = checkOptions(fn, input, REPORT_KEYS, 'spec');
  for (const key of ['title', 'metrics', 'figures'] as const) requireOption(fn, spec, key, "{ title: 'Run 3', metrics: {}, figures: [] }");
  if (typeof spec.title !== 'string' || spec.title.trim() === '') throw new ValueError(`${fn}: spec.title must be a non-empty string, got ${JSON.stringify(spec.title)}`);
  optional(fn, 'spec.subtitle', spec.subtitle, stringOption);
  if (spec.metrics === null || typeof spec.metrics !== 'object' || Array.isArray(spec.metrics)) {
    throw new ValueError(`${fn}: spec.metrics must be a record of numbers, strings, booleans or null, got ${describe(spec.metrics)}`);
  }
  for (const [k, v] of Object.entries(spec.metrics)) {
    if (!isMetricValue(v)) throw new ValueError(`${fn}: spec.metrics['${k}'] is ${describe(v)}; the table holds numbers, strings, booleans or null (see scalarMetrics)`);
  }
  if (!Array.isArray(spec.figures)) throw new ValueError(`${fn}: spec.figures must be an array of { name, figure, caption }, got ${describe(spec.figures)}`);
  const seen = new Set<string>();
  spec.figures.forEach((f: ReportFigure, i: number) => {
    if (f === null || typeof f !== 'object') throw new ValueError(`${fn}: spec.figures[${i}] must be { name, figure, caption }, got ${describe(f)}`);
    checkOptions(`${fn}: spec.figures[${i}]`, f, FIGURE_KEYS);
    if (typeof f.name !== 'string' || !NAME.test(f.name) || f.name === 'report') {
      throw new ValueError(`${fn}: spec.figures[${i}].name must be a file name of letters, digits, '_' and '-' (not 'report'), got ${JSON.stringify(f.name)}`);
    }
    if (seen.has(f.name)) throw new ValueError(`${fn}: two figures are named '${f.name}'`);
    seen.add(f.name);
    if (!(f.figure instanceof Figure)) throw new ValueError(`${fn}: spec.figures[${i}].figure ('${f.name}') must be a plot Figure, got ${describe(f.figure)}`);
    optional(fn, `spec.figures[${i}].caption`, f.caption, stringOption);
  });
  optional(fn, 'spec.notes', spec.notes, stringArray);
  if (spec.tables !== undefined) {
    if (!Array.isArray(spec.tables)) throw new ValueError(`${fn}: spec.tables must be an array, got ${describe(spec.tables)}`);
    spec.tables.forEach((t: ReportTable, i: number) => {
      if (t === null || typeof t !== 'object' || typeof t.title !== 'string' || !Array.isArray(t.columns) || !Array.isArray(t.rows)) {
        throw new ValueError(`${fn}: spec.tables[${i}] must be { title, columns, rows }`);
      }
      checkOptions(`${fn}: spec.tables[${i}]`, t, TABLE_KEYS);
      t.rows.forEach((r, j) => {
        if (!Array.isArray(r) || r.length !== t.columns.length || !r.every(isMetricValue)) {
          throw new ValueError(`${fn}: spec.tables[${i}].rows[${j}] must hold ${t.columns.length} numbers, strings, booleans or null`);
        }
      });
    });
  }
  if (spec.formats !== undefined) {
    if (!Array.isArray(spec.formats) || spec.formats.some((f) => f !== 'png' && f !== 'svg')) {
      throw new ValueError(`${fn}: spec.formats must list 'png' and/or 'svg', got ${JSON.stringify(spec.formats)}`);
    }
  }
  optional(fn, 'spec.pngScale', spec.pngScale, pngScale);
}

/** The width and height attributes of a rendered SVG's root element. */
function svgSize(svg: string): { width: number; height: number } | null {
  const m = /^<svg\b[^>]*?\swidth="([\d.]+)"[^>]*?\sheight="([\d.]+)"/.exec(svg);
  return m === null ? null : { width: Number(m[1]), height: Number(m[2]) };
}

function tableHTML(columns: readonly string[], rows: readonly (readonly MetricValue[])[], cls: string): string {
  const head = `<tr>${columns.map((c) => `<th scope="col">${escapeHTML(c)}</th>`).join('')}</tr>`;
  const body = rows
    .map((r) => `<tr>${r.map((v) => `<td${typeof v === 'number' ? ' class="num"' : ''}>${escapeHTML(formatMetric(v))}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table class="${cls}">\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

const STYLE = `
body{margin:24px auto;max-width:1180px;padding:0 16px;font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;color:#222;background:#fff}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
p.sub{color:#555;margin:0 0 16px}
table{border-collapse:collapse;font-size:14px;margin:4px 0 12px}
th,td{border:1px solid #ccc;padding:4px 10px;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
table.metrics th{background:#f4f4f4;font-weight:normal;color:#333}
thead th{background:#f4f4f4}
ul.notes{margin:4px 0 12px;padding-left:20px}
.figs{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
figure{margin:0;padding:8px;border:1px solid #e4e4e4;border-radius:4px;max-width:100%;box-sizing:border-box}
figure img{display:block;max-width:100%;height:auto}
figcaption{font-size:13px;color:#444;margin-top:6px;width:0;min-width:100%}
figcaption code{font-size:12px;color:#777}
footer{margin-top:32px;font-size:12px;color:#777}
`;

/**
 * The report page as a string. `svgs[i]` is the rendered SVG of `spec.figures[i]`; each is inlined
 * as an <img> data URI: an SVG document of its own, so the ids of one chart's clip paths and
 * gradients cannot capture another's, and the page needs nothing outside itself.
 */
export function reportHTML(spec: ReportSpec, svgs: readonly string[]): string {
  checkOptions('reportHTML', spec, REPORT_KEYS, 'spec');
  const metrics = Object.entries(spec.metrics);
  const parts: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // An empty inline icon: otherwise browsers ask the server (or the disk) for /favicon.ico.
    '<link rel="icon" href="data:,">',
    `<title>${escapeHTML(spec.title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeHTML(spec.title)}</h1>`,
  ];
  if (spec.subtitle) parts.push(`<p class="sub">${escapeHTML(spec.subtitle)}</p>`);
  parts.push('<h2>Metrics</h2>');
  parts.push(
    metrics.length === 0
      ? '<p>No metrics.</p>'
      : `<table class="metrics">\n<tbody>\n${metrics
          .map(([k, v]) => `<tr><th scope="row">${escapeHTML(k)}</th><td${typeof v === 'number' ? ' class="num"' : ''}>${escapeHTML(formatMetric(v))}</td></tr>`)
          .join('\n')}\n</tbody>\n</table>`,
  );
  if (spec.notes && spec.notes.length > 0) {
    parts.push(`<ul class="notes">\n${spec.notes.map((n) => `<li>${escapeHTML(n)}</li>`).join('\n')}\n</ul>`);
  }
  if (spec.figures.length > 0) {
    parts.push('<h2>Figures</h2>', '<div class="figs">');
    spec.figures.forEach((f, i) => {
      const svg = svgs[i];
      const size = svgSize(svg);
      const dims = size === null ? '' : ` width="${Math.round(size.width)}" height="${Math.round(size.height)}"`;
      const uri = `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`;
      const caption = f.caption ?? f.figure.title;
      parts.push(
        `<figure id="fig-${escapeHTML(f.name)}">`,
        `<img src="${uri}"${dims} alt="${escapeHTML(caption)}">`,
        `<figcaption>${escapeHTML(caption)} <code>${escapeHTML(f.name)}</code></figcaption>`,
        '</figure>',
      );
    });
    parts.push('</div>');
  }
  for (const t of spec.tables ?? []) {
    parts.push(`<h2>${escapeHTML(t.title)}</h2>`, tableHTML(t.columns, t.rows, 'data'));
  }
  parts.push(`<footer>Written by gradlab on ${escapeHTML(new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))}.</footer>`);
  parts.push('</body>', '</html>', '');
  return parts.join('\n');
}

/**
 * Writes each figure into `dir` as `<name>.png` and `<name>.svg` (see `formats`) and the page
 * `report.html`, all atomically. Every figure is rendered to SVG once; the PNG is rasterised
 * from that SVG and the page inlines it.
 */
export async function writeReport(dir: string, spec: ReportSpec): Promise<ReportResult> {
  const fn = 'writeReport';
  checkSpec(fn, dir, spec);
  const t0 = performance.now();
  const root = path.resolve(dir);
  const formats = spec.formats ?? ['png', 'svg'];
  const files: string[] = [];
  const svgs: string[] = [];
  for (const f of spec.figures) {
    const svg = await f.figure.toSVG();
    svgs.push(svg);
    if (formats.includes('svg')) {
      const file = path.join(root, `${f.name}.svg`);
      await writeFileAtomic(file, svg);
      files.push(file);
    }
    if (formats.includes('png')) {
      const file = path.join(root, `${f.name}.png`);
      await writeFileAtomic(file, await f.figure.toPNG({ scale: spec.pngScale ?? 1 }));
      files.push(file);
    }
  }
  const html = path.join(root, 'report.html');
  await writeFileAtomic(html, reportHTML(spec, svgs));
  files.push(html);
  return { html, files, seconds: (performance.now() - t0) / 1000 };
}

// ---------------------------------------------------------------------------------------------
// Classifier reports

/** Per-epoch logs (History.history) and per-batch logs (LogRecorder.batches) of a training run. */
export interface TrainingLogs {
  /** e.g. { loss: [...], accuracy: [...], val_loss: [...], val_accuracy: [...] }, one value per epoch. */
  history?: Readonly<Record<string, readonly number[]>>;
  /**
   * One entry per batch as fit() reports them: `batch` (restarting at 0 each epoch), `size`, and
   * `loss` as the running mean over the epoch so far (what the progress bar shows).
   */
  batches?: readonly Readonly<Logs>[];
}

/**
 * The loss of each batch on its own, recovered from fit()'s running means:
 * with N_b samples seen in the epoch after batch b, loss_b = (m_b N_b - m_(b-1) N_(b-1)) / size_b.
 * Returns the global step (0-based over all epochs), the batch loss and the running mean.
 */
export function batchLosses(batches: readonly Readonly<Logs>[]): { step: number[]; loss: number[]; runningMean: number[] } {
  const fn = 'batchLosses';
  if (!Array.isArray(batches)) throw new ValueError(`${fn}: batches must be an array of batch logs, got ${describe(batches)}`);
  const step: number[] = [];
  const loss: number[] = [];
  const runningMean: number[] = [];
  let seen = 0;
  let prevMean = 0;
  batches.forEach((b, i) => {
    if (b === null || typeof b !== 'object' || typeof b.loss !== 'number') throw new ValueError(`${fn}: batches[${i}] has no numeric 'loss'`);
    const size = b.size;
    if (!isPositiveInt(size)) {
      throw new ValueError(`${fn}: batches[${i}].size must be a positive integer (the batch's sample count), got ${String(size)}`);
    }
    // A new epoch restarts the running mean.
    if (b.batch === 0) {
      seen = 0;
      prevMean = 0;
    }
    const total = seen + size;
    step.push(i);
    loss.push((b.loss * total - prevMean * seen) / size);
    runningMean.push(b.loss);
    seen = total;
    prevMean = b.loss;
  });
  return { step, loss, runningMean };
}

const TRAINING_KEYS = optionKeys<TrainingLogs>({ history: true, batches: true });

// Small enough for two curves side by side in the page.
const CURVE = { width: 360, height: 220 } as const;

const epochAxis = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

/**
 * Training curves: for the loss and each metric in `history`, one figure with the training and
 * validation values per epoch; and the loss per batch when `batches` are given.
 */
export function trainingCurves(input: TrainingLogs): ReportFigure[] {
  const fn = 'trainingCurves';
  const logs = checkOptions(fn, input, TRAINING_KEYS, 'logs');
  const out: ReportFigure[] = [];
  const history = logs.history ?? {};
  if (history === null || typeof history !== 'object') throw new ValueError(`${fn}: history must be a record of per-epoch arrays`);
  const keys = Object.keys(history).filter((k) => !k.startsWith('val_'));
  // The loss first, then metrics in their order.
  keys.sort((a, b) => (a === 'loss' ? -1 : b === 'loss' ? 1 : 0));
  for (const k of keys) {
    const train = history[k];
    if (!Array.isArray(train)) throw new ValueError(`${fn}: history['${k}'] must be an array of per-epoch values, got ${describe(train)}`);
    if (train.length === 0) continue;
    const series: Record<string, Series> = { train: { x: epochAxis(train.length), y: train } };
    const val = history[`val_${k}`];
    if (Array.isArray(val) && val.length > 0) series.validation = { x: epochAxis(val.length), y: val };
    const label = k.replace(/_/g, ' ');
    out.push({
      name: `${k}_per_epoch`,
      figure: line(series, { title: `${label[0].toUpperCase()}${label.slice(1)} per epoch`, xLabel: 'epoch', yLabel: label, ...CURVE }),
      caption: `${label[0].toUpperCase()}${label.slice(1)} per epoch on the training data${series.validation ? ' and the validation data' : ''}.`,
    });
  }
  if (logs.batches !== undefined && logs.batches.length > 0) {
    const b = batchLosses(logs.batches);
    out.push({
      name: 'loss_per_batch',
      figure: line(
        { 'batch loss': { x: b.step, y: b.loss }, 'epoch running mean': { x: b.step, y: b.runningMean } },
        { title: 'Loss per batch', xLabel: 'batch (all epochs)', yLabel: 'loss', points: b.step.length <= 30, ...CURVE },
      ),
      caption: 'Training loss of every batch, and its running mean over each epoch (the progress bar value).',
    });
  }
  return out;
}

/** What `plot.writeClassifierReport(dir, spec)` puts on the page: a classifier's test results, and optionally its images, curves and filters. */
export interface ClassifierReportSpec extends Omit<ReportSpec, 'figures'> {
  /** Required: true classes of the test samples, integers (class indices 0..k-1 with `classNames`, e.g. -1/+1 without). */
  yTrue: NumericInput;
  /** Required: predicted classes of the same samples, coded as yTrue. */
  yPred: NumericInput;
  /** Names of classes 0..k-1 (the confusion matrix and image titles use them). Default: the class numbers. */
  classNames?: readonly string[];
  /**
   * The test samples as images [n,h,w], [n,h,w,1] or [n,h,w,3], or as flat rows [n, h*w*c] with
   * `imageShape`. Default: none (no sample grids: tabular data).
   */
  images?: Tensor;
  /** [h, w] or [h, w, c] of one flat row of `images`. Default: none (images are given as images). */
  imageShape?: readonly number[];
  /** Value range of the images for display (default: found from the data). */
  imageRange?: readonly [number, number];
  /** Training logs for the curves. Default: none (no curves). */
  training?: TrainingLogs;
  /** The first convolution's kernel [kh,kw,in,out] or layer, for a filter grid. Default: none (no filter grid). */
  filters?: Tensor | HasWeights;
  /** Seed for picking the random samples. Default 0. */
  seed?: number;
  /** Random test samples shown. Default 16. */
  samples?: number;
  /** At most this many misclassified samples shown. Default 16. */
  maxMisclassified?: number;
  /** More figures, after the standard ones (e.g. a decision function). Default: none. */
  figures?: readonly ReportFigure[];
}

const CLASSIFIER_KEYS = optionKeys<ClassifierReportSpec>({
  title: true, subtitle: true, metrics: true, notes: true, tables: true, formats: true, pngScale: true,
  yTrue: true, yPred: true, classNames: true, images: true, imageShape: true, imageRange: true, training: true,
  filters: true, seed: true, samples: true, maxMisclassified: true, figures: true,
});

/** "1 test sample", "200 test samples". */
const samplesOf = (n: number): string => `${n.toLocaleString('en-US')} test sample${n === 1 ? '' : 's'}`;

function labelsOf(fn: string, arg: string, v: NumericInput): number[] {
  const d = vector(fn, arg, v).data;
  const out = new Array<number>(d.length);
  for (let i = 0; i < d.length; i++) {
    if (!Number.isInteger(d[i])) throw new ValueError(`${fn}: ${arg}[${i}] is ${d[i]}, not an integer class label`);
    out[i] = d[i];
  }
  return out;
}

/** Rows `idx` of an image batch, reshaped to images. */
function pickImages(x: Tensor, idx: readonly number[], shape: readonly number[]): Tensor {
  const per = shape.reduce((a, b) => a * b, 1);
  const data = allocate(x.dtype, idx.length * per);
  idx.forEach((r, i) => data.set(x.data.subarray(r * per, (r + 1) * per), i * per));
  return new Tensor(data, [idx.length, ...shape]);
}

/** The per-image shape of `images`, checked against the number of samples. */
function imageShapeOf(fn: string, x: Tensor, n: number, imageShape: readonly number[] | undefined): number[] {
  if (!(x instanceof Tensor)) throw new ValueError(`${fn}: spec.images must be a Tensor, got ${describe(x)}`);
  if (x.shape[0] !== n) throw new ShapeError(`${fn}: spec.images has ${x.shape[0]} samples (shape ${fmtShape(x.shape)}) but yTrue has ${n}`);
  const per = x.size / Math.max(1, n);
  let shape: number[];
  if (imageShape !== undefined) {
    if (!Array.isArray(imageShape) || (imageShape.length !== 2 && imageShape.length !== 3) || !imageShape.every((d) => Number.isInteger(d) && d > 0)) {
      throw new ValueError(`${fn}: spec.imageShape must be [h, w] or [h, w, c] of positive integers, got ${JSON.stringify(imageShape)}`);
    }
    shape = [...imageShape];
  } else {
    shape = x.shape.slice(1);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  const c = shape.length === 3 ? shape[2] : 1;
  if (size !== per || shape.length < 2 || shape.length > 3 || (c !== 1 && c !== 3)) {
    throw new ShapeError(`${fn}: spec.images ${fmtShape(x.shape)} are not images [n,h,w], [n,h,w,1|3]${imageShape ? '' : ' (give spec.imageShape for flat rows)'}; image shape ${fmtShape(shape)}`);
  }
  return shape;
}

/**
 * A classifier's report: training curves (when `training` is given), the confusion matrix, a grid
 * of random test samples titled "true=3 est=5", a grid of misclassified samples (or a note that
 * there are none), the filters (when given), per-class scores, then `writeReport`.
 */
export async function writeClassifierReport(dir: string, spec: ClassifierReportSpec): Promise<ReportResult> {
  const fn = 'writeClassifierReport';
  const t0 = performance.now();
  if (spec === undefined) throw new ValueError(`${fn}: spec is required, e.g. { title: 'Run 3', metrics: {}, yTrue, yPred }`);
  checkOptions(fn, spec, CLASSIFIER_KEYS, 'spec');
  for (const key of ['title', 'metrics', 'yTrue', 'yPred'] as const) requireOption(fn, spec, key, "{ title: 'Run 3', metrics: {}, yTrue, yPred }");
  const { yTrue: _t, yPred: _p, classNames: _c, images: _i, imageShape: _s, imageRange: _r, training: _h, filters: _f, seed: _d, samples: _n, maxMisclassified: _m, ...rest } = spec;
  // The page's part of the spec (title, metrics, tables, formats...) is checked before any figure is built.
  checkSpec(fn, dir, { ...rest, figures: spec.figures ?? [] });
  if (spec.training !== undefined) checkOptions(`${fn}: spec.training`, spec.training, TRAINING_KEYS);
  if (spec.imageRange !== undefined) orderedPair(fn, 'spec.imageRange', spec.imageRange);
  const yTrue = labelsOf(fn, 'yTrue', spec.yTrue);
  const yPred = labelsOf(fn, 'yPred', spec.yPred);
  if (yTrue.length !== yPred.length) throw new ValueError(`${fn}: yTrue has ${yTrue.length} values but yPred has ${yPred.length}`);
  if (yTrue.length === 0) throw new ValueError(`${fn}: yTrue and yPred are empty`);
  const names = spec.classNames;
  if (names !== undefined) {
    stringArray(fn, 'spec.classNames', names);
    if (names.length === 0) throw new ValueError(`${fn}: spec.classNames must be a non-empty array of strings`);
    // Names go with class indices 0..k-1.
    const bad = [...yTrue, ...yPred].find((c) => c < 0 || c >= names.length);
    if (bad !== undefined) throw new ValueError(`${fn}: class ${bad} occurs but spec.classNames names classes 0..${names.length - 1}`);
  }
  const samples = nonNegativeInt(fn, 'spec.samples', spec.samples ?? 16);
  const maxWrong = nonNegativeInt(fn, 'spec.maxMisclassified', spec.maxMisclassified ?? 16);
  const seed = integer(fn, 'spec.seed', spec.seed ?? 0);
  const n = yTrue.length;
  const shape = spec.images !== undefined ? imageShapeOf(fn, spec.images, n, spec.imageShape) : null;
  const nameOf = (c: number): string => (names ? names[c] : String(c));

  const figures: ReportFigure[] = [];
  const notes: string[] = [...(spec.notes ?? [])];
  if (spec.training !== undefined) {
    const curves = trainingCurves(spec.training);
    if (curves.length === 0) notes.push('No training curves: no epoch was completed.');
    figures.push(...curves);
  }
  const wrong: number[] = [];
  for (let i = 0; i < n; i++) if (yTrue[i] !== yPred[i]) wrong.push(i);
  figures.push({
    name: 'confusion_matrix',
    figure: confusionMatrix(yTrue, yPred, names ?? undefined, { title: `Confusion matrix (${samplesOf(n)})` }),
    caption: `Test samples by true class (rows) and predicted class (columns); ${n - wrong.length} of ${n} on the diagonal.`,
  });
  const rng = rngFor(seed);
  const title = (i: number): string => `true=${nameOf(yTrue[i])} est=${nameOf(yPred[i])}`;
  if (spec.images !== undefined && shape !== null && samples > 0) {
    // Shown in index order, so the grid reads like the data set.
    const pick = Array.from(rng.permutation(n).subarray(0, Math.min(samples, n))).sort((a, b) => a - b);
    figures.push({
      name: 'test_samples',
      figure: images(pickImages(spec.images, pick, shape), {
        titles: pick.map(title), highlight: pick.map((i) => yTrue[i] !== yPred[i]), colormap: 'gray', title: `${pick.length} random ${pick.length === 1 ? 'test sample' : 'test samples'}`, ...(spec.imageRange ? { range: spec.imageRange } : {}),
      }),
      caption: `${pick.length < n ? `${samplesOf(pick.length)} drawn at random` : n === 1 ? 'The one test sample' : `All ${n} test samples`}, with their true class and the model's estimate; wrong estimates are framed in red.`,
    });
  }
  if (wrong.length === 0) {
    notes.push(`No misclassified samples: ${n === 1 ? 'the one test sample is' : `all ${n} test samples are`} classified correctly.`);
  } else if (spec.images !== undefined && shape !== null && maxWrong > 0) {
    const order = rng.permutation(wrong.length);
    const pick = Array.from(order.subarray(0, Math.min(maxWrong, wrong.length)), (k) => wrong[k]).sort((a, b) => a - b);
    figures.push({
      name: 'misclassified',
      figure: images(pickImages(spec.images, pick, shape), {
        titles: pick.map(title), colormap: 'gray', title: `Misclassified test samples (${pick.length} of ${wrong.length})`, ...(spec.imageRange ? { range: spec.imageRange } : {}),
      }),
      caption: wrong.length === 1 ? 'The one misclassified test sample.' : `${pick.length === wrong.length ? 'All' : `${pick.length} random`} of the ${wrong.length} misclassified test samples.`,
    });
  }
  if (spec.filters !== undefined) {
    const f = filters(spec.filters, { title: 'Filters of the first convolution' });
    figures.push({ name: 'filters', figure: f, caption: 'The first convolution layer\'s kernels, each scaled to its own range (dark low, light high).' });
  }
  figures.push(...(spec.figures ?? []));

  const { names: classNames, counts } = confusionCounts(yTrue, yPred, names ?? undefined, fn);
  const rows: MetricValue[][] = classNames.map((c, i) => {
    const support = counts[i].reduce((a, b) => a + b, 0);
    const predicted = counts.reduce((a, r) => a + r[i], 0);
    const hit = counts[i][i];
    return [c, support, hit, support > 0 ? hit / support : null, predicted > 0 ? hit / predicted : null];
  });
  const tables: ReportTable[] = [{ title: 'Per class (test set)', columns: ['class', 'samples', 'correct', 'recall', 'precision'], rows }];
  const history = spec.training?.history;
  if (history && Object.keys(history).length > 0) {
    const keys = Object.keys(history);
    const epochs = Math.max(...keys.map((k) => history[k].length));
    if (epochs > 0) {
      tables.push({
        title: 'Per epoch',
        columns: ['epoch', ...keys],
        rows: Array.from({ length: epochs }, (_, e) => [e + 1, ...keys.map((k) => history[k][e] ?? null)]),
      });
    }
  }
  tables.push(...(spec.tables ?? []));
  const result = await writeReport(dir, { ...rest, figures, notes, tables });
  // Building the figures (tiles, confusion counts) is part of the report's cost too.
  return { ...result, seconds: (performance.now() - t0) / 1000 };
}

