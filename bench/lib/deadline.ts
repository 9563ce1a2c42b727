/**
 * A time budget for the benchmark running now, set by a driver (bench/gpu-check.ts) that must fit several
 * benchmarks into one lease of a GPU: the timing loop starts no case once it is spent and cuts a case's
 * rounds short, and a PyTorch peer gets at most half of what is left. Without a budget nothing changes.
 */

/** Thrown by the timing loop when a case would start after the budget is spent. */
export class BudgetSpent extends Error {
  constructor() {
    super('time budget spent: the remaining cases were skipped');
  }
}

let deadline: number | null = null;

/** Sets the budget to `seconds` from now, or removes it (null). */
export function setBudget(seconds: number | null): void {
  deadline = seconds === null ? null : performance.now() + seconds * 1e3;
}

/** Milliseconds left, Infinity without a budget. */
export const remainingMs = (): number => (deadline === null ? Infinity : deadline - performance.now());

export const budgetSpent = (): boolean => remainingMs() <= 0;

/** Thrown by `within` when the work did not finish in time (it may still run on: nothing can cancel it). */
export class TimedOut extends Error {}

/** `work`'s result, or TimedOut after `ms` milliseconds: a hung GPU must not stop a driver's report. */
export function within<T>(ms: number, work: Promise<T>, what: string): Promise<T> {
  if (!Number.isFinite(ms)) return work; // setTimeout would take Infinity as 1 ms
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimedOut(`${what}: not finished after ${Math.round(ms / 1e3)} s`)), Math.max(0, ms));
  });
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}
