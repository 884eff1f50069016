/** Checks shared by the report tests: references to anything outside a page, and headless Chromium. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Every reference in an HTML or SVG text that would load something from outside it: attribute
 * values of src, href, xlink:href, srcset, poster, action, data, background that are not data: URIs
 * or in-page anchors; CSS url(...) that is not a data: URI; @import. Namespace declarations
 * (xmlns="http://www.w3.org/2000/svg") are names, not loads, and are ignored.
 */
export function externalReferences(text: string): string[] {
  const out: string[] = [];
  const attr = /\s(src|href|xlink:href|srcset|poster|action|data|background)\s*=\s*("([^"]*)"|'([^']*)'|([^\s>]+))/gi;
  let m: RegExpExecArray | null;
  while ((m = attr.exec(text)) !== null) {
    const v = (m[3] ?? m[4] ?? m[5] ?? '').trim();
    if (!/^data:/i.test(v) && !v.startsWith('#')) out.push(`${m[1]}="${v.slice(0, 80)}"`);
  }
  const url = /url\(\s*(['"]?)([^'")]*)\1\s*\)/gi;
  while ((m = url.exec(text)) !== null) {
    if (!/^data:/i.test(m[2]) && !m[2].startsWith('#')) out.push(`url(${m[2].slice(0, 80)})`);
  }
  if (/@import/i.test(text)) out.push('@import');
  return out;
}

/** The data: URIs of <img src="..."> elements, in page order. */
export function imageSources(html: string): string[] {
  return [...html.matchAll(/<img\b[^>]*\ssrc="([^"]*)"/g)].map((m) => m[1]);
}

/** Decodes a data:image/svg+xml;base64 URI to its SVG text. */
export function svgOfDataURI(uri: string): string {
  const prefix = 'data:image/svg+xml;base64,';
  if (!uri.startsWith(prefix)) throw new Error(`not a base64 SVG data URI: ${uri.slice(0, 40)}`);
  return Buffer.from(uri.slice(prefix.length), 'base64').toString('utf8');
}

export const CHROMIUM = '/usr/bin/chromium';

export function chromiumMissing(): string | false {
  return existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (Debian: apt-get install -y chromium fonts-dejavu-core)`;
}

export interface ChromiumRun {
  status: number | null;
  /** Lines Chromium logged for the page's console (messages and uncaught errors). */
  consoleLines: string[];
  stderr: string;
}

/**
 * Opens a local page in headless Chromium, writes a screenshot and collects console output.
 * Chromium logs every console message of the page (log, warning, error, uncaught exception) to
 * stderr as a CONSOLE line; its own dbus/GPU chatter has no such tag.
 */
export function chromiumScreenshot(page: string, screenshot: string, size = '1200,2000'): ChromiumRun {
  const profile = mkdtempSync(join(tmpdir(), 'gradlab-chromium-'));
  try {
    const r = spawnSync(CHROMIUM, [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`, '--enable-logging=stderr', '--v=0',
      `--screenshot=${screenshot}`, `--window-size=${size}`, pathToFileURL(page).href,
    ], { encoding: 'utf8', timeout: 90_000 });
    const stderr = `${r.stderr ?? ''}${r.error ? `\n${r.error.message}` : ''}`;
    const consoleLines = stderr.split('\n').filter((l) => /[:\]]CONSOLE[:(]/.test(l));
    return { status: r.status, consoleLines, stderr };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
