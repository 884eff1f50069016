// Options of the data module: unknown keys are ValueErrors naming the nearest known key, thrown
// before any file is read or any sample moved; values are checked as strictly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { datasets, loadCsv, loadIdx, parseCsv, parseIdx, shuffle, trainTestSplit, standardScaler, minMaxScaler, StandardScaler, MinMaxScaler } from '../../src/data/index.js';
import { tensor } from '../../src/tensor/creation.js';
import { ValueError } from '../../src/core/errors.js';

function valueError(re: RegExp): (e: unknown) => boolean {
  return (e: unknown) => e instanceof ValueError && re.test(e.message);
}

const x = tensor([[0, 0], [1, 1], [2, 2], [3, 3], [4, 4], [5, 5], [6, 6], [7, 7]]);
const y = tensor([0, 1, 0, 1, 0, 1, 0, 1]);

test('datasets: unknown options are errors before any file is looked for', () => {
  // The folder does not exist: a FormatError would mean the files were looked for first.
  assert.throws(() => datasets.mnist({ train_size: 10, dir: '/nonexistent' } as never), valueError(/^datasets\.mnist: unknown option 'train_size' \(did you mean 'trainSize'\?\)$/));
  assert.throws(() => datasets.fashionMnist({ test_size: 10, dir: '/nonexistent' } as never), valueError(/^datasets\.fashionMnist: unknown option 'test_size' \(did you mean 'testSize'\?\)$/));
  assert.throws(() => datasets.mnist({ path: '/x' } as never), valueError(/unknown option 'path' \(known: 'trainSize', 'testSize', 'dir'\)/));
  assert.throws(() => datasets.mnist({ dir: '' }), valueError(/datasets\.mnist: dir must be a non-empty string/));
  assert.throws(() => datasets.fashionMnist({ trainSize: 1.5, dir: '/nonexistent' }), valueError(/trainSize must be an integer in \[1, 60000\]/));
});

test('loadIdx, parseIdx, loadCsv and parseCsv check their options before reading', () => {
  assert.throws(() => loadIdx('/nonexistent.idx', { dtyp: 'float64' } as never), valueError(/^loadIdx: unknown option 'dtyp' \(did you mean 'dtype'\?\)$/));
  assert.throws(() => loadIdx('/nonexistent.idx', { dtype: 'int8' as never }), valueError(/loadIdx: dtype must be 'float32', 'float64'; got the string "int8"/));
  assert.throws(() => parseIdx(new Uint8Array(0), 'bytes', { cpoy: false } as never), valueError(/^parseIdx: unknown option 'cpoy' \(did you mean 'copy'\?\)$/));
  assert.throws(() => parseIdx(new Uint8Array(0), 'bytes', { copy: 0 } as never), valueError(/parseIdx: copy must be true or false/));
  assert.throws(() => loadCsv('/nonexistent.csv', { delimeter: ';' } as never), valueError(/^loadCsv: unknown option 'delimeter' \(did you mean 'delimiter'\?\)$/));
  assert.throws(() => loadCsv('/nonexistent.csv', { label_column: 'y' } as never), valueError(/loadCsv: unknown option 'label_column'/));
  assert.throws(() => parseCsv('a,b\n1,2\n', { sep: ';' } as never), valueError(/^parseCsv: unknown option 'sep' \(known: 'label', 'header', 'delimiter', 'dtype', 'labelType'\)$/));
  assert.throws(() => parseCsv('a,b\n1,2\n', { dtype: 'float16' as never }), valueError(/parseCsv: dtype must be 'float32', 'float64'/));
  assert.equal(parseCsv('a;b\n1;2\n', { delimiter: ';' }).x.shape[1], 2);
});

test('shuffle and trainTestSplit: scikit-learn spellings name the gradlab option', () => {
  assert.throws(() => shuffle(x, { random_state: 0 } as never), valueError(/^shuffle: unknown option 'random_state' \(did you mean 'seed'\?\)$/));
  assert.throws(() => shuffle(x, y, { Seed: 1 } as never), valueError(/unknown option 'Seed' \(did you mean 'seed'\?\)/));
  assert.throws(() => shuffle(x, [0, 1] as never), valueError(/shuffle: options must be an object, got an array/));
  assert.throws(() => shuffle(x, y, { seed: '1' } as never), valueError(/shuffle: seed must be a finite number, got the string "1"/));
  assert.throws(() => trainTestSplit(x, y, { test_size: 0.5 } as never), valueError(/^trainTestSplit: unknown option 'test_size' \(did you mean 'testSize'\?\)$/));
  assert.throws(() => trainTestSplit(x, y, { random_state: 42 } as never), valueError(/unknown option 'random_state' \(did you mean 'seed'\?\)/));
  assert.throws(() => trainTestSplit(x, y, { train_size: 0.5 } as never), valueError(/unknown option 'train_size'/));
  assert.throws(() => trainTestSplit(x, y, { shuffle: 'no' } as never), valueError(/trainTestSplit: shuffle must be true or false/));
  assert.throws(() => trainTestSplit(x, y, { stratify: 'y' } as never), valueError(/trainTestSplit: stratify must be true, false, a Tensor/));
  assert.equal(trainTestSplit(x, y, { testSize: 0.5, seed: 1, stratify: y }).xTest.shape[0], 4);
});

test('scalers: unknown options and bad values', () => {
  assert.throws(() => standardScaler({ with_mean: false } as never), valueError(/^StandardScaler: unknown option 'with_mean' \(did you mean 'withMean'\?\)$/));
  assert.throws(() => new StandardScaler({ withStd: 0 } as never), valueError(/StandardScaler: withStd must be true or false/));
  assert.throws(() => minMaxScaler({ feature_range: [0, 1] } as never), valueError(/^MinMaxScaler: unknown option 'feature_range' \(did you mean 'featureRange'\?\)$/));
  assert.throws(() => new MinMaxScaler({ featureRange: [0, NaN] }), valueError(/MinMaxScaler: featureRange must be \[min, max\] with finite min < max, got \[0,null\]/));
  assert.equal(new StandardScaler({ withMean: false }).withMean, false);
});

test('a CSV file is not opened when the options are wrong', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-csv-opts-'));
  try {
    const file = path.join(dir, 'd.csv');
    fs.writeFileSync(file, 'a,b\n1,2\n');
    assert.throws(() => loadCsv(file, { header: 'yes' as never }), valueError(/loadCsv: header must be true, false or 'auto'/));
    assert.deepEqual(loadCsv(file, { header: true }).columns, ['a', 'b']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
