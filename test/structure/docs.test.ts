// Every property of a public options interface says in its doc comment what it means and its
// default (or that it is required): the API reference (`npm run docs`) shows these comments.
// Read from the declaration files tsc wrote to dist/src by scripts/doc-coverage.mjs, without
// TypeDoc, so the suite needs neither the network nor docs/api-tools.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Member { name: string; optional: boolean; doc: string | null }
interface PublicInterface { key: string; file: string; name: string; publicName: string; members: Member[]; parents: string[] }
interface Script {
  publicInterfaces(root: string, entries?: string | readonly string[]): PublicInterface[];
  missingOptionDocs(root: string, entries?: string | readonly string[]): string[];
}

const distSrc = fileURLToPath(new URL('../../src/', import.meta.url));
const load = async (): Promise<Script> => (await import(new URL('../../../scripts/doc-coverage.mjs', import.meta.url).href)) as Script;

test('every property of an exported options interface has a doc comment with its default or "required"', async () => {
  const { publicInterfaces, missingOptionDocs } = await load();
  const found = publicInterfaces(distSrc);
  const names = new Set(found.map((r) => r.publicName));
  // The reader reaches through `export *`, `export * as ns` and `extends`: a few it must see.
  for (const n of ['FitArgs', 'svm.SVCOptions', 'metrics.PrfOptions', 'modelSelection.GridSearchCVOptions', 'plot.LineOptions', 'io.OnnxExportOptions', 'SgdOptions']) {
    assert.ok(names.has(n), `${n} not found among the ${found.length} public interfaces`);
  }
  assert.ok(found.some((r) => r.publicName.startsWith('DenseArgs (extends')), 'the parents of DenseArgs are not followed');
  assert.deepEqual(missingOptionDocs(distSrc), []);
});

test('the reader follows re-exports, namespaces and extends, and flags undocumented or default-less options', async () => {
  const { publicInterfaces, missingOptionDocs } = await load();
  const root = mkdtempSync(join(tmpdir(), 'gradlab-docs-'));
  try {
    mkdirSync(join(root, 'm'));
    writeFileSync(join(root, 'index.d.ts'), [
      "export * from './m/a.js';",
      "export * as ns from './m/b.js';",
      "export type { COptions as Renamed } from './m/c.js';",
      '',
    ].join('\n'));
    writeFileSync(join(root, 'm', 'a.d.ts'), [
      "import { type BaseArgs } from './base.js';",
      '/** Options of a. */',
      'export interface AOptions extends Omit<BaseArgs, "x"> {',
      '    /** Step size (default 1). */',
      '    step?: number;',
      '    /** How many; required. */',
      '    readonly count: number;',
      '    /** A callback with no default named. */',
      '    onStep?: (i: number, o: { a: number; b: string }) => void;',
      '    size?: [number, number];',
      '    readonly [option: string]: unknown;',
      '}',
      'export declare function a(o: AOptions): void;',
      '',
    ].join('\n'));
    writeFileSync(join(root, 'm', 'base.d.ts'), [
      'export interface BaseArgs {',
      '    /** @defaultValue `"x"` */',
      '    name?: string;',
      '    /** Undocumented default. */',
      '    seed?: number;',
      '}',
      '',
    ].join('\n'));
    writeFileSync(join(root, 'm', 'b.d.ts'), [
      'export interface BConfig {',
      "    /** Mode. Default: 'min'. */",
      "    mode?: 'min' | 'max';",
      '    // a line comment is no doc comment',
      '    /** @deprecated */',
      '    old?: boolean;',
      '    /** Default float32. */',
      '    dtype?: string;',
      '    /**',
      '     * Long text over',
      '     * lines; default none.',
      '     */',
      '    long?: string;',
      '    /** Where it looks; the default depends on the data set. */',
      '    dir?: string;',
      '}',
      '/** Not options: its members need no default. */',
      'export interface Result { value: number }',
      '',
    ].join('\n'));
    writeFileSync(join(root, 'm', 'c.d.ts'), 'export interface COptions {\n    /** Required. */\n    path: string;\n}\ninterface Hidden { x?: number }\n');
    // A second entry point (the browser's) adds its own exports.
    writeFileSync(join(root, 'browser.d.ts'), "export { type DOptions } from './m/d.js';\n");
    writeFileSync(join(root, 'm', 'd.d.ts'), 'export interface DOptions {\n    width?: number;\n}\n');
    const names = publicInterfaces(root).map((r) => r.publicName).sort();
    assert.deepEqual(names, ['AOptions', 'AOptions (extends BaseArgs)', 'DOptions', 'Renamed', 'ns.BConfig', 'ns.Result']);
    assert.deepEqual(publicInterfaces(root, 'index.d.ts').map((r) => r.publicName).filter((n) => n === 'DOptions'), []);
    assert.deepEqual(missingOptionDocs(root), [
      'AOptions (extends BaseArgs).seed (m/base.ts, no default or "required")',
      'AOptions.onStep (m/a.ts, no default or "required")',
      'AOptions.size (m/a.ts, no doc comment)',
      'DOptions.width (m/d.ts, no doc comment)',
      'ns.BConfig.dir (m/b.ts, no default or "required")',
      'ns.BConfig.old (m/b.ts, no default or "required")',
    ]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
