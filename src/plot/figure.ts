/**
 * A chart as a Vega-Lite specification, rendered headlessly: vega's scenegraph writes the SVG
 * (no canvas, no browser), resvg rasterises it to PNG.
 */
// vega and vega-lite take ~250 ms to load, so they are imported on first render, not with gradlab.
import type * as vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import { ValueError } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic.js';
import { checkOptions, describeValue, nonEmptyString, optionKeys } from '../core/validate.js';
import { env, nodeModule } from '../core/env.js';

const RESVG = '@resvg/resvg-js';
const fs = nodeModule('fs');
const path = nodeModule('path');

export type { TopLevelSpec };

/** What `save` can write, chosen by the file extension. */
export type FigureFormat = 'svg' | 'png' | 'json' | 'html';

/** Options of `figure.toPNG(options)`. */
export interface PNGOptions {
  /** Pixels per SVG unit (2 gives a sharp image on high-density screens). Default 1. */
  scale?: number;
}

const PNG_KEYS = optionKeys<PNGOptions>({ scale: true });

/** A PNG scale (pixels per SVG unit) in (0, 16]. */
export function pngScale(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > 16) {
    throw new ValueError(`${fn}: ${name} must be a number in (0, 16], got ${describeValue(v)}`);
  }
  return v;
}

const FORMATS: Record<string, FigureFormat> = {
  '.svg': 'svg',
  '.png': 'png',
  '.json': 'json',
  '.html': 'html',
  '.htm': 'html',
};

// resvg only draws text with fonts it has loaded. Loading two known files is much faster than
// scanning every system font, so look for DejaVu (Debian: fonts-dejavu-core) first.
const FONT_DIRS = [
  '/usr/share/fonts/truetype/dejavu',
  '/usr/share/fonts/dejavu',
  '/usr/share/fonts/TTF',
  '/usr/share/fonts/truetype',
  '/usr/local/share/fonts',
  '/Library/Fonts',
];

interface FontSetup {
  loadSystemFonts: boolean;
  fontFiles: string[];
  defaultFontFamily?: string;
  sansSerifFamily?: string;
}

let fontSetup: FontSetup | null = null;

function fonts(): FontSetup {
  if (fontSetup !== null) return fontSetup;
  const override = env().variable('GRADLAB_FONT_DIR');
  const dirs = override ? [override, ...FONT_DIRS] : FONT_DIRS;
  for (const dir of dirs) {
    const regular = path.join(dir, 'DejaVuSans.ttf');
    if (fs.existsSync(regular)) {
      const bold = path.join(dir, 'DejaVuSans-Bold.ttf');
      fontSetup = {
        loadSystemFonts: false,
        fontFiles: fs.existsSync(bold) ? [regular, bold] : [regular],
        defaultFontFamily: 'DejaVu Sans',
        sansSerifFamily: 'DejaVu Sans',
      };
      return fontSetup;
    }
  }
  // No DejaVu: let resvg use whatever the system has (slower; text is missing if there is none).
  fontSetup = { loadSystemFonts: true, fontFiles: [] };
  return fontSetup;
}

