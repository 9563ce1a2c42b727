/** The command line: bad arguments get one line and exit code 2; --weights loads a network trained elsewhere. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as ms from '../index.js';
import { encodeSafetensors } from '../engine/io/safetensors.js';
import { EXPERIMENTS } from '../experiments/registry.js';
import { loadWeightsFile } from '../experiments/weights-file.js';
import { cli } from './cli-run.js';

describe('maskscope command line', () => {
  it.each([
    [['run', 'nope'], /unknown experiment 'nope' \(choose one of: addmul-mlp/],
    [['run', 'addmul', '--size', 'huge'], /--size <size>' argument 'huge' is invalid. Allowed choices are small, paper/],
    [['run', 'addmul', '--seeds', '0'], /--seeds must be an integer from 1 to 1000, got '0'/],
    [['run', 'addmul', '--beta', '-1'], /--beta must be a number from 1e-12 to 100, got '-1'/],
    [['run', 'addmul', '--control', 'copy-weights'], /addmul-mlp has no --control variants/],
    [['run', 'addmul', '--mode', 'together'], /addmul-mlp has no --mode variants/],
    [['run', 'addmul', '--scan-dir', '/tmp'], /--data-dir is for the experiments that read data files .*, not addmul-mlp/],
    [['run', 'addmul', '--data-dir', '/tmp'], /--data-dir is for the experiments that read data files .*, not addmul-mlp/],
    [['run', 'double-add-lstm', '--mode', 'sideways'], /double-add-lstm: --mode must be one of together, only_one_io, got 'sideways'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['data', 'scan', '--split', 'jump', '--part', 'train'], /--split <split>' argument 'jump' is invalid. Allowed choices are simple, length, addprim_jump, addprim_turn_left/],
    [['data', 'scan', '--split', 'length'], /required option '--part <part>' not specified/],
  ])('%j → one line, exit 2', (args, message) => {
    const r = cli(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('maskscope:'))).toHaveLength(1);
  });

  it('lists every experiment', () => {
    const r = cli('list');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => l.split(' ')[0])).toEqual(EXPERIMENTS.map((e) => e.name));
    expect(EXPERIMENTS.slice(0, 5).map((e) => e.name)).toEqual(['addmul-mlp', 'double-add-mlp', 'addmul-lstm', 'double-add-lstm', 'scan-lstm']);
  });

  it('data scan prints a split in the official format', () => {
    const r = cli('data', 'scan', '--split', 'addprim_jump', '--part', 'test');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(7706);
    expect(lines).toContain('IN: jump twice OUT: I_JUMP I_JUMP');
  });
});

describe('--weights: a base network from a safetensors file', () => {
  it('loads PyTorch nn.Sequential names in order, and explains a mismatch', async () => {
    await ms.setBackend('cpu');
    const mlp = new ms.nn.MLP([3, 4, 2]);
    const dir = await mkdtemp(join(tmpdir(), 'ms-weights-'));
    const w = (shape: number[], v: number) => ({ dtype: 'F32' as const, shape, data: new Float32Array(shape.reduce((a, b) => a * b)).fill(v) });
    const file = join(dir, 'torch.safetensors');
    await writeFile(file, encodeSafetensors({ '0.weight': w([4, 3], 1), '0.bias': w([4], 2), '2.weight': w([2, 4], 3), '2.bias': w([2], 4) }));
    expect(await loadWeightsFile(mlp, file)).toBe('in order');
    expect(Array.from(await mlp.layers[1].weight.toArray())).toEqual(new Array(8).fill(3));
    const bad = join(dir, 'bad.safetensors');
    await writeFile(bad, encodeSafetensors({ '0.weight': w([5, 3], 1) }));
    await expect(loadWeightsFile(mlp, bad)).rejects.toThrow(/do not fit the model: tensor 1 in layer order, 0.weight \[5,3\], is the model's layers.0.weight, which needs \[4,3\]/);
    await expect(loadWeightsFile(mlp, join(dir, 'missing.safetensors'))).rejects.toThrow(/cannot read the file/);
  });
});
