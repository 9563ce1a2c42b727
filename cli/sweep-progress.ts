/**
 * A sweep's progress on the terminal, the same for a local sweep, `sweep --wait` and `sweep status`: a bar
 * of finished runs with the other states beside it (cli-progress on a TTY; one line per change otherwise).
 */
import cliProgress from 'cli-progress';

/** A run's state ('waiting' also covers a failed try waiting for its next; 'not queued': not in the queue). */
export type RunState = 'done' | 'running' | 'waiting' | 'failed' | 'not queued';

export interface SweepCounts {
  total: number;
  done: number;
  running: number;
  waiting: number;
  failed: number;
}

/** Counts of a list of states (the queue's, or a local sweep's); 'not queued' counts as waiting. */
export function countStates(states: readonly RunState[]): SweepCounts {
  const n = (s: RunState): number => states.filter((x) => x === s).length;
  return { total: states.length, done: n('done'), running: n('running'), failed: n('failed'), waiting: states.length - n('done') - n('running') - n('failed') };
}

export const countsLine = (c: SweepCounts): string => `${c.done}/${c.total} done · ${c.running} running · ${c.waiting} waiting · ${c.failed} failed`;

/** A bar drawn once, for `sweep status`. */
export function staticBar(c: SweepCounts, width = 30): string {
  const full = c.total ? Math.round((width * c.done) / c.total) : width;
  return `${'█'.repeat(full)}${'░'.repeat(width - full)} ${countsLine(c)}`;
}

export interface SweepProgress {
  /** The counts now and, optionally, what runs at the moment (e.g. "beta=0.0001 seed 2: mask-add 120/500"). */
  update(c: SweepCounts, running?: string): void;
  close(): void;
}

export function sweepProgress(total: number): SweepProgress {
  if (!process.stderr.isTTY) {
    // A line when a run finishes or fails, not at every start: logs stay short.
    let last = '';
    return {
      update: (c) => {
        const key = `${c.done} ${c.failed}`;
        if (key !== last) process.stderr.write(`${countsLine(c)}\n`);
        last = key;
      },
      close: () => {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: 'runs {bar} {value}/{total} | {states}{running}', hideCursor: true, barsize: 30 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { states: '', running: '' });
  return {
    update: (c, running) => bar.update(c.done, { states: `${c.running} running · ${c.waiting} waiting · ${c.failed} failed`, running: running ? ` | ${running}` : '' }),
    close: () => bar.stop(),
  };
}
