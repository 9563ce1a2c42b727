/**
 * Ctrl-C and SIGTERM during a run: the current training step finishes (or, outside training, the work
 * under way is abandoned — every file is written atomically, so nothing is left half written), the
 * terminal is restored and the user is told how to resume. A second signal stops at once.
 */
export type StopSignal = 'SIGINT' | 'SIGTERM';

/** A stop was requested: thrown between training steps, it unwinds the run. */
export class Interrupted extends Error {
  override name = 'Interrupted';
  constructor(readonly signal: StopSignal) {
    super(`stopped by ${signal}`);
  }
}

/** The shell's exit status for a process ended by the signal: 128 + its number. */
export const signalExitCode = (signal: StopSignal): number => (signal === 'SIGINT' ? 130 : 143);

export interface StopWatch {
  /** Throws Interrupted once a stop was requested (the run calls it after every step). */
  check(): void;
  dispose(): void;
}

/**
 * Catches SIGINT and SIGTERM. A run that reaches `check()` within `graceMs` unwinds through it (the
 * caller reports); otherwise — a second signal, or no step boundary in time (an analysis) — `onForcedStop`
 * runs and the process exits with 128 + the signal's number (exit handlers release the run folder).
 */
export function watchStopSignals(onForcedStop: (signal: StopSignal) => void, graceMs = 2000): StopWatch {
  let requested: StopSignal | null = null;
  let timer: NodeJS.Timeout | undefined;
  const forced = (signal: StopSignal): void => {
    onForcedStop(signal);
    process.exit(signalExitCode(signal));
  };
  const handler = (signal: StopSignal): void => {
    if (requested) return forced(requested);
    requested = signal;
    timer = setTimeout(() => forced(signal), graceMs);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    check: () => {
      if (requested) throw new Interrupted(requested);
    },
    dispose: () => {
      clearTimeout(timer);
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
