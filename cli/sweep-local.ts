/**
 * A sweep on this machine (`maskscope sweep FILE`, no --queue): its runs N at a time, each a `maskscope run`
 * child process (cli/run-child.ts) into DIR/runs/<id>/, so a sweep started again skips the runs that
 * finished and resumes the others after their last finished phase. A failed run does not stop the others.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunEvent } from '../experiments/runner.js';
import { readSeedResult, type StoredResult } from '../experiments/seed-results.js';
import { Interrupted, type StopSignal } from './interrupt.js';
import { failureOf, startChildRun, type ChildRun } from './run-child.js';
import { runArgs, runFolder, runLabel, type Sweep, type SweepRun } from './sweep-file.js';
import { countStates, sweepProgress, type RunState } from './sweep-progress.js';

/** The stored results of the sweep's finished runs under `runsDir` (DIR/runs of a local sweep), by run id. */
export async function folderResults(sweep: Sweep, runsDir: string): Promise<Map<string, StoredResult>> {
  const results = new Map<string, StoredResult>();
  for (const run of sweep.runs) {
    const stored = await readSeedResult(join(runFolder(runsDir, run), `seed-${run.seed}`));
    if (stored) results.set(run.id, stored);
  }
  return results;
}

/** What a run is doing, from its latest event: "beta=0.0001 seed 2: mask-add 120/500". */
export function describeEvent(run: SweepRun, e: RunEvent, total: number): string {
  return e.kind === 'note' ? `${runLabel(run)}: ${e.message}` : `${runLabel(run)}: ${e.phase}${e.kind === 'step' ? ` ${e.step + 1}/${total}` : ''}`;
}

/** A run that failed, with its error line. */
export interface RunFailure {
  run: SweepRun;
  error: string;
}

/**
 * Runs every unfinished run of the sweep into `runsDir`, `workers` at a time; returns the runs that failed.
 * SIGINT / SIGTERM stop the runs under way after their current step and throw Interrupted once they end.
 */
export async function runSweepLocally(sweep: Sweep, runsDir: string, workers: number, backend: string): Promise<RunFailure[]> {
  await mkdir(runsDir, { recursive: true });
  const finished = await folderResults(sweep, runsDir);
  const states = sweep.runs.map((r): RunState => (finished.has(r.id) ? 'done' : 'waiting'));
  const progress = sweepProgress(sweep.runs.length);
  let current = '';
  const show = (): void => progress.update(countStates(states), current);
  const failures: RunFailure[] = [];
  const children = new Set<ChildRun>();
  let stopped: StopSignal | null = null;
  const onSignal = (signal: StopSignal): void => {
    stopped = signal;
    children.forEach((c) => c.stop(signal));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next; i < sweep.runs.length && !stopped; i = next) {
      next = i + 1;
      if (states[i] === 'done') continue;
      const run = sweep.runs[i];
      states[i] = 'running';
      show();
      let total = 0;
      const child = startChildRun(runArgs(run, runFolder(runsDir, run), backend), (e) => {
        if (e.kind === 'phase') total = e.total;
        current = describeEvent(run, e, total);
        show();
      });
      children.add(child);
      const end = await child.done;
      children.delete(child);
      if (end.code === 0) states[i] = 'done';
      else if (stopped) states[i] = 'waiting';
      else {
        states[i] = 'failed';
        failures.push({ run, error: failureOf(end) });
      }
      show();
    }
  };
  try {
    show();
    await Promise.all(Array.from({ length: Math.min(workers, sweep.runs.length) }, worker));
  } finally {
    progress.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (stopped) throw new Interrupted(stopped);
  return failures;
}
