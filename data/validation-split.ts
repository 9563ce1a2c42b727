/**
 * The authors' validation set: a seeded hold-out (20 % by default) of the train split. The permutation
 * comes from the project's counter-based generator (engine/random.ts), so the split is a pure function of
 * (seed, train size, fraction) and repeats across runs and machines.
 */
import { seededPermutation } from './permutation.js';
import { selectRows, type ImageSet, type ImageSplit } from './image-split.js';

/** Stream of the hold-out permutation: apart from the engine's tensor streams and data/arithmetic.ts's. */
const VALIDATION_STREAM = 0x7a21;

/** Rows of a train split of `count` rows that stay in train and that are held out, each ascending. */
export function validationRows(count: number, seed: number, fraction = 0.2): { train: Int32Array; valid: Int32Array } {
  if (!(fraction > 0 && fraction < 1)) throw new Error(`validation fraction must be in (0, 1), got ${fraction}`);
  const held = Math.round(count * fraction);
  if (held === 0 || held === count) throw new Error(`a ${fraction} hold-out of ${count} rows leaves one side empty`);
  const order = seededPermutation(count, seed, VALIDATION_STREAM);
  return { valid: order.slice(0, held).sort(), train: order.slice(held).sort() };
}

/** The set with `fraction` of its train rows moved to `valid` (rows keep their original order). */
export function splitValidation<S extends ImageSet>(set: S, seed: number, fraction = 0.2): S & { valid: ImageSplit } {
  const rows = validationRows(set.train.shape[0], seed, fraction);
  return { ...set, train: selectRows(set.train, rows.train), valid: selectRows(set.train, rows.valid) };
}
