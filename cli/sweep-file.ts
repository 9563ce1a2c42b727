/**
 * Sweep files (`maskscope sweep FILE`): JSON naming an experiment, its size, the seeds, fixed settings
 * (`set`) and a grid of lists whose product gives the grid points; each point runs once per seed. Names
 * are `maskscope run`'s options (beta, steps, baseSteps, mode, control, newMaskInit) and its configuration fields
 * (hidden, batch, …), and every value is checked as `run` checks them, before anything runs or is queued.
 * Each run gets a stable id, a hash of what decides its results, so a sweep submitted twice adds nothing.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { SweepOutline } from '../experiments/sweep-report.js';
import type { Size } from '../experiments/types.js';
import { checkConfigFields, configFieldNames, intIn, LIMITS, numberIn, OWN_OPTION } from './args.js';
import { checkRunFlags, experimentNamed, UsageError, type RunFlags } from './run-command.js';

export interface SweepRun {
  /** The stable id: the queue's job id and the name of the run's folder. */
  id: string;
  experiment: string;
  size: Size;
  seed: number;
  /** The sweep file's settings of this run: `set` and its grid point's values, by the file's names. */
  settings: Record<string, unknown>;
  /** Its grid point's values alone (what tells the runs of a sweep apart). */
  point: Record<string, unknown>;
}

export interface Sweep extends SweepOutline {
  /** The sweep file's name without .json: the default output folder is runs/<name>. */
  name: string;
  /** Every run, point by point (the grid's first field varies slowest), seed by seed. */
  runs: SweepRun[];
}

const FIELDS = ['experiment', 'size', 'seeds', 'set', 'grid'];

/** The run options a sweep sets, with the command-line option each stands for and the check of its value. */
const RUN_OPTIONS: Record<string, { flag: string; check(v: unknown, name: string): void }> = {
  beta: { flag: '--beta', check: (v, name) => numberIn(name, ...LIMITS.beta)(numeric(v, name)) },
  steps: { flag: '--steps', check: (v, name) => intIn(name, 1, LIMITS.steps)(numeric(v, name)) },
  baseSteps: { flag: '--base-steps', check: (v, name) => intIn(name, 1, LIMITS.steps)(numeric(v, name)) },
  mode: { flag: '--mode', check: (v, name) => text(v, name) },
  control: { flag: '--control', check: (v, name) => text(v, name) },
  newMaskInit: { flag: '--new-mask-init', check: (v, name) => numberIn(name, ...LIMITS.maskInit)(numeric(v, name)) },
};

function numeric(v: unknown, name: string): string {
  if (typeof v !== 'number') throw new Error(`${name} must be a number, got ${JSON.stringify(v)}`);
  return String(v);
}

function text(v: unknown, name: string): void {
  if (typeof v !== 'string') throw new Error(`${name} must be a string, got ${JSON.stringify(v)}`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads and checks a sweep file; a UsageError (one line naming the file and the field) when it is bad. */
export async function readSweepFile(path: string): Promise<Sweep> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UsageError(err.code ? `sweep file ${path} cannot be read (${err.code})` : `sweep file ${path} is not valid JSON (${err.message})`);
  }
  try {
    return parseSweep(json, basename(path).replace(/\.json$/i, ''));
  } catch (e) {
    throw new UsageError(`${path}: ${(e as Error).message}`);
  }
}

/** A sweep file's content, checked and expanded into its runs; throws an Error naming the bad field. */
export function parseSweep(json: unknown, name: string): Sweep {
  if (!isObject(json)) throw new Error(`a sweep file holds a JSON object such as {"experiment": "addmul", "seeds": 3, "grid": {"beta": [1e-4, 4e-4]}}`);
  const unknown = Object.keys(json).find((k) => !FIELDS.includes(k));
  if (unknown !== undefined) throw new Error(`unknown field '${unknown}' (the fields are ${FIELDS.join(', ')})`);
  if (typeof json.experiment !== 'string') throw new Error(`experiment must name an experiment, e.g. "addmul"`);
  const def = experimentNamed(json.experiment);
  const size = json.size ?? 'small';
  if (size !== 'small' && size !== 'paper') throw new Error(`size must be "small" or "paper", got ${JSON.stringify(size)}`);
  const seeds = seedList(json.seeds ?? 1);
  const set = json.set ?? {};
  const grid = json.grid ?? {};
  if (!isObject(set)) throw new Error(`set must be an object of settings, e.g. {"steps": 500}`);
  if (!isObject(grid)) throw new Error(`grid must be an object of lists, e.g. {"beta": [1e-4, 4e-4]}`);

  const check = (key: string, value: unknown, where: string, valueName: string): void => {
    if (RUN_OPTIONS[key]) return RUN_OPTIONS[key].check(value, valueName);
    if (key === 'maskSteps') throw new Error(`${where}: set maskSteps as 'steps'`);
    const names = [...Object.keys(RUN_OPTIONS), ...configFieldNames(def.config(size))];
    if (!names.includes(key)) throw new Error(`${where}: unknown field '${key}' (the fields are ${names.join(', ')})`);
    checkConfigFields({ [key]: value }, def.config(size), where, () => valueName);
  };
  for (const [key, value] of Object.entries(set)) check(key, value, 'set', `set.${key}`);
  for (const [key, values] of Object.entries(grid)) {
    if (key in set) throw new Error(`grid.${key}: ${key} is also in set; give it in one of them`);
    if (!Array.isArray(values) || values.length === 0) throw new Error(`grid.${key} must be a non-empty list of values, got ${JSON.stringify(values)}`);
    if (values.length > LIMITS.listLength) throw new Error(`grid.${key} takes at most ${LIMITS.listLength} values, got ${values.length}`);
    values.forEach((v, i) => {
      check(key, v, 'grid', `grid.${key}[${i}]`);
      if (values.findIndex((w) => JSON.stringify(w) === JSON.stringify(v)) !== i) throw new Error(`grid.${key} lists ${JSON.stringify(v)} twice`);
    });
  }

  const points = gridPoints(grid as Record<string, unknown[]>).map((settings) => {
    const all = { ...set, ...settings };
    const cfg = (() => {
      try {
        return checkRunFlags(def, runFlags(size, seeds[0], all));
      } catch (e) {
        throw new Error(`${label(settings)}: ${(e as Error).message}`);
      }
    })();
    const runs = seeds.map((seed) => ({ id: runId(def.name, size, cfg, all.control, seed), seed }));
    return { settings, all, cfg, runs };
  });
  const runs = points.flatMap((p) => p.runs.map(({ id, seed }): SweepRun => ({ id, experiment: def.name, size, seed, settings: p.all, point: p.settings })));
  const twice = runs.find((r, i) => runs.findIndex((s) => s.id === r.id) !== i);
  if (twice) throw new Error(`two grid points make the same run (${label(twice.point)}, seed ${twice.seed}): leave one out`);
  return {
    name, def, size, seeds, set, grid: grid as Record<string, unknown[]>,
    points: points.map(({ settings, cfg, runs: pointRuns }) => ({ settings, cfg, runs: pointRuns })),
    runs,
  };
}

