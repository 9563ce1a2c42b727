/**
 * `maskscope run <experiment>`: checks every input before anything is written (a failed start leaves
 * nothing that blocks the corrected command), owns the run folder while it runs (DIR/run.lock), refuses
 * a folder that holds results of other settings, runs each seed (checkpoints after each phase, so a
 * rerun resumes), writes each seed's report to DIR/seed-N/ and the folder's report over every seed it
 * holds, and stops cleanly on Ctrl-C.
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setBackend } from '../engine/setup.js';
import { readJsonFile, writeFileAtomic } from '../engine/io/atomic-file.js';
import { NonFiniteLossError } from '../masking/train-stage.js';
import { EXPERIMENTS, findExperiment } from '../experiments/registry.js';
import { checkFolderSettings, checkOutDir, createOutDir, folderSeeds, OutDirError, reportOf, type FolderReportContext } from '../experiments/run-folder.js';
import { acquireRunLock, FolderBusyError, removeStaleTempFiles } from '../experiments/run-lock.js';
import { sweepSettings, type RunSettings } from '../experiments/run-settings.js';
import { runSeed, seedSettings, type RunEvent } from '../experiments/runner.js';
import { runSweep } from '../experiments/sweep.js';
import { phaseNames } from '../experiments/phases.js';
import type { AnyExperiment, BaseConfig, Size } from '../experiments/types.js';
import type { Module } from '../models/module.js';
import { matchWeights, readWeightsFile } from '../experiments/weights-file.js';
import { renderReportHtml } from '../report/html.js';
import type { Report } from '../report/types.js';
import { checkConfig, configOverrides, LIMITS } from './args.js';
import { Interrupted, watchStopSignals } from './interrupt.js';
import { progressPrinter, type ProgressPrinter } from './progress.js';
import { parentPrinter } from './run-child.js';

/** A usage error: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The run failed after it started (training diverged): one line, exit code 1. */
export class RunFailed extends Error {
  override name = 'RunFailed';
}

export interface RunFlags {
  size: Size;
  seed: number;
  seeds: number;
  backend: 'auto' | 'cpu' | 'webgpu';
  /** CPU backend: GEMM worker threads (setBackend's cpuThreads). */
  threads?: boolean;
  out?: string;
  beta?: number;
  steps?: number;
  baseSteps?: number;
  config?: string;
  weights?: string;
  control?: string;
  mode?: string;
  dataDir?: string;
  scanDir?: string;
  newMaskInit?: number;
  sweepBeta?: number[];
  sweepWidth?: number[];
  /** Started by a sweep or a worker (cli/run-child.ts): progress over IPC, stop when the parent goes. */
  sweepChild?: boolean;
  /** A sweep worker resuming a stalled job: take over a run.lock left by another host. */
  takeOverLock?: boolean;
}

/** What run.json records: the folder's settings as a person reads them (each checkpoint records its own). */
interface RunIdentity {
  experiment: string;
  size: Size;
  config: BaseConfig;
  weights: string | null;
  control: string | null;
}

/** Adapters that emulate a GPU on the CPU: correct, but far slower than the CPU backend. */
const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|software|fallback/i;

const say = (line: string): boolean => process.stderr.write(`maskscope: ${line}\n`);

/** The command as typed, for "run the same command again". */
const commandLine = (argv: readonly string[]): string =>
  ['maskscope', ...argv].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');

function resolveConfig(def: AnyExperiment, flags: RunFlags): BaseConfig {
  const defaults = def.config(flags.size);
  const cfg: BaseConfig = {
    ...defaults,
    ...(flags.config !== undefined ? usage(() => configOverrides(flags.config!, defaults)) : {}),
    ...(flags.mode !== undefined ? { mode: flags.mode } : {}),
    ...(dataDirOf(flags) !== undefined ? { dataDir: resolve(dataDirOf(flags)!) } : {}),
    ...(flags.beta !== undefined ? { beta: flags.beta } : {}),
    ...(flags.steps !== undefined ? { maskSteps: flags.steps } : {}),
    ...(flags.baseSteps !== undefined ? { baseSteps: flags.baseSteps } : {}),
    ...(flags.newMaskInit !== undefined ? { newMaskInit: flags.newMaskInit } : {}),
  };
  usage(() => checkConfig(cfg));
  return cfg;
}

/** Runs `f`, turning its Error into a UsageError. */
function usage<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** The weights file at the door: readable, finite, and fitting the model, before anything is written. */
async function checkWeights(def: AnyExperiment, cfg: BaseConfig, path: string): Promise<void> {
  const file = await readWeightsFile(path);
  const model: Module = def.model(cfg);
  try {
    matchWeights(model.namedParameters().map(([n, p]) => [n, p.shape] as const), file);
  } finally {
    model.dispose();
  }
}

/** --data-dir, or its older name --scan-dir. */
const dataDirOf = (flags: RunFlags): string | undefined => flags.dataDir ?? flags.scanDir;

