/**
 * The settings that produced a checkpoint or a seed's result (Node runner, experiments/runner.ts). Every
 * phase checkpoint and every seed-N/result.json records them; a later run that finds other settings in a
 * folder is refused with the fields that differ, so results of two configurations never mix.
 */
import type { BaseConfig } from './types.js';

export interface RunSettings {
  experiment: string;
  /** The resolved configuration (--size, --beta, --steps, --config, … applied). */
  config: BaseConfig;
  /** The base network's weights file (--weights): where it was and its SHA-256, which is what counts. */
  weights: { file: string; sha256: string } | null;
  /** double-add: --control. */
  control: string | null;
  seed: number;
}

/** Configuration fields only the mask stages read: the base network does not depend on them. */
const MASK_ONLY: readonly string[] = ['beta', 'maskSteps', 'maskLr', 'maskClip', 'samples', 'authorsClip'];

/**
 * What a phase depends on: a mask stage on everything, the base network on neither the mask stages'
 * fields nor the control (its checkpoint holds the network before the control's change), so a β sweep
 * shares the main run's base network.
 */
export function phaseSettings(s: RunSettings, phase: string): Partial<RunSettings> {
  if (phase !== 'base') return s;
  const config = Object.fromEntries(Object.entries(s.config).filter(([k]) => !MASK_ONLY.includes(k))) as BaseConfig;
  return { experiment: s.experiment, config, weights: s.weights, seed: s.seed };
}

/** The settings of a sweep point's runs (experiments/sweep.ts): β or every hidden width replaced. */
export function sweepSettings(s: RunSettings, kind: 'beta' | 'width', value: number): RunSettings {
  const config = kind === 'beta' ? { ...s.config, beta: value } : { ...s.config, hidden: s.config.hidden.map(() => value) };
  return { ...s, config };
}

/** A folder holds results of other settings than this run's. */
export class SettingsMismatchError extends Error {
  override name = 'SettingsMismatchError';
}

const show = (v: unknown): string => {
  if (v === undefined) return 'unset';
  if (v === null) return 'none';
  if (typeof v === 'object' && 'sha256' in v && 'file' in v) return `${String(v.file)} (sha256 ${String(v.sha256).slice(0, 12)})`;
  return typeof v === 'string' ? v : JSON.stringify(v);
};

/** Field by field, "beta: folder 0.0001, this run 0.01"; configuration fields by their own name. Empty when equal. */
export function settingsDiff(folder: Partial<RunSettings>, run: Partial<RunSettings>): string[] {
  const flat = (s: Partial<RunSettings>): Map<string, unknown> => {
    const m = new Map<string, unknown>();
    for (const [k, v] of Object.entries(s)) {
      if (k === 'config' && v && typeof v === 'object') Object.entries(v).forEach(([ck, cv]) => m.set(ck, cv));
      else m.set(k, v);
    }
    return m;
  };
  const a = flat(folder);
  const b = flat(run);
  const same = (x: unknown, y: unknown, key: string): boolean =>
    key === 'weights' && x && y ? (x as { sha256: string }).sha256 === (y as { sha256: string }).sha256 : JSON.stringify(x) === JSON.stringify(y);
  return [...new Set([...b.keys(), ...a.keys()])]
    .filter((k) => !same(a.get(k), b.get(k), k))
    .map((k) => `${k}: folder ${show(a.get(k))}, this run ${show(b.get(k))}`);
}

/**
 * Checks one record's settings against what this run expects; throws a SettingsMismatchError naming `what`
 * and the fields that differ. `recorded` undefined: a record of maskscope 0.1, which kept no settings —
 * accepted only when the caller vouches for it (`trustUnrecorded`: the folder's run.json matches).
 */
export function checkRecorded(what: string, recorded: Partial<RunSettings> | undefined, expected: Partial<RunSettings>, trustUnrecorded: boolean): void {
  if (recorded === undefined) {
    if (trustUnrecorded) return;
    throw new SettingsMismatchError(
      `${what} records no settings (written by maskscope 0.1) and the folder's run.json does not match this run; delete it or choose another --out`,
    );
  }
  const diff = settingsDiff(recorded, expected);
  if (diff.length) throw new SettingsMismatchError(`${what} was made with other settings (${diff.join('; ')}); choose another --out or delete it`);
}
