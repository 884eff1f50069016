/**
 * CSV files of numbers into tensors: features x [n, columns] and an optional label column y [n].
 * Quoting follows RFC 4180 (double quotes, "" inside quotes, CRLF or LF line ends).
 */
import { FormatError, ValueError } from '../core/errors.js';
import { checkOptions, oneOf, optionKeys, parseDecimal } from '../core/validate.js';
import { Tensor, allocate, type DType } from '../tensor/tensor.js';
import { readBytes } from './idx.js';

/** Options of `loadCsv(path, options)` and `parseCsv(text, options)`. */
export interface LoadCsvOptions {
  /** The label column, by name (needs a header) or index (negative counts from the end). Default: none (every column is a feature). */
  label?: string | number;
  /** Whether the first row names the columns; 'auto' (default) says yes when any of its fields is not a number. */
  header?: boolean | 'auto';
  /** Field separator, one character. Default ','. */
  delimiter?: string;
  /** Default float32. */
  dtype?: DType;
  /**
   * How the label column is read: 'number' (every label a number), 'string' (every label a class
   * name, numbers included: y holds indices into the sorted `classes`), or 'auto' (default):
   * numbers when every label is one, class names when none is; a column that mixes them is an
   * error naming the first odd cell, since one stray '?' must not re-code every label.
   */
  labelType?: 'auto' | 'number' | 'string';
}

/** What `loadCsv` and `parseCsv` give: the features, the label column if any, and the column names. */
export interface CsvData {
  /** Features, [rows, columns]. */
  x: Tensor;
  /** The label column, [rows]: its numbers, or class indices into `classes` when it holds text. */
  y?: Tensor;
  /** Names of x's columns (from the header, else their indices in the file as strings). */
  columns: string[];
  /** Name of the label column, when there is one. */
  labelColumn?: string;
  /** For a text label column (or labelType 'string'): the distinct labels, sorted as strings; y holds indices into it. */
  classes?: string[];
  /** The labels as integers, when they all are (class indices for a text label column). */
  labels?: Int32Array;
}

interface Row {
  fields: string[];
  line: number;
}

function splitRows(text: string, delimiter: string, fail: (line: number, what: string) => never): Row[] {
  const rows: Row[] = [];
  let fields: string[] = [];
  let field = '';
  let inQuotes = false;
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  const endField = (): void => {
    fields.push(quoted ? field : field.trim());
    field = '';
    quoted = false;
  };
  const endRow = (): void => {
    const wasQuoted = quoted;
    endField();
    // Blank lines (one empty unquoted field) are skipped rather than read as a row of nothing.
    if (!(fields.length === 1 && fields[0] === '' && !wasQuoted)) rows.push({ fields, line: rowLine });
    fields = [];
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          inQuotes = false;
        }
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
    } else if (ch === '"' && field.trim() === '') {
      inQuotes = true;
      quoted = true;
      field = '';
    } else if (ch === delimiter) {
      endField();
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else {
      field += ch;
    }
  }
  if (inQuotes) fail(rowLine, 'a quoted field is never closed');
  if (field !== '' || quoted || fields.length > 0) endRow();
  return rows;
}

/** A feature value: a strict number, or NaN for the missing-value marks 'nan' and 'NaN' (fit refuses them until imputed). */
function toNumber(s: string): number | null {
  if (s === 'nan' || s === 'NaN') return NaN;
  return parseDecimal(s);
}

const LABEL_TYPES = ['auto', 'number', 'string'] as const;
const CSV_KEYS = optionKeys<LoadCsvOptions>({ label: true, header: true, delimiter: true, dtype: true, labelType: true });

function checkCsvOptions(fn: string, input: LoadCsvOptions | undefined): LoadCsvOptions {
  const options = checkOptions(fn, input, CSV_KEYS);
  const delimiter = options.delimiter ?? ',';
  if (typeof delimiter !== 'string' || delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new ValueError(`${fn}: delimiter must be one character other than a quote or line break, got ${JSON.stringify(delimiter)}`);
  }
  const headerOpt = options.header ?? 'auto';
  if (headerOpt !== true && headerOpt !== false && headerOpt !== 'auto') {
    throw new ValueError(`${fn}: header must be true, false or 'auto', got ${JSON.stringify(headerOpt)}`);
  }
  oneOf(fn, 'dtype', options.dtype ?? 'float32', ['float32', 'float64'] as const);
  const label = options.label;
  if (label !== undefined && typeof label !== 'string' && !Number.isInteger(label)) {
    throw new ValueError(`${fn}: label must be a column name or an integer index, got ${JSON.stringify(label)}`);
  }
  if (options.labelType !== undefined) {
    oneOf(fn, 'labelType', options.labelType, LABEL_TYPES);
    if (label === undefined && options.labelType !== 'auto') throw new ValueError(`${fn}: labelType '${options.labelType}' needs a label column (option 'label')`);
  }
  return options;
}

