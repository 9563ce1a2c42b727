/**
 * One process at a time per run folder (Node only): DIR/run.lock holds the owner's PID and host. A lock
 * whose process is gone (same host, PID not running or reused by another process) is stale: it is taken
 * over, and the caller is told. Also: temporary files (`*.tmp-<pid>-<hex>`, experiments' atomic writes)
 * of processes that no longer run are removed, and a process removes its own when it ends.
 */
import { readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { link, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export const LOCK_FILE = 'run.lock';

interface LockRecord {
  pid: number;
  host: string;
  /** The process's start time in clock ticks since boot (Linux): tells a reused PID from the owner. */
  procStart: number | null;
  started: string;
  command: string;
}

/** The run folder is owned by a live process. */
export class FolderBusyError extends Error {
  override name = 'FolderBusyError';
}

/** Linux: state and start time of a process from /proc/PID/stat; null elsewhere or when it does not exist. */
function procStat(pid: number): { state: string; start: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], start: Number(fields[19]) };
  } catch {
    return null;
  }
}

/** Whether process `pid` on this host runs (a zombie does not; a PID reused since `procStart` is another process). */
export function processAlive(pid: number, procStart: number | null = null): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = procStat(pid);
  if (stat?.state === 'Z') return false;
  return !(stat && procStart !== null && stat.start !== procStart);
}

const TEMP = /\.tmp-(\d+)-[0-9a-f]+$/;
/** Folders a run writes into: DIR, DIR/seed-N, DIR/sweep-…/seed-N. */
const walk = (dir: string, depth: number, each: (path: string, name: string) => void): void => {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const path = join(dir, name);
    if (TEMP.test(name)) each(path, name);
    else if (depth > 0 && /^(seed|sweep)-/.test(name)) walk(path, depth - 1, each);
  }
};

/** Removes temporary files left in `dir` by processes that no longer run (a SIGKILL mid-write); their count. */
export async function removeStaleTempFiles(dir: string): Promise<number> {
  const stale: string[] = [];
  walk(dir, 2, (path, name) => {
    const pid = Number(TEMP.exec(name)![1]);
    if (pid !== process.pid && !processAlive(pid)) stale.push(path);
  });
  await Promise.all(stale.map((p) => rm(p, { force: true })));
  return stale.length;
}

/** Removes this process's own temporary files in `dir` (at exit: an interrupted write leaves one). */
function removeOwnTempFilesSync(dir: string): void {
  walk(dir, 2, (path, name) => {
    if (Number(TEMP.exec(name)![1]) === process.pid) rmSync(path, { force: true });
  });
}

export interface RunLock {
  /** Releases the lock (removes DIR/run.lock if it is still this process's). */
  release(): Promise<void>;
}

/** The lock's record; null when it cannot be read as one; 'gone' when there is no lock (any more). */
async function readLock(path: string): Promise<LockRecord | null | 'gone'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : null;
  }
  try {
    const r = JSON.parse(text) as LockRecord;
    return typeof r?.pid === 'number' && typeof r.host === 'string' ? r : null;
  } catch {
    return null;
  }
}

export interface LockOptions {
  /**
   * Take over a lock held by a process on another host, which cannot be checked from here: for a sweep
   * worker resuming a run whose queue job stalled (its worker stopped renewing the job's lock, so the
   * queue counts it as gone) on a store folder shared between machines.
   */
  takeOverOtherHosts?: boolean;
}

/**
 * Takes DIR/run.lock for this process, or throws a FolderBusyError naming the owner. A stale lock is taken
 * over and `onNote` gets one line about it. The lock is released by `release()` and, failing that, when
 * the process exits (however it exits short of SIGKILL); this process's temporary files go with it.
 */
export async function acquireRunLock(dir: string, command: string, onNote: (line: string) => void, opts: LockOptions = {}): Promise<RunLock> {
  const path = join(dir, LOCK_FILE);
  const me: LockRecord = { pid: process.pid, host: hostname(), procStart: procStat(process.pid)?.start ?? null, started: new Date().toISOString(), command };
  const text = JSON.stringify(me) + '\n';
  // Written whole to a temporary file, then linked into place: link fails if the lock exists (atomic),
  // and nobody ever reads a half-written lock.
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  await writeFile(tmp, text, { flag: 'wx' });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(tmp, path);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      if (attempt >= 20) throw new FolderBusyError(`${dir}: cannot take ${path} over (it keeps changing); delete it if no maskscope run uses ${dir}`);
      const held = await readLock(path);
      if (held === 'gone') continue; // released meanwhile: try again
      const elsewhere = held && held.host !== me.host;
      if (held && ((elsewhere && !opts.takeOverOtherHosts) || (!elsewhere && processAlive(held.pid, held.procStart)))) {
        const where = held.host === me.host ? `process ${held.pid}` : `process ${held.pid} on ${held.host}`;
        throw new FolderBusyError(
          `${dir} is in use by another maskscope run (${where}, since ${held.started}: ${held.command}); wait for it to end or choose another --out` +
            (held.host === me.host ? '' : ` (if that process is gone, delete ${path})`),
        );
      }
      if (await takeOver(path, tmp, held)) {
        onNote(!held ? `${path} could not be read: taken over`
          : elsewhere ? `${path} was left by process ${held.pid} on ${held.host}, whose queue job stalled: taken over`
            : `${path} was left by process ${held.pid}, which no longer runs: taken over`);
        break;
      }
    }
  } finally {
    await unlink(tmp).catch(() => {});
  }
  const releaseSync = (): void => {
    try {
      const held = JSON.parse(readFileSync(path, 'utf8')) as LockRecord;
      if (held.pid === process.pid && held.host === me.host) unlinkSync(path);
    } catch {
      // already gone
    }
    removeOwnTempFilesSync(dir);
  };
  process.on('exit', releaseSync);
  return {
    release: async () => {
      process.off('exit', releaseSync);
      releaseSync();
    },
  };
}

/**
 * Replaces a stale lock with ours. Only one process may take over at a time, so the takeover itself is
 * guarded by DIR/run.lock.takeover (created with link, like the lock); a guard left by a dead process is
 * removed. True when the lock is ours; false to look again (someone else changed it meanwhile).
 */
async function takeOver(path: string, tmp: string, stale: LockRecord | null): Promise<boolean> {
  const guard = `${path}.takeover`;
  try {
    await link(tmp, guard);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const holder = await readLock(guard);
    if (holder !== 'gone' && (!holder || !processAlive(holder.pid, holder.procStart))) await unlink(guard).catch(() => {});
    await new Promise((ok) => setTimeout(ok, 50));
    return false;
  }
  try {
    const now = await readLock(path);
    if (JSON.stringify(now) !== JSON.stringify(stale)) return false;
    await unlink(path).catch(() => {});
    try {
      await link(tmp, path);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      return false;
    }
  } finally {
    await unlink(guard).catch(() => {});
  }
}
