// The lab page: tabs, the Train panel's controls and live charts, the Draw pad, the Convolution
// grid and the Models list. The network lives in a Web Worker (worker.ts); this thread only draws.
import { A1_IMAGE, A1_KERNEL, convolve, explain, type ConvResult, type ConvSettings } from './conv.js';
import { SIDE, toMnist } from './digit.js';
import type { ChartSpecs, FromWorker, ModelInfo, Spec, ToWorker, TrainSettings } from './protocol.js';

// vega-embed's UMD build (served from node_modules) sets this global.
interface VegaView { insert(name: string, rows: object[]): VegaView; runAsync(): Promise<unknown>; remove(name: string, pred: (r: unknown) => boolean): VegaView }
declare const vegaEmbed: (el: HTMLElement, spec: Spec, opts: Record<string, unknown>) => Promise<{ view: VegaView & { change(name: string, cs: unknown): VegaView } }>;

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`lab page: no element #${id}`);
  return e as T;
};
const params = new URLSearchParams(location.search);
const quick = params.get('quick') === '1';

// ---------------------------------------------------------------- tabs (WAI-ARIA tabs pattern)

const tabs = [...document.querySelectorAll<HTMLButtonElement>('[role=tab]')];
function selectTab(tab: HTMLButtonElement, focus: boolean): void {
  for (const t of tabs) {
    const on = t === tab;
    t.setAttribute('aria-selected', String(on));
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute('aria-controls')!).hidden = !on;
  }
  if (focus) tab.focus();
  history.replaceState(null, '', `${location.search}#${tab.id.slice(4)}`);
}
tabs.forEach((t, i) => {
  t.addEventListener('click', () => selectTab(t, false));
  t.addEventListener('keydown', (e) => {
    const k = e.key;
    const to = k === 'ArrowRight' ? (i + 1) % tabs.length : k === 'ArrowLeft' ? (i - 1 + tabs.length) % tabs.length : k === 'Home' ? 0 : k === 'End' ? tabs.length - 1 : -1;
    if (to >= 0) {
      e.preventDefault();
      selectTab(tabs[to], true);
    }
  });
});
const initial = tabs.find((t) => `#${t.id.slice(4)}` === location.hash);
if (initial) selectTab(initial, false);

// ---------------------------------------------------------------- the worker

const worker = new Worker('/page/worker.js', { type: 'module' });
const send = (m: ToWorker, transfer: Transferable[] = []) => worker.postMessage(m, transfer);
let ready = false;
let model: ModelInfo | null = null;

const reportError = (where: string, message: string) => {
  const target = where === 'draw' ? $('prediction') : where === 'load' ? $('model-current') : $('train-status');
  target.textContent = message;
  target.classList.add('error');
};

// ---------------------------------------------------------------- Train panel

const trainBtn = $<HTMLButtonElement>('train');
const stopBtn = $<HTMLButtonElement>('stop');
const num = (id: string) => Number($<HTMLInputElement>(id).value);
if (quick) {
  // A short run for tests and a first look: one epoch over 2,048 digits.
  $<HTMLInputElement>('train-size').value = '2048';
  $<HTMLInputElement>('test-size').value = '500';
  $<HTMLInputElement>('epochs').value = '1';
}

interface Chart { view: VegaView | null; pending: object[] }
const charts: Record<keyof ChartSpecs, Chart> = {
  batchLoss: { view: null, pending: [] }, batchAccuracy: { view: null, pending: [] },
  epochLoss: { view: null, pending: [] }, epochAccuracy: { view: null, pending: [] },
};
const chartEl: Record<keyof ChartSpecs, string> = {
  batchLoss: 'chart-batch-loss', batchAccuracy: 'chart-batch-accuracy', epochLoss: 'chart-epoch-loss', epochAccuracy: 'chart-epoch-accuracy',
};
let specs: ChartSpecs | null = null;
// The report's chart specs, made by the server with gl.plot.line (the same code as report.html's).
const specsLoaded = fetch('/api/specs').then(async (r) => { specs = (await r.json()) as ChartSpecs; });

