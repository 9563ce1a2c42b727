/**
 * `maskscope worker --queue URL`: takes runs from the sweeps' queue (cli/sweep-queue.ts) — any number of
 * workers, on any number of machines — and runs each as a `maskscope run` child process
 * (cli/run-child.ts) into STORE/<id>/, reporting its phase and step as the job's progress and returning
 * the run's stored seed result as the job's value. A worker that dies holds its job only until its lock
 * runs out (--lock-seconds); BullMQ then hands the job to another worker, which resumes after the last
 * finished phase when the store is shared (taking over the run.lock the dead worker's run left, also from
 * another host); a worker that cannot renew a job's lock stops that run, so two never write one folder. Ctrl-C / SIGTERM: the runs under way stop after their current
 * step and go back to the queue without using up a try.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { WaitingError, Worker, type Job } from 'bullmq';
import { readJsonFile } from '../engine/io/atomic-file.js';
import { checkOutDir, createOutDir } from '../experiments/run-folder.js';
import { RESULT_FILE } from '../experiments/seed-results.js';
import { Interrupted, type StopSignal } from './interrupt.js';
import { failureOf, startChildRun, type ChildRun } from './run-child.js';
import { runArgs, runFolder, runLabel, type SweepRun } from './sweep-file.js';
import { checkReachable, QUEUE_NAME, redisAddress } from './sweep-queue.js';

export interface WorkerFlags {
  queue: string;
  backend: 'auto' | 'cpu' | 'webgpu';
  concurrency: number;
  store: string;
  /** How long a job's lock lasts without renewal, and how often workers look for stalled jobs. */
  lockSeconds: number;
}

/** The job's progress: where its run is, and which worker runs it. */
export interface RunProgress {
  phase: string;
  step: number;
  total: number;
  worker: string;
}

/** Progress goes to Redis at most this often (phase changes at once). */
const PROGRESS_EVERY_MS = 1000;
/** A job may stall (its worker died) this many times before it counts as failed. */
const MAX_STALLS = 3;

const say = (line: string): boolean => process.stderr.write(`maskscope: ${line}\n`);

export async function workerCommand(flags: WorkerFlags): Promise<void> {
  const address = redisAddress(flags.queue);
  const missing = await checkOutDir(flags.store, '--store');
  await checkReachable(address);
  await createOutDir(flags.store, missing, '--store');
  const name = `${hostname()}:${process.pid}`;
  const children = new Set<ChildRun>();
  /** The run of each job under way, by job id. */
  const running = new Map<string, ChildRun>();
  let stopping: StopSignal | null = null;

  const runJob = async (job: Job<SweepRun>, token?: string): Promise<unknown> => {
    const run = job.data;
    const folder = runFolder(flags.store, run);
    say(`run ${run.id} (${runLabel(run)}) started${job.attemptsStarted > 1 ? ` (try ${job.attemptsStarted})` : ''}`);
    const started = performance.now();
    let total = 0;
    let sent = 0;
    // A job that stalled was given up by its worker's queue lock; its run.lock may name another host.
    const args = [...runArgs(run, folder, flags.backend), ...(job.stalledCounter > 0 ? ['--take-over-lock'] : [])];
    const child = startChildRun(args, (e) => {
      if (e.kind === 'note') return;
      if (e.kind === 'phase') total = e.total;
      if (e.kind === 'phase' && e.resumed) say(`run ${run.id}: ${e.phase} was done before, resumed from its checkpoint`);
      else if (performance.now() - sent < PROGRESS_EVERY_MS) return;
      sent = performance.now();
      const step = e.kind === 'step' ? e.step + 1 : e.resumed ? total : 0;
      // Progress is informative: a lost update must not fail the run.
      job.updateProgress({ phase: e.phase, step, total, worker: name } satisfies RunProgress).catch(() => {});
    });
    children.add(child);
    running.set(job.id!, child);
    const end = await child.done;
    children.delete(child);
    running.delete(job.id!);
    if (end.code === 0) {
      say(`run ${run.id} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      // The record as the file holds it (non-finite numbers as strings): JSON carries it unchanged.
      return readJsonFile(join(folder, `seed-${run.seed}`, RESULT_FILE), 'seed result');
    }
    if (stopping) {
      await job.moveToWait(token);
      throw new WaitingError();
    }
    const why = failureOf(end);
    say(`run ${run.id} failed: ${why}`);
    throw new Error(why);
  };

  const worker = new Worker<SweepRun>(QUEUE_NAME, runJob, {
    // BullMQ's blocking connection must retry for as long as it takes.
    connection: { ...address.options, maxRetriesPerRequest: null },
    name,
    concurrency: flags.concurrency,
    lockDuration: flags.lockSeconds * 1000,
    stalledInterval: flags.lockSeconds * 1000,
    maxStalledCount: MAX_STALLS,
  });
  // A job whose lock could not be renewed (Redis out of reach) may be handed to another worker: stop its run.
  worker.on('lockRenewalFailed', (ids) => {
    for (const id of ids) {
      say(`run ${id}: the queue's lock on it was lost; stopping it (another worker may take it over)`);
      running.get(id)?.stop('SIGTERM');
    }
  });
  let lastError = '';
  worker.on('error', (e) => {
    // A lost connection repeats its error at every reconnection attempt: say it once.
    if (e.message !== lastError) say(`queue: ${e.message}`);
    lastError = e.message;
  });
  say(`worker ${name} takes runs from ${address.shown} (backend ${flags.backend}, ${flags.concurrency} at a time, store ${flags.store}); Ctrl-C stops it`);
  const signal = await new Promise<StopSignal>((ok) => {
    const onSignal = (s: StopSignal): void => {
      if (stopping) return;
      stopping = s;
      children.forEach((c) => c.stop(s));
      ok(s);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await worker.close();
  say('stopped; the runs under way went back to the queue');
  throw new Interrupted(signal);
}
