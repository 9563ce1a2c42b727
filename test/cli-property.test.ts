/**
 * Property: whatever happens to the processes working on one run folder — started with one β or another,
 * killed (SIGKILL) at any moment, two started at once, a write torn by a kill — running the command once
 * more to its end, with the folder's settings, gives the report of one uninterrupted run with those
 * settings, number for number, and leaves no temporary file and no lock behind.
 */
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { filesUnder, readJson, start, tempDir, timeless, tinyRun, type CliResult } from './cli-run.js';

const BETAS = ['1e-4', '1e-2'] as const;
type Beta = (typeof BETAS)[number];
const args = (out: string, beta: Beta): string[] => tinyRun(out, '--base-steps', '200', '--steps', '100', '--beta', beta);

/** One start of the command: run to its end, or SIGKILLed after a while. */
interface Start {
  beta: Beta;
  killAfterMs: number | null;
}
type Action = { kind: 'start'; run: Start } | { kind: 'pair'; runs: [Start, Start] } | { kind: 'torn write'; where: string };

const startArb: fc.Arbitrary<Start> = fc.record({
  beta: fc.constantFrom(...BETAS),
  killAfterMs: fc.option(fc.integer({ min: 0, max: 3000 }), { freq: 3 }),
});
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 3, arbitrary: startArb.map((run) => ({ kind: 'start' as const, run })) },
  { weight: 2, arbitrary: fc.tuple(startArb, startArb).map((runs) => ({ kind: 'pair' as const, runs })) },
);
/** What a SIGKILL in the middle of a write leaves: a partial temporary file of a process that is gone. */
const tornArb: fc.Arbitrary<Action> = fc.constantFrom('report.json', 'run.json', 'seed-1/base.safetensors', 'seed-1/mask-add.json').map((where) => ({ kind: 'torn write' as const, where }));

/** Exit codes a start may end with: done, refused (folder in use or holding the other β), or killed. */
function expectAcceptable(r: CliResult, killed: boolean): void {
  const refused = r.status === 2 && /is in use by another maskscope run|holds a run with other settings \(beta: folder/.test(r.stderr);
  expect(r.status === 0 || refused || (killed && r.signal === 'SIGKILL'), `${r.status} ${r.signal}: ${r.stderr}`).toBe(true);
}

async function launch(out: string, s: Start): Promise<void> {
  const run = start(args(out, s.beta));
  if (s.killAfterMs !== null) {
    await new Promise((ok) => setTimeout(ok, s.killAfterMs!));
    run.child.kill('SIGKILL');
  }
  expectAcceptable(await run.done, s.killAfterMs !== null);
}

const deadPid = spawnSync(process.execPath, ['-e', '']).pid;

async function apply(out: string, a: Action): Promise<void> {
  if (a.kind === 'start') return launch(out, a.run);
  if (a.kind === 'pair') {
    await Promise.all(a.runs.map((s) => launch(out, s)));
    return;
  }
  const path = join(out, `${a.where}.tmp-${deadPid}-0123456789ab`);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, '{"format": "maskscope-ch'); // cut short
}

describe('one run folder, processes started, killed and restarted at random', () => {
  it('ends with the report of one uninterrupted run of the folder\'s settings, and nothing left over', async () => {
    const reference: Record<string, unknown> = {};
    await Promise.all(BETAS.map(async (beta) => {
      const whole = await tempDir('ms-prop-whole-');
      expect((await start(args(whole, beta)).done).status).toBe(0);
      reference[beta] = timeless(await readJson(join(whole, 'report.json')));
    }));

    await fc.assert(
      fc.asyncProperty(fc.array(actionArb, { minLength: 1, maxLength: 3 }), tornArb, fc.nat(), async (actions, torn, at) => {
        const out = await tempDir('ms-prop-');
        actions.splice(at % (actions.length + 1), 0, torn);
        for (const a of actions) await apply(out, a);
        // The folder's settings: those of the last run it accepted (the first β when none was).
        const saved = await readJson<{ config: { beta: number } }>(join(out, 'run.json')).catch(() => null);
        const beta = BETAS.find((b) => Number(b) === saved?.config.beta) ?? BETAS[0];
        const last = await start(args(out, beta)).done;
        expect(last.status, last.stderr).toBe(0);
        expect(timeless(await readJson(join(out, 'report.json')))).toEqual(reference[beta]);
        expect((await filesUnder(out)).filter((f) => f.includes('.tmp-') || f.startsWith('run.lock'))).toEqual([]);
      }),
      { numRuns: Number(process.env.MASKSCOPE_PROPERTY_RUNS ?? 4) },
    );
  }, 300_000);
});
