/**
 * The run folder, through the real command: one process owns it at a time (run.lock), everything in it
 * was made with this run's settings (checked per phase, not only through run.json), no seed's report
 * replaces another's, and a failed start leaves nothing that blocks the corrected command.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeSafetensors } from '../engine/io/safetensors.js';
import { filesUnder, readJson, start, tempDir, timeless, tinyRun, until } from './cli-run.js';

type Json = Record<string, any>;

/** The tiny addmul MLP's parameters (42 → 16 → 16 → 20), each filled by `value(name, index)`. */
function tinyWeights(value: (name: string, i: number) => number, shapes: Record<string, number[]> = {}): Uint8Array {
  const all: Record<string, number[]> = {
    'layers.0.weight': [16, 42], 'layers.0.bias': [16], 'layers.1.weight': [16, 16], 'layers.1.bias': [16], 'layers.2.weight': [20, 16], 'layers.2.bias': [20],
    ...shapes,
  };
  return encodeSafetensors(Object.fromEntries(Object.entries(all).map(([name, shape]) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b));
    data.forEach((_, i) => (data[i] = value(name, i)));
    return [name, { dtype: 'F32' as const, shape, data }];
  })));
}
const small = (name: string, i: number): number => Math.sin(i * 12.9898 + name.length) * 0.2;

/** The settings every checkpoint of a seed folder records. */
async function recordedBetas(seedDir: string): Promise<number[]> {
  const names = (await readdir(seedDir)).filter((n) => /^mask-.*\.json$/.test(n));
  return Promise.all(names.map(async (n) => (await readJson<Json>(join(seedDir, n))).state.settings.config.beta));
}

