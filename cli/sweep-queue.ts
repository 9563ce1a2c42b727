/**
 * The Redis side of a distributed sweep, on BullMQ: the connection a redis:// or rediss:// URL names, a
 * reachability check that fails fast (before anything is queued), the queue of runs — job id = run id,
 * so a run is queued once however often its sweep is submitted — and what the queue knows of a sweep's
 * runs: their states and the results of the finished ones.
 */
import { Queue, type RedisOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { reviveSeedResult, type StoredResult } from '../experiments/seed-results.js';
import { UsageError } from './run-command.js';
import type { Sweep, SweepRun } from './sweep-file.js';
import type { RunState } from './sweep-progress.js';

/** One queue for every sweep: a run two sweeps share is one job. */
export const QUEUE_NAME = 'maskscope-runs';

/** A failed run is tried again after 10 s, then 20 s; a stall (a dead worker) does not count as a try. */
const JOB_OPTIONS = { attempts: 3, backoff: { type: 'exponential', delay: 10_000 }, removeOnComplete: false, removeOnFail: false };

export interface RedisAddress {
  /** ioredis connection options (BullMQ passes them on). */
  options: RedisOptions;
  /** The URL without its password, for messages. */
  shown: string;
}

/** `redis://[user][:password@]host[:port][/db]`, or `rediss://…` for TLS. Throws a UsageError naming --queue. */
export function redisAddress(url: string): RedisAddress {
  const bad = (why: string): UsageError => new UsageError(`--queue must be a Redis URL such as redis://127.0.0.1:6379 (${why}), got '${url.replace(/:[^:@/]*@/, ':***@')}'`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw bad('not a URL');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw bad('redis:// or rediss:// for TLS');
  if (!u.hostname) throw bad('no host');
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw bad(`the path is the database number, not '${db}'`);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1'); // IPv6 literals come bracketed
  const options: RedisOptions = {
    host,
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    // TLS with the system's certificate authorities; Node names the server (SNI) from the host.
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
  return { options, shown: `${u.protocol}//${u.host}${db ? `/${db}` : ''}` };
}

/** Waits at most this long for Redis to answer before giving up. */
const CONNECT_TIMEOUT_MS = 3000;

/** Connects once, without retries, and pings: a UsageError naming the address when Redis does not answer. */
export async function checkReachable(address: RedisAddress): Promise<void> {
  const client = new Redis({
    ...address.options, lazyConnect: true, connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null,
  });
  // connect() then fails with "Connection is closed."; the socket's own error says why.
  let cause: Error | undefined;
  client.on('error', (e: Error) => (cause ??= e));
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    throw new UsageError(`cannot reach Redis at ${address.shown} (${(cause ?? (e as Error)).message})`);
  } finally {
    // After a failed connect the socket is gone; disconnect() would then hold the process for its 2 s timeout.
    if (client.status !== 'end') client.disconnect();
  }
}

/** The runs' queue at a reachable address (a UsageError otherwise); close it when done. */
export async function openQueue(address: RedisAddress): Promise<Queue> {
  await checkReachable(address);
  return new Queue(QUEUE_NAME, { connection: address.options });
}

/** Queues the sweep's runs not queued yet, and queues again those whose tries all failed. */
export async function submitSweep(queue: Queue, sweep: Sweep): Promise<{ added: number; retried: number; present: number }> {
  let added = 0;
  let retried = 0;
  for (const run of sweep.runs) {
    const job = await queue.getJob(run.id);
    if (!job) {
      // Two submitters at once: BullMQ keeps the first job of an id and ignores the second add.
      await queue.add(run.experiment, run, { jobId: run.id, ...JOB_OPTIONS });
      added++;
    } else if (await job.isFailed()) {
      await job.retry('failed');
      retried++;
    }
  }
  return { added, retried, present: sweep.runs.length - added - retried };
}

/** Each run's state in the queue. */
export async function runStates(queue: Queue, runs: readonly SweepRun[]): Promise<RunState[]> {
  const states = await Promise.all(runs.map((r) => queue.getJobState(r.id)));
  return states.map((s) => (s === 'completed' ? 'done' : s === 'active' ? 'running' : s === 'failed' ? 'failed' : s === 'unknown' ? 'not queued' : 'waiting'));
}

/** The stored results of the sweep's finished runs, by run id: the jobs' return values. */
export async function queueResults(queue: Queue, sweep: Sweep): Promise<Map<string, StoredResult>> {
  const results = new Map<string, StoredResult>();
  for (const run of sweep.runs) {
    const job = await queue.getJob(run.id);
    if (job && (await job.isCompleted())) results.set(run.id, reviveSeedResult(job.returnvalue, `of job ${run.id}`, 'remove that job and submit the sweep again'));
  }
  return results;
}

/** Why each failed run failed (its last try's error), by run id. */
export async function failures(queue: Queue, runs: readonly SweepRun[]): Promise<Map<string, string>> {
  const reasons = new Map<string, string>();
  for (const run of runs) {
    const job = await queue.getJob(run.id);
    if (job && (await job.isFailed())) reasons.set(run.id, job.failedReason);
  }
  return reasons;
}
