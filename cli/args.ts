/**
 * Parsing the command line's values, with bounds: each bad value is one line naming the option, the
 * allowed range and what was given (exit code 2).
 */
import { InvalidArgumentError } from 'commander';
import type { BaseConfig } from '../experiments/types.js';

export const LIMITS = {
  /** Training steps (base or per mask stage): the paper's runs take 25,000. */
  steps: 10_000_000,
  /** Seeds hash as 32-bit integers. */
  seed: 2 ** 31 - 1,
  seeds: 1000,
  beta: [1e-12, 100] as const,
  /** permuted-transfer's --new-mask-init, a mask logit. */
  maskInit: [-20, 20] as const,
  width: 100_000,
  listLength: 100,
  /** Runs at a time in one sweep or worker process. */
  workers: 256,
};

/** An integer in [min, max] (digits, or a number such as 1e4 that is an integer). */
export const intIn = (what: string, min: number, max: number) => (v: string): number => {
  const n = v.trim() === '' ? NaN : Number(v);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new InvalidArgumentError(`${what} must be an integer from ${min} to ${max}, got '${v}'`);
  }
  return n;
};

/** A finite number in [min, max]. */
export const numberIn = (what: string, min: number, max: number) => (v: string): number => {
  const n = v.trim() === '' ? NaN : Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`${what} must be a number from ${min} to ${max}, got '${v}'`);
  return n;
};

/** A comma list of distinct values, each parsed by `parse`. */
export const listOf = (what: string, parse: (v: string) => number) => (v: string): number[] => {
  const values = v.split(',').map((x) => parse(x.trim()));
  if (values.length > LIMITS.listLength) throw new InvalidArgumentError(`${what} takes at most ${LIMITS.listLength} values, got ${values.length}`);
  const twice = values.find((x, i) => values.indexOf(x) !== i);
  if (twice !== undefined) throw new InvalidArgumentError(`${what} lists ${twice} twice`);
  return values;
};

/**
 * Optional configuration fields, absent from the defaults, with a value of their kind (scan-lstm's evalLimit: evaluate
 * on at most this many rows per test set; authorsClip: the authors' gradient clipping in mask stages; baseLrDecay:
 * the last fraction of base steps with a linearly falling lr).
 */
const OPTIONAL: Record<string, unknown> = { evalLimit: 1, authorsClip: false, baseLrDecay: 0 };

/** Configuration fields that have their own option. */
export const OWN_OPTION: Record<string, string> = { beta: '--beta', maskSteps: '--steps', baseSteps: '--base-steps', mode: '--mode', dataDir: '--data-dir', newMaskInit: '--new-mask-init' };

/**
 * `--config JSON`: fields of the experiment's configuration to change (e.g. {"hidden":[64,64]}), checked by
 * checkConfigFields. Throws a one-line Error otherwise.
 */
export function configOverrides(json: string, defaults: BaseConfig): Partial<BaseConfig> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (e) {
    throw new Error(`--config must be a JSON object such as '{"hidden":[64,64]}' (${(e as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`--config must be a JSON object such as '{"hidden":[64,64]}'`);
  for (const key of Object.keys(parsed)) {
    if (OWN_OPTION[key]) throw new Error(`--config: set ${key} with ${OWN_OPTION[key]}`);
  }
  return checkConfigFields(parsed as Record<string, unknown>, defaults, '--config');
}

/** The configuration fields `--config` sets (those without an option of their own). */
export const configFieldNames = (defaults: BaseConfig): string[] => Object.keys({ ...OPTIONAL, ...defaults }).filter((k) => !OWN_OPTION[k]);

/**
 * Configuration fields to change: each key must be one the experiment has, each value of the same kind as
 * its default: numbers finite and ≥ 0, lists of positive integers (widths), strings. Errors name the fields'
 * place (`--config`, a sweep file's `set`) and a bad value as `name(key)` (`--config: hidden`, a sweep
 * file's `grid.hidden[1]`). Throws a one-line Error.
 */
export function checkConfigFields(
  fields: Record<string, unknown>,
  defaults: BaseConfig,
  where: string,
  name = (key: string): string => `${where}: ${key}`,
): Partial<BaseConfig> {
  const known = { ...OPTIONAL, ...(defaults as unknown as Record<string, unknown>) };
  for (const [key, value] of Object.entries(fields)) {
    if (!(key in known)) throw new Error(`${where}: unknown field '${key}' (the fields are ${configFieldNames(defaults).join(', ')})`);
    const def = known[key];
    const ok = Array.isArray(def)
      ? Array.isArray(value) && value.length > 0 && value.every((x) => Number.isSafeInteger(x) && x >= 1 && x <= LIMITS.width)
      : typeof def === 'number'
        ? typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1e9
        : typeof value === typeof def;
    if (!ok) {
      const kind = Array.isArray(def) ? `a list of integers from 1 to ${LIMITS.width}` : typeof def === 'number' ? 'a number from 0 to 1e9' : `a ${typeof def}`;
      throw new Error(`${name(key)} must be ${kind}, got ${JSON.stringify(value)}`);
    }
  }
  return fields as Partial<BaseConfig>;
}

/** Checks that hold for every experiment's configuration (after options and --config are applied). */
export function checkConfig(cfg: BaseConfig): void {
  const whole = (k: keyof BaseConfig): void => {
    const v = cfg[k] as number;
    if (!Number.isSafeInteger(v) || v < 1) throw new Error(`--config: ${k} must be a positive integer, got ${v}`);
  };
  (['batch', 'samples', 'evalBatch'] as const).forEach(whole);
  if (cfg.batch % cfg.samples !== 0) throw new Error(`--config: batch (${cfg.batch}) must be a multiple of samples, the mask samples per step (${cfg.samples})`);
}