/** The experiment a name or alias stands for, or a UsageError listing them. */
export function experimentNamed(name: string): AnyExperiment {
  const def = findExperiment(name);
  if (!def) throw new UsageError(`unknown experiment '${name}' (choose one of: ${EXPERIMENTS.map((e) => [e.name, ...e.aliases].join(' / ')).join(', ')})`);
  return def;
}

/**
 * The checks of a run's options that need no files (a sweep makes them for each of its runs before it
 * starts any): the variants the experiment has, the seed range, the configuration. Returns the resolved
 * configuration; throws a UsageError.
 */
export function checkRunFlags(def: AnyExperiment, flags: RunFlags): BaseConfig {
  if (flags.control && def.afterBase === undefined) throw new UsageError(`${def.name} has no --control variants`);
  if (dataDirOf(flags) !== undefined && def.prepare === undefined) throw new UsageError(`--data-dir is for the experiments that read data files (scan-lstm, scan-transformer, cnn-class-removal, permuted-transfer), not ${def.name}`);
  if (flags.mode !== undefined && !def.modes?.includes(flags.mode)) {
    throw new UsageError(def.modes ? `${def.name}: --mode must be one of ${def.modes.join(', ')}, got '${flags.mode}'` : `${def.name} has no --mode variants`);
  }
  if (flags.newMaskInit !== undefined && !('newMaskInit' in def.config(flags.size))) throw new UsageError(`--new-mask-init is for permuted-transfer, not ${def.name}`);
  if (def.runPhases && (flags.baseSteps !== undefined || flags.weights !== undefined)) {
    throw new UsageError(`${def.name} has no base training (weights and masks train together, task by task): ${flags.weights !== undefined ? '--weights' : '--base-steps'} does not apply; --steps sets the steps per task`);
  }
  if (flags.seed + flags.seeds - 1 > LIMITS.seed) throw new UsageError(`--seed ${flags.seed} with --seeds ${flags.seeds} goes past the largest seed, ${LIMITS.seed}`);
  return resolveConfig(def, flags);
}

export async function runCommand(name: string, flags: RunFlags, argv: readonly string[]): Promise<void> {
  const def = experimentNamed(name);
  const cfg = checkRunFlags(def, flags);
  const dataDir = dataDirOf(flags);
  if (dataDir !== undefined && !(await stat(dataDir).catch(() => null))?.isDirectory()) throw new UsageError(`--data-dir ${dataDir} is not a folder`);
  const suffix = [flags.mode, flags.control, flags.newMaskInit !== undefined && `new-init-${flags.newMaskInit}`].filter(Boolean).map((s) => `-${s}`).join('');
  const out = flags.out ?? join('runs', `${def.name}-${flags.size}${suffix}`);
  const missing = await checkOutDir(out);
  if (flags.sweepChild && !process.send) throw new UsageError('--sweep-child is for the runs that maskscope sweep and maskscope worker start');
  if (flags.takeOverLock && !flags.sweepChild) throw new UsageError('--take-over-lock is for the runs that maskscope worker resumes');
  const toParent = flags.sweepChild ? parentPrinter() : undefined;

  let printer: ProgressPrinter | undefined;
  const tellResume = (signal: string): void => {
    printer?.close();
    say(`stopped (${signal}); the phases that finished are saved in ${out}`);
    say(`to resume, run the same command again: ${commandLine(argv)}`);
  };
  const stop = watchStopSignals((signal) => tellResume(signal));
  try {
    const backend = await setBackend(flags.backend, flags.threads ? { cpuThreads: true } : {});
    if (backend.name === 'webgpu' && SOFTWARE_ADAPTER.test(backend.description)) {
      say(`warning: webgpu runs on a software adapter (${backend.description}), which is far slower than --backend cpu`);
    }
    if (flags.weights) await checkWeights(def, cfg, flags.weights);
    stop.check();

    await createOutDir(out, missing);
    const lock = await acquireRunLock(out, commandLine(argv), (line) => say(line), { takeOverOtherHosts: flags.takeOverLock }).catch((e: NodeJS.ErrnoException) => {
      throw e instanceof FolderBusyError ? e : new OutDirError(`--out ${out}: cannot write in the folder (${e.code ?? e.message})`);
    });
    try {
      await removeStaleTempFiles(out);
      printer = toParent ?? progressPrinter(flags.seeds);
      await runInFolder({ def, cfg, flags, out, backend: backend.name, device: backend.description, printer, check: stop.check });
    } finally {
      printer?.close();
      await lock.release();
    }
  } catch (e) {
    if (e instanceof Interrupted) tellResume(e.signal);
    throw e;
  } finally {
    stop.dispose();
  }
}

interface FolderRun {
  def: AnyExperiment;
  cfg: BaseConfig;
  flags: RunFlags;
  out: string;
  backend: string;
  device: string;
  printer: ProgressPrinter;
  /** Throws Interrupted once Ctrl-C was pressed. */
  check(): void;
}

