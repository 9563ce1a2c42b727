/**
 * Sweep files and what is made of them without running anything: the checks (each bad value named), the
 * expansion into runs with stable ids, the `run` arguments of a run, Redis URLs as connection options, and
 * the aggregated report over stored seed results (points, mean ± std, curves).
 */
import { writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aggregateSweep } from '../experiments/sweep-report.js';
import type { StoredResult } from '../experiments/seed-results.js';
import type { SeedResult } from '../experiments/phases.js';
import { parseSweep, runArgs } from '../cli/sweep-file.js';
import { redisAddress } from '../cli/sweep-queue.js';
import { renderSweepHtml } from '../report/sweep-html.js';
import { cli, tempDir } from './cli-run.js';
import { CHROMIUM, drawOffline } from './draw-offline.js';

const TINY = { hidden: [16, 16], batch: 16, validSize: 200, evalBatch: 100, baseSteps: 30, steps: 10 };
/** TINY for grids over the widths. */
const { hidden: _, ...ANY_WIDTH } = TINY;

describe('a sweep file', () => {
  it('expands the grid product × seeds into runs, first grid field slowest', () => {
    const s = parseSweep({ experiment: 'addmul', seeds: 2, set: TINY, grid: { beta: [1e-4, 4e-4], maskLr: [0.01, 0.02] } }, 'x');
    expect(s.def.name).toBe('addmul-mlp');
    expect(s.points.map((p) => p.settings)).toEqual([
      { beta: 1e-4, maskLr: 0.01 }, { beta: 1e-4, maskLr: 0.02 }, { beta: 4e-4, maskLr: 0.01 }, { beta: 4e-4, maskLr: 0.02 },
    ]);
    expect(s.runs).toHaveLength(8);
    expect(s.runs.map((r) => r.seed)).toEqual([1, 2, 1, 2, 1, 2, 1, 2]);
    expect(new Set(s.runs.map((r) => r.id)).size).toBe(8);
    expect(s.points[3].cfg).toMatchObject({ beta: 4e-4, maskLr: 0.02, hidden: [16, 16], maskSteps: 10, baseSteps: 30 });
    expect(s.runs[7].settings).toEqual({ ...TINY, beta: 4e-4, maskLr: 0.02 });
  });

  it('gives a run the same id whatever the key order, the alias or where a setting is given, and another id for another seed or size', () => {
    const ids = (json: Record<string, unknown>): string[] => parseSweep(json, 'x').runs.map((r) => r.id);
    const a = ids({ experiment: 'addmul', seeds: [1, 2], set: TINY, grid: { beta: [1e-4] } });
    expect(ids({ grid: { beta: [1e-4] }, seeds: [1, 2], experiment: 'addmul-mlp', set: { ...TINY, hidden: [16, 16] } })).toEqual(a);
    expect(ids({ experiment: 'addmul', seeds: [1, 2], set: { ...TINY, beta: 1e-4 } })).toEqual(a);
    // Settings equal to the defaults resolve to the same configuration, so to the same run.
    expect(ids({ experiment: 'addmul', seeds: [1, 2], set: { ...TINY, maskLr: 0.01 }, grid: { beta: [1e-4] } })).toEqual(a);
    expect(ids({ experiment: 'addmul', seeds: [2], set: TINY, grid: { beta: [1e-4] } })).toEqual([a[1]]);
    expect(ids({ experiment: 'addmul', size: 'paper', seeds: [1], set: TINY, grid: { beta: [1e-4] } })[0]).not.toBe(a[0]);
  });

  it('gives each run the arguments of maskscope run', () => {
    const run = parseSweep({ experiment: 'addmul', seeds: [7], set: TINY, grid: { beta: [1e-3] } }, 'x').runs[0];
    expect(runArgs(run, '/store/abc', 'cpu')).toEqual([
      'addmul-mlp', '--size', 'small', '--seed', '7', '--backend', 'cpu', '--out', '/store/abc',
      '--base-steps', '30', '--steps', '10', '--beta', '0.001', '--config', '{"hidden":[16,16],"batch":16,"validSize":200,"evalBatch":100}',
    ]);
  });

  it.each([
    [{ experiment: 'nope' }, /unknown experiment 'nope' \(choose one of: addmul-mlp/],
    [{ experiment: 'addmul', grid: { beta: [] } }, /^grid\.beta must be a non-empty list of values, got \[\]$/],
    [{ experiment: 'addmul', grid: { beta: 1e-4 } }, /^grid\.beta must be a non-empty list of values, got 0\.0001$/],
    [{ experiment: 'addmul', grid: { beta: [1e-4, -1] } }, /^grid\.beta\[1\] must be a number from 1e-12 to 100, got '-1'$/],
    [{ experiment: 'addmul', grid: { beta: ['1e-4'] } }, /^grid\.beta\[0\] must be a number, got "1e-4"$/],
    [{ experiment: 'addmul', set: ANY_WIDTH, grid: { hidden: [[16, 16], [0]] } }, /^grid\.hidden\[1\] must be a list of integers from 1 to 100000, got \[0\]$/],
    [{ experiment: 'addmul', grid: { steps: [10, 10] } }, /^grid\.steps lists 10 twice$/],
    [{ experiment: 'addmul', grid: { width: [16] } }, /^grid: unknown field 'width' \(the fields are beta, steps, baseSteps, mode, control, .*hidden/],
    [{ experiment: 'addmul', set: { maskSteps: 10 } }, /^set: set maskSteps as 'steps'$/],
    [{ experiment: 'addmul', set: { beta: 1e-4 }, grid: { beta: [1e-3] } }, /^grid\.beta: beta is also in set/],
    [{ experiment: 'addmul', grid: { batch: [16, 10] } }, /^batch=10: --config: batch \(10\) must be a multiple of samples/],
    [{ experiment: 'addmul', set: { control: 'copy-weights' } }, /addmul-mlp has no --control variants/],
    [{ experiment: 'addmul', seeds: 0 }, /^seeds must be an integer from 1 to 1000, got '0'$/],
    [{ experiment: 'addmul', seeds: [1, 1] }, /^seeds lists 1 twice$/],
    [{ experiment: 'addmul', size: 'huge' }, /^size must be "small" or "paper", got "huge"$/],
    [{ experiment: 'addmul', grids: {} }, /^unknown field 'grids' \(the fields are experiment, size, seeds, set, grid\)$/],
    [[1, 2], /a sweep file holds a JSON object/],
  ])('%j is refused, naming the field', (json, message) => {
    expect(() => parseSweep(json, 'x')).toThrow(message);
  });

  it('bad files: one line, exit code 2, no folder made', async () => {
    const dir = await tempDir('ms-sweepfile-');
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ experiment: 'addmul', grid: { beta: [1e-4, 500] } }));
    await writeFile(join(dir, 'broken.json'), '{"experiment": ');
    await writeFile(join(dir, 'good.json'), JSON.stringify({ experiment: 'addmul', set: TINY }));
    for (const [args, message] of [
      [[file], `${file}: grid.beta[1] must be a number from 1e-12 to 100, got '500'`],
      [[join(dir, 'broken.json')], `sweep file ${join(dir, 'broken.json')} is not valid JSON`],
      [[join(dir, 'missing.json')], `sweep file ${join(dir, 'missing.json')} cannot be read (ENOENT)`],
      [['report', file], `${file}: grid.beta[1]`],
      [[join(dir, 'good.json'), '--queue', 'http://localhost:6379'], '--queue must be a Redis URL such as redis://127.0.0.1:6379 (redis:// or rediss:// for TLS)'],
      [[join(dir, 'good.json'), '--queue', 'redis://127.0.0.1:1', '--backend', 'cpu'], '--backend is for a sweep on this machine; with --queue, give it to the maskscope workers that run it'],
    ] as const) {
      const r = cli('sweep', ...args, '--out', join(dir, 'out'));
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([expect.stringContaining(`maskscope: ${message}`)]);
    }
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});

describe('Redis URLs', () => {
  it.each([
    ['redis://127.0.0.1:6380', { host: '127.0.0.1', port: 6380 }, 'redis://127.0.0.1:6380'],
    ['redis://queue.example', { host: 'queue.example', port: 6379 }, 'redis://queue.example'],
    ['redis://:s%40cret@10.0.0.5:7000/2', { host: '10.0.0.5', port: 7000, password: 's@cret', db: 2 }, 'redis://10.0.0.5:7000/2'],
    ['redis://worker:pw@h:1', { host: 'h', port: 1, username: 'worker', password: 'pw' }, 'redis://h:1'],
    ['rediss://:pw@redis.example:6380', { host: 'redis.example', port: 6380, password: 'pw', tls: {} }, 'rediss://redis.example:6380'],
    ['redis://[::1]:6379', { host: '::1', port: 6379 }, 'redis://[::1]:6379'],
  ])('%s → ioredis options, shown without its password', (url, options, shown) => {
    expect(redisAddress(url)).toEqual({ options, shown });
  });

  it.each([
    ['localhost:6379', /not a URL|redis:\/\/ or rediss:\/\//],
    ['http://h:1', /redis:\/\/ or rediss:\/\/ for TLS/],
    ['redis://h:1/queue', /the path is the database number, not 'queue'/],
  ])('%s is refused', (url, message) => {
    expect(() => redisAddress(url)).toThrow(message);
  });

  it('never repeats a password in an error', () => {
    expect(() => redisAddress('redis://:hunter2@h:1/x')).toThrow(/redis:\/\/:\*\*\*@h:1\/x/);
  });
});

/** A seed's result with one masked layer, enough for the report's statistics. */
function stored(seed: number, totalShared: number, addAcc: number): StoredResult {
  const result: SeedResult = {
    seed, seconds: 1, training: { base: [], stages: {} },
    accuracy: { none: { add: 1, mul: 1 }, add: { add: addAcc, mul: 0 } },
    confusion: {}, layerNames: ['layers.0.weight'], layerWeights: [100], kept: { add: [10], mul: [20] },
    iou: [totalShared], iomin: [totalShared], totalShared, sharedFraction: { add: totalShared, mul: totalShared / 2 },
    histogram: { edges: [0, 1], counts: { add: [100] } },
  };
  return { format: 'maskscope-seed-result/1', settings: {} as StoredResult['settings'], backend: 'cpu', device: 'test CPU', result };
}

describe('the aggregated report', () => {
  const sweep = parseSweep({ experiment: 'addmul', seeds: 2, set: ANY_WIDTH, grid: { beta: [1e-4, 1e-3], hidden: [[16, 16], [32, 32]] } }, 'x');
  const results = new Map<string, StoredResult>();
  // Every run finished but seed 2 of the last point; total shared grows with β and falls with width.
  sweep.points.forEach((p, i) => p.runs.forEach((r) => {
    if (i < 3 || r.seed === 1) results.set(r.id, stored(r.seed, 0.1 * (i + 1) + 0.02 * r.seed, 0.9));
  }));
  const report = aggregateSweep(sweep, results);

  it('has one entry per grid point, mean ± std over its finished seeds', () => {
    expect(report).toMatchObject({ experiment: 'addmul-mlp', runs: 8, finished: 7, seeds: [1, 2], compared: ['add', 'mul'], devices: ['cpu: test CPU'] });
    expect(report.points.map((p) => [p.settings, p.runs, p.seeds])).toEqual([
      [{ beta: 1e-4, hidden: [16, 16] }, 2, [1, 2]], [{ beta: 1e-4, hidden: [32, 32] }, 2, [1, 2]],
      [{ beta: 1e-3, hidden: [16, 16] }, 2, [1, 2]], [{ beta: 1e-3, hidden: [32, 32] }, 1, [1]],
    ]);
    expect(report.points[0].totalShared).toBeCloseTo(0.13);
    expect(report.points[0].totalSharedStd).toBeCloseTo(0.01);
    expect(report.points[3].totalSharedStd).toBe(0);
    expect(report.points[0].accuracy).toEqual({ none: { add: 1, mul: 1 }, add: { add: 0.9, mul: 0 } });
    expect(report.points[0].config).toMatchObject({ beta: 1e-4, hidden: [16, 16] });
  });

  it('has a β curve per width and a width curve per β', () => {
    expect(report.curves.map((c) => [c.kind, c.fixed, c.points.map((p) => p.value)])).toEqual([
      ['beta', { hidden: [16, 16] }, [1e-4, 1e-3]], ['beta', { hidden: [32, 32] }, [1e-4, 1e-3]],
      ['width', { beta: 1e-4 }, [16, 32]], ['width', { beta: 1e-3 }, [16, 32]],
    ]);
    expect(report.curves[0].points[1].totalShared.mean).toBeCloseTo(0.33);
  });

  it('leaves out points without a finished run, and curves with fewer than two points', () => {
    const last = sweep.points[3].runs.map((r) => r.id);
    const partial = aggregateSweep(sweep, new Map([...results].filter(([id]) => !last.includes(id))));
    expect(partial.points[3]).toEqual({ settings: { beta: 1e-3, hidden: [32, 32] }, runs: 0, seeds: [], config: sweep.points[3].cfg });
    expect(partial.curves.map((c) => [c.kind, c.fixed])).toEqual([['beta', { hidden: [16, 16] }], ['width', { beta: 1e-4 }]]);
  });

  it('renders report.html: every point in the table, each curve a plot, drawn offline', async () => {
    const html = renderSweepHtml(report);
    for (const s of ['maskscope sweep', '7 of 8', 'cpu: test CPU', '13.0\u202f%<span class="std">± 1.0</span>', '1 of 2', 'on +']) expect(html).toContain(s);
    expect(html.match(/<tr><th scope="row">/g)).toHaveLength(4);
    expect(html).toContain('Sweep over β at hidden 16, 16');
    expect(html).toContain('Sweep over network width at beta 1e-4');
    const markup = html.replace(/(<script\b[^>]*>)[\s\S]*?<\/script>/gi, '$1</script>');
    expect(markup).not.toMatch(/https?:\/\/|\bsrc=|\bhref=/i);
    if (!existsSync(CHROMIUM)) return;
    const out = join(await tempDir('ms-sweephtml-'), 'report.html');
    const drawn = await drawOffline(html, out, out.replace(/html$/, 'png'));
    expect(drawn.plots.map((p) => [p.id, p.drawn])).toEqual([0, 1, 2, 3].map((i) => [`plot-curve-${i}`, true]));
    expect([drawn.errors, drawn.blocked]).toEqual([[], []]);
  });

  it('draws no width curve for layers of different widths', () => {
    const mixed = parseSweep({ experiment: 'addmul', set: ANY_WIDTH, grid: { hidden: [[16, 16], [32, 16]] } }, 'x');
    const all = new Map(mixed.runs.map((r) => [r.id, stored(r.seed, 0.5, 1)]));
    expect(aggregateSweep(mixed, all).curves).toEqual([]);
  });
});
