/**
 * The GPU check pack: everything a short lease of a GPU should measure, in one command.
 *   npm run bench -- gpu-check [options]      from the source tree
 *   node .device/gpu-check.mjs [options]      packed (../shared/device/pack bench/gpu-check.ts), on a machine without npm
 * 1. acquires the webgpu backend and reports the adapter (identity, software or not, limits, features);
 *    a software adapter is refused unless --allow-software, which shrinks every benchmark to a tiny size;
 * 2. runs every kernel check (also with folded grids) and every error check against the CPU reference;
 * 3. runs the matmul, mask-step, lstm, attention, conv, scan-step and transformer-step (scan-step --model
 *    transformer) benchmarks on webgpu in this process, with the PyTorch peers (CUDA when torch sees it), each
 *    within a time budget;
 * 4. writes gpu-check.json and gpu-check.md to $OUT when set (the device machine returns files written
 *    there), else to bench/gpu-check-results/, after every section, and prints the Markdown at the end.
 * Exit code: 0; 1 when a check failed or a benchmark ended in an error or past its budget's grace; 2 when
 * there was no adapter to run on; 3 when the watchdog (--max-seconds) ended the run.
 * Options: --allow-software, --no-torch, --sections checks,matmul,mask-step,lstm,attention,conv,scan-step,transformer-step, --budgets
 * name=seconds,... (defaults below), --max-seconds N (540), --min-seconds S and --rounds N (every
 * benchmark's timing: 0.5 s and 2 on a GPU, 0.1 s and 1 on a software adapter), --out DIR.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Backend } from '../engine/backend.js';
import { main as attention } from './attention.js';
import { main as conv } from './conv.js';
import { main as lstm } from './lstm.js';
import { main as maskStep } from './mask-step.js';
import { main as matmul } from './matmul.js';
import { main as scanStep } from './scan-step.js';
import { captureLines } from './lib/capture.js';
import { BudgetSpent, setBudget, TimedOut, within } from './lib/deadline.js';
import { acquireGpu } from './lib/gpu-adapter.js';
import { runChecks } from './lib/gpu-checks.js';
import { writeResults, type GpuCheckResults, type SectionResult } from './lib/gpu-check-report.js';
import { describeMachine } from './lib/machine.js';
import { benchOptions, isPositiveInt } from './lib/options.js';

/** transformer-step: the SCAN Transformer's steps, scan-step --model transformer in a section of its own. */
const BENCHES = { matmul, 'mask-step': maskStep, lstm, attention, conv, 'scan-step': scanStep, 'transformer-step': scanStep };
const BENCH_NAMES: Partial<Record<keyof typeof BENCHES, string>> = { 'transformer-step': 'scan-step' };
type Bench = keyof typeof BENCHES;
type Section = 'checks' | Bench;
const SECTIONS: Section[] = ['checks', 'matmul', 'mask-step', 'lstm', 'attention', 'conv', 'scan-step', 'transformer-step'];

/**
 * Seconds per section. GPU: sized for an H200 so that all of it ends in about 7 minutes, 8 with start-up
 * (each case: warm-up, then 2 rounds of >= 0.5 s for ours and each peer; the torch peers run first).
 * Software: about twice what the tiny sizes took with SwiftShader on 2 CPU cores under load (bench/RESULTS.md).
 */
const BUDGETS: Record<'gpu' | 'software', Record<Section, number>> = {
  gpu: { checks: 60, matmul: 60, 'mask-step': 80, lstm: 60, attention: 45, conv: 40, 'scan-step': 150, 'transformer-step': 40 },
  software: { checks: 60, matmul: 30, 'mask-step': 40, lstm: 60, attention: 30, conv: 30, 'scan-step': 150, 'transformer-step': 150 },
};

