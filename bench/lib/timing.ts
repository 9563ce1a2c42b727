/**
 * The timing loop. A runner starts one operation per `step` (on a GPU: records it) and `sync` waits until
 * all of them finished; a batch is N steps then one sync, so GPU work is timed end to end.
 */
import { BudgetSpent, budgetSpent } from './deadline.js';

export interface Runner {
  step(): void;
  sync(): Promise<void>;
}

export interface TimingOptions {
  /** Each timed batch runs for about this long, unless one step alone takes longer... */
  minSeconds: number;
  /** ...or it reaches this many steps. */
  maxIters: number;
  /** Timed batches per runner; the best counts. */
  rounds: number;
  /** Warm-up steps at least (default 1), unless one step takes over a second. */
  warmUpSteps?: number;
}

async function batch(r: Runner, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) r.step();
  await r.sync();
  return (performance.now() - t0) / 1000 / n;
}

/**
 * Warm-up (pipeline compilation, JIT): one step, then ~50 ms more when that was quick, and at least
 * `minSteps` in all when a step takes under a second. Returns seconds per step.
 */
async function warmUp(r: Runner, minSteps = 1): Promise<number> {
  const first = await batch(r, 1);
  const more = Math.max(first < 0.05 ? Math.ceil(0.05 / first) : 0, first < 1 ? minSteps - 1 : 0);
  return more > 0 ? batch(r, more) : first;
}

/**
 * Seconds per step of each runner, best of `rounds`. The runners take turns batch by batch, so a change
 * in machine load (other processes, a shared CPU) hits all of them alike. Under a time budget
 * (lib/deadline.ts) a spent budget throws BudgetSpent before the warm-up and ends the rounds after the first.
 */
export async function secondsPerStep(runners: Runner[], opts: TimingOptions): Promise<number[]> {
  if (budgetSpent()) throw new BudgetSpent();
  const estimate: number[] = [];
  for (const r of runners) estimate.push(await warmUp(r, opts.warmUpSteps));
  const best = runners.map(() => Infinity);
  for (let round = 0; round < opts.rounds && !(round > 0 && budgetSpent()); round++) {
    for (const [i, r] of runners.entries()) {
      const n = Math.max(1, Math.min(opts.maxIters, Math.ceil(opts.minSeconds / Math.max(estimate[i], 1e-7))));
      estimate[i] = await batch(r, n);
      best[i] = Math.min(best[i], estimate[i]);
    }
  }
  return best;
}

/** A runner whose step returns a scalar loss; sync reads the last one (which waits for a GPU's queue). */
export function readingRunner(step: () => { read(): Promise<unknown>; dispose(): void }): Runner {
  let last: ReturnType<typeof step> | null = null;
  return {
    step: () => {
      last?.dispose();
      last = step();
    },
    sync: async () => {
      await last?.read();
      last?.dispose();
      last = null;
    },
  };
}
