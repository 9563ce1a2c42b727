/**
 * A finished seed's analysis, kept as DIR/seed-N/result.json (Node only) with the settings and backend that
 * made it: the folder's report is built from every seed present, so a run of another seed adds to the
 * report instead of replacing it.
 */
import { join } from 'node:path';
import { readJsonFile, writeFileAtomic } from '../engine/io/atomic-file.js';
import type { SeedResult } from './phases.js';
import type { RunSettings } from './run-settings.js';

const FORMAT = 'maskscope-seed-result/1';
export const RESULT_FILE = 'result.json';

export interface StoredResult {
  format: typeof FORMAT;
  settings: RunSettings;
  backend: 'cpu' | 'webgpu';
  device: string;
  result: SeedResult;
}

// JSON has no NaN or ±Infinity (an IoU of two empty masks is 0/0): they are kept as strings.
const NON_FINITE = new Set(['NaN', 'Infinity', '-Infinity']);
const replacer = (_k: string, v: unknown): unknown => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v);
const reviver = (_k: string, v: unknown): unknown => (typeof v === 'string' && NON_FINITE.has(v) ? Number(v) : v);

export async function writeSeedResult(dir: string, entry: Omit<StoredResult, 'format'>): Promise<void> {
  await writeFileAtomic(join(dir, RESULT_FILE), JSON.stringify({ format: FORMAT, ...entry }, replacer) + '\n');
}

/** The stored result of seed folder `dir`, or null when it has none; a damaged file is an error naming it. */
export async function readSeedResult(dir: string): Promise<StoredResult | null> {
  const path = join(dir, RESULT_FILE);
  let raw: unknown;
  try {
    raw = await readJsonFile<unknown>(path, 'seed result');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  return reviveSeedResult(raw, path, 'delete it and run that seed again');
}

/**
 * A result record as JSON parsed it (a seed folder's file, or a sweep job's return value, which holds the
 * file's record as it is): checked, with its non-finite numbers restored. `where` and `fix` name the
 * record and the remedy in the error.
 */
export function reviveSeedResult(raw: unknown, where: string, fix: string): StoredResult {
  const r = raw as StoredResult | null;
  if (r?.format !== FORMAT || typeof r.result !== 'object' || typeof r.settings !== 'object') {
    throw new Error(`seed result ${where} is not a ${FORMAT} record; ${fix}`);
  }
  return JSON.parse(JSON.stringify(r), reviver) as StoredResult;
}
