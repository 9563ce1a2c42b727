/**
 * SCAN (Lake & Baroni 2018; docs/experiments.md#scan), generated from its grammar (./scan-grammar.ts) with no
 * download, with the four splits of the official release and the vocabularies a seq2seq model needs.
 *
 * How the official splits are built (checked line for line against the official files in the tests):
 *   simple             a random 80/20 split of the 20,910 commands: 16,728 train / 4,182 test. The
 *                      official draw cannot be recomputed, so `scanSplit('simple', …)` makes its own
 *                      seeded draw of the same sizes: a different command set from the official one.
 *   length             train: the commands whose output has at most 22 actions (16,990); test: the
 *                      others, 24 to 48 actions (3,920; no command has exactly 23).
 *   addprim_jump       test: every command that uses `jump`, except the bare command `jump` (7,706).
 *                      train: every command without `jump` (13,203) plus the bare `jump` repeated
 *                      13,203 / 9 = 1,467 times, so that it is 10 % of the train lines (14,670 lines,
 *                      13,204 distinct).
 *   addprim_turn_left  test: every command that contains the phrase `turn left`, except the bare
 *                      command `turn left` (1,208; `turn opposite left` and `turn around left` do not
 *                      contain the phrase and stay in train). train: the other 19,701 commands plus
 *                      the bare `turn left` repeated 19,701 / 9 = 2,189 times (21,890 lines, 19,702
 *                      distinct); this is why 21,890 + 1,208 ≠ 20,910.
 * The official files list their lines in a random order; ours come in grammar order (the addprim
 * train sets carry one copy of the primitive after every 9 other commands). Shuffle before iterating
 * in order.
 */
import { randomBits, streamKeys } from '../engine/random.js';
import { allCommands, SCAN_ACTIONS, SCAN_WORDS } from './scan-grammar.js';

export { SCAN_ACTIONS, SCAN_WORDS, SCAN_PRIMITIVES, SCAN_DIRECTIONS } from './scan-grammar.js';
export type { ScanAction, ScanWord, ScanPrimitive, ScanDirection } from './scan-grammar.js';

/** One SCAN example: a command and its actions, each a space-separated string as in the official files. */
export interface ScanPair {
  command: string;
  actions: string;
}

export const SCAN_SPLITS = ['simple', 'length', 'addprim_jump', 'addprim_turn_left'] as const;
export type ScanSplit = (typeof SCAN_SPLITS)[number];
export const SCAN_PARTS = ['train', 'test'] as const;
export type ScanPart = (typeof SCAN_PARTS)[number];

export const isScanSplit = (s: string): s is ScanSplit => (SCAN_SPLITS as readonly string[]).includes(s);
export const isScanPart = (s: string): s is ScanPart => (SCAN_PARTS as readonly string[]).includes(s);

/** Number of distinct SCAN commands. */
export const SCAN_SIZE = 20_910;
/** The longest command has 9 words (`walk opposite left thrice and walk opposite left thrice`). */
export const SCAN_MAX_COMMAND_WORDS = 9;
/** The longest output has 48 actions (`… around … thrice and/after … around … thrice`). */
export const SCAN_MAX_ACTIONS = 48;
/** The length split's train set holds the outputs of at most this many actions. */
export const LENGTH_SPLIT_MAX_TRAIN_ACTIONS = 22;

let cached: readonly ScanPair[] | null = null;

/** All 20,910 commands with their actions, in the grammar's deterministic order. */
export function scanCommands(): ScanPair[] {
  cached ??= allCommands().map((p) => Object.freeze({ command: p.words, actions: p.actions.join(' ') }));
  return cached.slice();
}

const actionCount = (p: ScanPair): number => p.actions.split(' ').length;

/** Whether the command's words contain `phrase` (space-separated words) as consecutive words. */
function containsPhrase(command: string, phrase: string): boolean {
  return ` ${command} `.includes(` ${phrase} `);
}

/** Random stream of the simple split's draw, keyed apart from the other data streams. */
const SIMPLE_SPLIT_STREAM = 0x5ca0;

/**
 * The simple split: a seeded random 80/20 split. Each command gets the key randomBits(seed, index) (a
 * bijection of the index, so no ties); the 4,182 commands with the smallest keys form the test set.
 * The same seed gives the same split; the official random split is a different draw of the same sizes.
 */
function simpleSplit(part: ScanPart, seed: number): ScanPair[] {
  const all = scanCommands();
  const keys = streamKeys(seed, SIMPLE_SPLIT_STREAM);
  const key = Uint32Array.from(all, (_, i) => randomBits(keys, i));
  const order = all.map((_, i) => i).sort((i, j) => key[i] - key[j]);
  const testSize = Math.round(all.length / 5); // 4,182; train 16,728
  const inTest = new Uint8Array(all.length);
  for (const i of order.slice(0, testSize)) inTest[i] = 1;
  return all.filter((_, i) => (inTest[i] === 1) === (part === 'test'));
}

/**
 * An "add primitive" split: test holds every command that contains `primitive` except the bare
 * command; train holds the others plus the bare command repeated so that it is 10 % of the train
 * lines (the others' count is a multiple of 9 for both official splits), one copy after every 9.
 */
function addPrimitiveSplit(primitive: string, part: ScanPart): ScanPair[] {
  const all = scanCommands();
  const bare = all.find((p) => p.command === primitive);
  if (!bare) throw new Error(`internal: '${primitive}' is not a SCAN command`);
  const uses = (p: ScanPair): boolean => p !== bare && containsPhrase(p.command, primitive);
  if (part === 'test') return all.filter(uses);
  const others = all.filter((p) => p !== bare && !uses(p));
  const copies = Math.round(others.length / 9);
  const train: ScanPair[] = [];
  others.forEach((p, i) => {
    train.push(p);
    if ((i + 1) % 9 === 0 && train.length - (i + 1) < copies) train.push(bare);
  });
  while (train.length < others.length + copies) train.push(bare);
  return train;
}

