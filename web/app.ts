/**
 * The web demo's page: controls, WebGPU detection, the training worker's lifecycle, opening files.
 * URL parameters: size, seed, beta, backend (webgpu | cpu), and autorun=1, which starts a run at once
 * (the tiny size unless another is given). document.body.dataset.status goes idle → running → done, or
 * error with the message in the status line; window.maskscopeDemo holds the finished report.
 */
import type { Report } from '../report/types.js';
import { $, Board } from './board.js';
import { loadVega } from './charts.js';
import { LiveRun } from './live.js';
import { PRESETS, isPreset, type PresetName } from './presets.js';
import type { BackendPick, DemoEvent, StartMessage } from './protocol.js';
import { Status } from './status.js';
import { duration } from './tables.js';

interface DemoState {
  report?: Report;
  /** Milliseconds from navigation start until the page was ready to run. */
  readyMs?: number;
  webgpu?: WebGpuCheck;
  /** When each phase of the last run began (ms since navigation start), for timing a run from outside. */
  phases?: [phase: string, ms: number][];
  /** Milliseconds from navigation start until the plotting libraries were loaded. */
  vegaMs?: number;
  /** Milliseconds from navigation start until the WebGPU adapter check answered. */
  webgpuMs?: number;
}
declare global {
  interface Window {
    maskscopeDemo: DemoState;
  }
}

interface WebGpuCheck {
  ok: boolean;
  /** Why not, in words, when !ok. */
  reason?: string;
  software?: boolean;
}

const params = new URLSearchParams(location.search);
const state: DemoState = (window.maskscopeDemo = {});
const status = new Status();
const board = new Board();
let worker: Worker | undefined;
/** The WebGPU probe runs beside page setup (an adapter can take a second to appear); a run waits for it. */
let gpuCheck: Promise<WebGpuCheck> = Promise.resolve({ ok: false, reason: 'not checked yet' });

const form = $<HTMLFormElement>('controls');
const sizePick = $<HTMLSelectElement>('size');
const backendPick = $<HTMLSelectElement>('backend');

async function checkWebGpu(): Promise<WebGpuCheck> {
  if (!('gpu' in navigator) || !navigator.gpu) {
    return { ok: false, reason: isSecureContext ? 'this browser has no WebGPU (navigator.gpu is missing)' : 'WebGPU needs a secure context (https or localhost), and this page has none' };
  }
  try {
    const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return { ok: false, reason: 'this browser has WebGPU, but it offers no GPU adapter (blocked or unsupported GPU)' };
    const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
    return { ok: true, software: info.isFallbackAdapter === true || /swiftshader|llvmpipe|lavapipe/i.test(`${info.vendor} ${info.architecture} ${info.description}`) };
  } catch (e) {
    return { ok: false, reason: `asking for a WebGPU adapter failed: ${(e as Error).message}` };
  }
}

/** No WebGPU: always said. A software adapter: said while WebGPU is the chosen backend. */
function showGpuNote(check: WebGpuCheck): void {
  const note = $('gpu-note');
  note.hidden = check.ok && (!check.software || backendPick.value === 'cpu');
  if (note.hidden) return;
  note.classList.toggle('info', check.ok);
  $('gpu-text').textContent = check.ok
    ? 'WebGPU runs here on a software adapter (SwiftShader), which is slower than the CPU backend.'
    : `No WebGPU: ${check.reason}. The experiment can run on the CPU backend instead (TypeScript + WebAssembly in a worker; slower than a GPU, the same numbers as the CLI's --backend cpu).`;
  if (!check.ok) backendPick.options[0].text = 'WebGPU (not available)';
}

function setupControls(): void {
  sizePick.replaceChildren(...Object.entries(PRESETS).map(([name, p]) => new Option(p.label, name)));
  const size = params.get('size');
  sizePick.value = isPreset(size) ? size : params.get('autorun') === '1' ? 'tiny' : 'quick';
  if (params.get('seed')) $<HTMLInputElement>('seed').value = params.get('seed')!;
  if (params.get('beta')) $<HTMLInputElement>('beta').value = params.get('beta')!;
  const backend = params.get('backend');
  if (backend === 'cpu' || backend === 'webgpu') backendPick.value = backend;
  const hint = () => ($('size-hint').textContent = PRESETS[sizePick.value as PresetName].hint);
  sizePick.addEventListener('change', hint);
  hint();
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void start();
  });
  $('stop').addEventListener('click', () => stop('Stopped.'));
  backendPick.addEventListener('change', () => state.webgpu && showGpuNote(state.webgpu));
  $('use-cpu').addEventListener('click', () => {
    backendPick.value = 'cpu';
    $('gpu-note').hidden = true;
    if (document.body.dataset.status === 'error') status.set('idle', 'CPU backend chosen: press Train.');
  });
  $<HTMLInputElement>('file').addEventListener('change', (e) => {
    const input = e.target as HTMLInputElement;
    void open([...(input.files ?? [])]);
    input.value = '';
  });
  document.addEventListener('dragover', (e) => e.preventDefault());
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    if (e.dataTransfer?.files.length) void open([...e.dataTransfer.files]);
  });
}

function fail(message: string): void {
  stop();
  status.set('error', message);
}

