/**
 * A minimal PNG encoder for the small raster pieces of a chart (digit tiles, filters, decision
 * regions). They travel inside the SVG as data URIs, which is far cheaper for vega and resvg than
 * one rect mark per pixel, and renders identically in a browser.
 */
import { env } from '../core/env.js';
import { crc32 } from '../core/crc32.js';

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  view.setUint32(8 + body.length, crc32(out, 4, 8 + body.length));
  return out;
}

/** PNG colour types by channel count: gray, RGB, RGBA. */
const COLOR_TYPE: Record<number, number> = { 1: 0, 3: 2, 4: 6 };

/**
 * Encodes 8-bit pixels (row-major, `channels` interleaved values per pixel: 1 gray, 3 RGB,
 * 4 RGBA) as a PNG file.
 */
export function encodePNG(width: number, height: number, channels: 1 | 3 | 4, pixels: Uint8Array): Uint8Array {
  const rowBytes = width * channels;
  if (pixels.length !== rowBytes * height) {
    throw new RangeError(`encodePNG: ${pixels.length} bytes for ${width}x${height}x${channels}`);
  }
  // Filter type 0 (none) on every row: the images are tiny, so better filters would not pay off.
  const raw = new Uint8Array((rowBytes + 1) * height);
  for (let y = 0; y < height; y++) {
    raw.set(pixels.subarray(y * rowBytes, (y + 1) * rowBytes), y * (rowBytes + 1) + 1);
  }
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = COLOR_TYPE[channels];
  const parts = [
    new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('IDAT', env().deflate(raw)),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** The PNG as a `data:image/png;base64,...` URI. */
export function pngDataURI(width: number, height: number, channels: 1 | 3 | 4, pixels: Uint8Array): string {
  return 'data:image/png;base64,' + Buffer.from(encodePNG(width, height, channels, pixels)).toString('base64');
}