/** Each benchmark's cases: the sizes the GPU figures are wanted at, or tiny ones on a software adapter. */
const CASES: Record<'gpu' | 'software', Record<Bench, string[]>> = {
  gpu: {
    matmul: ['--cases', 'square-2048,square-4096,mlp-128x256x256,mlp-128x2000x2000,outer-4096x64x4096'],
    'mask-step': ['--widths', '256,2000,4000'],
    lstm: [], // lstm-b256-h200-t50 and lstm-b256-h256-t50
    attention: [], // attention-b256-h4-t50-d25 and attention-b16-h8-t512-d64
    conv: [], // conv-b128-c32x64-s14, cnn-small-b128 and cnn-paper-b128
    'scan-step': ['--sizes', 'small,paper'],
    'transformer-step': ['--model', 'transformer', '--sizes', 'small,paper'],
  },
  software: {
    matmul: ['--cases', 'square-64,mlp-128x256x256'],
    'mask-step': ['--allow-software', '--widths', '64'],
    lstm: ['--quick'],
    attention: ['--quick'],
    conv: ['--quick'],
    'scan-step': ['--allow-software', '--quick', '--cases', 'base-forced', '--pool', '1'], // a step takes ~30 s there
    'transformer-step': ['--model', 'transformer', '--allow-software', '--quick', '--cases', 'base-forced', '--pool', '1'],
  },
};

interface Options {
  allowSoftware: boolean;
  torch: boolean;
  sections: Section[];
  budgets: Partial<Record<Section, number>>;
  maxSeconds: number;
  minSeconds: string;
  rounds: string;
  out: string;
}

const isBudgetList = (v: string): boolean =>
  v === '' || v.split(',').every((p) => SECTIONS.includes(p.split('=')[0] as Section) && Number(p.split('=')[1]) > 0);

function parseArgs(args: string[]): Options {
  const v = benchOptions('gpu-check', args, {
    'allow-software': { type: 'boolean', default: false }, 'no-torch': { type: 'boolean', default: false },
    sections: { type: 'string', default: SECTIONS.join(',') }, budgets: { type: 'string', default: '' },
    'max-seconds': { type: 'string', default: '540' }, 'min-seconds': { type: 'string', default: '' }, rounds: { type: 'string', default: '' },
    out: { type: 'string', default: process.env.OUT || 'bench/gpu-check-results' },
  }, `--allow-software, --no-torch, --sections ${SECTIONS.join(',')}, --budgets matmul=60,..., --max-seconds N, --min-seconds S, --rounds N, --out DIR`,
  (o) => String(o.sections).split(',').every((s) => SECTIONS.includes(s as Section)) && isBudgetList(String(o.budgets)) &&
    isPositiveInt(String(o['max-seconds'])) && (o['min-seconds'] === '' || Number(o['min-seconds']) > 0) && (o.rounds === '' || isPositiveInt(String(o.rounds))));
  return {
    allowSoftware: v['allow-software'], torch: !v['no-torch'], sections: v.sections.split(',') as Section[],
    budgets: Object.fromEntries(v.budgets ? v.budgets.split(',').map((p) => [p.split('=')[0], Number(p.split('=')[1])]) : []),
    maxSeconds: Number(v['max-seconds']), minSeconds: v['min-seconds'], rounds: v.rounds, out: v.out,
  };
}

function benchArgs(name: Bench, kind: 'gpu' | 'software', opts: Options): string[] {
  const torch = name === 'matmul' ? (opts.torch ? ['--torch'] : []) : opts.torch ? [] : ['--no-torch'];
  const timing = ['--min-seconds', opts.minSeconds || (kind === 'gpu' ? '0.5' : '0.1'), '--rounds', opts.rounds || (kind === 'gpu' ? '2' : '1')];
  return ['--backend', 'webgpu', ...CASES[kind][name], ...torch, ...timing];
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0];

