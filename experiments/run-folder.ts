/**
 * A run folder as a whole (Node only): the door check of --out, the settings of everything it already
 * holds against this run's, and its report, built from every seed present (DIR/seed-N/result.json) and
 * every sweep point those seeds all have, so no run of one seed replaces the results of another.
 */
import { mkdir, readdir, rmdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { readJsonFile } from '../engine/io/atomic-file.js';
import { listCheckpoints } from '../engine/io/checkpoint.js';
import type { Report } from '../report/types.js';
import { accuracyStats, buildReport } from './report.js';
import { phaseSettings, settingsDiff, SettingsMismatchError, sweepSettings, type RunSettings } from './run-settings.js';
import { readSeedResult, RESULT_FILE, type StoredResult } from './seed-results.js';
import type { AnyExperiment, BaseConfig, Size } from './types.js';

/** --out cannot be a run folder: a file, not creatable, not writable. */
export class OutDirError extends Error {
  override name = 'OutDirError';
}

const why = (e: unknown): string => {
  const err = e as NodeJS.ErrnoException;
  const text = /^\w+: ([^,]+)/.exec(err.message)?.[1] ?? err.message;
  return err.code ? `${err.code}: ${text}` : text;
};

/**
 * Checks that --out is a folder or can be made one, without making it: the folders to create, outermost
 * first (empty when it exists). Each is then made by createOutDir, one at a time — a recursive mkdir never
 * returns on some paths (/proc/…). `option` names the folder in errors (a worker's is --store).
 */
export async function checkOutDir(out: string, option = '--out'): Promise<string[]> {
  const missing: string[] = [];
  for (let dir = resolve(out); ; dir = dirname(dir)) {
    let info;
    try {
      info = await stat(dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && dirname(dir) !== dir) {
        missing.unshift(dir);
        continue;
      }
      if (code === 'ENOTDIR') throw new OutDirError(`${option} ${out}: a part of that path is a file, not a folder`);
      throw new OutDirError(`${option} ${out}: cannot use ${dir} (${why(e)})`);
    }
    if (!info.isDirectory()) {
      throw new OutDirError(dir === resolve(out) ? `${option} ${out} is a file, not a folder` : `${option} ${out}: ${dir} is a file, not a folder`);
    }
    return missing;
  }
}

/**
 * Makes the folders checkOutDir listed (one another process made meanwhile is taken as it is: two
 * workers started at once on one store); on failure removes the ones it made and throws an OutDirError.
 */
export async function createOutDir(out: string, missing: readonly string[], option = '--out'): Promise<void> {
  const made: string[] = [];
  try {
    for (const dir of missing) {
      try {
        await mkdir(dir);
        made.push(dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || !(await stat(dir)).isDirectory()) throw e;
      }
    }
  } catch (e) {
    for (const dir of made.reverse()) await rmdir(dir).catch(() => {});
    throw new OutDirError(`${option} ${out}: cannot create the folder (${why(e)})`);
  }
}

const SEED_DIR = /^seed-(\d+)$/;
const SWEEP_DIR = /^sweep-(beta|width)-(.+)$/;

async function entries(dir: string): Promise<string[]> {
  return readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return [];
    throw e;
  });
}

/** seed-N folders of `dir`, by seed. */
async function seedDirs(dir: string): Promise<{ seed: number; path: string }[]> {
  return (await entries(dir))
    .filter((n) => SEED_DIR.test(n))
    .map((n) => ({ seed: Number(SEED_DIR.exec(n)![1]), path: join(dir, n) }))
    .sort((a, b) => a.seed - b.seed);
}

/** The sweep folders of a run folder, with their kind and value. */
export async function sweepDirs(out: string): Promise<{ kind: 'beta' | 'width'; value: number; path: string }[]> {
  return (await entries(out)).flatMap((n) => {
    const m = SWEEP_DIR.exec(n);
    const value = m ? Number(m[2]) : NaN;
    return m && `${value}` === m[2] ? [{ kind: m[1] as 'beta' | 'width', value, path: join(out, n) }] : [];
  });
}

/**
 * Every finished phase checkpoint and stored result under `dir` (its seed-N folders) against the settings
 * this run expects for that seed; throws a SettingsMismatchError naming `dir`, the fields that differ and
 * the file. Records without settings (maskscope 0.1) pass only with `trustUnrecorded`.
 */
