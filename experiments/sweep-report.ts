/**
 * The aggregated report of a sweep (`maskscope sweep`): per grid point, mean ± std over the seeds whose run
 * has finished, and the curves against β and hidden width. It is made from the runs' stored seed results
 * alone and holds no wall time, so the local path (result files) and the queued path (the jobs' return
 * values, which carry the same records) give the same report.json.
 */
import type { SweepCurve, SweepPoint, SweepReport, SweepReportPoint } from '../report/types.js';
import { accuracyStats, buildReport } from './report.js';
import type { StoredResult } from './seed-results.js';
import type { AnyExperiment, BaseConfig, Size } from './types.js';

/** What the report needs of an expanded sweep (cli/sweep-file.ts makes it). */
export interface SweepOutline {
  def: AnyExperiment;
  size: Size;
  seeds: number[];
  set: Record<string, unknown>;
  grid: Record<string, unknown[]>;
  points: {
    settings: Record<string, unknown>;
    cfg: BaseConfig;
    /** One run per seed, in seed order. */
    runs: { id: string; seed: number }[];
  }[];
}

/** `results`: the stored result of each finished run, by run id (runs not in it have not finished). */
export function aggregateSweep(sweep: SweepOutline, results: ReadonlyMap<string, StoredResult>): SweepReport {
  const finished = sweep.points.flatMap((p) => p.runs.flatMap((r) => results.get(r.id) ?? []));
  const points = sweep.points.map((p): SweepReportPoint => {
    const stored = p.runs.flatMap((r) => results.get(r.id) ?? []);
    const point: SweepReportPoint = { settings: p.settings, runs: stored.length, seeds: stored.map((s) => s.result.seed), config: p.cfg as unknown as Record<string, unknown> };
    if (!stored.length) return point;
    const r = buildReport({ def: sweep.def, size: sweep.size, cfg: p.cfg, backend: stored[0].backend, device: '', seconds: 0 }, stored.map((s) => s.result));
    return {
      ...point,
      accuracy: r.accuracy,
      accuracyStd: r.accuracyStd,
      totalShared: r.totalShared,
      totalSharedStd: r.totalSharedStd ?? 0,
      ...(r.sharedFraction ? { sharedFraction: r.sharedFraction } : {}),
      layers: r.layers,
    };
  });
  return {
    experiment: sweep.def.name,
    size: sweep.size,
    seeds: sweep.seeds,
    set: sweep.set,
    grid: sweep.grid,
    runs: sweep.points.reduce((n, p) => n + p.runs.length, 0),
    finished: finished.length,
    compared: [sweep.def.compared[0], sweep.def.compared[1]],
    devices: [...new Set(finished.map((s) => `${s.backend}: ${s.device}`))].sort(),
    points,
    curves: [...curves(sweep.grid, points, 'beta'), ...curves(sweep.grid, points, 'width')],
  };
}

/** The grid field a curve runs along, and the value it plots for a field's value (width: every hidden layer's, when they are equal). */
const ALONG = {
  beta: { field: 'beta', value: (v: unknown): number | null => (typeof v === 'number' ? v : null) },
  width: { field: 'hidden', value: (v: unknown): number | null => (Array.isArray(v) && v.every((w) => w === v[0]) ? (v[0] as number) : null) },
};

/**
 * The curves along β or width: one per combination of the grid's other fields, over the points with a
 * finished run; none when the grid has fewer than two values of that field, or (width) a hidden list whose
 * layers differ in width.
 */
function curves(grid: SweepReport['grid'], points: readonly SweepReportPoint[], kind: SweepCurve['kind']): SweepCurve[] {
  const { field, value } = ALONG[kind];
  const values = grid[field];
  if (!values || values.length < 2 || values.some((v) => value(v) === null)) return [];
  const groups = new Map<string, SweepCurve>();
  for (const p of points) {
    if (p.totalShared === undefined) continue;
    const fixed = Object.fromEntries(Object.entries(p.settings).filter(([k]) => k !== field));
    const key = JSON.stringify(fixed);
    if (!groups.has(key)) groups.set(key, { kind, fixed, points: [] });
    groups.get(key)!.points.push(curvePoint(value(p.settings[field])!, p));
  }
  return [...groups.values()].filter((c) => c.points.length >= 2).map((c) => ({ ...c, points: c.points.sort((a, b) => a.value - b.value) }));
}

const curvePoint = (value: number, p: SweepReportPoint): SweepPoint =>
  ({ value, totalShared: { mean: p.totalShared!, std: p.totalSharedStd! }, accuracy: accuracyStats({ accuracy: p.accuracy!, accuracyStd: p.accuracyStd! }) });
