/**
 * Checkpoints of a run folder, one per phase (Node only): `<dir>/<phase>.safetensors` holds the tensors
 * and `<dir>/<phase>.json` the state plus the data file's byte length and SHA-256. The JSON is written
 * last, so a phase counts as finished only when its JSON exists and the data file matches it: a run
 * killed mid-save resumes by redoing that phase, and a damaged data file is reported, not loaded.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Tensor } from '../tensor.js';
import { writeFileAtomic, readJsonFile } from './atomic-file.js';
import { loadTensors, saveTensors } from './safetensors.js';

const FORMAT = 'maskscope-checkpoint/1';
/** Phase names become file names: no separators, no leading dot. */
const PHASE = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

interface PhaseRecord {
  format: typeof FORMAT;
  phase: string;
  /** Byte length and SHA-256 (hex) of `<phase>.safetensors`. */
  bytes: number;
  sha256: string;
  savedAt: string;
  state: object;
}

const paths = (dir: string, phase: string) => {
  if (!PHASE.test(phase)) throw new Error(`checkpoint: phase name ${JSON.stringify(phase)} must be letters, digits, '.', '_' or '-' (it names files)`);
  return { data: join(dir, `${phase}.safetensors`), json: join(dir, `${phase}.json`) };
};
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

export async function saveCheckpoint(dir: string, phase: string, tensors: Record<string, Tensor>, state: object): Promise<void> {
  const p = paths(dir, phase);
  const bytes = await saveTensors(tensors, { format: 'pt', phase });
  const record: PhaseRecord = { format: FORMAT, phase, bytes: bytes.length, sha256: sha256(bytes), savedAt: new Date().toISOString(), state };
  const json = JSON.stringify(record, null, 2) + '\n'; // before touching files: unserializable state fails here
  await mkdir(dir, { recursive: true });
  // Unmark the phase first: while the data file is being replaced, the old JSON would not match it.
  await rm(p.json, { force: true });
  await writeFileAtomic(p.data, bytes);
  await writeFileAtomic(p.json, json);
}

/** The phase's tensors (on the active backend) and state; null when the phase never finished. */
export async function loadCheckpoint(dir: string, phase: string): Promise<{ tensors: Record<string, Tensor>; state: object } | null> {
  const p = paths(dir, phase);
  const broken = (why: string, cause?: unknown) =>
    new Error(`checkpoint ${dir}/${phase}: ${why} — delete the folder or the phase files to start that phase again`, { cause });
  let record: PhaseRecord;
  try {
    record = await readJsonFile<PhaseRecord>(p.json, 'checkpoint record');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw broken((e as Error).message, e);
  }
  if (!isRecord(record)) throw broken(`${p.json} is not a ${FORMAT} record`);

  let bytes: Uint8Array;
  try {
    bytes = await readFile(p.data);
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw broken(missing ? `safetensors file ${p.data} is missing` : `cannot read ${p.data} (${(e as Error).message})`, e);
  }
  if (bytes.length < record.bytes) throw broken(`safetensors file is truncated (${bytes.length} of ${record.bytes} bytes)`);
  if (bytes.length > record.bytes) throw broken(`safetensors file has ${bytes.length} bytes but the record says ${record.bytes}`);
  if (sha256(bytes) !== record.sha256) throw broken('safetensors file does not match its SHA-256 in the record (corrupted or modified)');
  try {
    return { tensors: loadTensors(bytes), state: record.state };
  } catch (e) {
    throw broken(`cannot decode the safetensors file (${(e as Error).message})`, e);
  }
}

/**
 * Finished phases, sorted by name. Cheap check (record parses and the data file has the recorded size);
 * the hash is verified by loadCheckpoint.
 */
export async function listCheckpoints(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const phases = names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)).filter((ph) => PHASE.test(ph));
  const finished = await Promise.all(
    phases.map(async (phase) => {
      const p = paths(dir, phase);
      try {
        const record = await readJsonFile<PhaseRecord>(p.json, 'checkpoint record');
        return isRecord(record) && (await stat(p.data)).size === record.bytes;
      } catch {
        return false;
      }
    }),
  );
  return phases.filter((_, i) => finished[i]).sort();
}

function isRecord(r: unknown): r is PhaseRecord {
  const o = r as PhaseRecord;
  return typeof o === 'object' && o !== null && o.format === FORMAT && Number.isSafeInteger(o.bytes) && typeof o.sha256 === 'string' && typeof o.state === 'object';
}