async function start(): Promise<void> {
  const preset = sizePick.value as PresetName;
  const seed = Number($<HTMLInputElement>('seed').value);
  const beta = Number($<HTMLInputElement>('beta').value);
  const backend = backendPick.value as BackendPick;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) return fail(`The seed must be a whole number from 0 to 4294967295, not '${$<HTMLInputElement>('seed').value}'.`);
  if (!Number.isFinite(beta) || beta < 0) return fail(`β must be a number ≥ 0 (e.g. 1e-4), not '${$<HTMLInputElement>('beta').value}'.`);
  const gpu = backend === 'webgpu' ? await gpuCheck : undefined;
  if (gpu && !gpu.ok) {
    $('gpu-note').hidden = false;
    return fail(`Cannot train on WebGPU: ${gpu.reason}. Choose the CPU backend (the button above, or ?backend=cpu).`);
  }
  stop();
  state.report = undefined;
  $('download').hidden = true;
  board.clear({
    loss: 'Starting…', accuracy: 'The first look at the net comes after its first step.',
    kept: 'Appears when the first mask trains: the share of each layer\'s weights a mask keeps.',
    iou: 'Appears while the × mask trains: how many of the weights kept for + the × mask keeps too, per layer.',
    heat: 'Appears when the first mask trains: each cell is a block of weights, coloured by keep probability.',
  });
  const live = new LiveRun(board, status, (report, seconds) => void finish(report, seconds));
  worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'maskscope-training' });
  const phases: [string, number][] = (state.phases = []);
  worker.onmessage = (m: MessageEvent<DemoEvent>) => {
    if (m.data.kind === 'error') return fail(`The run failed: ${m.data.message}`);
    if (m.data.kind === 'phase' || m.data.kind === 'done') phases.push([m.data.kind === 'done' ? 'done' : m.data.phase, performance.now()]);
    try {
      live.handle(m.data);
    } catch (e) {
      fail(`The page failed to show the run: ${(e as Error).message}`);
    }
  };
  worker.onerror = (e) => fail(`The training worker failed: ${e.message || 'it could not be loaded'}`);
  $('run').hidden = true;
  $('stop').hidden = false;
  status.device(backend === 'webgpu' ? 'WebGPU' : 'CPU');
  status.set('running', `Starting a ${preset} run (seed ${seed}, β ${beta}) on the ${backend === 'webgpu' ? 'WebGPU' : 'CPU'} backend…`);
  worker.postMessage({ kind: 'start', preset, beta, seed, backend } satisfies StartMessage);
}

function stop(message?: string): void {
  worker?.terminate();
  worker = undefined;
  $('run').hidden = false;
  $('stop').hidden = true;
  if (message) status.set('idle', message);
}

async function finish(report: Report, seconds: number): Promise<void> {
  worker?.terminate();
  worker = undefined;
  $('run').hidden = false;
  $('stop').hidden = true;
  board.results(report);
  const link = $<HTMLAnchorElement>('download');
  if (link.href) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(new Blob([JSON.stringify(report, null, 2)], { type: 'application/json' }));
  link.hidden = false;
  await board.idle();
  state.report = report;
  const acc = (m: string) => Object.entries(report.accuracy[m] ?? {}).map(([s, v]) => `${s === 'add' ? '+' : '×'} ${(v * 100).toFixed(1)} %`).join(', ');
  status.set('done', `Done in ${duration(seconds)}. Unmasked net: ${acc('none')}; + mask: ${acc('add')}; × mask: ${acc('mul')}; total shared ${(report.totalShared * 100).toFixed(1)} %.`);
}

async function open(files: File[]): Promise<void> {
  if (!files.length) return;
  stop();
  try {
    // A separate bundle (web/dist/files.js), fetched on first use; a computed URL keeps esbuild from inlining it.
    const { openFiles } = (await import(new URL('./files.js', import.meta.url).href)) as typeof import('./files.js');
    const opened = await openFiles(files, board);
    await board.idle();
    status.begin([]);
    status.progress('done', 1, 1);
    status.device('');
    state.report = opened.report;
    status.set('done', `Showing ${opened.summary}.`);
  } catch (e) {
    status.set('error', `Could not open ${files.map((f) => f.name).join(', ')}: ${(e as Error).message}`);
  }
}

async function main(): Promise<void> {
  void loadVega().then(() => (state.vegaMs = performance.now()), (e) => status.set('error', `The plotting libraries failed to load: ${(e as Error).message}`));
  setupControls();
  board.clear({
    loss: 'Press Train to start: the loss of base training, then of each mask stage.',
    accuracy: 'Accuracy on + and on × as the net trains, and under each mask as it trains.',
    kept: 'The share of each layer\'s weights the full, + and × masks keep.',
    iou: 'How many weights the + and × masks share, per layer (IoU).',
    heat: 'One layer\'s keep probabilities, a cell per block of weights.',
  });
  gpuCheck = checkWebGpu().then((check) => {
    state.webgpu = check;
    state.webgpuMs = performance.now();
    showGpuNote(check);
    return check;
  });
  $<HTMLButtonElement>('run').disabled = false;
  state.readyMs = performance.now();
  performance.mark('maskscope-ready');
  status.set('idle', 'Choose a size, seed and β, and press Train — or open a report.json or checkpoint from the CLI.');
  if (params.get('autorun') === '1') await start();
}

main().catch((e) => status.set('error', `The page failed to start: ${(e as Error).message}`));
