/**
 * Benchmark options on Node's util.parseArgs: flags and `--name value` / `--name=value` strings, with a
 * one-line error listing the options and exit code 2 for anything else.
 */
import { parseArgs } from 'node:util';

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
  return values as { [K in keyof S]: S[K]['type'] extends 'boolean' ? boolean : string };
}

export const isBackendChoice = (v: unknown): v is 'cpu' | 'webgpu' | 'all' => v === 'cpu' || v === 'webgpu' || v === 'all';
export const isPositiveInt = (v: string): boolean => Number.isInteger(Number(v)) && Number(v) >= 1;
