/**
 * What a report's numbers say, in sentences: the answer to the experiment's question, whether masking
 * alone kept the task, and whether the masks have converged. Every sentence is computed from the report,
 * so it can never claim what the numbers contradict.
 */
import { classLabel, specificClasses } from './class-removal.js';
import { transferFindings } from './transfer.js';
import type { ClassDrop, Histogram, Report } from './types.js';

const pct = (x: number): string => `${(x * 100).toFixed(1)}\u202f%`;

/** Keep probabilities between these count as undecided: the mask has not settled on keep or drop. */
export const UNDECIDED = [0.05, 0.95] as const;
/** Above this share of undecided logits a stage counts as not converged. */
export const CONVERGED_BELOW = 0.1;

/** Per stage, the share of logits whose keep probability σ(l) lies in [0.05, 0.95) (from the histogram bins). */
export function undecidedShare(h: Histogram): Record<string, number> {
  const inside = h.edges.slice(0, -1).map((lo, i) => lo >= UNDECIDED[0] - 1e-9 && h.edges[i + 1] <= UNDECIDED[1] + 1e-9);
  return Object.fromEntries(
    Object.entries(h.counts).map(([stage, counts]) => {
      const total = counts.reduce((s, c) => s + c, 0);
      const undecided = counts.reduce((s, c, i) => s + (inside[i] ? c : 0), 0);
      return [stage, total === 0 ? 0 : undecided / total];
    }),
  );
}

/** Stages whose masks have not converged, with their undecided share. */
export function unconverged(r: Report): [stage: string, share: number][] {
  if (!r.histogram) return [];
  return Object.entries(undecidedShare(r.histogram)).filter(([, share]) => share > CONVERGED_BELOW);
}

/** The warning a report shows when masks have not converged, or null. */
export function convergenceWarning(r: Report): string | null {
  const open = unconverged(r);
  if (open.length === 0) return null;
  const steps = r.config.maskSteps;
  const list = open.map(([s, share]) => `${s} ${pct(share)}`).join(', ');
  return `The masks have not converged${typeof steps === 'number' ? ` after ${steps.toLocaleString('en-US')} steps` : ''}: a share of the logits still has a keep probability between ${UNDECIDED[0]} and ${UNDECIDED[1]} (${list}). Kept counts and overlaps then depend on where the masks are cut (at probability 0.5); more mask steps (--steps) let them settle.`;
}

type Label = (key: string) => string;

/**
 * Sentences answering the experiment's question from the numbers; `compared` names the two task masks,
 * `label` turns a task or eval-set key into the word a reader sees (add → +).
 */
export function findings(r: Report, compared: readonly [string, string], label: Label = (k) => k): string[] {
  const answer = r.reuse ? transferFindings(r) : r.classRemoval ? classFindings(r, r.classRemoval) : r.tokenRemoved ? scanFindings(r) : pairFindings(r, compared, label);
  // Class removal's eval sets are classes: their names read better than class-<n>.
  return [...fullMaskFinding(r, r.classRemoval ? (k) => classLabel(r.config.dataset, k) : label), ...answer, ...settlingFinding(r, compared, label)];
}

/** A figure that moves by less than this over the last third of the mask steps counts as settled. */
const SETTLED_WITHIN = 0.01;

/** Have kept counts and total shared settled? How much they moved over the last third of the mask steps. */
function settlingFinding(r: Report, [a, b]: readonly [string, string], label: Label): string[] {
  const s = r.settling;
  if (!s || s.steps.length < 3) return [];
  const last = s.steps.length - 1;
  const from = s.steps.findIndex((n) => n >= (2 * s.steps[last]) / 3);
  if (from < 0 || from >= last) return [];
  const keptMove = Math.max(...Object.values(s.kept).map((k) => Math.abs(k[last] - k[from])));
  const sharedMove = Math.abs(s.shared[last] - s.shared[from]);
  const settled = keptMove < SETTLED_WITHIN && sharedMove < SETTLED_WITHIN;
  const steps = (n: number) => n.toLocaleString('en-US');
  return [
    `From mask step ${steps(s.steps[from])} to ${steps(s.steps[last])}, total shared (${label(a)} in ${label(b)}) went from ${pct(s.shared[from])} to ${pct(s.shared[last])} and no stage's kept share moved by more than ${(keptMove * 100).toFixed(1)} points: ${settled ? 'the figures have settled' : 'they are still moving, so a run with more steps per stage (--steps) would report other figures'}.`,
  ];
}

