/** Running the maskscope command as a real process, for the CLI tests (node --import tsx: one process, so signals reach it). */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CLI = ['--import', 'tsx', 'cli/maskscope.ts'];

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the command to its end (synchronously; killed after two minutes). */
export function cli(...args: string[]): CliResult {
  const r = spawnSync(process.execPath, [...CLI, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

export interface Started {
  child: ChildProcess;
  /** Output so far. */
  output(): { stdout: string; stderr: string };
  done: Promise<CliResult>;
}

/** Starts the command; `done` settles when it ends. */
export function start(args: readonly string[], opts: { env?: NodeJS.ProcessEnv } = {}): Started {
  const child = spawn(process.execPath, [...CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const done = new Promise<CliResult>((ok) => child.on('close', (status, signal) => ok({ status, signal, stdout, stderr })));
  return { child, output: () => ({ stdout, stderr }), done };
}

/** A tiny addmul configuration: a run takes about a second after the process starts. */
export const TINY_CONFIG = JSON.stringify({ hidden: [16, 16], validSize: 200, evalBatch: 100, batch: 16 });
export const tinyRun = (out: string, ...more: string[]): string[] =>
  ['run', 'addmul', '--backend', 'cpu', '--config', TINY_CONFIG, '--base-steps', '30', '--steps', '10', '--out', out, ...more];

export const tempDir = (prefix: string): Promise<string> => mkdtemp(join(tmpdir(), prefix));

export const readJson = async <T = Record<string, unknown>>(path: string): Promise<T> => JSON.parse(await readFile(path, 'utf8')) as T;

/** A report without its wall time (which differs between runs). */
export const timeless = (r: Record<string, unknown>): Record<string, unknown> => ({ ...r, seconds: 0 });

/** Every file under `dir`, as paths relative to it. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort();
}

/** Waits until `check` returns true (polling), or fails after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 25));
  }
}
