/** Writes test/pinned/reports.json from the current code (see runs.ts for when to do it). */
import { writeFileSync } from 'node:fs';
import { PINNED_RUNS, pinnedReport } from './runs.js';

const reports: Record<string, unknown> = {};
for (const run of PINNED_RUNS) {
  reports[run.name] = await pinnedReport(run);
  console.log(`${run.name}: done`);
}
writeFileSync(new URL('./reports.json', import.meta.url), `${JSON.stringify(reports, null, 1)}\n`);
process.exit(0);
