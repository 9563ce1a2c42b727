/**
 * Progress of a run on the terminal: a bar with loss and ETA per phase on a TTY (cli-progress), one line
 * per phase otherwise (logs, CI).
 */
import cliProgress from 'cli-progress';
import type { RunEvent } from '../experiments/runner.js';

export interface ProgressPrinter {
  (e: RunEvent): void;
  /** Stops a bar under way and shows the cursor again (a run ends early: an error, Ctrl-C). */
  close(): void;
}

export function progressPrinter(seeds: number): ProgressPrinter {
  const tty = process.stderr.isTTY;
  let bar: cliProgress.SingleBar | null = null;
  let current = '';
  let started = 0;
  let lastLoss = '';
  let total = 0;
  const finish = (): void => {
    bar?.stop();
    bar = null;
    if (current && !tty) process.stderr.write(`${current}: done in ${((performance.now() - started) / 1000).toFixed(1)} s${lastLoss ? `, loss ${lastLoss}` : ''}\n`);
    current = '';
  };
  const print = (e: RunEvent): void => {
    if (e.kind === 'note') {
      finish();
      process.stderr.write(`${e.message}\n`);
      return;
    }
    const label = `${seeds > 1 ? `seed ${e.seed} ` : ''}${e.phase}`;
    if (e.kind === 'phase') {
      finish();
      if (e.resumed) {
        process.stderr.write(`${label}: already done, resumed from its checkpoint\n`);
        return;
      }
      current = label;
      total = e.total;
      started = performance.now();
      lastLoss = '';
      if (tty) {
        bar = new cliProgress.SingleBar(
          { format: `${label.padEnd(16)} {bar} {value}/{total} | loss {loss} | {duration_formatted} elapsed, ETA {eta_formatted}`, hideCursor: true, etaBuffer: 200 },
          cliProgress.Presets.shades_classic,
        );
        bar.start(e.total, 0, { loss: '…' });
      }
      return;
    }
    if (e.loss !== undefined) lastLoss = e.loss.toFixed(4);
    bar?.update(e.step + 1, { loss: lastLoss || '…' });
    if (e.step + 1 === total) finish();
  };
  return Object.assign(print, {
    close: (): void => {
      bar?.stop();
      bar = null;
      current = '';
    },
  });
}
