/**
 * Small runs whose whole report.json is pinned (test/pinned/reports.json): a refactor of the engine, the
 * kernels or the phase driver must leave every number bit-identical. Regenerate the file only when a change
 * is meant to move the numbers, and say so in the commit: `npx tsx test/pinned/make-reports.ts`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ms from '../../index.js';
import { addmulMlp } from '../../experiments/addmul.js';
import { addmulLstm } from '../../experiments/arith-lstm.js';
import { doubleAddMlp } from '../../experiments/double-add.js';
import { buildReport } from '../../experiments/report.js';
import { runSeed } from '../../experiments/runner.js';
import { scanLstm } from '../../experiments/scan-lstm.js';
import type { AnyExperiment, ArithConfig } from '../../experiments/types.js';
import type { Report } from '../../report/types.js';

export interface PinnedRun {
  name: string;
  backend: 'cpu' | 'webgpu';
  def: AnyExperiment;
  cfg: object;
}

const arith = (def: AnyExperiment, hidden: number[], baseSteps: number, maskSteps: number): object => ({
  ...def.config('small'), hidden, baseSteps, maskSteps, validSize: 400, evalBatch: 200, batch: 32,
});

export const PINNED_RUNS: PinnedRun[] = [
  { name: 'addmul-mlp cpu', backend: 'cpu', def: addmulMlp, cfg: arith(addmulMlp, [64, 64, 64], 1000, 150) },
  { name: 'double-add-mlp cpu', backend: 'cpu', def: doubleAddMlp, cfg: arith(doubleAddMlp, [48, 48], 200, 60) },
  { name: 'addmul-lstm cpu', backend: 'cpu', def: addmulLstm, cfg: arith(addmulLstm, [16, 16], 40, 12) },
  { name: 'scan-lstm cpu', backend: 'cpu', def: scanLstm, cfg: { ...scanLstm.config('small'), hidden: [8, 8], batch: 8, baseSteps: 6, maskSteps: 3, evalLimit: 24 } },
  { name: 'addmul-mlp webgpu', backend: 'webgpu', def: addmulMlp, cfg: arith(addmulMlp, [24, 24], 40, 12) },
];

/** Runs one pinned configuration (seed 5) in a fresh folder; the report without its wall time. */
export async function pinnedReport(run: PinnedRun): Promise<Report> {
  await ms.setBackend(run.backend);
  const out = await mkdtemp(join(tmpdir(), 'ms-pinned-'));
  try {
    const result = await runSeed({ def: run.def, cfg: run.cfg as ArithConfig, seed: 5, out });
    return buildReport({ def: run.def, size: 'small', cfg: run.cfg as ArithConfig, backend: run.backend, device: run.backend, seconds: 0 }, [result]);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}