/**
 * One part of one SCAN split. `length`, `addprim_jump` and `addprim_turn_left` equal the official
 * files as multisets of lines; `simple` is a seeded draw (default seed 0) with the official sizes
 * (16,728 / 4,182) but, necessarily, not the official command sets. `seed` only affects `simple`.
 */
export function scanSplit(split: ScanSplit, part: ScanPart, seed = 0): ScanPair[] {
  if (!isScanPart(part)) throw new Error(`unknown SCAN part '${String(part)}' (choose one of: ${SCAN_PARTS.join(', ')})`);
  if (!Number.isInteger(seed)) throw new RangeError(`the SCAN split seed must be an integer, got ${seed}`);
  switch (split) {
    case 'simple':
      return simpleSplit(part, seed);
    case 'length':
      return scanCommands().filter((p) => (actionCount(p) <= LENGTH_SPLIT_MAX_TRAIN_ACTIONS) === (part === 'train'));
    case 'addprim_jump':
      return addPrimitiveSplit('jump', part);
    case 'addprim_turn_left':
      return addPrimitiveSplit('turn left', part);
    default:
      throw new Error(`unknown SCAN split '${String(split)}' (choose one of: ${SCAN_SPLITS.join(', ')})`);
  }
}

/** The official text format: one `IN: <command> OUT: <actions>` line per pair, each ending in a newline. */
export function formatScan(pairs: readonly ScanPair[]): string {
  return pairs.map((p) => `IN: ${p.command} OUT: ${p.actions}\n`).join('');
}

const LINE = /^IN:\s+(.*?)\s+OUT:\s+(.*?)\s*$/;

/** Reads the official text format (blank lines and CRLF line ends are accepted); throws on other lines. */
export function parseScan(text: string): ScanPair[] {
  const pairs: ScanPair[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const m = LINE.exec(line);
    if (!m || m[1] === '' || m[2] === '') {
      throw new Error(`SCAN line ${i + 1}: expected 'IN: <command> OUT: <actions>', got '${line.length > 80 ? line.slice(0, 80) + '…' : line}'`);
    }
    pairs.push({ command: m[1].split(/\s+/).join(' '), actions: m[2].split(/\s+/).join(' ') });
  });
  return pairs;
}

// ---------------------------------------------------------------------------------------------------
// Vocabularies and token ids for seq2seq models.

/** Special token ids, shared by the input and output vocabularies. */
export const PAD = 0;
export const SOS = 1;
export const EOS = 2;
export const SPECIAL_TOKENS = ['<pad>', '<sos>', '<eos>'] as const;

export interface ScanTokenVocab {
  /** Token of each id: the 3 special tokens, then the words (input) or actions (output). */
  tokens: readonly string[];
  /** Number of ids (16 for the input, 9 for the output). */
  size: number;
  /** Id of a token; throws on an unknown token. */
  id(token: string): number;
  /** Ids of a space-separated string, optionally with SOS before and EOS after. */
  encode(text: string, options?: { sos?: boolean; eos?: boolean }): number[];
  /** The string of ids: stops at the first EOS, skips PAD and SOS; throws on an id out of range. */
  decode(ids: ArrayLike<number>): string;
}

export interface ScanVocab {
  pad: typeof PAD;
  sos: typeof SOS;
  eos: typeof EOS;
  /** Command words: ids 3–15 are the 13 words of SCAN_WORDS in order. */
  input: ScanTokenVocab;
  /** Actions: ids 3–8 are the 6 actions of SCAN_ACTIONS in order. */
  output: ScanTokenVocab;
  /** Longest command in words and longest output in actions (add 1 or 2 for SOS / EOS). */
  maxInputLength: number;
  maxOutputLength: number;
}

function tokenVocab(words: readonly string[], what: string): ScanTokenVocab {
  const tokens = Object.freeze([...SPECIAL_TOKENS, ...words]);
  const ids = new Map(tokens.map((t, i) => [t, i]));
  const id = (token: string): number => {
    const i = ids.get(token);
    if (i === undefined) throw new Error(`unknown SCAN ${what} token '${token}'`);
    return i;
  };
  return {
    tokens,
    size: tokens.length,
    id,
    encode(text, options = {}) {
      const out = text.split(' ').filter((w) => w !== '').map(id);
      if (options.sos) out.unshift(SOS);
      if (options.eos) out.push(EOS);
      return out;
    },
    decode(idList) {
      const words: string[] = [];
      for (let k = 0; k < idList.length; k++) {
        const i = idList[k];
        if (!Number.isInteger(i) || i < 0 || i >= tokens.length) throw new Error(`SCAN ${what} id ${i} out of range [0, ${tokens.length})`);
        if (i === EOS) break;
        if (i !== PAD && i !== SOS) words.push(tokens[i]);
      }
      return words.join(' ');
    },
  };
}

/** The input (13 words) and output (6 actions) vocabularies with PAD = 0, SOS = 1, EOS = 2. */
export function scanVocab(): ScanVocab {
  return {
    pad: PAD,
    sos: SOS,
    eos: EOS,
    input: tokenVocab(SCAN_WORDS, 'input'),
    output: tokenVocab(SCAN_ACTIONS, 'output'),
    maxInputLength: SCAN_MAX_COMMAND_WORDS,
    maxOutputLength: SCAN_MAX_ACTIONS,
  };
}
