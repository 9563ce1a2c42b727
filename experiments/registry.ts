/** The experiments the CLI can run, by name or alias. */
import { addmulMlp } from './addmul.js';
import { doubleAddMlp } from './double-add.js';
import type { ExperimentDef } from './types.js';

export const EXPERIMENTS: readonly ExperimentDef[] = [addmulMlp, doubleAddMlp];

export function findExperiment(name: string): ExperimentDef | undefined {
  return EXPERIMENTS.find((e) => e.name === name || e.aliases.includes(name));
}
