/**
 * `maskscope sweep FILE` and its subcommands: run a sweep on this machine (no --queue) or queue it for
 * `maskscope worker`s (--queue, optionally --wait for it), show its state in the queue (`sweep status`),
 * and write its aggregated report (`sweep report`; also at the end of a local sweep and of --wait). The
 * report is built the same way from the run folders (local) and the jobs' return values (queue).
 */
import { join } from 'node:path';
import type { Queue } from 'bullmq';
import { writeFileAtomic } from '../engine/io/atomic-file.js';
import { checkOutDir, createOutDir, OutDirError } from '../experiments/run-folder.js';
import { acquireRunLock, FolderBusyError, removeStaleTempFiles } from '../experiments/run-lock.js';
import type { StoredResult } from '../experiments/seed-results.js';
import { aggregateSweep } from '../experiments/sweep-report.js';
import { renderSweepHtml } from '../report/sweep-html.js';
import { Interrupted, watchStopSignals } from './interrupt.js';
import { RunFailed, UsageError } from './run-command.js';
import { readSweepFile, runLabel, type Sweep, type SweepRun } from './sweep-file.js';
import { folderResults, runSweepLocally, type RunFailure } from './sweep-local.js';
import { countStates, staticBar, sweepProgress } from './sweep-progress.js';
import { failures, openQueue, QUEUE_NAME, queueResults, redisAddress, runStates, submitSweep } from './sweep-queue.js';
import type { RunProgress } from './worker-command.js';

export interface SweepFlags {
  out?: string;
  queue?: string;
  workers?: number;
  wait?: boolean;
  /** For the runs on this machine (default auto); workers have their own. */
  backend?: 'auto' | 'cpu' | 'webgpu';
}

const say = (line: string): boolean => process.stderr.write(`maskscope: ${line}\n`);

/** The sweep's folder: --out, or runs/<sweep file name>. */
const outOf = (sweep: Sweep, flags: { out?: string }): string => flags.out ?? join('runs', sweep.name);

/** How often --wait asks the queue. */
const POLL_MS = 1000;

export async function sweepCommand(file: string, flags: SweepFlags, argv: readonly string[]): Promise<void> {
  const sweep = await readSweepFile(file);
  const out = outOf(sweep, flags);
  if (flags.queue === undefined) {
    if (flags.wait) throw new UsageError('--wait is for a sweep sent to a queue (--queue); a local sweep always runs to its end');
    return localSweep(sweep, out, flags.workers ?? 1, flags.backend ?? 'auto', argv);
  }
  for (const [given, option] of [[flags.workers, '--workers'], [flags.backend, '--backend']] as const) {
    if (given !== undefined) throw new UsageError(`${option} is for a sweep on this machine; with --queue, give it to the maskscope workers that run it`);
  }
  const address = redisAddress(flags.queue);
  // The report folder is checked before anything is queued; made only when the report is written.
  const missing = flags.wait ? await checkOutDir(out) : [];
  const queue = await openQueue(address);
  try {
    const { added, retried, present } = await submitSweep(queue, sweep);
    say(`${sweep.runs.length} runs: ${added} queued now, ${present} queued before or done${retried ? `, ${retried} failed ones queued again` : ''} (queue ${QUEUE_NAME} at ${address.shown})`);
    if (!flags.wait) {
      say(`start workers with: maskscope worker --queue ${address.shown}; see the state with: maskscope sweep status ${file} --queue ${address.shown}`);
      return;
    }
    await waitForRuns(queue, sweep);
    await createOutDir(out, missing);
    await writeSweepReport(out, sweep, await queueResults(queue, sweep));
    await failIfAny(await queueFailures(queue, sweep.runs));
  } finally {
    await queue.close();
  }
}

/** Every run on this machine (cli/sweep-local.ts) in DIR/runs/, then the report in DIR. */
async function localSweep(sweep: Sweep, out: string, workers: number, backend: string, argv: readonly string[]): Promise<void> {
  await createOutDir(out, await checkOutDir(out));
  // One sweep process per folder: two would start the same runs.
  const lock = await acquireRunLock(out, ['maskscope', ...argv].join(' '), say).catch((e: NodeJS.ErrnoException) => {
    throw e instanceof FolderBusyError ? e : new OutDirError(`--out ${out}: cannot write in the folder (${e.code ?? e.message})`);
  });
  try {
    await removeStaleTempFiles(out);
    say(`${sweep.runs.length} runs (${sweep.points.length} grid points × ${sweep.seeds.length} seeds), ${workers} at a time, in ${join(out, 'runs')}`);
    let failed: RunFailure[];
    try {
      failed = await runSweepLocally(sweep, join(out, 'runs'), workers, backend);
    } catch (e) {
      if (e instanceof Interrupted) say(`stopped (${e.signal}); the finished runs and phases are kept in ${out}; to resume, run the same command again`);
      throw e;
    }
    await writeSweepReport(out, sweep, await folderResults(sweep, join(out, 'runs')));
    await failIfAny(failed);
  } finally {
    await lock.release();
  }
}

