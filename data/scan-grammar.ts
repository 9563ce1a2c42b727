/**
 * The SCAN grammar (Lake & Baroni 2018, "Generalization without Systematicity", ICML): a small
 * phrase-structure grammar whose commands map to action sequences by a compositional interpretation.
 * It generates exactly 20,910 distinct commands, the whole of the official `tasks.txt`.
 *
 * Productions (the paper's grammar, with its "D" and "V" rules spelled out; x ranges over the
 * interpretation of the phrase it names):
 *
 *   C → S                 [[S]]
 *   C → S1 and S2         [[S1]] [[S2]]
 *   C → S1 after S2       [[S2]] [[S1]]           (the second clause is done first)
 *   S → V                 [[V]]
 *   S → V twice           [[V]] [[V]]
 *   S → V thrice          [[V]] [[V]] [[V]]
 *   V → U                 [[U]]                   walk → I_WALK
 *   V → A Dir             TURN [[A]]              walk left → I_TURN_LEFT I_WALK
 *   V → A opposite Dir    TURN TURN [[A]]         walk opposite left → I_TURN_LEFT I_TURN_LEFT I_WALK
 *   V → A around Dir      (TURN [[A]]) × 4        walk around left → (I_TURN_LEFT I_WALK) × 4
 *   A → U | turn          [[turn]] is empty: turn left → I_TURN_LEFT, turn opposite left →
 *                         I_TURN_LEFT I_TURN_LEFT, turn around left → I_TURN_LEFT × 4
 *   U → walk | look | run | jump               → I_WALK | I_LOOK | I_RUN | I_JUMP
 *   Dir → left | right                         (TURN = I_TURN_LEFT | I_TURN_RIGHT)
 *
 * Bare `turn` is not a command (turn needs a direction). Counts: V has 4 + 5·2·3 = 34 phrases, S has
 * 34·3 = 102, C has 102 + 2·102² = 20,910. Outputs are 1 to 48 actions long.
 *
 * Order: the enumeration is deterministic: C → S first (in S order), then every `S1 and S2`, then every
 * `S1 after S2` (S1 outer, S2 inner); S varies V slowest, then ∅ / twice / thrice; V follows the list
 * above (primitives, then for each verb walk, look, run, jump, turn and each direction: plain,
 * opposite, around). The official files list the same commands in a random order.
 */

/** The primitive verbs U and the action each one denotes. */
export const SCAN_PRIMITIVES = ['walk', 'look', 'run', 'jump'] as const;
export type ScanPrimitive = (typeof SCAN_PRIMITIVES)[number];

export const SCAN_DIRECTIONS = ['left', 'right'] as const;
export type ScanDirection = (typeof SCAN_DIRECTIONS)[number];

/** The 13 input words, in a fixed order (used for token ids). */
export const SCAN_WORDS = [
  'walk', 'look', 'run', 'jump', 'turn', 'left', 'right', 'opposite', 'around', 'twice', 'thrice', 'and', 'after',
] as const;
export type ScanWord = (typeof SCAN_WORDS)[number];

/** The 6 output actions, spelled as in the official files. */
export const SCAN_ACTIONS = ['I_WALK', 'I_LOOK', 'I_RUN', 'I_JUMP', 'I_TURN_LEFT', 'I_TURN_RIGHT'] as const;
export type ScanAction = (typeof SCAN_ACTIONS)[number];

const PRIMITIVE_ACTION: Record<ScanPrimitive, ScanAction> = {
  walk: 'I_WALK',
  look: 'I_LOOK',
  run: 'I_RUN',
  jump: 'I_JUMP',
};
const TURN_ACTION: Record<ScanDirection, ScanAction> = { left: 'I_TURN_LEFT', right: 'I_TURN_RIGHT' };

/** A phrase of the grammar: its words and its interpretation. */
export interface ScanPhrase {
  words: string;
  actions: readonly ScanAction[];
}

const repeat = <T>(xs: readonly T[], n: number): T[] => Array.from({ length: n }, () => xs).flat();

/** V: the 34 verb phrases (a primitive alone, or a primitive / `turn` with a direction). */
export function verbPhrases(): ScanPhrase[] {
  const out: ScanPhrase[] = [];
  // V → U
  for (const u of SCAN_PRIMITIVES) out.push({ words: u, actions: [PRIMITIVE_ACTION[u]] });
  // V → A Dir | A opposite Dir | A around Dir, with A → U | turn ([[turn]] is the empty sequence)
  for (const verb of [...SCAN_PRIMITIVES, 'turn'] as const) {
    const act: ScanAction[] = verb === 'turn' ? [] : [PRIMITIVE_ACTION[verb]];
    for (const dir of SCAN_DIRECTIONS) {
      const turn = TURN_ACTION[dir];
      out.push({ words: `${verb} ${dir}`, actions: [turn, ...act] });
      out.push({ words: `${verb} opposite ${dir}`, actions: [turn, turn, ...act] });
      out.push({ words: `${verb} around ${dir}`, actions: repeat([turn, ...act], 4) });
    }
  }
  return out;
}

/** S: the 102 simple commands, V alone or repeated twice or thrice. */
export function simpleCommands(): ScanPhrase[] {
  const out: ScanPhrase[] = [];
  for (const v of verbPhrases()) {
    out.push(v); // S → V
    out.push({ words: `${v.words} twice`, actions: repeat(v.actions, 2) }); // S → V twice
    out.push({ words: `${v.words} thrice`, actions: repeat(v.actions, 3) }); // S → V thrice
  }
  return out;
}

/** C: all 20,910 commands of SCAN, in the deterministic order described above. */
export function allCommands(): ScanPhrase[] {
  const s = simpleCommands();
  const out: ScanPhrase[] = [...s]; // C → S
  // C → S1 and S2: do S1, then S2
  for (const a of s) for (const b of s) out.push({ words: `${a.words} and ${b.words}`, actions: [...a.actions, ...b.actions] });
  // C → S1 after S2: do S2, then S1
  for (const a of s) for (const b of s) out.push({ words: `${a.words} after ${b.words}`, actions: [...b.actions, ...a.actions] });
  return out;
}