/** The run itself, with the folder locked. */
async function runInFolder({ def, cfg, flags, out, backend, device, printer, check }: FolderRun): Promise<void> {
  const identity: RunIdentity = { experiment: def.name, size: flags.size, config: cfg, weights: flags.weights ?? null, control: flags.control ?? null };
  const runJson = join(out, 'run.json');
  // Checkpoints of maskscope 0.1 record no settings: they count as this run's only when run.json says so.
  const saved = await readJsonFile<RunIdentity>(runJson, 'run settings').catch(() => null);
  const trustUnrecorded = JSON.stringify(saved) === JSON.stringify(identity);
  const common = await seedSettings({ def, cfg, seed: 0, weights: flags.weights, control: flags.control });
  const expected = (seed: number): RunSettings => ({ ...common, seed });
  const sweeps = [
    ...(flags.sweepBeta ?? []).map((value) => ({ kind: 'beta' as const, value })),
    ...(flags.sweepWidth ?? []).map((value) => ({ kind: 'width' as const, value })),
  ];
  await checkFolderSettings(out, expected, trustUnrecorded);
  for (const { kind, value } of sweeps) {
    await checkFolderSettings(join(out, `sweep-${kind}-${value}`), (s) => sweepSettings(expected(s), kind, value), trustUnrecorded);
  }
  await writeFileAtomic(runJson, JSON.stringify(identity, null, 2) + '\n');
  process.stderr.write(`maskscope ${def.name} (${flags.size}) on ${backend}: ${device}; output in ${out}\n`);

  const onEvent = (e: RunEvent): void => {
    check();
    printer(e);
  };
  const ctx: FolderReportContext = { def, size: flags.size, cfg, out, expected };
  const ran: number[] = [];
  const runOne = async (seed: number): Promise<void> => {
    try {
      await runSeed({ def, cfg, seed, out, weights: flags.weights, control: flags.control, trustUnrecorded, onEvent });
    } catch (e) {
      if (e instanceof NonFiniteLossError) {
        throw new RunFailed(`seed ${seed}, ${e.message}; stopped there — the checkpoints of the phases before it are kept in ${out}`);
      }
      throw e;
    }
    ran.push(seed);
  };
  const seeds = Array.from({ length: flags.seeds }, (_, i) => flags.seed + i);
  for (const seed of seeds) await runOne(seed);
  for (const { kind, values } of [{ kind: 'beta' as const, values: flags.sweepBeta }, { kind: 'width' as const, values: flags.sweepWidth }]) {
    if (values) await runSweep({ def, cfg, seeds, out, kind, values, onEvent });
  }

  const phases = phaseNames(def, cfg);
  let found = await folderSeeds(out, phases);
  for (const seed of found.unanalysed) {
    printer({ kind: 'note', message: `seed ${seed}: every phase is finished but its analysis is not: analysing it for the folder's report` });
    await runOne(seed);
  }
  if (found.unanalysed.length) found = await folderSeeds(out, phases);
  // Each seed's own report, then the folder's over every seed it holds.
  for (const stored of found.results.filter((r) => ran.includes(r.result.seed))) {
    await writeReport(join(out, `seed-${stored.result.seed}`), await reportOf(ctx, [stored]));
  }
  for (const seed of found.unfinished) {
    printer({ kind: 'note', message: `seed ${seed} is unfinished and not in the folder's report: run with --seed ${seed} to finish it` });
  }
  printer.close();
  const report = await reportOf(ctx, found.results);
  await writeReport(out, report);
  printSummary(report.accuracy, report.totalShared);
  const which = report.seeds.length > 1 ? `seeds ${report.seeds.join(', ')}` : `seed ${report.seed}`;
  process.stdout.write(`report: ${join(out, 'report.html')} (${which}; data: ${join(out, 'report.json')}), ${report.seconds.toFixed(0)} s\n`);
}

async function writeReport(dir: string, report: Report): Promise<void> {
  await writeFileAtomic(join(dir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  await writeFileAtomic(join(dir, 'report.html'), renderReportHtml(report));
}

/** The accuracy table on the console; columns as wide as their names (SCAN's are long). */
export function printSummary(accuracy: Record<string, Record<string, number>>, shared: number): void {
  const sets = Object.keys(Object.values(accuracy)[0]);
  const first = Math.max(18, ...Object.keys(accuracy).map((m) => m.length + 2));
  const widths = sets.map((s) => Math.max(8, s.length + 2));
  const rows = Object.entries(accuracy).map(([mask, row]) => `${mask.padEnd(first)}${sets.map((s, i) => `${(100 * row[s]).toFixed(1).padStart(widths[i])}`).join('')}`);
  process.stdout.write(`${'accuracy %'.padEnd(first)}${sets.map((s, i) => s.padStart(widths[i])).join('')}\n${rows.join('\n')}\ntotal shared: ${(100 * shared).toFixed(1)} %\n`);
}
