/** A benchmark's printed lines, for a driver's report: console.log teed into a list while `work` runs. */
import { format } from 'node:util';

/** Runs `work` with console.log also appending to `lines` (filled as it prints, so a failed run keeps what it printed). */
export async function captureLines(lines: string[], work: () => Promise<void>): Promise<void> {
  const log = console.log;
  console.log = (...args: unknown[]) => {
    log(...args);
    lines.push(...format(...args).split('\n'));
  };
  try {
    await work();
  } finally {
    console.log = log;
  }
}
