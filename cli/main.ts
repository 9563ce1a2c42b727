/**
 * The maskscope command line: `maskscope run <experiment>` trains the base network, every mask stage and
 * the analyses, with progress bars, checkpoints after each phase (a rerun resumes) and a report
 * (report.json + a self-contained report.html). Bad arguments: a one-line error and exit code 2.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setBackend } from '../engine/setup.js';
import { readJsonFile, writeFileAtomic } from '../engine/io/atomic-file.js';
import { EXPERIMENTS, findExperiment } from '../experiments/registry.js';
import { buildReport } from '../experiments/report.js';
import type { SeedResult } from '../experiments/phases.js';
import { runSeed } from '../experiments/runner.js';
import type { BaseConfig, Size } from '../experiments/types.js';
import { renderReportHtml } from '../report/html.js';
import type { Report } from '../report/types.js';
import { runSweep } from '../experiments/sweep.js';
import { progressPrinter } from './progress.js';
import { scanDataCommand } from './data-command.js';
import { SCAN_PARTS, SCAN_SPLITS } from '../data/scan.js';

/** A usage error: printed as one line, exit code 2. */
class UsageError extends Error {}

const positiveInt = (what: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${what} must be a positive integer, got '${v}'`);
  return n;
};
const nonNegativeInt = (what: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${what} must be a non-negative integer, got '${v}'`);
  return n;
};
const positiveNumber = (what: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${what} must be a positive number, got '${v}'`);
  return n;
};
const listOf = (parse: (v: string) => number) => (v: string): number[] => v.split(',').map((x) => parse(x.trim()));

interface RunFlags {
  size: Size;
  seed: number;
  seeds: number;
  backend: 'auto' | 'cpu' | 'webgpu';
  out?: string;
  beta?: number;
  steps?: number;
  baseSteps?: number;
  weights?: string;
  control?: string;
  mode?: string;
  scanDir?: string;
  sweepBeta?: number[];
  sweepWidth?: number[];
}

/** What identifies a run folder's results: a rerun with other settings must not mix with them. */
interface RunIdentity {
  experiment: string;
  size: Size;
  config: BaseConfig;
  weights: string | null;
  control: string | null;
}

async function checkRunFolder(out: string, identity: RunIdentity): Promise<void> {
  const path = join(out, 'run.json');
  const saved = await readJsonFile<RunIdentity>(path, 'run settings').catch(() => null);
  if (saved && JSON.stringify(saved) !== JSON.stringify(identity)) {
    const differs = (Object.keys(identity) as (keyof RunIdentity)[]).filter((k) => JSON.stringify(saved[k]) !== JSON.stringify(identity[k]));
    throw new UsageError(`${out} holds a run with other settings (${differs.join(', ')} differ); choose another --out or delete that folder`);
  }
  await mkdir(out, { recursive: true });
  await writeFileAtomic(path, JSON.stringify(identity, null, 2) + '\n');
}

async function run(name: string, flags: RunFlags): Promise<void> {
  const def = findExperiment(name);
  if (!def) throw new UsageError(`unknown experiment '${name}' (choose one of: ${EXPERIMENTS.map((e) => [e.name, ...e.aliases].join(' / ')).join(', ')})`);
  if (flags.control && def.afterBase === undefined) throw new UsageError(`${def.name} has no --control variants`);
  if (flags.scanDir !== undefined && def.name !== 'scan-lstm') throw new UsageError(`--scan-dir is for scan-lstm, not ${def.name}`);
  if (flags.mode !== undefined && !def.modes?.includes(flags.mode)) {
    throw new UsageError(def.modes ? `${def.name}: --mode must be one of ${def.modes.join(', ')}, got '${flags.mode}'` : `${def.name} has no --mode variants`);
  }
  const cfg: BaseConfig = {
    ...def.config(flags.size),
    ...(flags.mode !== undefined ? { mode: flags.mode } : {}),
    ...(flags.scanDir !== undefined ? { dataDir: resolve(flags.scanDir) } : {}),
    ...(flags.beta !== undefined ? { beta: flags.beta } : {}),
    ...(flags.steps !== undefined ? { maskSteps: flags.steps } : {}),
    ...(flags.baseSteps !== undefined ? { baseSteps: flags.baseSteps } : {}),
  };
  const suffix = [flags.mode, flags.control].filter(Boolean).map((s) => `-${s}`).join('');
  const out = flags.out ?? join('runs', `${def.name}-${flags.size}${suffix}`);
  await checkRunFolder(out, { experiment: def.name, size: flags.size, config: cfg, weights: flags.weights ?? null, control: flags.control ?? null });
  const backend = await setBackend(flags.backend);
  process.stderr.write(`maskscope ${def.name} (${flags.size}) on ${backend.name}: ${backend.description}; output in ${out}\n`);

  const seeds = Array.from({ length: flags.seeds }, (_, i) => flags.seed + i);
  const onEvent = progressPrinter(seeds.length);
  const results: SeedResult[] = [];
  for (const seed of seeds) {
    results.push(await runSeed({ def, cfg, seed, out, weights: flags.weights, control: flags.control, onEvent }));
  }
  const sweeps: NonNullable<Report['sweeps']> = {};
  const sweepStart = performance.now();
  if (flags.sweepBeta) sweeps.beta = await runSweep({ def, cfg, seeds, out, kind: 'beta', values: flags.sweepBeta, onEvent });
  if (flags.sweepWidth) sweeps.width = await runSweep({ def, cfg, seeds, out, kind: 'width', values: flags.sweepWidth, onEvent });
  const seconds = results.reduce((s, r) => s + r.seconds, 0) + (performance.now() - sweepStart) / 1000;
  const report = buildReport({ def, size: flags.size, cfg, backend: backend.name, device: backend.description, seconds }, results);
  if (flags.sweepBeta || flags.sweepWidth) report.sweeps = sweeps;
  await writeFileAtomic(join(out, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  await writeFileAtomic(join(out, 'report.html'), renderReportHtml(report));
  printSummary(report.accuracy, report.totalShared);
  process.stdout.write(`report: ${join(out, 'report.html')} (data: ${join(out, 'report.json')}), ${seconds.toFixed(0)} s\n`);
}

function printSummary(accuracy: Record<string, Record<string, number>>, shared: number): void {
  const sets = Object.keys(Object.values(accuracy)[0]);
  const rows = Object.entries(accuracy).map(([mask, row]) => `${mask.padEnd(18)}${sets.map((s) => `${(100 * row[s]).toFixed(1).padStart(8)}`).join('')}`);
  process.stdout.write(`${'accuracy %'.padEnd(18)}${sets.map((s) => s.padStart(8)).join('')}\n${rows.join('\n')}\ntotal shared: ${(100 * shared).toFixed(1)} %\n`);
}

export function program(): Command {
  const cmd = new Command('maskscope')
    .description('Which weights of a trained network implement which function? Differentiable weight masks (Csordás et al., ICLR 2021).')
    .exitOverride()
    .configureOutput({ outputError: () => {} });
  cmd
    .command('run')
    .description('run an experiment end to end: base training, mask stages, analyses, report')
    .argument('<experiment>', `one of ${EXPERIMENTS.map((e) => e.name).join(', ')} (aliases: ${EXPERIMENTS.flatMap((e) => e.aliases).join(', ')})`)
    .addOption(new Option('--size <size>', 'small (minutes on a CPU) or paper (the published configuration)').choices(['small', 'paper']).default('small'))
    .option('--seed <n>', 'first seed', nonNegativeInt('--seed'), 1)
    .option('--seeds <n>', 'number of seeds (mean ± std in the report)', positiveInt('--seeds'), 1)
    .addOption(new Option('--backend <name>', 'auto picks webgpu on a GPU, else cpu').choices(['auto', 'cpu', 'webgpu']).default('auto'))
    .option('--out <dir>', 'run folder (default runs/<experiment>-<size>)')
    .option('--beta <x>', 'β, the mask regulariser weight', positiveNumber('--beta'))
    .option('--steps <n>', 'steps per mask stage', positiveInt('--steps'))
    .option('--base-steps <n>', 'base training steps', positiveInt('--base-steps'))
    .option('--weights <file>', 'safetensors file with a trained base network (skips base training)')
    .option('--control <name>', 'double-add: copy-weights (both pairs share hidden weights; the LSTM needs --mode only_one_io)')
    .option('--mode <mode>', 'double-add-lstm: together (default) or only_one_io')
    .option('--scan-dir <dir>', "scan-lstm: read SCAN's files (tasks_<part>_<split>.txt[.gz]) from this folder instead of generating them")
    .option('--sweep-beta <list>', 'also run the mask stages for each β in a comma list (e.g. 1e-5,1e-4,1e-3)', listOf(positiveNumber('--sweep-beta')))
    .option('--sweep-width <list>', 'also train and mask networks of each hidden width (e.g. 128,256,512)', listOf(positiveInt('--sweep-width')))
    .action((name: string, flags: RunFlags) => run(name, flags));
  cmd
    .command('data')
    .description('print a data set')
    .command('scan')
    .description('one part of a SCAN split, generated from its grammar, in the official "IN: … OUT: …" format')
    .addOption(new Option('--split <split>', 'which split').choices([...SCAN_SPLITS]).makeOptionMandatory())
    .addOption(new Option('--part <part>', 'train or test').choices([...SCAN_PARTS]).makeOptionMandatory())
    .option('--seed <n>', 'seed of the simple split’s random 80/20 draw', nonNegativeInt('--seed'), 0)
    .action(async (flags: { split: string; part: string; seed: number }) => {
      process.stdout.write(await scanDataCommand(flags.split, flags.part, flags.seed));
    });
  cmd.command('list').description('list the experiments').action(() => {
    for (const e of EXPERIMENTS) process.stdout.write(`${e.name.padEnd(16)} ${e.description}\n`);
  });
  return cmd;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0) return 0;
      process.stderr.write(`maskscope: ${e.message.replace(/^error: /, '')}\n`);
      return 2;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`maskscope: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`maskscope: ${(e as Error).message}\n`);
    return 1;
  }
}