/** Does masking alone keep the task? The full mask against the unmasked net, per eval set. */
function fullMaskFinding(r: Report, label: Label): string[] {
  const none = r.accuracy.none;
  const full = r.accuracy.full;
  if (!none || !full) return [];
  const sets = Object.keys(none);
  const worst = Math.max(...sets.map((s) => none[s] - full[s]));
  const values = sets.map((s) => `${pct(full[s])} on ${label(s)} (unmasked ${pct(none[s])})`).join(', ');
  return [
    worst <= 0.03
      ? `Masking alone keeps the task: the full mask scores ${values}.`
      : `Masking alone costs accuracy: the full mask scores ${values}, up to ${(worst * 100).toFixed(1)} points below the unmasked net, so the other masks are compared against a weaker reference.`,
  ];
}

/** The arithmetic experiments: two task masks (+ and ×, or pair 1 and pair 2), each with its inverse. */
function pairFindings(r: Report, [a, b]: readonly [string, string], label: Label): string[] {
  const acc = r.accuracy;
  const [la, lb] = [label(a), label(b)];
  const none = acc.none;
  if (!none || !acc[a] || !acc[b] || none[a] === undefined || none[b] === undefined) return [];
  const ious = r.layers.map((l) => l.iou);
  const out = [
    `${pct(r.totalShared)} of the weights the ${la} mask keeps are also kept by the ${lb} mask (per-tensor IoU ${Math.min(...ious).toFixed(2)}–${Math.max(...ious).toFixed(2)}).`,
  ];
  for (const [x, y] of [[a, b], [b, a]]) {
    const [lx, ly] = [label(x), label(y)];
    out.push(`The ${lx} mask alone scores ${pct(acc[x][x])} on ${lx} and ${pct(acc[x][y])} on ${ly}.`);
    const inverse = acc[`not_${x}`];
    if (!inverse) continue;
    const breaksOwn = inverse[x] < 0.5 * none[x];
    const breaksOther = inverse[y] < 0.5 * none[y];
    const verdict = breaksOwn && !breaksOther
      ? `removing them breaks ${lx} and leaves ${ly} standing: those weights are specific to ${lx}`
      : breaksOwn && breaksOther
        ? `removing them breaks both: ${lx} and ${ly} share weights that both need`
        : !breaksOwn && breaksOther
          ? `removing them breaks ${ly} but not ${lx}`
          : 'removing them breaks neither';
    out.push(`Without the ${lx} mask's weights (¬${lx}): ${pct(inverse[x])} on ${lx} and ${pct(inverse[y])} on ${ly} — ${verdict}.`);
  }
  return out;
}

/** Class removal: does a mask trained without class c lose class c and (nearly) only class c? */
function classFindings(r: Report, drops: Record<string, ClassDrop>): string[] {
  const name = (k: string) => classLabel(r.config.dataset, k);
  const classes = Object.keys(drops);
  if (classes.length === 0) return [];
  const specific = specificClasses(drops);
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)];
  const out = [
    `Removing a class's weights: the removed class loses a median ${pct(median(classes.map((c) => drops[c].removedDrop)))} of its full-mask accuracy, the worst-hit other class a median ${pct(median(classes.map((c) => drops[c].worstOtherDrop)))}.`,
    `For ${specific.length} of ${classes.length} classes the removed class drops by at least 25 % and at least twice as much as any other class${specific.length ? ` (${specific.map(name).join(', ')})` : ''}: ${specific.length >= classes.length / 2 ? 'most classes have weights of their own' : 'most classes do not show weights of their own at this size'}.`,
  ];
  const rest = classes.filter((c) => !specific.includes(c));
  if (rest.length > 0 && specific.length > 0) {
    out.push(`Not so for ${rest.map((c) => `${name(c)} (own ${pct(drops[c].removedDrop)}, ${name(drops[c].worstOtherClass)} ${pct(drops[c].worstOtherDrop)})`).join(', ')}.`);
  }
  return out;
}

/** SCAN: does each split mask fail on its own split's test set, where the full mask solves it? */
function scanFindings(r: Report): string[] {
  const full = r.accuracy.full;
  if (!full) return [];
  const out: string[] = [];
  for (const mask of Object.keys(r.accuracy).filter((m) => m !== 'none' && m !== 'full')) {
    const split = Object.keys(full).find((s) => s === mask || s.endsWith(`_${mask}`));
    if (!split) continue;
    const own = r.accuracy[mask][split];
    const verdict = full[split] < 0.5 ? 'the full mask does not solve this split either' : own < 0.5 * full[split] ? 'it fails where the full mask succeeds' : 'it does not fail there';
    out.push(`The ${mask} mask scores ${pct(own)} on the ${split} test set, the full mask ${pct(full[split])}: ${verdict}.`);
  }
  const tokens = Object.entries(r.tokenRemoved ?? {}).sort((x, y) => y[1] - x[1]);
  if (tokens.length > 1) {
    out.push(`Of the decoder's output rows, ${tokens[0][0]} loses the most of the weights the full mask keeps when the jump mask is applied (${tokens[0][1].toFixed(1)}\u202f%; next ${tokens[1][0]} ${tokens[1][1].toFixed(1)}\u202f%).`);
  }
  return out;
}
