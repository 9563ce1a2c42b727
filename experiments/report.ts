/** Builds report.json (report/types.ts) from the results of one or more seeds: mean ± std. */
import { meanStd } from '../masking/analysis.js';
import { meanSettling } from '../masking/settling.js';
import type { Report, Stat } from '../report/types.js';
import type { SeedResult } from './phases.js';
import type { AnyExperiment, BaseConfig, Size } from './types.js';

/** Applies f to the values at the same nested key of every seed's table. */
function tableStat(tables: Record<string, Record<string, number>>[], pick: 'mean' | 'std'): Record<string, Record<string, number>> {
  const first = tables[0];
  return Object.fromEntries(
    Object.entries(first).map(([row, cols]) => [
      row,
      Object.fromEntries(Object.keys(cols).map((col) => [col, meanStd(tables.map((t) => t[row][col]))[pick]])),
    ]),
  );
}

const mean = (xs: number[]): number => meanStd(xs).mean;

/** The mean over seeds of each key's value. */
const meanOfKeys = (records: Record<string, number>[]): Record<string, number> =>
  Object.fromEntries(Object.keys(records[0]).map((k) => [k, mean(records.map((r) => r[k]))]));

/** A report's accuracy table and its std table as one table of mean ± std (a sweep point's). */
export const accuracyStats = (r: Pick<Report, 'accuracy' | 'accuracyStd'>): Record<string, Record<string, Stat>> =>
  Object.fromEntries(Object.entries(r.accuracy).map(([mask, row]) => [mask, Object.fromEntries(Object.entries(row).map(([set, mean]) => [set, { mean, std: r.accuracyStd[mask][set] }]))]));

export interface ReportContext {
  def: AnyExperiment;
  size: Size;
  cfg: BaseConfig;
  backend: 'cpu' | 'webgpu';
  device: string;
  /** Wall time of this invocation plus the recorded time of resumed phases. */
  seconds: number;
}

export function buildReport(ctx: ReportContext, results: SeedResult[]): Report {
  const r0 = results[0];
  const [a, b] = ctx.def.compared;
  const perLayer = (pick: (r: SeedResult) => number[]) => r0.layerNames.map((_, i) => meanStd(results.map((r) => pick(r)[i])));
  const iou = perLayer((r) => r.iou);
  const iomin = perLayer((r) => r.iomin);
  const shared = meanStd(results.map((r) => r.totalShared));
  const several = results.length > 1;
  const accuracy = tableStat(results.map((r) => r.accuracy), 'mean');
  const settling = meanSettling(results.map((r) => r.settling));
  return {
    experiment: ctx.def.name,
    size: ctx.size,
    seed: r0.seed,
    seeds: results.map((r) => r.seed),
    backend: ctx.backend,
    device: ctx.device,
    seconds: ctx.seconds,
    config: { ...ctx.cfg, compared: [a, b] },
    accuracy,
    accuracyStd: tableStat(results.map((r) => r.accuracy), 'std'),
    layers: r0.layerNames.map((name, i) => ({
      name,
      weights: r0.layerWeights[i],
      kept: Object.fromEntries(Object.keys(r0.kept).map((m) => [m, mean(results.map((r) => r.kept[m][i]))])),
      iou: iou[i].mean,
      iomin: iomin[i].mean,
      ...(several ? { iouStd: iou[i].std, iominStd: iomin[i].std } : {}),
    })),
    totalShared: shared.mean,
    ...(several ? { totalSharedStd: shared.std } : {}),
    sharedFraction: Object.fromEntries(Object.keys(r0.sharedFraction).map((m) => [m, mean(results.map((r) => r.sharedFraction[m]))])),
    confusion: Object.fromEntries(
      Object.entries(r0.confusion).map(([mask, rows]) => [
        mask,
        Object.fromEntries(Object.keys(rows).map((row) => [row, meanOfKeys(results.map((r) => r.confusion[mask][row]))])),
      ]),
    ),
    histogram: { edges: r0.histogram.edges, counts: r0.histogram.counts },
    ...(r0.halfMask ? { halfMask: tableStat(results.map((r) => r.halfMask!), 'mean') } : {}),
    ...(r0.tokenRemoved ? { tokenRemoved: meanOfKeys(results.map((r) => r.tokenRemoved!)) } : {}),
    ...(r0.reuse ? { reuse: tableStat(results.map((r) => r.reuse!.inside), 'mean'), reuseChance: tableStat(results.map((r) => r.reuse!.union), 'mean') } : {}),
    ...(ctx.def.derived ? ctx.def.derived(accuracy) : {}),
    ...(settling ? { settling } : {}),
    training: r0.training,
  };
}