async function resetCharts(): Promise<void> {
  await specsLoaded;
  if (!specs) return;
  await Promise.all((Object.keys(charts) as (keyof ChartSpecs)[]).map(async (k) => {
    const el = $(chartEl[k]);
    // The report's spec, narrowed to fit a phone (the legend needs about 150 px beside the plot);
    // resize: the axes grow their labels as the data streams in.
    const width = Math.max(160, Math.min(Number(specs![k].width), el.clientWidth - 170));
    const r = await vegaEmbed(el, { ...specs![k], width, autosize: { type: 'pad', resize: true } }, { actions: false, renderer: 'svg' });
    charts[k] = { view: r.view, pending: [] };
  }));
}

let flushQueued = false;
// Many batches a second: rows are buffered and drawn once per frame.
function push(k: keyof ChartSpecs, rows: object[]): void {
  charts[k].pending.push(...rows);
  if (flushQueued) return;
  flushQueued = true;
  requestAnimationFrame(() => {
    flushQueued = false;
    for (const c of Object.values(charts)) {
      if (c.view && c.pending.length > 0) {
        void c.view.insert('rows', c.pending).runAsync();
        c.pending = [];
      }
    }
  });
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

function settings(): TrainSettings | string {
  const s: TrainSettings = {
    trainSize: num('train-size'), testSize: num('test-size'), epochs: num('epochs'), batchSize: num('batch-size'),
    learningRate: num('lr'), seed: Number(params.get('seed') ?? 42),
  };
  const int = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;
  if (!int(s.trainSize, 64, 60000)) return 'Training digits must be a whole number from 64 to 60000.';
  if (!int(s.testSize, 10, 10000)) return 'Test digits must be a whole number from 10 to 10000.';
  if (!int(s.epochs, 1, 20)) return 'Epochs must be a whole number from 1 to 20.';
  if (!int(s.batchSize, 1, 1024)) return 'Batch size must be a whole number from 1 to 1024.';
  if (!(s.learningRate > 0 && s.learningRate <= 1)) return 'The learning rate must be a number above 0 and at most 1.';
  return s;
}

$('train-form').addEventListener('submit', (e) => {
  e.preventDefault();
  if (!ready) return;
  const s = settings();
  const status = $('train-status');
  status.classList.remove('error');
  if (typeof s === 'string') {
    status.textContent = s;
    status.classList.add('error');
    return;
  }
  trainBtn.disabled = true;
  stopBtn.disabled = false;
  for (const id of ['accuracy', 'loss', 'speed', 'progress']) $(id).textContent = '-';
  void resetCharts().then(() => send({ type: 'train', settings: s }));
});
stopBtn.addEventListener('click', () => {
  send({ type: 'stop' });
  stopBtn.disabled = true;
  $('train-status').textContent = 'Stopping after this batch...';
});

// ---------------------------------------------------------------- Draw panel

const pad = $<HTMLCanvasElement>('pad');
const pen = pad.getContext('2d', { willReadFrequently: true })!;
const seen = $<HTMLCanvasElement>('seen');
const bars = $('bars');
for (let d = 0; d < 10; d++) {
  const li = document.createElement('li');
  li.innerHTML = `<span>${d}</span><span class="track"><span class="fill"></span></span><span class="p">-</span>`;
  li.setAttribute('aria-label', `digit ${d}`);
  bars.append(li);
}

function clearPad(): void {
  pen.fillStyle = '#fff';
  pen.fillRect(0, 0, pad.width, pad.height);
}
clearPad();

/** Ink in [0, 1] from the pad's pixels (dark strokes on white). */
function ink(): Float32Array {
  const { data } = pen.getImageData(0, 0, pad.width, pad.height);
  const out = new Float32Array(pad.width * pad.height);
  for (let i = 0; i < out.length; i++) out[i] = 1 - data[i * 4] / 255;
  return out;
}

function showGrey(canvas: HTMLCanvasElement, values: ArrayLike<number>, w: number, h: number, lo = 0, hi = 1): void {
  const off = document.createElement('canvas');
  off.width = w;
  off.height = h;
  const c = off.getContext('2d')!;
  const img = c.createImageData(w, h);
  const span = hi - lo || 1;
  for (let i = 0; i < w * h; i++) {
    const v = Math.max(0, Math.min(255, Math.round(((values[i] - lo) / span) * 255)));
    img.data.set([v, v, v, 255], i * 4);
  }
  c.putImageData(img, 0, 0);
  const g = canvas.getContext('2d')!;
  g.imageSmoothingEnabled = false;
  g.drawImage(off, 0, 0, canvas.width, canvas.height);
}

let predictId = 0;
let predictTimer = 0;
function requestPrediction(): void {
  if (predictTimer) return;
  // At most ten predictions a second while the pen moves.
  predictTimer = window.setTimeout(() => {
    predictTimer = 0;
    const x = toMnist(ink(), pad.width, pad.height);
    showGrey(seen, x, SIDE, SIDE);
    if (!x.some((v) => v > 0)) return;
    send({ type: 'predict', id: ++predictId, pixels: x }, [x.buffer]);
  }, 100);
}

function showPrediction(m: Extract<FromWorker, { type: 'prediction' }>): void {
  if (m.id !== predictId) return;
  let best = 0;
  m.probs.forEach((p, i) => { if (p > m.probs[best]) best = i; });
  const status = $('prediction');
  status.classList.remove('error');
  status.textContent = `Prediction: ${best} (p = ${m.probs[best].toFixed(2)})`;
  [...bars.children].forEach((li, i) => {
    (li.querySelector('.fill') as HTMLElement).style.width = `${(100 * m.probs[i]).toFixed(1)}%`;
    li.querySelector('.p')!.textContent = pct(m.probs[i]);
    li.classList.toggle('top', i === best);
  });
  const maps = $('maps');
  if (!m.maps || !m.mapShape) {
    maps.textContent = 'This model has no convolution layer.';
    return;
  }
  $('maps-title').textContent = `First convolution layer (${m.layer}): ${m.mapShape[2]} feature maps`;
  const [h, w, c] = m.mapShape;
  while (maps.children.length > c) maps.lastChild!.remove();
  while (maps.children.length < c) {
    const f = document.createElement('figure');
    const cv = document.createElement('canvas');
    cv.width = 84;
    cv.height = 84;
    cv.setAttribute('role', 'img');
    cv.setAttribute('aria-label', `feature map ${maps.children.length + 1}`);
    const cap = document.createElement('figcaption');
    cap.textContent = `map ${maps.children.length + 1}`;
    f.append(cv, cap);
    maps.append(f);
  }
  for (let k = 0; k < c; k++) {
    const plane = new Float32Array(h * w);
    let hi = 0;
    for (let i = 0; i < h * w; i++) {
      plane[i] = m.maps[i * c + k];
      if (plane[i] > hi) hi = plane[i];
    }
    showGrey(maps.children[k].querySelector('canvas')!, plane, w, h, 0, hi);
  }
}

let drawing = false;
let last: [number, number] | null = null;
function stroke(x: number, y: number): void {
  pen.strokeStyle = '#000';
  pen.lineWidth = 20;
  pen.lineCap = 'round';
  pen.lineJoin = 'round';
  pen.beginPath();
  const [x0, y0] = last ?? [x, y];
  pen.moveTo(x0, y0);
  pen.lineTo(x, y);
  pen.stroke();
  last = [x, y];
  requestPrediction();
}
const at = (e: PointerEvent): [number, number] => {
  const r = pad.getBoundingClientRect();
  return [((e.clientX - r.left) * pad.width) / r.width, ((e.clientY - r.top) * pad.height) / r.height];
};
pad.addEventListener('pointerdown', (e) => {
  drawing = true;
  last = null;
  pad.setPointerCapture(e.pointerId);
  stroke(...at(e));
});
pad.addEventListener('pointermove', (e) => { if (drawing) stroke(...at(e)); });
const end = () => { drawing = false; last = null; };
pad.addEventListener('pointerup', end);
pad.addEventListener('pointercancel', end);

// The keyboard pen: arrows move it (drawing while it is down), Space lifts or lowers it.
let keyPen: [number, number] = [140, 60];
let keyDown = false;
pad.addEventListener('keydown', (e) => {
  const step = e.shiftKey ? 4 : 14;
  const moves: Record<string, [number, number]> = { ArrowUp: [0, -step], ArrowDown: [0, step], ArrowLeft: [-step, 0], ArrowRight: [step, 0] };
  if (e.key === ' ' || e.key === 'Enter') {
    e.preventDefault();
    keyDown = !keyDown;
    last = null;
    if (keyDown) stroke(...keyPen);
    $('pad-help').textContent = keyDown ? 'Pen down: the arrow keys draw. Space lifts it.' : 'Pen up: the arrow keys move it. Space lowers it.';
  } else if (moves[e.key]) {
    e.preventDefault();
    const [dx, dy] = moves[e.key];
    keyPen = [Math.max(10, Math.min(270, keyPen[0] + dx)), Math.max(10, Math.min(270, keyPen[1] + dy))];
    if (keyDown) stroke(...keyPen);
  }
});

$('clear').addEventListener('click', () => {
  clearPad();
  showGrey(seen, new Float32Array(SIDE * SIDE), SIDE, SIDE);
  $('prediction').textContent = 'No prediction yet: draw on the canvas.';
});

let sampleIndex = 0;
$('sample').addEventListener('click', async () => {
  // A test digit, scaled up onto the pad as if drawn: the same path as a drawing from there on.
  const res = await fetch(`/api/mnist?split=test&offset=${sampleIndex++ % 10000}&count=1`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const img = new Float32Array(784);
  for (let i = 0; i < 784; i++) img[i] = 1 - bytes[16 + i] / 255;
  clearPad();
  showGrey(pad, img, 28, 28);
  requestPrediction();
});

// ---------------------------------------------------------------- Convolution panel

const image: number[][] = A1_IMAGE.map((r) => [...r]);
const kernel: number[][] = A1_KERNEL.map((r) => [...r]);
let conv: ConvResult = convolve(image, kernel, { mode: 'correlation', padding: 0, stride: 1 });
let selected: [number, number] | null = null;

function convSettings(): ConvSettings {
  const mode = (document.querySelector<HTMLInputElement>('input[name=mode]:checked')?.value ?? 'correlation') as ConvSettings['mode'];
  const clampInt = (id: string, lo: number, hi: number) => {
    const el = $<HTMLInputElement>(id);
    const v = Math.max(lo, Math.min(hi, Math.round(Number(el.value) || lo)));
    return v;
  };
  return { mode, padding: clampInt('conv-padding', 0, 3), stride: clampInt('conv-stride', 1, 3) };
}

function editableGrid(table: HTMLTableElement, values: number[][], what: string, padding: number): void {
  table.replaceChildren();
  const h = values.length;
  const w = values[0].length;
  for (let r = -padding; r < h + padding; r++) {
    const tr = table.insertRow();
    for (let c = -padding; c < w + padding; c++) {
      const td = tr.insertCell();
      td.dataset.r = String(r);
      td.dataset.c = String(c);
      if (r < 0 || r >= h || c < 0 || c >= w) {
        td.className = 'pad';
        td.textContent = '0';
        td.title = 'zero padding';
        continue;
      }
      const input = document.createElement('input');
      input.type = 'number';
      input.step = 'any';
      input.value = String(values[r][c]);
      input.setAttribute('aria-label', `${what} row ${r} column ${c}`);
      input.addEventListener('input', () => {
        const v = Number(input.value);
        if (input.value.trim() !== '' && Number.isFinite(v)) {
          values[r][c] = v;
          refreshOutput();
        }
      });
      td.append(input);
    }
  }
}

function refreshGrids(): void {
  const s = convSettings();
  editableGrid($<HTMLTableElement>('conv-image'), image, 'image', s.padding);
  editableGrid($<HTMLTableElement>('conv-kernel'), kernel, 'kernel', 0);
  refreshOutput();
}

function refreshOutput(): void {
  const s = convSettings();
  conv = convolve(image, kernel, s);
  const out = $<HTMLTableElement>('conv-output');
  out.replaceChildren();
  const rows = conv.z.length;
  const cols = rows ? conv.z[0].length : 0;
  $('conv-out-title').textContent = `Output Z (${rows}x${cols})`;
  conv.z.forEach((row, i) => {
    const tr = out.insertRow();
    row.forEach((v, j) => {
      const td = tr.insertCell();
      td.textContent = String(v);
      td.tabIndex = 0;
      td.className = v > 0 ? 'pos' : v < 0 ? 'neg' : '';
      td.setAttribute('aria-label', `Z row ${i} column ${j}: ${v}`);
      const show = () => showTerms(i, j);
      td.addEventListener('mouseenter', show);
      td.addEventListener('focus', show);
    });
  });
  if (selected && selected[0] < rows && selected[1] < cols) showTerms(...selected);
  else {
    selected = null;
    $('conv-sum').textContent = rows ? 'Point at (or tab to) an output cell to see its sum term by term.' : 'The kernel does not fit: add padding.';
  }
}

function showTerms(i: number, j: number): void {
  selected = [i, j];
  $('conv-sum').textContent = explain(conv, i, j);
  for (const td of document.querySelectorAll('#conv-output td')) td.classList.remove('sel');
  ($<HTMLTableElement>('conv-output').rows[i].cells[j]).classList.add('sel');
  const cells = new Set(conv.terms[i][j].map((t) => `${t.row},${t.col}`));
  const ks = new Set(conv.terms[i][j].map((t) => `${t.kr},${t.kc}`));
  for (const td of document.querySelectorAll<HTMLTableCellElement>('#conv-image td')) td.classList.toggle('hit', cells.has(`${td.dataset.r},${td.dataset.c}`));
  for (const td of document.querySelectorAll<HTMLTableCellElement>('#conv-kernel td')) td.classList.toggle('hit', ks.has(`${td.dataset.r},${td.dataset.c}`));
}

for (const el of document.querySelectorAll('input[name=mode]')) el.addEventListener('change', refreshOutput);
$('conv-padding').addEventListener('input', refreshGrids);
$('conv-stride').addEventListener('input', refreshOutput);
$('conv-reset').addEventListener('click', () => {
  A1_IMAGE.forEach((r, i) => r.forEach((v, j) => { image[i][j] = v; }));
  A1_KERNEL.forEach((r, i) => r.forEach((v, j) => { kernel[i][j] = v; }));
  $<HTMLInputElement>('conv-padding').value = '0';
  $<HTMLInputElement>('conv-stride').value = '1';
  document.querySelector<HTMLInputElement>('input[name=mode][value=correlation]')!.checked = true;
  selected = null;
  refreshGrids();
});
refreshGrids();

// ---------------------------------------------------------------- Models panel

function showModel(info: ModelInfo): void {
  model = info;
  const cur = $('model-current');
  cur.classList.remove('error');
  cur.textContent = `Current model: ${info.name}, ${info.params.toLocaleString('en-US')} parameters (${info.source})${info.drawable ? '' : `. ${info.why}`}`;
  $('model-summary').textContent = info.summary;
}

function loadModel(url: string, source: string): void {
  if (!ready) return;
  send({ type: 'load', url, source });
}

async function refreshModelList(): Promise<void> {
  const res = await fetch('/api/info');
  const info = (await res.json()) as { models: { name: string; params: number; source: string; url: string }[]; runs: { name: string; url: string }[] };
  const list = $('model-list');
  list.replaceChildren();
  const entries = [
    ...info.models.map((m) => ({ label: `${m.name} (${m.params.toLocaleString('en-US')} parameters) from ${m.source}`, url: m.url, source: m.source })),
    ...info.runs.map((r) => ({ label: `${r.name} (gradlab train)`, url: r.url, source: r.name })),
  ];
  if (entries.length === 0) list.innerHTML = '<li class="muted">None: start <code>gradlab lab --model runs/&lt;time&gt;/model</code>, or run <code>gradlab train</code> in this folder.</li>';
  for (const e of entries) {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = 'Load';
    b.setAttribute('aria-label', `Load ${e.label}`);
    b.addEventListener('click', () => loadModel(e.url, e.source));
    li.append(b, ` ${e.label}`);
    list.append(li);
  }
}

async function upload(files: File[]): Promise<void> {
  if (files.length === 0) return;
  const cur = $('model-current');
  cur.classList.remove('error');
  cur.textContent = `Reading ${files.map((f) => f.name).join(', ')}...`;
  const res = await fetch('/api/convert', {
    method: 'POST', body: new Blob(files),
    headers: { 'X-Files': JSON.stringify(files.map((f) => ({ name: f.name, size: f.size }))) },
  });
  const answer = (await res.json()) as { error?: string; url?: string; source?: string };
  if (!res.ok || !answer.url) return reportError('load', `Could not read ${files.map((f) => f.name).join(', ')}: ${answer.error ?? res.status}`);
  loadModel(answer.url, answer.source ?? files[0].name);
  void refreshModelList();
}

const drop = $('drop');
const fileInput = $<HTMLInputElement>('model-files');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  void upload([...(e.dataTransfer?.files ?? [])]);
});
drop.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); fileInput.click(); } });
drop.addEventListener('click', () => fileInput.click());
fileInput.addEventListener('change', () => void upload([...(fileInput.files ?? [])]));
void refreshModelList();