describe('a run folder has one owner at a time', () => {
  it('two runs started at once on one --out (β 1e-4 and 1e-2): one runs, the other is refused, and the folder holds one run', async () => {
    const out = await tempDir('ms-two-');
    const a = start(tinyRun(out, '--beta', '1e-4'));
    const b = start(tinyRun(out, '--beta', '1e-2'));
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect([ra.status, rb.status].sort(), ra.stderr + rb.stderr).toEqual([0, 2]);
    const [won, lost] = ra.status === 0 ? [ra, rb] : [rb, ra];
    expect(lost.stderr).toMatch(/is in use by another maskscope run \(process \d+|holds a run with other settings \(beta: folder/);
    const beta = won === ra ? 1e-4 : 1e-2;
    expect((await readJson<Json>(join(out, 'run.json'))).config.beta).toBe(beta);
    expect((await readJson<Json>(join(out, 'report.json'))).config.beta).toBe(beta);
    expect(await recordedBetas(join(out, 'seed-1'))).toEqual([beta, beta, beta]);
    expect(await filesUnder(out)).not.toContain('run.lock');
  });

  it('a run on a folder in use is refused, naming the owner, and the owner finishes undisturbed', async () => {
    const out = await tempDir('ms-busy-');
    const a = start(tinyRun(out, '--base-steps', '6000'));
    await until(() => existsSync(join(out, 'run.lock')), 60_000, 'the first run to lock the folder');
    const b = await start(tinyRun(out)).done;
    expect(b.status, b.stderr).toBe(2);
    expect(b.stderr).toContain(`${out} is in use by another maskscope run (process ${a.child.pid}`);
    expect(b.stderr.trim().split('\n')).toHaveLength(1);
    const ra = await a.done;
    expect(ra.status, ra.stderr).toBe(0);
    expect(await filesUnder(out)).not.toContain('run.lock');
  });

  it('a lock whose process is gone is taken over with one line; temporary files of dead processes are removed', async () => {
    const out = await tempDir('ms-stale-');
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    await writeFile(join(out, 'run.lock'), JSON.stringify({ pid: dead, host: hostname(), procStart: null, started: new Date().toISOString(), command: 'maskscope run addmul' }));
    await mkdir(join(out, 'seed-1'));
    await writeFile(join(out, 'seed-1', `base.safetensors.tmp-${dead}-0123456789ab`), '');
    await writeFile(join(out, `report.json.tmp-${dead}-ba9876543210`), '');
    const r = await start(tinyRun(out)).done;
    expect(r.status, r.stderr).toBe(0);
    const notes = r.stderr.split('\n').filter((l) => l.includes('taken over'));
    expect(notes).toEqual([`maskscope: ${join(out, 'run.lock')} was left by process ${dead}, which no longer runs: taken over`]);
    const files = await filesUnder(out);
    expect(files.filter((f) => f.includes('.tmp-') || f === 'run.lock')).toEqual([]);
  });
});

describe('a run folder holds one set of settings', () => {
  it('without run.json, or with an empty one, every phase record still refuses other settings, naming the field', async () => {
    const out = await tempDir('ms-norunjson-');
    expect((await start(tinyRun(out)).done).status).toBe(0);
    await rm(join(out, 'run.json'));
    const other = await start(tinyRun(out, '--beta', '0.01')).done;
    expect(other.status, other.stderr).toBe(2);
    expect(other.stderr).toMatch(/holds a run with other settings \(beta: folder 0\.0001, this run 0\.01; in .*seed-1\/mask-\w+\.json\)/);
    await writeFile(join(out, 'run.json'), '');
    const again = await start(tinyRun(out, '--beta', '0.01')).done;
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/beta: folder 0\.0001, this run 0\.01/);
    const widths = await start(tinyRun(out).map((a) => a.replace('[16,16]', '[16,24]'))).done;
    expect(widths.stderr).toMatch(/hidden: folder \[16,16\], this run \[16,24\]/);
    // The same settings resume.
    const same = await start(tinyRun(out)).done;
    expect(same.status, same.stderr).toBe(0);
    expect(same.stderr).toContain('mask-add: already done, resumed from its checkpoint');
  });

  it('--seed 2 into a folder holding seed 1 keeps seed 1\'s report; the folder report covers both, as one --seeds 2 run', async () => {
    const out = await tempDir('ms-seeds-');
    expect((await start(tinyRun(out)).done).status).toBe(0);
    const first = await readJson<Json>(join(out, 'report.json'));
    const second = await start(tinyRun(out, '--seed', '2')).done;
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/report: .*report\.html \(seeds 1, 2;/);
    expect(await readJson(join(out, 'seed-1', 'report.json'))).toEqual(first);
    expect((await readJson<Json>(join(out, 'seed-2', 'report.json'))).seeds).toEqual([2]);
    const both = await readJson<Json>(join(out, 'report.json'));
    expect(both.seeds).toEqual([1, 2]);
    const together = await tempDir('ms-seeds2-');
    expect((await start(tinyRun(together, '--seeds', '2')).done).status).toBe(0);
    expect(timeless(both)).toEqual(timeless(await readJson<Json>(join(together, 'report.json'))));
  });
});

describe('inputs checked at the door', () => {
  it('a --weights file of the wrong shapes is refused before anything is written; the corrected command runs', async () => {
    const dir = await tempDir('ms-wshape-');
    const out = join(dir, 'run');
    await writeFile(join(dir, 'bad.safetensors'), tinyWeights(small, { 'layers.1.weight': [16, 17] }));
    await writeFile(join(dir, 'good.safetensors'), tinyWeights(small));
    const bad = await start(tinyRun(out, '--weights', join(dir, 'bad.safetensors'))).done;
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe(`maskscope: --weights ${join(dir, 'bad.safetensors')}: the file's tensors do not fit the model: layers.1.weight is [16,17] in the file, the model needs [16,16]`);
    expect(existsSync(out)).toBe(false);
    const good = await start(tinyRun(out, '--weights', join(dir, 'good.safetensors'))).done;
    expect(good.status, good.stderr).toBe(0);
    expect(good.stderr).toContain('base network loaded from');
  });

  it.each([
    ['NaN', NaN, 5],
    ['Infinity', Infinity, 0],
  ])('weights holding %s are refused, naming the tensor', async (word, bad, index) => {
    const dir = await tempDir('ms-wnan-');
    const file = join(dir, 'w.safetensors');
    await writeFile(file, tinyWeights((name, i) => (name === 'layers.1.weight' && i === index ? bad : small(name, i))));
    const r = await start(tinyRun(join(dir, 'run'), '--weights', file)).done;
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`maskscope: --weights ${file}: tensor layers.1.weight holds ${word} at index ${index} (every weight must be finite)`);
    expect(existsSync(join(dir, 'run'))).toBe(false);
  });

  it('a loss that turns non-finite stops the run, naming the seed, phase and step; the finished phases stay', async () => {
    const dir = await tempDir('ms-diverge-');
    const file = join(dir, 'huge.safetensors');
    await writeFile(file, tinyWeights(() => 1e30)); // finite, but 1e30 · 1e30 overflows
    const out = join(dir, 'run');
    const r = await start(tinyRun(out, '--weights', file)).done;
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/maskscope: seed 1, mask-full: the loss is (NaN|Infinity) at step 0: training diverged; stopped there — the checkpoints of the phases before it are kept in /);
    const files = await filesUnder(out);
    expect(files).toContain('seed-1/base.json');
    expect(files.filter((f) => /mask-|report|\.tmp-|run\.lock/.test(f))).toEqual([]);
  });
});
