/**
 * The kernel checks (test/checks/kernel-checks.ts) in headless Chromium on WebGPU: the entry
 * test/browser/entry.ts is bundled with esbuild into a temp dir, served from 127.0.0.1 (navigator.gpu
 * needs a secure context) and run by Debian's chromium through playwright-core, on SwiftShader.
 * CI installs chromium (apt-get install chromium); `npx playwright install` is not used.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserCheckNames } from './checks/browser-checks.js';
import type { BrowserCheckResult, BrowserRunState } from './browser/entry.js';
import { serveStatic, type StaticServer } from './browser/serve.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SCREENSHOT = join(ROOT, 'test-output', 'browser-kernels.png');
/** SwiftShader is slow: the Node run of every check takes about 10 s. */
const RUN_TIMEOUT_MS = 90_000;

/** WebGPU on SwiftShader (Chromium's software Vulkan) in headless Chromium, without a GPU or a display. */
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-angle=swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--no-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>maskscope kernel checks</title>
<style>
  body { font: 12px/1.4 monospace; margin: 8px; background: #fff; color: #222; }
  .adapter { font-weight: bold; margin-bottom: 4px; }
  .ok { color: #176317; }
  .fail { color: #b00020; white-space: pre-wrap; }
</style>
</head>
<body>
<div id="log"></div>
<script type="module" src="./entry.js"></script>
</body>
</html>
`;

interface PageRun {
  results: BrowserCheckResult[];
  adapter: string | null;
  adapterInfo: Record<string, string | boolean> | null;
  backend?: string;
  fatal?: string;
}

async function bundle(outdir: string): Promise<void> {
  await build({
    entryPoints: { entry: join(ROOT, 'test', 'browser', 'entry.ts') },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    outdir,
    sourcemap: 'linked',
    // engine/device.ts reaches Dawn (`webgpu`) and node:fs only when navigator.gpu is absent in Node.
    external: ['webgpu', 'node:*'],
    logLevel: 'silent',
  });
  await writeFile(join(outdir, 'index.html'), INDEX_HTML);
}

describe('kernel and error checks in headless Chromium (WebGPU on SwiftShader)', () => {
  let dir: string | undefined;
  let server: StaticServer | undefined;
  let browser: Browser | undefined;
  let run: PageRun | undefined;
  const pageLog: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium is not installed at ${CHROMIUM}: install it with \`apt-get install chromium\` (CI does), or set CHROMIUM_PATH.`);
    }
    const t0 = performance.now();
    dir = await mkdtemp(join(tmpdir(), 'maskscope-browser-'));
    await bundle(dir);
    server = await serveStatic(dir);
    // playwright gives every launch() a fresh temporary --user-data-dir and removes it on close.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
    const page: Page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    page.on('console', (m) => pageLog.push(`[console.${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => pageLog.push(`[pageerror] ${e.message}`));
    await page.goto(`${server.url}/index.html`);
    try {
      await page.waitForFunction(() => (window as BrowserRunState).__done === true, undefined, { timeout: RUN_TIMEOUT_MS, polling: 250 });
    } catch (e) {
      const partial = await page.evaluate(() => (window as BrowserRunState).__results?.length ?? 0).catch(() => 0);
      throw new Error(`the page did not finish within ${RUN_TIMEOUT_MS} ms (${partial} of ${browserCheckNames.length} checks done): ${e}\n${pageLog.join('\n')}`);
    }
    run = await page.evaluate((): PageRun => {
      const w = window as BrowserRunState;
      return { results: w.__results ?? [], adapter: w.__adapter ?? null, adapterInfo: w.__adapterInfo ?? null, backend: w.__backend, fatal: w.__fatal };
    });
    await mkdir(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    const failed = run.results.filter((r) => !r.ok).length;
    console.log(
      `chromium ${browser.version()} webgpu adapter: ${run.adapter ?? 'none'} ${JSON.stringify(run.adapterInfo)}; ` +
        `${run.results.length - failed}/${run.results.length} checks passed in ${((performance.now() - t0) / 1000).toFixed(1)} s; ` +
        `screenshot ${SCREENSHOT}`,
    );
  }, 150_000);

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await server?.close().catch(() => {});
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const result = (name: string, index: number): BrowserCheckResult => {
    if (!run) throw new Error('the browser run did not complete');
    if (run.fatal) throw new Error(`the browser run failed before the checks: ${run.fatal}\n${pageLog.join('\n')}`);
    const r = run.results[index];
    if (!r || r.name !== name) throw new Error(`no browser result for '${name}' (got ${r ? `'${r.name}'` : 'none'} at index ${index})`);
    return r;
  };

  it('runs on a WebGPU adapter, not a CPU fallback', () => {
    expect(run?.fatal, pageLog.join('\n')).toBeUndefined();
    expect(run?.backend).toBe('webgpu');
    expect(run?.adapter).toBeTruthy();
    expect(run?.results.length).toBe(browserCheckNames.length);
  });

  browserCheckNames.forEach((name, index) => {
    it(name, () => {
      const r = result(name, index);
      if (!r.ok) throw new Error(`in Chromium: ${r.error}`);
    });
  });
});