/** `seeds`: a count n (seeds 1 to n, as `run --seeds n`) or a list of seeds. */
function seedList(v: unknown): number[] {
  if (typeof v === 'number') {
    const n = intIn('seeds', 1, LIMITS.seeds)(String(v));
    return Array.from({ length: n }, (_, i) => i + 1);
  }
  if (!Array.isArray(v) || v.length === 0 || v.length > LIMITS.seeds) throw new Error(`seeds must be a count from 1 to ${LIMITS.seeds} or a list of seeds, got ${JSON.stringify(v)}`);
  const seeds = v.map((s, i) => intIn(`seeds[${i}]`, 0, LIMITS.seed)(numeric(s, `seeds[${i}]`)));
  const twice = seeds.find((s, i) => seeds.indexOf(s) !== i);
  if (twice !== undefined) throw new Error(`seeds lists ${twice} twice`);
  return seeds;
}

/** The grid's product, the first field varying slowest; one empty point for an empty grid. */
function gridPoints(grid: Record<string, unknown[]>): Record<string, unknown>[] {
  return Object.entries(grid).reduce<Record<string, unknown>[]>(
    (points, [key, values]) => points.flatMap((p) => values.map((v) => ({ ...p, [key]: v }))),
    [{}],
  );
}

/** A run's folder in a local sweep's DIR/runs or a worker's store. */
export const runFolder = (dir: string, run: Pick<SweepRun, 'id'>): string => join(dir, run.id);

/** `beta=0.0001 seed 2`: a run in messages. */
export const runLabel = (run: SweepRun): string => `${label(run.point)} seed ${run.seed}`;

/** `beta=0.0001 hidden=[16,16]`: a grid point in messages. */
export const label = (settings: Record<string, unknown>): string =>
  Object.entries(settings).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ') || 'the sweep';

/** Sweep settings split into `run`'s own options and its --config fields. */
function splitSettings(settings: Record<string, unknown>): { options: [string, unknown][]; config: string | undefined } {
  const options = Object.entries(settings).filter(([k]) => RUN_OPTIONS[k]);
  const config = Object.entries(settings).filter(([k]) => !RUN_OPTIONS[k]);
  return { options, config: config.length ? JSON.stringify(Object.fromEntries(config)) : undefined };
}

/** The `run` flags of a run with these sweep settings (the sweep's option names are RunFlags' own). */
function runFlags(size: Size, seed: number, settings: Record<string, unknown>): RunFlags {
  const { options, config } = splitSettings(settings);
  return { size, seed, seeds: 1, backend: 'cpu', ...Object.fromEntries(options), ...(config ? { config } : {}) };
}

/** The `maskscope run` arguments (after `run`) of a sweep run, into `folder`. */
export function runArgs(run: SweepRun, folder: string, backend: string): string[] {
  const { options, config } = splitSettings(run.settings);
  return [
    run.experiment, '--size', run.size, '--seed', String(run.seed), '--backend', backend, '--out', folder,
    ...options.flatMap(([k, v]) => [RUN_OPTIONS[k].flag, String(v)]),
    ...(config ? ['--config', config] : []),
  ];
}

/** JSON with every object's keys sorted: the same settings give the same text. */
const canonical = (v: unknown): string =>
  Array.isArray(v) ? `[${v.map(canonical).join(',')}]`
    : isObject(v) ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`
      : JSON.stringify(v);

/** A run's id: what decides its results (experiment, size, the resolved configuration, the control, the seed), hashed. */
function runId(experiment: string, size: Size, cfg: object, control: unknown, seed: number): string {
  return createHash('sha256').update(canonical({ experiment, size, config: cfg, control: control ?? null, seed })).digest('hex').slice(0, 16);
}