async function failIfAny(failed: readonly RunFailure[]): Promise<void> {
  for (const f of failed) say(`run ${f.run.id} (${runLabel(f.run)}) failed: ${f.error}`);
  if (failed.length) throw new RunFailed(`${failed.length} run${failed.length > 1 ? 's' : ''} failed (above); the report covers the others`);
}

async function queueFailures(queue: Queue, runs: readonly SweepRun[]): Promise<RunFailure[]> {
  const reasons = await failures(queue, runs);
  return runs.filter((r) => reasons.has(r.id)).map((run) => ({ run, error: reasons.get(run.id)! }));
}

/** A progress bar until every run has finished or failed for good; Ctrl-C stops the waiting, not the runs. */
async function waitForRuns(queue: Queue, sweep: Sweep): Promise<void> {
  const progress = sweepProgress(sweep.runs.length);
  const stop = watchStopSignals(() => progress.close());
  try {
    for (;;) {
      const states = await runStates(queue, sweep.runs);
      const counts = countStates(states);
      const running = sweep.runs.filter((_, i) => states[i] === 'running');
      progress.update(counts, (await runningLines(queue, running.slice(0, 1)))[0]);
      if (counts.done + counts.failed === counts.total) return;
      await new Promise((ok) => setTimeout(ok, POLL_MS));
      stop.check();
    }
  } catch (e) {
    if (e instanceof Interrupted) say(`stopped waiting (${e.signal}); the runs go on in the queue`);
    throw e;
  } finally {
    progress.close();
    stop.dispose();
  }
}

/** What running runs are doing, from their jobs' progress: "beta=0.0001 seed 2: mask-add 120/500 on host:pid". */
async function runningLines(queue: Queue, running: readonly SweepRun[]): Promise<string[]> {
  return Promise.all(running.map(async (run) => {
    const p = (await queue.getJob(run.id))?.progress as Partial<RunProgress> | number | undefined;
    return typeof p === 'object' && p.phase ? `${runLabel(run)}: ${p.phase} ${p.step}/${p.total} on ${p.worker}` : `${runLabel(run)}: starting`;
  }));
}

/** `maskscope sweep status FILE --queue URL`: the bar, then each running and each failed run. */
export async function sweepStatusCommand(file: string, flags: { queue: string }): Promise<void> {
  const sweep = await readSweepFile(file);
  const queue = await openQueue(redisAddress(flags.queue));
  try {
    const states = await runStates(queue, sweep.runs);
    const lines = [staticBar(countStates(states))];
    const notQueued = states.filter((s) => s === 'not queued').length;
    if (notQueued) lines.push(`${notQueued} of the waiting runs are not queued: submit the sweep with maskscope sweep ${file} --queue …`);
    lines.push(...(await runningLines(queue, sweep.runs.filter((_, i) => states[i] === 'running'))).map((l) => `running ${l}`));
    lines.push(...(await queueFailures(queue, sweep.runs)).map((f) => `failed ${runLabel(f.run)} (${f.run.id}): ${f.error}`));
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await queue.close();
  }
}

/** `maskscope sweep report FILE [--queue URL] [--out DIR]`: the report of the runs finished so far. */
export async function sweepReportCommand(file: string, flags: { queue?: string; out?: string }): Promise<void> {
  const sweep = await readSweepFile(file);
  const out = outOf(sweep, flags);
  const missing = await checkOutDir(out);
  let results: Map<string, StoredResult>;
  if (flags.queue === undefined) results = await folderResults(sweep, join(out, 'runs'));
  else {
    const queue = await openQueue(redisAddress(flags.queue));
    try {
      results = await queueResults(queue, sweep);
    } finally {
      await queue.close();
    }
  }
  await createOutDir(out, missing);
  await writeSweepReport(out, sweep, results);
}

/** DIR/report.json and report.html of the sweep over these results, and a line saying where. */
async function writeSweepReport(out: string, sweep: Sweep, results: ReadonlyMap<string, StoredResult>): Promise<void> {
  const report = aggregateSweep(sweep, results);
  await writeFileAtomic(join(out, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  await writeFileAtomic(join(out, 'report.html'), renderSweepHtml(report));
  process.stdout.write(`report: ${join(out, 'report.html')} (${report.finished} of ${report.runs} runs finished; data: ${join(out, 'report.json')})\n`);
}
