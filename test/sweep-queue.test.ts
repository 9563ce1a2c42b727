/**
 * Sweeps through a real Redis (a redis-server of the test's own on a free loopback port): a sweep submitted
 * twice is queued once; a bad sweep file or an unreachable Redis gets one line and exit code 2 with nothing
 * queued; two workers run a sweep while one of them is killed with SIGKILL mid-run, every run completes
 * exactly once (the killed one resumed by the other worker, which takes over the run.lock it left, named
 * as another host's, as on a store shared between machines), and the report equals, byte for byte, the
 * one the local path (--workers 1, stopped by Ctrl-C and resumed) writes for the same sweep.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processAlive } from '../experiments/run-lock.js';
import { readSweepFile, type Sweep } from '../cli/sweep-file.js';
import { QUEUE_NAME, redisAddress } from '../cli/sweep-queue.js';
import type { RunProgress } from '../cli/worker-command.js';
import { cli, readJson, start, tempDir, until, type Started } from './cli-run.js';
import { freePort, hasRedis, startRedis, type TestRedis } from './redis-server.js';

/** Six runs of a few seconds each; the mask stages last long enough to kill a worker inside one. */
const SWEEP = {
  experiment: 'addmul',
  seeds: 2,
  set: { hidden: [16, 16], batch: 16, validSize: 200, evalBatch: 100, baseSteps: 100, steps: 500 },
  grid: { beta: [1e-4, 1e-3, 1e-2] },
};

const available = hasRedis();
if (!available) console.warn('redis-server is not installed, so the sweep queue tests are skipped (CI installs it: apt-get install redis-server)');

/** The "maskscope: …" lines of a command's error output. */
const errorLines = (stderr: string): string[] => stderr.trim().split('\n').filter((l) => l.startsWith('maskscope:'));

