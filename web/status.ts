/**
 * The status strip: phase pills, a progress bar, one line of text, and document.body.dataset.status
 * (loading → idle → running → done | error) for scripts and tests.
 */
import { $ } from './board.js';
import { phaseColor, phaseLabel } from './specs.js';
import { duration } from './tables.js';

export type PageStatus = 'loading' | 'idle' | 'running' | 'done' | 'error';

export class Status {
  private started = 0;
  private steps: Record<string, number> = {};
  private order: string[] = [];
  /** The phase under way, when it began, and ms per step of each phase measured so far. */
  private current = '';
  private currentSince = 0;
  private msPerStep: Record<string, number> = {};

  set(state: PageStatus, text?: string): void {
    document.body.dataset.status = state;
    if (text !== undefined) $('status-text').textContent = text;
  }

  device(text: string): void {
    $('device').textContent = text;
  }

  /** New run: phases in order with their step counts. */
  begin(phases: [phase: string, steps: number][]): void {
    this.started = this.currentSince = performance.now();
    this.order = phases.map(([p]) => p);
    this.steps = Object.fromEntries(phases);
    this.current = '';
    this.msPerStep = {};
    $('phases').replaceChildren(...phases.map(([p]) => {
      const li = document.createElement('li');
      li.dataset.phase = p;
      li.textContent = phaseLabel(p);
      li.style.setProperty('--dot', phaseColor(p));
      return li;
    }));
    $('bar').style.width = '0';
  }

  /**
   * Marks `phase` active (earlier ones done), moves the bar, and returns the elapsed seconds and an estimate
   * of those left: this phase at its own pace, later mask stages at the last mask stage's (or twice the
   * base pace: a mask step evaluates K = 4 masked copies of the net).
   */
  progress(phase: string, done: number, total: number): { elapsed: number; left: number | undefined } {
    const now = performance.now();
    if (phase !== this.current) {
      this.current = phase;
      this.currentSince = now;
    }
    const at = this.order.indexOf(phase);
    for (const li of $('phases').children as HTMLCollectionOf<HTMLElement>) {
      const i = this.order.indexOf(li.dataset.phase ?? '');
      li.className = i < at || phase === 'done' ? 'done' : i === at ? 'active' : '';
    }
    if (done >= 5 && now - this.currentSince > 1000) this.msPerStep[phase] = (now - this.currentSince) / done;
    const pace = (p: string): number | undefined => this.msPerStep[p] ?? (p === 'base' ? undefined
      : Object.entries(this.msPerStep).filter(([q]) => q !== 'base').pop()?.[1] ?? (this.msPerStep.base ?? NaN) * 2);
    const future = this.order.slice(at + 1).filter((p) => p !== 'analyse');
    let left: number | undefined = (total - done) * (pace(phase) ?? NaN) + future.reduce((s, p) => s + this.steps[p] * (pace(p) ?? NaN), 0);
    if (!Number.isFinite(left) || phase === 'analyse') left = undefined;
    const elapsed = now - this.started;
    const weight = (p: string) => (p === 'analyse' ? 0 : this.steps[p] ?? 0);
    const all = this.order.reduce((s, p) => s + weight(p), 0) || 1;
    const before = this.order.slice(0, Math.max(0, at)).reduce((s, p) => s + weight(p), 0);
    const fraction = phase === 'done' ? 1 : left !== undefined ? elapsed / (elapsed + left) : (before + weight(phase) * (done / Math.max(1, total))) / all;
    $('bar').style.width = `${(Math.min(1, fraction) * 100).toFixed(1)}%`;
    return { elapsed: elapsed / 1000, left: left === undefined ? undefined : left / 1000 };
  }

  static timing(t: { elapsed: number; left: number | undefined }): string {
    return `${duration(t.elapsed)}${t.left !== undefined ? ` · about ${duration(t.left)} left` : ''}`;
  }
}