export async function checkFolderSettings(dir: string, expected: (seed: number) => RunSettings, trustUnrecorded: boolean): Promise<void> {
  for (const { seed, path } of await seedDirs(dir)) {
    const records: [string, Partial<RunSettings> | undefined][] = [];
    for (const phase of await listCheckpoints(path)) {
      const record = await readJsonFile<{ state?: { settings?: Partial<RunSettings> } }>(join(path, `${phase}.json`), 'checkpoint record');
      records.push([`${phase}.json`, record.state?.settings]);
    }
    const stored = await readSeedResult(path);
    const files = [...records, ...(stored ? [[RESULT_FILE, stored.settings] as [string, RunSettings]] : [])];
    for (const [file, settings] of files) {
      const want = file === RESULT_FILE ? expected(seed) : phaseSettings(expected(seed), file.slice(0, -5));
      const where = join(path, file);
      if (settings === undefined) {
        if (trustUnrecorded) continue;
        throw new SettingsMismatchError(`${dir} holds a run of an earlier maskscope whose settings are unknown (${where} records none, and run.json differs); choose another --out or delete that folder`);
      }
      const diff = settingsDiff(settings, want);
      if (diff.length) throw new SettingsMismatchError(`${dir} holds a run with other settings (${diff.join('; ')}; in ${where}); choose another --out or delete that folder`);
    }
  }
}

export interface FolderSeeds {
  /** Seeds whose analysis is stored, by seed. */
  results: StoredResult[];
  /** Seeds with every phase finished but no stored analysis (a run of maskscope 0.1): to analyse. */
  unanalysed: number[];
  /** Seeds with some phases finished: not in the report until a run of that seed finishes them. */
  unfinished: number[];
}

/** What the seed-N folders of a run folder hold (their settings already checked by checkFolderSettings). */
export async function folderSeeds(out: string, phases: readonly string[]): Promise<FolderSeeds> {
  const found: FolderSeeds = { results: [], unanalysed: [], unfinished: [] };
  for (const { seed, path } of await seedDirs(out)) {
    const stored = await readSeedResult(path);
    if (stored) {
      found.results.push(stored);
      continue;
    }
    const done = await listCheckpoints(path);
    if (phases.every((p) => done.includes(p))) found.unanalysed.push(seed);
    else if (done.length) found.unfinished.push(seed);
  }
  return found;
}

export interface FolderReportContext {
  def: AnyExperiment;
  size: Size;
  cfg: BaseConfig;
  out: string;
  expected: (seed: number) => RunSettings;
}

/**
 * The report of these seeds' results: mean ± std over them, and each sweep point found in the folder
 * that every one of these seeds has (with the right settings). Backend and device are the results' own
 * (several devices are listed); the time is the sum of the phases' and analyses' times.
 */
export async function reportOf(ctx: FolderReportContext, stored: readonly StoredResult[]): Promise<Report> {
  const results = stored.map((s) => s.result);
  const devices = [...new Set(stored.map((s) => s.device))];
  const base = { def: ctx.def, size: ctx.size, cfg: ctx.cfg, backend: stored[0].backend, device: devices.join(' / ') };
  let seconds = results.reduce((sum, r) => sum + r.seconds, 0);
  const sweeps: NonNullable<Report['sweeps']> = {};
  for (const { kind, value, path } of (await sweepDirs(ctx.out)).sort((a, b) => a.value - b.value)) {
    const point: StoredResult[] = [];
    for (const r of results) {
      const s = await readSeedResult(join(path, `seed-${r.seed}`));
      if (s && settingsDiff(s.settings, sweepSettings(ctx.expected(r.seed), kind, value)).length === 0) point.push(s);
    }
    if (point.length !== results.length) continue;
    const rep = buildReport({ ...base, seconds: 0 }, point.map((s) => s.result));
    (sweeps[kind] ??= []).push({
      value,
      totalShared: { mean: rep.totalShared, std: rep.totalSharedStd ?? 0 },
      accuracy: accuracyStats(rep),
    });
    seconds += point.reduce((sum, s) => sum + s.result.seconds, 0);
  }
  const report = buildReport({ ...base, seconds }, results);
  if (sweeps.beta || sweeps.width) report.sweeps = sweeps;
  return report;
}
