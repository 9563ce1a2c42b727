/** Sweeps (docs/experiments.md#addmul "sharing vs size", "accuracy and sharing vs β"): the mask stages rerun per value. */
import { join } from 'node:path';
import { meanStd } from '../masking/analysis.js';
import type { SweepPoint } from '../report/types.js';
import type { SeedResult } from './phases.js';
import { runSeed, type RunEvent } from './runner.js';
import type { AnyExperiment, BaseConfig } from './types.js';

export interface SweepOptions {
  def: AnyExperiment;
  cfg: BaseConfig;
  seeds: number[];
  out: string;
  kind: 'beta' | 'width';
  values: number[];
  onEvent?: (e: RunEvent) => void;
}

/**
 * One point per value, each in its own folder DIR/sweep-<kind>-<value>/ (resumable like the main run).
 * A β sweep reuses the main run's base networks; a width sweep trains one per width.
 */
export async function runSweep(opts: SweepOptions): Promise<SweepPoint[]> {
  const points: SweepPoint[] = [];
  for (const value of opts.values) {
    const cfg = opts.kind === 'beta' ? { ...opts.cfg, beta: value } : { ...opts.cfg, hidden: opts.cfg.hidden.map(() => value) };
    const out = join(opts.out, `sweep-${opts.kind}-${value}`);
    opts.onEvent?.({ kind: 'note', message: `sweep ${opts.kind} = ${value}` });
    const results: SeedResult[] = [];
    for (const seed of opts.seeds) {
      const baseDir = opts.kind === 'beta' ? join(opts.out, `seed-${seed}`) : undefined;
      results.push(await runSeed({ def: opts.def, cfg, seed, out, baseDir, onEvent: opts.onEvent }));
    }
    points.push({ value, totalShared: meanStd(results.map((r) => r.totalShared)), accuracy: accuracyStats(results) });
  }
  return points;
}

function accuracyStats(results: SeedResult[]): SweepPoint['accuracy'] {
  const first = results[0].accuracy;
  return Object.fromEntries(
    Object.entries(first).map(([mask, row]) => [mask, Object.fromEntries(Object.keys(row).map((set) => [set, meanStd(results.map((r) => r.accuracy[mask][set]))]))]),
  );
}
