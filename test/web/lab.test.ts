// `gradlab lab` end to end in Chromium (playwright-core driving Debian's /usr/bin/chromium): the
// server starts on a free port, the page trains LeNet-5 in its worker (?quick=1: one short epoch),
// a stroke drawn with the mouse gets a digit in the role="status" element, the Convolution panel
// shows A1's answer, and no console error appears. Screenshots of the panels go to test-results/lab/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as gl from '../../src/index.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const cli = join(repo, 'dist', 'src', 'cli', 'main.js');
const shots = join(repo, 'test-results', 'lab');
const bundle = join(repo, 'dist', 'browser', 'gradlab.js');
const skip = !existsSync(CHROMIUM) ? `skipped: ${CHROMIUM} is missing (apt-get install chromium)`
  : !existsSync(bundle) ? `skipped: ${bundle} is missing (npm run build:browser)` : false;

/** `gradlab lab --port 0` as a user starts it; resolves with the URL it prints. */
function startLab(runs: string, model: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [cli, 'lab', '--port', '0', '--runs', runs, '--model', model], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`gradlab lab printed no URL in 20 s: ${out}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /gradlab lab: (http:\/\/\S+\/)/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok({ child, url: m[1] });
      }
    });
    child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('exit', (code) => fail(new Error(`gradlab lab exited with ${code}: ${out}`)));
  });
}

const isPng = (file: string) => {
  const b = readFileSync(file);
  return b.length > 2000 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
};

test('gradlab lab: train in the page, draw a digit, the A1 convolution, no console errors', { skip, timeout: 120_000 }, async () => {
  const { chromium } = await import('playwright-core');
  // A small model for --model, and the same folder as a `gradlab train` run would leave it.
  const tmp = mkdtempSync(join(tmpdir(), 'gradlab-lab-'));
  const given = join(tmp, 'given');
  const runs = join(tmp, 'runs');
  gl.manualSeed(3);
  await gl.sequential({ name: 'tiny_cnn', layers: [
    gl.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, activation: 'relu' }),
    gl.layers.flatten(),
    gl.layers.dense({ units: 10, activation: 'softmax' }),
  ] }).save(given);
  cpSync(given, join(runs, '2026-12-01-10-00-00', 'model'), { recursive: true });
  const { child, url } = await startLab(runs, given);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  try {
    mkdirSync(shots, { recursive: true });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${url}?quick=1`);
    assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'COOP/COEP make the page cross-origin isolated');

    // Train: the button is enabled once the worker has the bundle and its wasm backend.
    const train = page.getByRole('button', { name: 'Train', exact: true });
    await train.click({ timeout: 30_000 });
    await page.waitForFunction(() => /\d/.test(document.getElementById('accuracy')?.textContent ?? ''), null, { timeout: 45_000 });
    await page.waitForFunction(() => /^(Done|Stopped)/.test(document.getElementById('train-status')?.textContent ?? ''), null, { timeout: 45_000 });
    const accuracy = await page.locator('#accuracy').textContent();
    assert.match(accuracy ?? '', /^\d+(\.\d)?%/);
    assert.match(await page.locator('.readouts').textContent() ?? '', /accuracy/);
    assert.match(await page.locator('#engine').textContent() ?? '', /wasm backend/, 'the worker trains on the wasm backend');
    assert.ok(Number((await page.locator('#speed').textContent())?.replace(/,/g, '')) > 0, 'images/s');
    // Four charts drawn by vega-embed from the report's specs.
    assert.equal(await page.locator('.charts svg.marks').count(), 4);
    await page.screenshot({ path: join(shots, 'train.png'), fullPage: true });

    // Draw: a "7" with the mouse; the prediction is a digit.
    await page.getByRole('tab', { name: 'Draw' }).click();
    const pad = page.getByLabel('draw a digit');
    const box = (await pad.boundingBox())!;
    const pt = (fx: number, fy: number) => [box.x + fx * box.width, box.y + fy * box.height] as const;
    await page.mouse.move(...pt(0.25, 0.2));
    await page.mouse.down();
    for (const [fx, fy] of [[0.5, 0.2], [0.75, 0.2], [0.65, 0.45], [0.55, 0.65], [0.45, 0.85]]) await page.mouse.move(...pt(fx, fy), { steps: 6 });
    await page.mouse.up();
    const status = page.getByRole('status');
    await page.waitForFunction(() => /Prediction: [0-9]/.test(document.querySelector('[role=status]')?.textContent ?? ''), null, { timeout: 15_000 });
    assert.match(await status.textContent() ?? '', /^Prediction: [0-9] \(p = [01]\.\d\d\)$/);
    assert.equal(await page.locator('#maps canvas').count(), 6, "the first conv layer's six feature maps");
    await page.screenshot({ path: join(shots, 'draw.png'), fullPage: true });

    // Convolution: A1's answer, its sum written out on hover, and true convolution's sign flip.
    await page.getByRole('tab', { name: 'Convolution' }).click();
    const z = await page.locator('#conv-output tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => Number(td.textContent))));
    assert.deepEqual(z, [[-3, 0, 0, 3], [-6, 0, 0, 6], [-6, 1, -1, 6], [-6, 2, -2, 6], [-3, 1, -1, 3]]);
    await page.locator('#conv-output tr').nth(1).locator('td').nth(3).hover();
    assert.match(await page.locator('#conv-sum').textContent() ?? '', /^z\[1,3\] = .* = 3·1 \+ 0·\(-1\) \+ 3·1 \+ 0·\(-1\) = 6$/);
    await page.screenshot({ path: join(shots, 'convolution.png'), fullPage: true });
    await page.getByLabel(/true convolution/).check();
    assert.equal(await page.locator('#conv-output tr').nth(1).locator('td').nth(3).textContent(), '-6');
    await page.getByLabel('Padding').fill('1');
    assert.equal(await page.locator('#conv-output tr').count(), 7, 'padding 1: a 7x6 output');

    // Keyboard: arrows move between tabs.
    await page.getByRole('tab', { name: 'Convolution' }).focus();
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.getByRole('tab', { name: 'Models' }).getAttribute('aria-selected'), 'true');

    // Models: the --model and the run folder are offered; loading one makes it Draw's model.
    await page.getByRole('tab', { name: 'Models' }).click();
    assert.equal(await page.locator('#model-list li').count(), 2);
    await page.getByRole('button', { name: /^Load runs\/2026-12-01-10-00-00\/model/ }).click();
    await page.waitForFunction(() => /Current model: tiny_cnn, 27,090 parameters \(runs\/2026/.test(document.getElementById('model-current')?.textContent ?? ''), null, { timeout: 15_000 });
    // A dropped (here: chosen) gradlab folder's two files go through the server's converter.
    await page.locator('#model-files').setInputFiles(readdirSync(given).map((f) => join(given, f)));
    await page.waitForFunction(() => /Current model: tiny_cnn, .* \(model\.json, weights-/.test(document.getElementById('model-current')?.textContent ?? ''), null, { timeout: 15_000 });
    await page.screenshot({ path: join(shots, 'models.png'), fullPage: true });
    await page.getByRole('tab', { name: 'Draw' }).click();
    await page.getByRole('button', { name: 'Draw a test digit' }).click();
    await page.waitForFunction(() => /Prediction: [0-9]/.test(document.querySelector('[role=status]')?.textContent ?? '') && document.querySelectorAll('#maps canvas').length === 4, null, { timeout: 15_000 });

    // Stop: a longer run ends after the batch in progress.
    await page.getByRole('tab', { name: 'Train' }).click();
    await page.getByRole('spinbutton', { name: 'Epochs' }).fill('5');
    await train.click();
    await page.waitForFunction(() => /batch [2-9]/.test(document.getElementById('progress')?.textContent ?? ''), null, { timeout: 30_000 });
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.waitForFunction(() => /^Stopped/.test(document.getElementById('train-status')?.textContent ?? ''), null, { timeout: 30_000 });
    assert.match(await page.locator('#progress').textContent() ?? '', /^epoch 1,/, 'stopped in the first of five epochs');

    // Phone width: nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    for (const name of ['Train', 'Convolution', 'Models', 'Draw']) {
      await page.getByRole('tab', { name }).click();
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), `${name}: no horizontal scrolling at 390 px`);
    }
    await page.screenshot({ path: join(shots, 'draw-phone.png'), fullPage: true });

    assert.deepEqual(errors, []);
    for (const f of ['train.png', 'draw.png', 'convolution.png', 'models.png', 'draw-phone.png']) assert.ok(isPng(join(shots, f)), `${f} is a non-empty PNG`);
  } finally {
    await browser.close();
    child.kill();
    rmSync(tmp, { recursive: true, force: true });
  }
});