describe.skipIf(!available)('a sweep through Redis', () => {
  let redis: TestRedis;
  let queue: Queue;
  let dir: string;
  let file: string;
  let sweep: Sweep;
  const workers: Started[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    queue = new Queue(QUEUE_NAME, { connection: redisAddress(redis.url).options });
    dir = await tempDir('ms-sweepq-');
    file = join(dir, 'tiny.json');
    await writeFile(file, JSON.stringify(SWEEP));
    sweep = await readSweepFile(file);
  });

  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await queue?.close();
    await redis?.stop();
  });

  it('is queued once however often it is submitted; a bad sweep file or an unreachable Redis queues nothing', async () => {
    const first = cli('sweep', file, '--queue', redis.url);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toContain(`6 runs: 6 queued now, 0 queued before or done (queue ${QUEUE_NAME} at ${redis.url})`);
    const again = cli('sweep', file, '--queue', redis.url);
    expect(again.stderr).toContain('6 runs: 0 queued now, 6 queued before or done');
    expect((await queue.getJobs(['waiting'])).map((j) => j.id).sort()).toEqual(sweep.runs.map((r) => r.id).sort());

    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ ...SWEEP, grid: { beta: [1e-4, 'big'] } }));
    const refused = cli('sweep', bad, '--queue', redis.url);
    expect(refused.status).toBe(2);
    expect(errorLines(refused.stderr)).toEqual([`maskscope: ${bad}: grid.beta[1] must be a number, got "big"`]);

    const nowhere = `redis://127.0.0.1:${await freePort()}`;
    const started = performance.now();
    for (const args of [['sweep', file, '--queue', nowhere, '--wait', '--out', join(dir, 'nowhere')], ['worker', '--queue', nowhere, '--store', join(dir, 'nowhere')]]) {
      const r = cli(...args);
      expect(r.status, r.stderr).toBe(2);
      expect(errorLines(r.stderr)).toEqual([expect.stringMatching(new RegExp(`^maskscope: cannot reach Redis at ${nowhere} \\(.*ECONNREFUSED.*\\)$`))]);
    }
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(existsSync(join(dir, 'nowhere'))).toBe(false);
    expect(await queue.getJobCounts()).toMatchObject({ waiting: 6, active: 0, completed: 0, failed: 0, delayed: 0 });
  });

  it('runs on two workers, one killed mid-run: every run completes once, and the report equals the local one', async () => {
    // The local path, stopped by Ctrl-C in a run's mask stage and resumed by the same command.
    const localArgs = ['sweep', file, '--workers', '1', '--backend', 'cpu', '--out', join(dir, 'local')];
    const interrupted = start(localArgs);
    const runsDir = join(dir, 'local', 'runs');
    const phase = (r: Sweep['runs'][number], name: string): boolean => existsSync(join(runsDir, r.id, `seed-${r.seed}`, name));
    await until(() => sweep.runs.some((r) => phase(r, 'result.json')) && sweep.runs.some((r) => phase(r, 'base.safetensors') && !phase(r, 'result.json')), 60_000, 'a local run in a mask stage');
    interrupted.child.kill('SIGINT');
    const stopped = await interrupted.done;
    expect(stopped.status, stopped.stderr).toBe(130);
    expect(stopped.stderr).toContain('to resume, run the same command again');
    expect(sweep.runs.filter((r) => phase(r, 'result.json')).length).toBeLessThan(6);
    const local = cli(...localArgs);
    expect(local.status, local.stderr).toBe(0);

    const store = join(dir, 'store');
    const worker = (): Started => start(['worker', '--queue', redis.url, '--store', store, '--backend', 'cpu', '--lock-seconds', '2']);
    workers.push(worker(), worker());
    let victim: { id: string; pid: number } | undefined;
    await until(async () => {
      for (const job of await queue.getActive()) {
        const p = job.progress as RunProgress | number;
        if (typeof p === 'object' && p.phase.startsWith('mask-')) victim = { id: job.id!, pid: Number(p.worker.split(':').pop()) };
      }
      return victim !== undefined;
    }, 60_000, 'a run in a mask stage');
    const run = sweep.runs.find((r) => r.id === victim!.id)!;
    const killed = workers.find((w) => w.child.pid === victim!.pid)!;
    const survivor = workers.find((w) => w !== killed)!;
    // The run's own process, which must not outlive its worker: its folder's lock names it.
    const runPid = (JSON.parse(readFileSync(join(store, run.id, 'run.lock'), 'utf8')) as { pid: number }).pid;
    expect(survivor.child.exitCode, survivor.output().stderr).toBe(null);
    killed.child.kill('SIGKILL');
    // As if the store were shared between machines and the dead worker had run elsewhere: its run's lock
    // names another host, which the survivor cannot check — it takes it over because the job stalled.
    const foreign = { pid: 4_000_000, host: 'another-machine', procStart: null, started: new Date().toISOString(), command: 'maskscope run …' };
    await writeFile(join(store, run.id, 'run.lock'), JSON.stringify(foreign) + '\n');
    const seedDir = join(store, run.id, `seed-${run.seed}`);
    expect(existsSync(join(seedDir, 'base.safetensors'))).toBe(true);
    expect(existsSync(join(seedDir, 'result.json'))).toBe(false);
    await until(() => !processAlive(runPid), 10_000, 'the killed worker’s run to stop');

    const waiting = start(['sweep', file, '--queue', redis.url, '--wait', '--out', join(dir, 'queued')]);
    const timer = setTimeout(() => waiting.child.kill('SIGKILL'), 120_000);
    const waited = await waiting.done;
    clearTimeout(timer);
    const states = await Promise.all(sweep.runs.map(async (r) => `${r.id} ${await queue.getJobState(r.id)}`));
    expect(waited.status, `${waited.stderr}\n${states.join('\n')}\n${workers.map((w) => w.output().stderr).join('\n---\n')}`).toBe(0);
    expect(await readFile(join(dir, 'queued', 'report.json'), 'utf8')).toBe(await readFile(join(dir, 'local', 'report.json'), 'utf8'));
    const report = await readJson<{ finished: number; curves: { kind: string; points: unknown[] }[] }>(join(dir, 'queued', 'report.json'));
    expect(report.finished).toBe(6);
    expect(report.curves.map((c) => [c.kind, c.points.length])).toEqual([['beta', 3]]);
    expect(await readFile(join(dir, 'queued', 'report.html'), 'utf8')).toContain('Sweep over β');

    // Completed once each: one "done" line per run over both workers, the killed run's from the survivor, after a resume.
    const done = workers.flatMap((w) => [...w.output().stderr.matchAll(/run (\w+) done in/g)].map((m) => m[1]));
    expect(done.sort()).toEqual(sweep.runs.map((r) => r.id).sort());
    expect(killed.output().stderr).toContain(`run ${run.id} (`);
    expect(survivor.output().stderr).toContain(`run ${run.id}: base was done before, resumed from its checkpoint`);
    expect(await queue.getJobCounts()).toMatchObject({ completed: 6, failed: 0, waiting: 0, active: 0, delayed: 0 });
    // Each run folder holds its own run only, finished, unlocked.
    for (const r of sweep.runs) {
      expect((await readdir(join(store, r.id))).filter((n) => n.startsWith('seed-'))).toEqual([`seed-${r.seed}`]);
      const stored = await readJson<{ settings: { seed: number; config: { beta: number } } }>(join(store, r.id, `seed-${r.seed}`, 'result.json'));
      expect([stored.settings.seed, stored.settings.config.beta]).toEqual([r.seed, r.settings.beta]);
      expect(existsSync(join(store, r.id, 'run.lock'))).toBe(false);
    }

    // Submitted again once finished: nothing is queued or run again.
    const again = cli('sweep', file, '--queue', redis.url);
    expect(again.stderr).toContain('6 runs: 0 queued now, 6 queued before or done');
    expect(await queue.getJobCounts()).toMatchObject({ completed: 6, waiting: 0, active: 0 });
    const status = cli('sweep', 'status', file, '--queue', redis.url);
    expect(status.stdout.trim()).toBe(`${'█'.repeat(30)} 6/6 done · 0 running · 0 waiting · 0 failed`);
  }, 240_000);
});