// ---------------------------------------------------------------- messages from the worker

worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  switch (m.type) {
    case 'ready':
      ready = true;
      trainBtn.disabled = false;
      $('engine').textContent = `gradlab ${m.backend} backend in a Web Worker${m.isolated ? `, cross-origin isolated (${m.threads} cores)` : ', one thread (the page is not cross-origin isolated)'}`;
      void resetCharts();
      if (params.has('model')) loadModel(params.get('model')!, params.get('model')!);
      break;
    case 'status':
      $('train-status').classList.remove('error');
      $('train-status').textContent = m.text;
      break;
    case 'data':
      $('train-status').textContent = `${m.train} training and ${m.test} test digits loaded in ${(m.ms / 1000).toFixed(2)} s`;
      break;
    case 'batch':
      $('accuracy').textContent = `${pct(m.accuracy)} (training digits, epoch ${m.epoch + 1} so far)`;
      $('loss').textContent = m.loss.toFixed(4);
      $('speed').textContent = Math.round(m.imagesPerSecond).toLocaleString('en-US');
      $('progress').textContent = `epoch ${m.epoch + 1}, batch ${m.batch + 1}/${m.steps}`;
      push('batchLoss', [{ series: 'batch loss', x: m.step, y: m.batchLoss }, { series: 'epoch running mean', x: m.step, y: m.loss }]);
      push('batchAccuracy', [{ series: 'batch accuracy', x: m.step, y: m.batchAccuracy }, { series: 'epoch running mean', x: m.step, y: m.accuracy }]);
      break;
    case 'epoch': {
      const x = m.epoch + 1;
      push('epochLoss', [{ series: 'train', x, y: m.logs.loss }, ...(m.logs.val_loss !== undefined ? [{ series: 'validation', x, y: m.logs.val_loss }] : [])]);
      push('epochAccuracy', [{ series: 'train', x, y: m.logs.accuracy }, ...(m.logs.val_accuracy !== undefined ? [{ series: 'validation', x, y: m.logs.val_accuracy }] : [])]);
      if (m.logs.val_accuracy !== undefined) $('accuracy').textContent = `${pct(m.logs.val_accuracy)} (test digits, epoch ${x})`;
      break;
    }
    case 'done':
      trainBtn.disabled = false;
      stopBtn.disabled = true;
      $('train-status').textContent = `${m.stopped ? 'Stopped' : 'Done'}: ${m.images.toLocaleString('en-US')} images in ${m.seconds.toFixed(1)} s. Draw a digit in the Draw panel.`;
      break;
    case 'model':
      showModel(m.info);
      // The Draw panel follows the new model.
      requestPrediction();
      break;
    case 'prediction':
      showPrediction(m);
      break;
    case 'error':
      if (m.where === 'train') {
        trainBtn.disabled = false;
        stopBtn.disabled = true;
      }
      reportError(m.where, m.message);
      break;
  }
};
worker.onerror = (e) => reportError('train', `The worker failed: ${e.message}`);
send({ type: 'init', bundle: new URL('/gradlab/gradlab.js', location.href).href });
void model;
