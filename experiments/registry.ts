/** The experiments the CLI can run, by name or alias. */
import { addmulMlp } from './addmul.js';
import { doubleAddMlp } from './double-add.js';
import { addmulLstm, doubleAddLstm } from './arith-lstm.js';
import { scanLstm } from './scan-lstm.js';
import { scanTransformer } from './scan-transformer.js';
import { cnnClassRemoval } from './class-removal.js';
import { permutedTransfer } from './permuted-transfer.js';
import type { AnyExperiment } from './types.js';

export const EXPERIMENTS: readonly AnyExperiment[] = [addmulMlp, doubleAddMlp, addmulLstm, doubleAddLstm, scanLstm, scanTransformer, cnnClassRemoval, permutedTransfer];

export function findExperiment(name: string): AnyExperiment | undefined {
  return EXPERIMENTS.find((e) => e.name === name || e.aliases.includes(name));
}
