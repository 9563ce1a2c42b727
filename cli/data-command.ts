/**
 * `maskscope data scan --split <split> --part <part> [--seed <n>]`: prints one part of a SCAN split,
 * generated from the grammar, in the official `IN: … OUT: …` text format.
 */
import { formatScan, isScanPart, isScanSplit, SCAN_PARTS, SCAN_SPLITS, scanSplit } from '../data/scan.js';

/**
 * The official text of one part of one split. `split` and `part` are checked (they come from the
 * command line): an unknown one throws an Error whose message names the choices. `seed` only changes
 * the `simple` split (a seeded random 80/20 draw; the official draw cannot be recomputed).
 */
export async function scanDataCommand(split: string, part: string, seed = 0): Promise<string> {
  if (!isScanSplit(split)) throw new Error(`unknown SCAN split '${split}' (choose one of: ${SCAN_SPLITS.join(', ')})`);
  if (!isScanPart(part)) throw new Error(`unknown SCAN part '${part}' (choose one of: ${SCAN_PARTS.join(', ')})`);
  return formatScan(scanSplit(split, part, seed));
}
