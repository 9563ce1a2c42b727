/**
 * Statistics of binary masks (docs/method.md#metrics): masks are 1[l > 0] per weight tensor, given as one
 * Uint8Array per tensor in a fixed order. Counts are per tensor and summed where a total is asked for.
 */

export type HostMask = readonly Uint8Array[];

const count = (m: Uint8Array): number => m.reduce((s, v) => s + v, 0);

function intersection(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) n += a[i] & b[i];
  return n;
}

/** Weights kept per tensor. */
export const keptCounts = (mask: HostMask): number[] => mask.map(count);

/** |A∩B| / |A∪B| per tensor (0 when both are empty). */
export function iouPerLayer(a: HostMask, b: HostMask): number[] {
  return a.map((ma, i) => {
    const inter = intersection(ma, b[i]);
    const union = count(ma) + count(b[i]) - inter;
    return union === 0 ? 0 : inter / union;
  });
}

/** |A∩B| / min(|A|, |B|) per tensor (0 when either is empty). */
export function iominPerLayer(a: HostMask, b: HostMask): number[] {
  return a.map((ma, i) => {
    const smaller = Math.min(count(ma), count(b[i]));
    return smaller === 0 ? 0 : intersection(ma, b[i]) / smaller;
  });
}

/** Σ|A∩B| / Σ|A| over all tensors: how much of A's mask B shares (docs/method.md#metrics: total shared(+, ×)). */
export function totalShared(a: HostMask, b: HostMask): number {
  const kept = a.reduce((s, m) => s + count(m), 0);
  const inter = a.reduce((s, m, i) => s + intersection(m, b[i]), 0);
  return kept === 0 ? 0 : inter / kept;
}

/** For each mask i: |M_i ∩ ∪_{j≠i} M_j| / |M_i|, summed over tensors. */
export function sharedFractions(masks: Record<string, HostMask>): Record<string, number> {
  const names = Object.keys(masks);
  return Object.fromEntries(
    names.map((name) => {
      const own = masks[name];
      let kept = 0;
      let shared = 0;
      own.forEach((m, t) => {
        for (let i = 0; i < m.length; i++) {
          if (!m[i]) continue;
          kept++;
          if (names.some((other) => other !== name && masks[other][t][i])) shared++;
        }
      });
      return [name, kept === 0 ? 0 : shared / kept];
    }),
  );
}

/** Histogram of keep probabilities σ(l) over all logits, `bins` equal bins on [0, 1]. */
export function probabilityHistogram(logits: readonly ArrayLike<number>[], bins = 20): { edges: number[]; counts: number[] } {
  const counts = new Array<number>(bins).fill(0);
  for (const layer of logits) {
    for (let i = 0; i < layer.length; i++) {
      const p = 1 / (1 + Math.exp(-layer[i]));
      counts[Math.min(bins - 1, Math.floor(p * bins))]++;
    }
  }
  return { edges: Array.from({ length: bins + 1 }, (_, i) => i / bins), counts };
}

/** Mean and (population) standard deviation. */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(variance) };
}
