/** Every pinned run's report.json is bit-identical to the committed copy (test/pinned/runs.ts says why). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PINNED_RUNS, pinnedReport } from './pinned/runs.js';

const pinned = JSON.parse(readFileSync(new URL('./pinned/reports.json', import.meta.url), 'utf8')) as Record<string, unknown>;

describe('pinned reports', () => {
  for (const run of PINNED_RUNS) {
    it(`${run.name}: the report is the committed one, number for number`, async () => {
      const report = JSON.parse(JSON.stringify(await pinnedReport(run)));
      expect(report).toEqual(pinned[run.name]);
    }, 300_000);
  }
});
