/**
 * The web demo (web/) in headless Chromium, WebGPU on SwiftShader, with every request off 127.0.0.1
 * blocked: the bundles carry no Node-only code, the page loads (times in test-output/web-demo-load.json),
 * ?autorun=1 trains the tiny preset to the same numbers as experiments/runner.ts's runSeed in Node on the
 * same backend, the table and every plot are drawn (screenshot test-output/web-demo.png), a browser
 * without WebGPU is told so and runs on the CPU backend (again equal to Node), and report.json and mask
 * checkpoints from the CLI open.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../engine/setup.js';
import { addmulMlp } from '../experiments/addmul.js';
import { buildReport } from '../experiments/report.js';
import { runSeed } from '../experiments/runner.js';
import type { Report } from '../report/types.js';
import { buildDemo } from '../web/build.js';
import { PRESETS } from '../web/presets.js';
import { configFor } from '../web/run.js';
import { serveDir, type DemoServer } from '../web/server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** As test/browser.test.ts: WebGPU on SwiftShader, headless, and no background traffic. */
const CHROMIUM_ARGS = [
  '--headless=new', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader', '--use-webgpu-adapter=swiftshader',
  '--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic',
];
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'test-output');
const SEED = 1;
/** SwiftShader compiles every kernel on first use: the tiny run takes 30–70 s in Chromium on 2 cores. */
const RUN_TIMEOUT_MS = 240_000;

interface DemoState {
  report?: Report;
  readyMs?: number;
  vegaMs?: number;
  webgpuMs?: number;
  phases?: [string, number][];
}

