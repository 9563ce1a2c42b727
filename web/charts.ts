/**
 * Live Vega-Lite charts through vega-embed: a chart keeps its view while its spec stays the same and
 * swaps the data of the named datasets with a changeset; a new spec (e.g. a new mask in the legend)
 * embeds afresh. Updates are coalesced and drawn at most every `minGapMs`. vega-embed, vega and vega-lite
 * come from their own bundle (web/dist/vega.js), loaded beside the page's first paint.
 */
import type { Result } from 'vega-embed';
import type { TopLevelSpec } from 'vega-lite';

type VegaModule = typeof import('./vega.js');
let vegaModule: Promise<VegaModule> | undefined;
/** Starts loading the plotting libraries (once); a computed URL keeps esbuild from inlining them. */
export const loadVega = (): Promise<VegaModule> => (vegaModule ??= import(new URL('./vega.js', import.meta.url).href) as Promise<VegaModule>);

export type Rows = Record<string, unknown>[];

/** A report/specs.ts spec with inline top-level values, rewritten to a named dataset and its rows. */
export function namedData(spec: TopLevelSpec, name = 'table'): [TopLevelSpec, Record<string, Rows>] {
  const data = (spec as { data?: { values?: Rows } }).data;
  if (!data?.values) return [spec, {}];
  return [{ ...spec, data: { name } } as TopLevelSpec, { [name]: data.values }];
}

export class Chart {
  private result: Result | undefined;
  private key = '';
  private pending: { spec: TopLevelSpec; data: Record<string, Rows> } | undefined;
  private busy = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private last = 0;
  private waiters: (() => void)[] = [];
  /** Time between draws: at least minGapMs, and 8 × the last draw, so drawing keeps the main thread mostly free. */
  private gap: number;

  constructor(readonly el: HTMLElement, private readonly opts: { renderer?: 'svg' | 'canvas'; minGapMs?: number } = {}) {
    this.gap = opts.minGapMs ?? 300;
  }

  /** Draws `spec` with rows for its named datasets, soon (throttled). */
  set(spec: TopLevelSpec, data: Record<string, Rows> = {}): void {
    this.pending = { spec, data };
    this.schedule();
  }

  /** A placeholder text instead of a plot. */
  message(text: string): void {
    this.pending = undefined;
    this.result?.finalize();
    this.result = undefined;
    this.key = '';
    const p = document.createElement('p');
    p.className = 'placeholder';
    p.textContent = text;
    this.el.replaceChildren(p);
  }

  /** Resolves once every update asked for so far is drawn. */
  idle(): Promise<void> {
    if (!this.pending && !this.busy) return Promise.resolve();
    return new Promise((ok) => this.waiters.push(ok));
  }

  private schedule(): void {
    if (this.timer !== undefined || this.busy) return;
    const wait = Math.max(0, this.gap - (performance.now() - this.last));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, wait);
  }

  private async flush(): Promise<void> {
    const job = this.pending;
    if (!job) return this.settle();
    this.pending = undefined;
    this.busy = true;
    const started = performance.now();
    try {
      const { embed, vega } = await loadVega();
      const key = JSON.stringify(job.spec);
      if (!this.result || key !== this.key) {
        this.result?.finalize();
        this.key = key;
        this.el.classList.remove('failed');
        // The first rows go in with the spec (as top-level datasets), so no scale ever sees an empty domain.
        const spec = Object.keys(job.data).length ? ({ ...job.spec, datasets: job.data } as TopLevelSpec) : job.spec;
        this.result = await embed(this.el, spec, { actions: false, renderer: this.opts.renderer ?? 'svg' });
      } else {
        const view = this.result.view;
        for (const [name, rows] of Object.entries(job.data)) view.change(name, vega.changeset().remove(() => true).insert(rows));
        await view.runAsync();
      }
    } catch (e) {
      this.result = undefined;
      this.key = '';
      this.el.classList.add('failed');
      this.el.textContent = `This plot could not be drawn: ${e instanceof Error ? e.message : String(e)}`;
      console.error(e);
    } finally {
      this.busy = false;
      this.last = performance.now();
      this.gap = Math.max(this.opts.minGapMs ?? 300, 8 * (this.last - started));
      if (this.pending) this.schedule();
      else this.settle();
    }
  }

  private settle(): void {
    this.waiters.splice(0).forEach((ok) => ok());
  }
}