/** Parses CSV text; `source` names the file in errors. */
export function parseCsv(text: string, options: LoadCsvOptions = {}, source = '<text>'): CsvData {
  checkCsvOptions('parseCsv', options);
  const fn = 'loadCsv';
  const delimiter = options.delimiter ?? ',';
  const headerOpt = options.header ?? 'auto';
  const dtype = options.dtype ?? 'float32';
  const label = options.label;
  const fail = (line: number, what: string): never => {
    throw new FormatError(`${fn}: ${source}, line ${line}: ${what}`);
  };

  const rows = splitRows(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, delimiter, fail);
  if (rows.length === 0) throw new FormatError(`${fn}: ${source}: no rows`);
  if (headerOpt === 'auto') {
    // '0x1F' or 'Infinity' in the first row: a header, or data a looser parser would take? Not guessed.
    const odd = rows[0].fields.find((f) => toNumber(f) === null && f.trim() !== '' && !Number.isNaN(Number(f)));
    if (odd !== undefined) fail(rows[0].line, `${JSON.stringify(odd)} is neither a decimal number nor a column name; pass header: true or false`);
  }
  const hasHeader = headerOpt === 'auto' ? rows[0].fields.some((f) => toNumber(f) === null) : headerOpt;
  const names = hasHeader ? rows[0].fields : rows[0].fields.map((_, i) => String(i));
  const body = hasHeader ? rows.slice(1) : rows;
  const width = names.length;
  for (const r of body) {
    if (r.fields.length !== width) fail(r.line, `${r.fields.length} fields where the ${hasHeader ? 'header' : 'first row'} has ${width}`);
  }

  let labelIndex = -1;
  if (typeof label === 'string') {
    labelIndex = names.indexOf(label);
    if (labelIndex < 0) {
      throw new ValueError(`${fn}: ${source}: no column named ${JSON.stringify(label)}${hasHeader ? ` (columns: ${names.join(', ')})` : ' (the file has no header; give the label as a column index)'}`);
    }
  } else if (typeof label === 'number') {
    labelIndex = label < 0 ? width + label : label;
    if (labelIndex < 0 || labelIndex >= width) throw new ValueError(`${fn}: label column ${label} is out of range for ${width} columns`);
  }

  const n = body.length;
  const featureCols = names.map((_, i) => i).filter((i) => i !== labelIndex);
  const f = featureCols.length;
  const x = allocate(dtype, n * f);
  body.forEach((r, i) => {
    featureCols.forEach((c, j) => {
      const v = toNumber(r.fields[c]);
      if (v === null) {
        fail(r.line, `column ${JSON.stringify(names[c])} holds ${r.fields[c] === '' ? 'an empty field' : JSON.stringify(r.fields[c])}, not a number`);
      }
      x[i * f + j] = v as number;
    });
  });
  const out: CsvData = { x: new Tensor(x, [n, f]), columns: featureCols.map((c) => names[c]) };
  if (labelIndex >= 0) {
    out.labelColumn = names[labelIndex];
    const raw = body.map((r) => r.fields[labelIndex]);
    const column = JSON.stringify(names[labelIndex]);
    raw.forEach((v, i) => { if (v === '') fail(body[i].line, `label column ${column} holds an empty field`); });
    const labelType = options.labelType ?? 'auto';
    const nums = labelType === 'string' ? [] : raw.map(parseDecimal);
    const firstText = nums.findIndex((v) => v === null);
    const asText = labelType === 'string' || (labelType === 'auto' && nums.every((v) => v === null));
    const y = allocate(dtype, n);
    if (!asText) {
      if (firstText >= 0) {
        const firstNumber = nums.findIndex((v) => v !== null);
        const mixed = labelType === 'auto' ? `, while the column's other labels are numbers (line ${body[firstNumber].line}: ${raw[firstNumber]})` : '';
        fail(body[firstText].line, `label column ${column} holds ${JSON.stringify(raw[firstText])}, not a finite number${mixed}; fix the file, or pass labelType: 'string' if the labels are class names`);
      }
      nums.forEach((v, i) => { y[i] = v as number; });
      if (nums.every((v) => Number.isInteger(v) && Math.abs(v as number) < 2 ** 31)) out.labels = Int32Array.from(nums as number[]);
    } else {
      // Text labels become class indices in sorted order, as scikit-learn's LabelEncoder.
      const classes = [...new Set(raw)].sort();
      const index = new Map(classes.map((c, i) => [c, i]));
      const labels = Int32Array.from(raw, (c) => index.get(c)!);
      y.set(labels);
      out.classes = classes;
      out.labels = labels;
    }
    out.y = new Tensor(y, [n]);
  }
  return out;
}

/** Reads a CSV file of numbers (see parseCsv for the options). */
export function loadCsv(path: string, options: LoadCsvOptions = {}): CsvData {
  checkCsvOptions('loadCsv', options);
  const bytes = readBytes(path, 'loadCsv');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new FormatError(`loadCsv: ${path}: not valid UTF-8 text`);
  }
  return parseCsv(text, options, path);
}
