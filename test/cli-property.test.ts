/**
 * Property: whatever happens to the processes working on one run folder — killed (SIGKILL) at any moment,
 * two started at once — running the command once more to its end gives the report of one uninterrupted
 * run, number for number, and leaves no temporary file and no lock behind.
 */
import fc from 'fast-check';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { filesUnder, readJson, start, tempDir, timeless, tinyRun } from './cli-run.js';

const args = (out: string): string[] => tinyRun(out, '--base-steps', '200', '--steps', '100');

type Action = { kind: 'kill'; afterMs: number } | { kind: 'pair' };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('kill' as const), afterMs: fc.integer({ min: 0, max: 3000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pair' as const) }) },
);

async function apply(out: string, a: Action): Promise<void> {
  if (a.kind === 'kill') {
    const run = start(args(out));
    await new Promise((ok) => setTimeout(ok, a.afterMs));
    run.child.kill('SIGKILL');
    const r = await run.done;
    expect(r.status === 0 || r.signal === 'SIGKILL', r.stderr).toBe(true);
    return;
  }
  const both = await Promise.all([start(args(out)).done, start(args(out)).done]);
  for (const r of both) expect(r.status === 0 || (r.status === 2 && r.stderr.includes('is in use by another maskscope run')), r.stderr).toBe(true);
  expect(both.some((r) => r.status === 0)).toBe(true);
}

describe('one run folder, processes killed and restarted at random', () => {
  it('ends with the report of one uninterrupted run and nothing left over', async () => {
    const whole = await tempDir('ms-prop-whole-');
    expect((await start(args(whole)).done).status).toBe(0);
    const expected = timeless(await readJson(join(whole, 'report.json')));

    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 3 }), async (actions) => {
        const out = await tempDir('ms-prop-');
        for (const a of actions) await apply(out, a);
        const last = await start(args(out)).done;
        expect(last.status, last.stderr).toBe(0);
        expect(timeless(await readJson(join(out, 'report.json')))).toEqual(expected);
        expect((await filesUnder(out)).filter((f) => f.includes('.tmp-') || f.startsWith('run.lock'))).toEqual([]);
      }),
      { numRuns: Number(process.env.MASKSCOPE_PROPERTY_RUNS ?? 4) },
    );
  }, 300_000);
});
