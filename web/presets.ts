/**
 * The experiment sizes the web demo offers, as plain data (the page bundle carries no engine code):
 * `small` and `paper` are the CLI's configurations (`maskscope run addmul --size …`); `tiny` finishes in
 * well under a minute on SwiftShader (CI, ?autorun=1); `quick` learns both operations in a few minutes.
 * web/run.ts's configFor turns a preset into the full configuration.
 */
import type { ArithConfig, Size } from '../experiments/types.js';

export type PresetName = 'tiny' | 'quick' | 'small' | 'paper';

export interface Preset {
  label: string;
  /** One line on what to expect. */
  hint: string;
  /** The CLI size it starts from, and what it changes. */
  size: Size;
  overrides: Partial<ArithConfig>;
}

export const PRESETS: Record<PresetName, Preset> = {
  tiny: {
    label: 'tiny (smoke test)', size: 'small',
    hint: '42→32×2→20, 60 base steps, 20 per mask stage, batch 32: under a minute anywhere, but the net learns almost nothing.',
    overrides: { hidden: [32, 32], batch: 32, baseSteps: 60, maskSteps: 20, validSize: 400, evalBatch: 200 },
  },
  quick: {
    label: 'quick', size: 'small',
    hint: '42→256×3→20, 6,000 base steps, 3,000 per mask stage: + and × come out clearly apart; about 10 minutes on this page\'s CPU backend with 2 cores.',
    overrides: { hidden: [256, 256, 256], baseSteps: 6000, maskSteps: 3000 },
  },
  small: {
    label: 'small (CLI default)', size: 'small',
    hint: '42→256×4→20, 15,000 base steps, 3,000 per mask stage: the same numbers as `npx maskscope run addmul`.',
    overrides: {},
  },
  paper: {
    label: 'paper', size: 'paper',
    hint: '42→2000×4→20, 20,000 base steps and 20,000 per mask stage: hours, for a fast GPU only.',
    overrides: {},
  },
};

export const isPreset = (s: string | null): s is PresetName => s !== null && Object.hasOwn(PRESETS, s);