function escapeHTML(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function titleOf(spec: TopLevelSpec): string {
  const t = (spec as { title?: unknown }).title;
  if (typeof t === 'string') return t;
  if (t !== null && typeof t === 'object' && typeof (t as { text?: unknown }).text === 'string') {
    return (t as { text: string }).text;
  }
  return 'gradlab figure';
}

/** A chart: its Vega-Lite spec plus headless rendering to SVG, PNG, HTML and files. */
export class Figure {
  readonly #spec: TopLevelSpec;
  #svg: Promise<string> | null = null;

  constructor(spec: TopLevelSpec) {
    // Own copy, so later changes to the caller's object cannot alter the figure.
    this.#spec = structuredClone(spec);
  }

  /** The chart title (or a generic one). */
  get title(): string {
    return titleOf(this.#spec);
  }

  /** The Vega-Lite specification (a copy: renders the same chart in a browser with vega-embed). */
  toSpec(): TopLevelSpec {
    return structuredClone(this.#spec);
  }

  /** The compiled Vega specification. */
  async toVega(): Promise<vega.Spec> {
    const { compile } = await import('vega-lite');
    return compile(this.#spec).spec as vega.Spec;
  }

  /** The chart as a standalone SVG document. */
  toSVG(): Promise<string> {
    if (this.#svg === null) {
      this.#svg = (async () => {
        const { View, parse } = await import('vega');
        const view = new View(parse(await this.toVega()), { renderer: 'none' });
        try {
          return await view.toSVG();
        } finally {
          view.finalize();
        }
      })();
      // A failed render may be retried.
      this.#svg.catch(() => {
        this.#svg = null;
      });
    }
    return this.#svg;
  }

  /** The chart as a PNG file's bytes. */
  async toPNG(options: PNGOptions = {}): Promise<Uint8Array> {
    const o = checkOptions('Figure.toPNG', options, PNG_KEYS);
    const scale = pngScale('Figure.toPNG', 'scale', o.scale ?? 1);
    const svg = await this.toSVG();
    // Loaded on first use: the native module is only needed for PNG output.
    // (a specifier in a variable: bundlers for the page must not try to pack the native module)
    const { Resvg } = (await import(RESVG)) as typeof import('@resvg/resvg-js');
    const f = fonts();
    // vega marks unsmoothed images 'optimizeSpeed; pixelated'; resvg knows only the first and
    // ignores both when the second is present, which would blur digits and filters.
    const resvg = new Resvg(svg.replace(/ ?image-rendering: pixelated;/g, ''), {
      font: {
        loadSystemFonts: f.loadSystemFonts,
        fontFiles: f.fontFiles,
        ...(f.defaultFontFamily ? { defaultFontFamily: f.defaultFontFamily } : {}),
        ...(f.sansSerifFamily ? { sansSerifFamily: f.sansSerifFamily } : {}),
      },
      fitTo: { mode: 'zoom', value: scale },
      background: 'white',
      logLevel: 'off',
    });
    return new Uint8Array(resvg.render().asPng());
  }

  /** A self-contained HTML page with the SVG inlined. */
  async toHTML(): Promise<string> {
    const svg = await this.toSVG();
    const title = escapeHTML(this.title);
    return (
      '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
      `<title>${title}</title>\n` +
      '<style>body{margin:16px;font-family:sans-serif;background:#fff}</style>\n' +
      `</head>\n<body>\n<figure>${svg}</figure>\n</body>\n</html>\n`
    );
  }

  /**
   * Writes the figure to `file` atomically, in the format its extension names:
   * .svg, .png, .json (the Vega-Lite spec) or .html. Parent folders are created.
   */
  async save(file: string, options: PNGOptions = {}): Promise<void> {
    nonEmptyString('Figure.save', 'path', file);
    // Checked for every format, so that a wrong option is not noticed only once the file is a .png.
    const o = checkOptions('Figure.save', options, PNG_KEYS);
    if (o.scale !== undefined) pngScale('Figure.save', 'scale', o.scale);
    const ext = path.extname(file).toLowerCase();
    const format = FORMATS[ext];
    if (format === undefined) {
      throw new ValueError(
        `Figure.save: cannot tell the format of '${file}' (extension '${ext}'); use .svg, .png, .json or .html`,
      );
    }
    let data: string | Uint8Array;
    switch (format) {
      case 'svg':
        data = await this.toSVG();
        break;
      case 'png':
        data = await this.toPNG(o);
        break;
      case 'json':
        data = JSON.stringify(this.#spec, null, 2) + '\n';
        break;
      case 'html':
        data = await this.toHTML();
        break;
    }
    await writeFileAtomic(file, data);
  }
}
