/**
 * The command's inputs checked at the door (one line, exit code 2, nothing written), --version, the
 * usage of a command missing its subcommand, the warning on a software GPU, --threads changing nothing in a
 * report, and SCAN's accuracy table.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, start, tempDir, timeless } from './cli-run.js';

const oneLine = (stderr: string): string[] => stderr.trim().split('\n').filter((l) => l.startsWith('maskscope:'));

describe('--out must be a folder the run can create or write in', () => {
  it('a path the system will not create (/proc/…) is refused at once', async () => {
    const started = Date.now();
    const r = await Promise.race([
      start(['run', 'addmul', '--backend', 'cpu', '--out', '/proc/forbidden']).done,
      new Promise<never>((_, fail) => setTimeout(() => fail(new Error('no answer within 30 s')), 30_000)),
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^maskscope: --out \/proc\/forbidden: cannot create the folder \(\w+: [^)]+\)$/);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('an existing file, or a path through a file, is refused in one line', async () => {
    const dir = await tempDir('ms-outfile-');
    const file = join(dir, 'a-file');
    await writeFile(file, 'not a folder');
    const r = cli('run', 'addmul', '--backend', 'cpu', '--out', file);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`maskscope: --out ${file} is a file, not a folder`);
    const below = cli('run', 'addmul', '--backend', 'cpu', '--out', join(file, 'run'));
    expect(below.status).toBe(2);
    expect(below.stderr.trim()).toBe(`maskscope: --out ${join(file, 'run')}: a part of that path is a file, not a folder`);
    expect(readFileSync(file, 'utf8')).toBe('not a folder');
  });
});

describe('numbers and settings within bounds', () => {
  it.each([
    [['--steps', '1e12'], "--steps must be an integer from 1 to 10000000, got '1e12'"],
    [['--base-steps', '0'], "--base-steps must be an integer from 1 to 10000000, got '0'"],
    [['--steps', '2.5'], "--steps must be an integer from 1 to 10000000, got '2.5'"],
    [['--seed', '3000000000'], "--seed must be an integer from 0 to 2147483647, got '3000000000'"],
    [['--seed', '2147483647', '--seeds', '2'], '--seed 2147483647 with --seeds 2 goes past the largest seed, 2147483647'],
    [['--beta', '1e9'], "--beta must be a number from 1e-12 to 100, got '1e9'"],
    [['--beta', 'NaN'], "--beta must be a number from 1e-12 to 100, got 'NaN'"],
    [['--sweep-beta', '1e-3,1e-3'], '--sweep-beta lists 0.001 twice'],
    [['--sweep-width', '64,0'], "--sweep-width must be an integer from 1 to 100000, got '0'"],
    [['--config', '{"hidden":"wide"}'], '--config: hidden must be a list of integers from 1 to 100000, got "wide"'],
    [['--config', '{"width":3}'], "--config: unknown field 'width'"],
    [['--config', '{"beta":1}'], '--config: set beta with --beta'],
    [['--config', '{"batch":10}'], '--config: batch (10) must be a multiple of samples, the mask samples per step (4)'],
    [['--config', 'hidden=3'], '--config must be a JSON object'],
    [['--new-mask-init', '0'], '--new-mask-init is for permuted-transfer, not addmul-mlp'],
    [['permuted-transfer', '--new-mask-init', '30'], "--new-mask-init must be a number from -20 to 20, got '30'"],
    [['permuted-transfer', '--base-steps', '100'], 'permuted-transfer has no base training (weights and masks train together, task by task): --base-steps does not apply'],
    [['permuted-transfer', '--config', '{"newMaskInit":0}'], '--config: set newMaskInit with --new-mask-init'],
  ])('%j: one line, exit code 2, nothing written', async (args, message) => {
    const out = join(await tempDir('ms-bounds-'), 'run');
    const [experiment, rest] = args[0] === 'permuted-transfer' ? [args[0], args.slice(1)] : ['addmul', args];
    const r = cli('run', experiment, '--backend', 'cpu', '--out', out, ...rest);
    expect(r.status, r.stderr).toBe(2);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain(message);
    expect(existsSync(out)).toBe(false);
  });
});

describe('the command itself', () => {
  it('--version prints the package version', () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = cli(flag);
      expect(r.status).toBe(0);
      expect(r.stdout.trim()).toBe(version);
    }
  });

  it('a command missing its subcommand shows its usage and exits 2', () => {
    const r = cli('data');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('Usage: maskscope data');
    expect(r.stderr).not.toContain('outputHelp');
    expect(oneLine(r.stderr)).toEqual(['maskscope: a subcommand is missing (see the usage above)']);
  });

  it.skipIf(!existsSync('/usr/lib/chromium/vk_swiftshader_icd.json'))('--backend webgpu on a software adapter (SwiftShader) says it is slow, in one line', async () => {
    const dir = await tempDir('ms-swiftshader-');
    const env = { ...process.env, VK_ICD_FILENAMES: '/usr/lib/chromium/vk_swiftshader_icd.json' };
    // Missing weights stop the run right after the backend is chosen.
    const r = await start(['run', 'addmul', '--backend', 'webgpu', '--weights', join(dir, 'none.safetensors'), '--out', join(dir, 'run')], { env }).done;
    const warnings = r.stderr.split('\n').filter((l) => l.includes('warning'));
    expect(warnings, r.stderr).toHaveLength(1);
    expect(warnings[0]).toMatch(/^maskscope: warning: webgpu runs on a software adapter \(.*swiftshader.*\), which is far slower than --backend cpu$/i);
    expect(r.status).toBe(2);
  });

  it.skipIf(availableParallelism() < 2)('--threads (the GEMM shared with a worker thread) writes the same report as a run without it', async () => {
    // 256-wide layers at batch 128: products above the size that goes to the threads.
    const config = JSON.stringify({ hidden: [256, 256], validSize: 200, evalBatch: 100, batch: 128 });
    const dir = await tempDir('ms-threads-');
    const reports = await Promise.all(['', '--threads'].map(async (flag, i) => {
      const out = join(dir, `run-${i}`);
      const r = await start(['run', 'addmul', '--backend', 'cpu', '--config', config, '--base-steps', '20', '--steps', '5', '--out', out, ...(flag ? [flag] : [])]).done;
      expect(r.status, r.stderr).toBe(0);
      return timeless(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Record<string, unknown>);
    }));
    // The device line says where the products ran; everything else is the same, number for number.
    expect(reports[0].device).toBe('CPU (TypeScript + WebAssembly SIMD)');
    expect(reports[1].device).toMatch(/^CPU \(TypeScript \+ WebAssembly SIMD, GEMM on [2-4] threads\)$/);
    expect({ ...reports[1], device: '' }).toEqual({ ...reports[0], device: '' });
  });

  it('SCAN\'s accuracy table keeps its columns apart', async () => {
    const out = join(await tempDir('ms-scan-table-'), 'run');
    const r = await start(['run', 'scan', '--backend', 'cpu', '--config', '{"hidden":[8,8],"batch":8,"evalLimit":24}', '--base-steps', '6', '--steps', '3', '--out', out]).done;
    expect(r.status, r.stderr).toBe(0);
    const [header, ...rows] = r.stdout.split('\n');
    expect(header.trim().split(/\s+/)).toEqual(['accuracy', '%', 'simple', 'length', 'addprim_jump', 'addprim_turn_left']);
    for (const row of rows.filter((l) => /^\w+\s+\d/.test(l))) expect(row.trim().split(/\s+/)).toHaveLength(5);
  });
});
