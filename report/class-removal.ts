/**
 * Class removal figures from a report's accuracy table: for each class stage (class-c, a mask trained
 * without class c), how much class c and the other classes lose against the full mask, as relative drops
 * (ref − new) / ref — the measure the paper plots per class.
 */
import type { ClassDrop } from './types.js';

/** The class stages of an accuracy table: masks named class-<n> that are also eval sets. */
function classStages(accuracy: Record<string, Record<string, number>>): string[] {
  const full = accuracy.full ?? {};
  return Object.keys(accuracy).filter((m) => /^class-\d+$/.test(m) && m in full);
}

/** (ref − new) / ref; a class the full mask never recognises (ref 0) has no drop to speak of. */
const relativeDrop = (ref: number, now: number): number => (ref > 0 ? (ref - now) / ref : 0);

/** Per removed class, its own relative drop and the largest relative drop of any other class. */
export function classRemovalDrops(accuracy: Record<string, Record<string, number>>): Record<string, ClassDrop> {
  const full = accuracy.full;
  const drops: Record<string, ClassDrop> = {};
  for (const removed of classStages(accuracy)) {
    const row = accuracy[removed];
    const others = Object.keys(full).filter((c) => c !== removed);
    let worstOtherClass = others[0];
    for (const c of others) if (relativeDrop(full[c], row[c]) > relativeDrop(full[worstOtherClass], row[worstOtherClass])) worstOtherClass = c;
    drops[removed] = {
      removedDrop: relativeDrop(full[removed], row[removed]),
      worstOtherDrop: relativeDrop(full[worstOtherClass], row[worstOtherClass]),
      worstOtherClass,
    };
  }
  return drops;
}

/** Classes whose removal hits them far harder than any other class: own drop ≥ 2× the worst other and ≥ 0.25. */
export function specificClasses(drops: Record<string, ClassDrop>): string[] {
  return Object.entries(drops).filter(([, d]) => d.removedDrop >= 0.25 && d.removedDrop >= 2 * Math.max(d.worstOtherDrop, 0)).map(([c]) => c);
}

const CLASS_NAMES: Record<string, readonly string[]> = {
  'fashion-mnist': ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
  cifar10: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'],
};

/** class-3 → "Dress" for Fashion-MNIST (the run's config.dataset), "3" for MNIST or an unknown set. */
export function classLabel(dataset: unknown, key: string): string {
  const index = Number(key.replace(/^class-/, ''));
  return CLASS_NAMES[String(dataset)]?.[index] ?? String(index);
}
