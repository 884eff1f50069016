// `gradlab svm --grid "C=1,2.8,10 gamma=0.001,0.0073,0.03"`: a cross-validated grid search on the
// training set before the final fit, its table, and the validation error over the grid as a heat map.
import type { Tensor } from '../tensor/tensor.js';
import { heatMap } from '../plot/heatmap.js';
import type { ReportFigure, ReportTable } from '../plot/report.js';
import { GridSearchCV, StratifiedKFold, type ParamGrid, type ParamValue, type Params } from '../selection/index.js';
import { SVC, type SVCOptions } from '../svm/index.js';
import { UsageError } from './common.js';
import { parseDecimal } from '../core/validate.js';

/** The parameters --grid may vary, all numbers (gamma also 'scale' or 'auto'). */
const GRID_PARAMS = ['C', 'gamma', 'degree', 'coef0'] as const;
export type GridParam = (typeof GRID_PARAMS)[number];

/** "C=1,2.8,10 gamma=0.001,0.03" -> { C: [1, 2.8, 10], gamma: [0.001, 0.03] }, names in the order typed. */
export function parseGrid(text: string): { grid: ParamGrid; names: GridParam[] } {
  const grid: Record<string, ParamValue[]> = {};
  const names: GridParam[] = [];
  const parts = text.trim().split(/\s+/).filter((p) => p !== '');
  if (parts.length === 0) throw new UsageError(`--grid must list parameters as "C=1,2.8,10 gamma=0.001,0.0073", got '${text}'`);
  for (const part of parts) {
    const m = /^([A-Za-z0-9_]+)=(.+)$/.exec(part);
    if (!m) throw new UsageError(`--grid: '${part}' is not name=value,value,... (e.g. "C=1,2.8,10 gamma=0.001,0.0073")`);
    const name = m[1];
    if (!(GRID_PARAMS as readonly string[]).includes(name)) throw new UsageError(`--grid: unknown parameter '${name}'; the grid may vary ${GRID_PARAMS.join(', ')}`);
    if (name in grid) throw new UsageError(`--grid: '${name}' is given twice`);
    const values = m[2].split(',').map((v): ParamValue => {
      if (name === 'gamma' && (v === 'scale' || v === 'auto')) return v;
      const n = parseDecimal(v) ?? NaN;
      const ok = Number.isFinite(n) && (name === 'coef0' || n > 0) && (name !== 'degree' || Number.isInteger(n));
      if (!ok) throw new UsageError(`--grid: ${name} value '${v}' must be ${name === 'coef0' ? 'a number' : name === 'degree' ? 'a positive integer' : name === 'gamma' ? "'scale', 'auto' or a positive number" : 'a positive number'}`);
      return n;
    });
    if (new Set(values).size !== values.length) throw new UsageError(`--grid: ${name} lists a value twice`);
    grid[name] = values;
    names.push(name as GridParam);
  }
  return { grid, names };
}

export interface SvmGridResult {
  best: Params;
  bestScore: number;
  table: string;
  figures: ReportFigure[];
  tables: ReportTable[];
  json: Record<string, unknown>;
}

/** Runs the search on (x, y) with StratifiedKFold(cv) folds, as scikit-learn's GridSearchCV(cv=k) on a classifier. */
export async function svmGridSearch(x: Tensor, y: Tensor, base: SVCOptions, gridText: string, cv: number, err: (s: string) => void): Promise<SvmGridResult> {
  if (!Number.isInteger(cv) || cv < 2) throw new UsageError(`--cv must be an integer of at least 2, got '${cv}'`);
  const { grid, names } = parseGrid(gridText);
  const gs = new GridSearchCV({
    estimator: new SVC(base), paramGrid: grid, cv: new StratifiedKFold({ nSplits: cv }), refit: false,
    onProgress: (p) => {
      if (p.fold + 1 === p.folds) err(`grid search: ${p.candidate + 1}/${p.candidates} (${Object.entries(p.params).map(([k, v]) => `${k}=${v}`).join(', ')}) done\n`);
    },
  });
  await gs.fit(x, y);
  const r = gs.cvResults;
  const table = gs.resultsTable();
  const fmt = (v: ParamValue) => String(v);
  const figures: ReportFigure[] = [];
  const error = (p: Params) => 1 - r.mean_test_score[r.params.findIndex((q) => names.every((n) => q[n] === p[n]))];
  if (names.length <= 2) {
    const [rowName, colName] = names.length === 2 ? names : [null, names[0]];
    const rows = rowName ? grid[rowName] : [null];
    const cols = grid[colName];
    const values = rows.map((rv) => cols.map((cv2) => error({ ...(rowName ? { [rowName]: rv } : {}), [colName]: cv2 })));
    figures.push({
      name: 'grid_search',
      figure: heatMap(values, cols.map(fmt), rows.map((v) => (rowName ? fmt(v) : '')), {
        title: `Validation error over the grid (${cv}-fold cross-validation)`, xLabel: colName, yLabel: rowName ?? '', valueLabel: 'error', highlight: 'min', format: '.3f',
      }),
      caption: `Mean validation error (1 - accuracy) of each combination over ${cv} stratified folds of the training set; the outlined cell is the best (${Object.entries(gs.bestParams).map(([k, v]) => `${k} = ${v}`).join(', ')}), refitted on the whole training set.`,
    });
  }
  const k = Object.keys(r).filter((c) => /^split\d+_test_score$/.test(c)).length;
  const sorted = [...names].sort();
  const tables: ReportTable[] = [{
    title: `Grid search (${cv}-fold cross-validation on the training set)`,
    columns: ['rank', ...sorted, 'mean accuracy', 'std', ...Array.from({ length: k }, (_, f) => `fold ${f}`)],
    rows: r.params.map((p, i) => [r.rank_test_score[i], ...sorted.map((n) => p[n]), r.mean_test_score[i], r.std_test_score[i], ...Array.from({ length: k }, (_, f) => r[`split${f}_test_score`][i])]),
  }];
  const json = { cv, best_params: gs.bestParams, best_score: gs.bestScore, cv_results: r };
  return { best: gs.bestParams, bestScore: gs.bestScore, table, figures, tables, json };
}
