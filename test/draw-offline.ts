/** A report page in headless Chromium with the network blocked: which of its plots Vega-Lite drew, and any errors. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface Drawn {
  plots: { id: string; drawn: boolean }[];
  errors: string[];
  /** Requests to anything but the page's own file (every one is refused). */
  blocked: string[];
}

/** Writes `html` to `file`, opens it and waits until every plot is drawn; a full-page screenshot goes to `screenshot`. */
export async function drawOffline(html: string, file: string, screenshot: string): Promise<Drawn> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, html);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless=new', '--no-sandbox', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors: string[] = [];
    const blocked: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.route('**/*', (r) => {
      if (r.request().url().startsWith('file:')) return r.continue();
      blocked.push(r.request().url());
      return r.abort();
    });
    await page.goto(pathToFileURL(file).href);
    await page.waitForFunction(() => document.documentElement.dataset.rendered === 'true', undefined, { timeout: 30_000 });
    const plots = await page.$$eval('.plot', (els) => els.map((e) => ({ id: e.id, drawn: !!e.querySelector('svg, canvas') })));
    await page.screenshot({ path: screenshot, fullPage: true });
    return { plots, errors, blocked };
  } finally {
    await browser.close();
  }
}