/** Paths where two reports differ: integers and strings exactly, other numbers within 1e-6. */
function differences(a: unknown, b: unknown, path = 'report'): string[] {
  if (typeof a === 'number' && typeof b === 'number') {
    const same = Number.isInteger(a) && Number.isInteger(b) ? a === b : Math.abs(a - b) <= 1e-6;
    return same ? [] : [`${path}: ${a} vs ${b}`];
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`));
  }
  return a === b ? [] : [`${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`];
}

/** The tiny preset run in Node by the CLI's runner (checkpoints in `out`), as a report. */
async function nodeReport(backendName: 'webgpu' | 'cpu', out: string): Promise<{ report: Report; seconds: number }> {
  const backend = await setBackend(backendName);
  const cfg = configFor('tiny');
  const t0 = performance.now();
  const result = await runSeed({ def: addmulMlp, cfg, seed: SEED, out });
  const seconds = (performance.now() - t0) / 1000;
  return { report: buildReport({ def: addmulMlp, size: PRESETS.tiny.size, cfg, backend: backend.name, device: backend.description, seconds }, [result]), seconds };
}

/** Everything that must agree between two runs of the same configuration (not wall time or device). */
const comparable = (r: Report) => ({ ...r, seconds: 0, device: '' });

describe.skipIf(!existsSync(CHROMIUM))('web demo in headless Chromium (WebGPU on SwiftShader)', () => {
  let dir: string;
  let runs: string;
  let meta: Metafile;
  let server: DemoServer;
  let browser: Browser;
  let context: BrowserContext;
  const offsite: string[] = [];
  const pageLog: string[] = [];
  let gpuPage: Page | undefined;
  /** The Node WebGPU run's report; its checkpoints stay in `runs` for the file test. */
  let nodeGpu: Report | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'maskscope-web-'));
    runs = await mkdtemp(join(tmpdir(), 'maskscope-web-runs-'));
    meta = await buildDemo(join(dir, 'dist'));
    for (const f of ['index.html', 'styles.css']) await copyFile(join(ROOT, 'web', f), join(dir, f));
    server = await serveDir(dir, 0);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // Offline: anything not served by the test server is refused and recorded (workers' requests included).
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(`${server.url}/`) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
      offsite.push(url);
      return route.abort();
    });
    await mkdir(OUT, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await server?.close().catch(() => {});
    for (const d of [dir, runs]) if (d) await rm(d, { recursive: true, force: true });
  });

  async function newPage(): Promise<Page> {
    const page = await context.newPage();
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') pageLog.push(`[console.${m.type()}] ${m.text()}`); });
    page.on('pageerror', (e) => pageLog.push(`[pageerror] ${e.message}`));
    return page;
  }

  const waitFor = async (page: Page, statuses: string[], timeout = RUN_TIMEOUT_MS): Promise<string> => {
    await page.waitForFunction((s) => s.includes(document.body.dataset.status ?? ''), statuses, { timeout, polling: 250 }).catch(async (e) => {
      const text = await page.textContent('#status-text').catch(() => '?');
      throw new Error(`the page did not reach ${statuses.join(' or ')} (status line: ${text}): ${e}\n${pageLog.join('\n')}`);
    });
    return (await page.evaluate(() => document.body.dataset.status)) ?? '';
  };

  it('bundles for the browser without Node-only code', () => {
    const inputs = Object.keys(meta.inputs);
    for (const nodeOnly of ['node_modules/webgpu/', 'engine/io/checkpoint.ts', 'engine/io/atomic-file.ts', 'experiments/runner.ts', 'report/html.ts', 'cli/']) {
      expect(inputs.filter((i) => i.includes(nodeOnly)), nodeOnly).toEqual([]);
    }
    const outputs = Object.entries(meta.outputs).filter(([f]) => f.endsWith('.js'));
    expect(outputs.map(([f]) => f.split('/').pop()).sort()).toEqual(['app.js', 'files.js', 'vega.js', 'worker.js']);
    // The engine's Node paths (Dawn, SwiftShader lookup) are dynamic imports a page never reaches.
    const imports = outputs.flatMap(([f, o]) => o.imports.map((i) => `${f.split('/').pop()} ${i.kind} ${i.path}`));
    expect(imports.filter((i) => !/^worker\.js dynamic-import node:fs$/.test(i))).toEqual([]);
    // The page bundle carries no engine: the engine runs in the worker.
    const app = Object.keys(outputs.find(([f]) => f.endsWith('/app.js'))![1].inputs);
    expect(app.filter((i) => /^(engine|kernels|models)\//.test(i))).toEqual([]);
    console.log(`web demo bundles: ${outputs.map(([f, o]) => `${f.split('/').pop()} ${(o.bytes / 1024).toFixed(0)} KiB`).join(', ')}`);
  });

  it('loads offline, and measures how fast', async () => {
    const page = await newPage();
    const t0 = performance.now();
    await page.goto(`${server.url}/index.html`);
    expect(await waitFor(page, ['idle', 'error'], 30_000)).toBe('idle');
    await page.waitForFunction(() => {
      const s = (window as unknown as { maskscopeDemo: DemoState }).maskscopeDemo;
      return s.vegaMs !== undefined && s.webgpuMs !== undefined;
    }, undefined, { timeout: 30_000 });
    const timing = await page.evaluate(() => {
      const s = (window as unknown as { maskscopeDemo: DemoState }).maskscopeDemo;
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      return { readyMs: s.readyMs!, vegaMs: s.vegaMs!, webgpuMs: s.webgpuMs!, domContentLoadedMs: nav.domContentLoadedEventEnd, loadEventMs: nav.loadEventEnd };
    });
    const wallMs = performance.now() - t0;
    await page.close();
    const ms = (v: number) => Math.round(v);
    const record = { readyMs: ms(timing.readyMs), vegaMs: ms(timing.vegaMs), webgpuMs: ms(timing.webgpuMs), domContentLoadedMs: ms(timing.domContentLoadedMs),
      loadEventMs: ms(timing.loadEventMs), wallMs: ms(wallMs), note: 'first load in a fresh Chromium, ms since navigation start' };
    await writeFile(join(OUT, 'web-demo-load.json'), `${JSON.stringify(record, null, 2)}\n`);
    console.log(`web demo load (cold): usable after ${record.readyMs} ms, plots library ready after ${record.vegaMs} ms, ` +
      `WebGPU adapter after ${record.webgpuMs} ms, load event ${record.loadEventMs} ms (test-output/web-demo-load.json)`);
    expect(offsite).toEqual([]);
  }, 60_000);

  it('?autorun=1 trains the tiny preset on WebGPU to the same numbers as Node on the same backend', async () => {
    const node = await nodeReport('webgpu', join(runs, 'webgpu'));
    nodeGpu = node.report;
    const page = (gpuPage = await newPage());
    await page.goto(`${server.url}/index.html?autorun=1`);
    expect(await page.evaluate(() => document.body.dataset.status)).toMatch(/^(loading|idle|running)$/);
    await waitFor(page, ['running', 'done', 'error'], 30_000);
    expect(await waitFor(page, ['done', 'error'])).toBe('done');
    const state = await page.evaluate(() => (window as unknown as { maskscopeDemo: DemoState }).maskscopeDemo);
    const report = state.report!;
    const phases = state.phases!.map(([p, t], i, all) => `${p} ${(((all[i + 1]?.[1] ?? t) - t) / 1000).toFixed(1)} s`).slice(0, -1);
    console.log(`web demo tiny run on ${report.backend} (${report.device}): ${report.seconds.toFixed(1)} s in Chromium (${phases.join(', ')}), ` +
      `${node.seconds.toFixed(1)} s in Node; accuracy ${JSON.stringify(report.accuracy)}`);
    expect(report.backend).toBe('webgpu');
    expect(report.device).toMatch(/swiftshader/i);
    expect(report.config).toEqual({ ...configFor('tiny'), compared: ['add', 'mul'] });
    expect(differences(comparable(report), comparable(node.report))).toEqual([]);
  }, RUN_TIMEOUT_MS + 180_000);

  it('shows the accuracy table and every plot, with the run\'s numbers', async () => {
    const page = gpuPage!;
    const report = (await page.evaluate(() => (window as unknown as { maskscopeDemo: DemoState }).maskscopeDemo.report))!;
    const cells = await page.$$eval('#table-accuracy td[data-mask]', (tds) => tds.map((td) => ({
      mask: (td as HTMLElement).dataset.mask!, set: (td as HTMLElement).dataset.set!, value: Number((td as HTMLElement).dataset.value), text: td.textContent,
    })));
    expect(cells.length).toBe(12);
    for (const c of cells) {
      expect(c.value, `${c.mask} on ${c.set}`).toBe(report.accuracy[c.mask][c.set]);
      expect(c.text).toBe(`${(report.accuracy[c.mask][c.set] * 100).toFixed(1)}\u202f%`);
    }
    expect(await page.textContent('#shared')).toContain(`${(report.totalShared * 100).toFixed(1)}\u202f%`);
    const plots = await page.$$eval('.plot', (els) => els.map((e) => ({ id: e.id, drawn: !!e.querySelector('svg, canvas'), failed: e.classList.contains('failed') })));
    expect(plots.map((p) => p.id).sort()).toEqual(['plot-accuracy', 'plot-confusion', 'plot-heat', 'plot-histogram', 'plot-iou', 'plot-kept', 'plot-loss']);
    expect(plots.filter((p) => !p.drawn || p.failed)).toEqual([]);
    expect(await page.$$eval('#heat-layer option', (o) => o.map((x) => x.textContent))).toEqual(['layers.0.weight', 'layers.1.weight', 'layers.2.weight']);
    expect(await page.$$eval('#heat-mask option', (o) => o.map((x) => x.textContent))).toEqual(['full mask', '+ mask', '× mask']);
    expect(await page.isVisible('#download')).toBe(true);
    await page.screenshot({ path: join(OUT, 'web-demo.png'), fullPage: true });
    console.log(`web demo screenshot: ${join(OUT, 'web-demo.png')}`);
    expect(pageLog.filter((l) => /pageerror|console\.error/.test(l))).toEqual([]);
    expect(offsite).toEqual([]);
  }, 60_000);

  it('without WebGPU, says so plainly and runs on the CPU backend, equal to Node\'s CPU run', async () => {
    const page = await newPage();
    await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true }));
    await page.goto(`${server.url}/index.html?autorun=1`);
    expect(await waitFor(page, ['error', 'done'], 30_000)).toBe('error');
    expect(await page.textContent('#status-text')).toMatch(/WebGPU.*no WebGPU.*CPU backend/);
    expect(await page.isVisible('#gpu-note')).toBe(true);
    expect(await page.textContent('#gpu-text')).toContain('No WebGPU: this browser has no WebGPU');
    await page.click('#use-cpu');
    expect(await page.inputValue('#backend')).toBe('cpu');
    await page.click('#run');
    expect(await waitFor(page, ['done', 'error'])).toBe('done');
    const report = (await page.evaluate(() => (window as unknown as { maskscopeDemo: DemoState }).maskscopeDemo.report))!;
    const node = await nodeReport('cpu', join(runs, 'cpu'));
    expect(report.backend).toBe('cpu');
    expect(differences(comparable(report), comparable(node.report))).toEqual([]);
    await page.close();
  }, RUN_TIMEOUT_MS);

  it('opens report.json and mask checkpoints written by the CLI', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/index.html`);
    await waitFor(page, ['idle'], 30_000);
    const sample = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/sample-report.json'), 'utf8')) as Report;
    await page.setInputFiles('#file', { name: 'report.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(sample)) });
    expect(await waitFor(page, ['done', 'error'], 30_000)).toBe('done');
    expect(await page.textContent('#status-text')).toContain(`report.json: ${sample.experiment}`);
    const cells = await page.$$eval('#table-accuracy td[data-mask]', (tds) => tds.map((td) => (td as HTMLElement).dataset));
    expect(cells.length).toBe(Object.values(sample.accuracy).reduce((n, row) => n + Object.keys(row).length, 0));
    for (const c of cells) expect(Number(c.value), `${c.mask} on ${c.set}`).toBe(sample.accuracy[c.mask!][c.set!]);
    for (const id of ['plot-loss', 'plot-kept', 'plot-iou', 'plot-confusion', 'plot-histogram']) {
      expect(await page.$(`#${id} svg, #${id} canvas`), id).not.toBeNull();
    }

    // The masks of the Node WebGPU run above, as the CLI checkpointed them.
    const seedDir = join(runs, 'webgpu', `seed-${SEED}`);
    const files = await Promise.all(['mask-full', 'mask-add', 'mask-mul'].map(async (p) => ({
      name: `${p}.safetensors`, mimeType: 'application/octet-stream', buffer: await readFile(join(seedDir, `${p}.safetensors`)),
    })));
    await page.evaluate(() => (document.body.dataset.status = 'idle'));
    await page.setInputFiles('#file', files);
    expect(await waitFor(page, ['done', 'error'], 30_000)).toBe('done');
    expect(await page.textContent('#status-text')).toContain('opened mask-full, mask-add, mask-mul');
    expect(await page.textContent('#shared')).toContain(`${(nodeGpu!.totalShared * 100).toFixed(1)}\u202f%`);
    for (const id of ['plot-kept', 'plot-iou', 'plot-heat', 'plot-histogram']) expect(await page.$(`#${id} svg, #${id} canvas`), id).not.toBeNull();
    expect(await page.$$eval('#heat-mask option', (o) => o.map((x) => x.textContent))).toEqual(['full mask', '+ mask', '× mask']);
    expect(pageLog.filter((l) => /pageerror|console\.error/.test(l))).toEqual([]);
    expect(offsite).toEqual([]);
    await page.close();
  }, 60_000);

  it('web/embed.html (the README\'s "use maskscope in your page") trains XOR with the browser bundle, on the CPU and on WebGPU', async () => {
    // dist/browser/maskscope.js as build.mjs makes it.
    const bundle = await build({
      entryPoints: [join(ROOT, 'index.ts')], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', minify: true,
      external: ['webgpu', 'node:*'], outfile: join(dir, 'embed', 'maskscope.js'), metafile: true, logLevel: 'silent',
    });
    expect(Object.keys(bundle.metafile.inputs).filter((i) => /node_modules\/webgpu\/|engine\/io\/checkpoint|experiments\/runner\.ts/.test(i))).toEqual([]);
    const html = await readFile(join(ROOT, 'web', 'embed.html'), 'utf8');
    await writeFile(join(dir, 'embed', 'index.html'), html);
    await writeFile(join(dir, 'embed', 'webgpu.html'), html.replace("setBackend('auto')", "setBackend('webgpu')"));
    for (const [file, backend] of [['index.html', 'cpu'], ['webgpu.html', 'webgpu']]) {
      const page = await newPage();
      await page.goto(`${server.url}/embed/${file}`);
      await page.waitForFunction(() => /P\(y=1\)/.test(document.getElementById('out')?.textContent ?? ''), undefined, { timeout: 60_000 })
        .catch((e) => { throw new Error(`${file}: ${e}\n${pageLog.join('\n')}`); });
      const out = (await page.textContent('#out'))!;
      // 'auto' passes over SwiftShader (a software adapter) for the CPU backend.
      expect(out.startsWith(`${backend}:`), out).toBe(true);
      const [p00, p01, p10, p11] = /= ([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+)$/.exec(out)!.slice(1).map(Number);
      expect(Math.max(p00, p11), out).toBeLessThan(0.1);
      expect(Math.min(p01, p10), out).toBeGreaterThan(0.9);
      await page.close();
    }
  }, 120_000);
});

describe('npm run demo', () => {
  it('builds web/dist and serves web/ on 127.0.0.1 at the port given', async () => {
    // --port 0: any free port; the server prints the URL it got.
    const child = spawn(process.execPath, ['--import', 'tsx', 'web/serve.ts', '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      const url = await new Promise<string>((ok, fail) => {
        const timer = setTimeout(() => fail(new Error(`no URL printed within 60 s: ${out}`)), 60_000);
        const read = (b: Buffer) => {
          out += b.toString();
          const m = /maskscope web demo: (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
          if (m) {
            clearTimeout(timer);
            ok(m[1]);
          }
        };
        child.stdout.on('data', read);
        child.stderr.on('data', read);
        child.on('exit', (code) => fail(new Error(`the server exited (${code}): ${out}`)));
      });
      for (const path of ['/', '/styles.css', '/dist/app.js', '/dist/vega.js', '/dist/worker.js', '/dist/files.js']) {
        const res = await fetch(url + path);
        expect(res.status, path).toBe(200);
      }
      expect((await fetch(`${url}/%2e%2e/package.json`)).status).toBe(404);
    } finally {
      child.kill();
    }
    const bad = spawnSync(process.execPath, ['--import', 'tsx', 'web/serve.ts', '--port', 'x'], { cwd: ROOT, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--port must be an integer');
  }, 120_000);
});
