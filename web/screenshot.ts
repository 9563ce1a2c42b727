/**
 * Makes docs/web-demo.png: the page after a run of the `quick` preset (default: CPU backend, seed 1) in
 * headless Chromium. `npx tsx web/screenshot.ts [--size quick] [--backend cpu|webgpu] [--out FILE]`;
 * about 3–5 minutes on 2 CPU cores.
 */
import { chromium } from 'playwright-core';
import { join } from 'node:path';
import { WEB_ROOT, buildDemo } from './build.js';
import { serveDir } from './server.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};
const size = arg('size', 'quick');
const backend = arg('backend', 'cpu');
const out = arg('out', join(WEB_ROOT, '..', 'docs', 'web-demo.png'));

await buildDemo();
const server = await serveDir(WEB_ROOT, 0);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless=new', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader', '--use-webgpu-adapter=swiftshader',
    '--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  page.on('pageerror', (e) => console.error(`[pageerror] ${e.message}`));
  await page.goto(`${server.url}/index.html?autorun=1&size=${size}&backend=${backend}&seed=1`);
  const t0 = Date.now();
  const timer = setInterval(async () => console.log(`${Math.round((Date.now() - t0) / 1000)} s: ${await page.textContent('#status-text').catch(() => '')}`), 15_000);
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.status ?? ''), undefined, { timeout: 3_600_000, polling: 1000 });
  clearInterval(timer);
  console.log(await page.textContent('#status-text'));
  // The hidden layer where + and × part most, under the + mask.
  await page.selectOption('#heat-layer', 'layers.1.weight');
  await page.selectOption('#heat-mask', 'add');
  await page.waitForTimeout(1500);
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await server.close();
}