/** Runs section `s`'s benchmark under its budget, filling in `s`; a hung one is left behind after the budget and its grace. */
async function runBench(s: SectionResult): Promise<void> {
  const t0 = performance.now();
  setBudget(s.budgetSeconds);
  try {
    const grace = Math.max(30, s.budgetSeconds / 2);
    await within((s.budgetSeconds + grace) * 1e3, captureLines(s.lines, () => BENCHES[s.name as Bench](s.args)), s.name);
    s.status = 'ok';
  } catch (e) {
    s.status = e instanceof BudgetSpent ? 'budget spent' : e instanceof TimedOut ? 'timed out' : 'error';
    s.error = message(e);
    console.log(`# ${s.name}: ${s.status}: ${s.error}`);
  } finally {
    setBudget(null);
    s.wallSeconds = (performance.now() - t0) / 1e3;
  }
}

export async function main(args: string[]): Promise<void> {
  const t0 = performance.now();
  const opts = parseArgs(args);
  const r: GpuCheckResults = {
    date: new Date().toISOString(), argv: args, machine: describeMachine(opts.torch), adapter: null,
    checks: { budgetSeconds: 0, wallSeconds: 0, notRun: 0, results: [] }, sections: [], wallSeconds: 0, exitCode: null,
  };
  const finish = (code: number, stoppedBy?: string): void => {
    Object.assign(r, { exitCode: code, stoppedBy, wallSeconds: (performance.now() - t0) / 1e3 });
    process.exitCode = code;
    const md = writeResults(opts.out, r);
    console.log(`\n${md}\n(written to ${opts.out}/gpu-check.json and gpu-check.md)`);
  };
  let gpu: Backend;
  try {
    const acquired = await acquireGpu();
    [gpu, r.adapter] = [acquired.backend, acquired.adapter];
  } catch (e) {
    r.refused = `no WebGPU adapter: ${message(e)}`;
    return finish(2);
  }
  if (r.adapter.software && !opts.allowSoftware) {
    r.refused = 'a software adapter: its timings say nothing about a GPU (--allow-software runs tiny sizes anyway)';
    return finish(2);
  }
  const kind = r.adapter.software ? 'software' : 'gpu';
  const budget = (s: Section): number => opts.budgets[s] ?? BUDGETS[kind][s];
  console.log(`# gpu-check on ${gpu.description} (${kind}); sections ${opts.sections.join(', ')}; watchdog ${opts.maxSeconds} s`);
  const watchdog = setTimeout(() => {
    r.sections.filter((s) => s.status === 'running').forEach((s) => (s.status = 'timed out'));
    finish(3, `the watchdog after ${opts.maxSeconds} s`);
    process.exit(3);
  }, opts.maxSeconds * 1e3);
  if (opts.sections.includes('checks')) {
    const c0 = performance.now();
    r.checks.budgetSeconds = budget('checks');
    setBudget(r.checks.budgetSeconds);
    r.checks.notRun = await runChecks(gpu, r.checks.results, (line) => console.log(line));
    setBudget(null);
    r.checks.wallSeconds = (performance.now() - c0) / 1e3;
    writeResults(opts.out, r);
  }
  for (const name of opts.sections.filter((s): s is Bench => s !== 'checks')) {
    const s: SectionResult = { name, ...(BENCH_NAMES[name] ? { bench: BENCH_NAMES[name] } : {}), args: benchArgs(name, kind, opts), budgetSeconds: budget(name), wallSeconds: 0, status: 'running', lines: [] };
    r.sections.push(s); // before it runs: a watchdog stop still reports its lines
    await runBench(s);
    writeResults(opts.out, r);
  }
  clearTimeout(watchdog);
  const failed = r.checks.results.some((c) => !c.ok) || r.sections.some((s) => s.status === 'error' || s.status === 'timed out');
  finish(failed ? 1 : 0);
}

// Run directly (the packed .device/gpu-check.mjs, or tsx bench/gpu-check.ts) rather than through bench/run.ts.
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  await main(process.argv.slice(2));
  process.exit(process.exitCode ?? 0); // Dawn keeps the event loop alive while a GPU device exists
}
