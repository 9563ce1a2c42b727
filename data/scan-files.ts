/**
 * Node only: reads SCAN split files from a directory laid out like the official release
 * (`tasks_<part>_<split>.txt`, or the same name gzipped as `.txt.gz`). maskscope generates SCAN itself
 * (./scan.ts); this is for users who want to train or evaluate on a given copy of the files.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseScan, type ScanPair, type ScanPart, type ScanSplit } from './scan.js';

const isMissing = (e: unknown): boolean => (e as NodeJS.ErrnoException)?.code === 'ENOENT';

/** The pairs of `tasks_<part>_<split>.txt` (or `.txt.gz`) in `dir`; throws if neither file exists. */
export async function readScanDir(dir: string, split: ScanSplit, part: ScanPart): Promise<ScanPair[]> {
  const base = join(dir, `tasks_${part}_${split}.txt`);
  for (const [path, gzipped] of [[base, false], [`${base}.gz`, true]] as const) {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (e) {
      if (isMissing(e)) continue;
      throw e;
    }
    const text = (gzipped ? gunzipSync(bytes) : bytes).toString('utf8');
    try {
      return parseScan(text);
    } catch (e) {
      throw new Error(`${path}: ${(e as Error).message}`);
    }
  }
  throw new Error(`no SCAN file for split '${split}', part '${part}' in ${dir} (looked for ${base} and ${base}.gz)`);
}
