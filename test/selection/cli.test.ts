// `gradlab svm --grid`: the search's table on stdout, the refit with the best values, metrics.json's
// grid_search (equal to GridSearchCV's), and the heat map of the validation error in the report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerSvmCommand } from '../../src/cli/svm.js';
import { parseGrid } from '../../src/cli/svm-grid.js';
import * as gl from '../../src/index.js';

async function runSvm(args: string[]): Promise<string[]> {
  const program = new Command().exitOverride();
  registerSvmCommand(program);
  const logs: string[] = [];
  const log = console.log;
  console.log = (s: string) => { logs.push(s); };
  try {
    await program.parseAsync(['svm', ...args], { from: 'user' });
  } finally {
    console.log = log;
  }
  return logs;
}

test('gradlab svm --grid searches on the training set, refits the best and draws the error heat map', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-svm-grid-'));
  try {
    const lines = ['a,b,label'];
    for (let i = 0; i < 150; i++) {
      const c = i % 3;
      lines.push(`${(c * 1.2 + Math.sin(i * 2.3)).toFixed(4)},${(Math.cos(i * 1.7) - 0.8 * c).toFixed(4)},${c}`);
    }
    writeFileSync(join(dir, 'd.csv'), lines.join('\n') + '\n');
    const out = join(dir, 'run');
    const logs = await runSvm(['--data', join(dir, 'd.csv'), '--grid', 'C=0.1,1,10 gamma=0.01,0.3,3', '--cv', '4', '--out', out, '--quiet']);
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as Record<string, unknown> & {
      grid_search: { cv: number; best_params: { C: number; gamma: number }; best_score: number; cv_results: { mean_test_score: number[]; params: unknown[] } };
    };
    assert.equal(m.grid_search.cv, 4);
    assert.equal(m.grid_search.cv_results.params.length, 9);
    // The refit used the best values, and they are what GridSearchCV finds on the same training rows.
    assert.equal(m.C, m.grid_search.best_params.C);
    assert.equal(m.gamma, m.grid_search.best_params.gamma);
    assert.ok(logs.some((l) => /^Grid search, 4-fold cross-validation on the training set/.test(l) && /rank\s+C\s+gamma\s+mean/.test(l)));
    assert.ok(logs.some((l) => new RegExp(`^Best: C=${m.grid_search.best_params.C}, gamma=${m.grid_search.best_params.gamma} `).test(l)));
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    assert.match(html, /Mean validation error \(1 - accuracy\) of each combination over 4 stratified folds/);
    assert.match(html, /Grid search \(4-fold cross-validation on the training set\)/);
    assert.ok(existsSync(join(out, 'grid_search.svg')));
    // The heat map's cells are 1 - mean accuracy.
    const best = Math.min(...m.grid_search.cv_results.mean_test_score.map((s) => 1 - s));
    assert.ok(Math.abs(best - (1 - m.grid_search.best_score)) < 1e-12);
    // Without --grid nothing of the search is written.
    const out2 = join(dir, 'plain');
    await runSvm(['--data', join(dir, 'd.csv'), '--out', out2, '--quiet']);
    assert.ok(!('grid_search' in JSON.parse(readFileSync(join(out2, 'metrics.json'), 'utf8'))));
    assert.ok(!existsSync(join(out2, 'grid_search.svg')));
    await assert.rejects(runSvm(['--data', join(dir, 'd.csv'), '--grid', 'C=1 gama=2', '--out', out2, '--quiet']), /unknown parameter 'gama'/);
    await assert.rejects(runSvm(['--data', join(dir, 'd.csv'), '--grid', 'C=1', '--cv', '1', '--out', out2, '--quiet']), /--cv must be an integer of at least 2/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('parseGrid reads name=values lists and rejects bad ones with the value quoted', () => {
  assert.deepEqual(parseGrid(' C=1,2.8,10  gamma=0.001,scale '), { grid: { C: [1, 2.8, 10], gamma: [0.001, 'scale'] }, names: ['C', 'gamma'] });
  assert.throws(() => parseGrid(''), /--grid must list/);
  assert.throws(() => parseGrid('C'), /'C' is not name=value/);
  assert.throws(() => parseGrid('C=1,-2'), /C value '-2' must be a positive number/);
  assert.throws(() => parseGrid('C=1 C=2'), /'C' is given twice/);
  assert.throws(() => parseGrid('degree=2.5'), /degree value '2.5' must be a positive integer/);
  assert.throws(() => parseGrid('C=1,1'), /lists a value twice/);
});

test('plot.heatMap draws labelled cells and checks its input', () => {
  const f = gl.plot.heatMap([[0.1, 0.2], [0.3, null]], ['a', 'b'], ['r1', 'r2'], { title: 'T', highlight: 'min' });
  const spec = f.toSpec() as unknown as { data: { values: { x: string; y: string; value: number | null }[] }; layer: unknown[] };
  assert.deepEqual(spec.data.values, [{ x: 'a', y: 'r1', value: 0.1 }, { x: 'b', y: 'r1', value: 0.2 }, { x: 'a', y: 'r2', value: 0.3 }, { x: 'b', y: 'r2', value: null }]);
  assert.equal(spec.layer.length, 3);
  assert.match(JSON.stringify(spec.layer[2]), /"equal":"a".*"equal":"r1"/);
  assert.throws(() => gl.plot.heatMap([[1]], ['a', 'b'], ['r']), /values\[0\] must hold 2 values/);
  assert.throws(() => gl.plot.heatMap([[1]], ['a'], ['r'], { highlight: 'best' as never }), /highlight must be 'min' or 'max'/);
  assert.throws(() => gl.plot.heatMap([[1], [2]], ['a'], ['r', 'r']), /yLabels has duplicates/);
});
