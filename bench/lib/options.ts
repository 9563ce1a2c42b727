/**
 * Benchmark options on Node's util.parseArgs: flags and `--name value` / `--name=value` strings, with a
 * one-line error listing the options and exit code 2 for anything else.
 */
import { parseArgs } from 'node:util';
import { setMatmulThreads } from '../../kernels/cpu/matmul.fast.js';

export type OptionSpec = Record<string, { type: 'boolean' | 'string'; default?: boolean | string }>;

/** Parses `args`; `check` may reject a value by returning false. */
export function benchOptions<S extends OptionSpec>(bench: string, args: string[], spec: S, usage: string, check: (values: Record<string, string | boolean>) => boolean = () => true) {
  const fail = (what: string): never => {
    console.error(`${bench}: ${what}. Options: ${usage}`);
    process.exit(2);
  };
  let values: Record<string, string | boolean>;
  try {
    values = parseArgs({ args, options: spec, strict: true, allowPositionals: false }).values as Record<string, string | boolean>;
  } catch (e) {
    return fail((e as Error).message.split('\n')[0]);
  }
  if (!check(values)) fail(`bad option value in '${args.join(' ')}'`);
  if (values.threads === true) setMatmulThreads(true);
  return values as { [K in keyof S]: S[K]['type'] extends 'boolean' ? boolean : string };
}

export const isBackendChoice = (v: unknown): v is 'cpu' | 'webgpu' | 'all' => v === 'cpu' || v === 'webgpu' || v === 'all';
export const isPositiveInt = (v: string): boolean => Number.isInteger(Number(v)) && Number(v) >= 1;

/**
 * --min-seconds S and --rounds N, in every benchmark: the timing knobs a driver (bench/gpu-check.ts) turns
 * to fit a benchmark into its time budget. Empty means the benchmark's own choice. --threads puts our CPU
 * GEMM on worker threads (setBackend's cpuThreads), to compare with a peer on as many threads.
 */
export const TIMING_SPEC = {
  'min-seconds': { type: 'string', default: '' }, rounds: { type: 'string', default: '' }, threads: { type: 'boolean', default: false },
} as const;
export const TIMING_USAGE = '--min-seconds S, --rounds N, --threads (ours: the CPU GEMM on worker threads)';

export const isTimingValid = (o: Record<string, string | boolean>): boolean =>
  (o['min-seconds'] === '' || Number(o['min-seconds']) > 0) && (o.rounds === '' || isPositiveInt(String(o.rounds)));

/** `base` with the --min-seconds and --rounds given. */
export function withTiming<T extends { minSeconds: number; rounds: number }>(base: T, o: { 'min-seconds': string; rounds: string }): T {
  return { ...base, ...(o['min-seconds'] ? { minSeconds: Number(o['min-seconds']) } : {}), ...(o.rounds ? { rounds: Number(o.rounds) } : {}) };
}
