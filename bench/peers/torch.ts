/**
 * Runs the PyTorch peers (peers/torch_*.py) with a python3 that imports torch, and parses their output.
 * A peer that fails or runs out of time (lib/deadline.ts) costs its column, not the benchmark: a line
 * `# torch: ... failed` says so and the values it printed before are kept.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { remainingMs } from '../lib/deadline.js';
import { peerScriptDir } from './sources.js';

const OPENBLAS = '/usr/lib/x86_64-linux-gnu/openblas-pthread';
/**
 * The Pythons tried, first that imports torch wins: $MASKSCOPE_PYTHON; python3 on PATH (a GPU machine's
 * CUDA PyTorch is often a virtual environment there); Debian's python3-torch, which needs OpenBLAS's libblas.
 */
const PYTHONS = [process.env.MASKSCOPE_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);

export const NO_TORCH = `# torch: skipped, none of ${PYTHONS.join(', ')} imports torch`;

export interface TorchCase {
  name: string;
  m: number;
  k: number;
  n: number;
  transB: boolean;
}

const peerEnv = (blasThreads: number): NodeJS.ProcessEnv => ({
  ...process.env, LD_LIBRARY_PATH: [OPENBLAS, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'), OPENBLAS_NUM_THREADS: String(blasThreads),
});

let python: string | null | undefined;

/** The first Python that imports torch, or null. */
export function torchPython(): string | null {
  python ??= PYTHONS.find((p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore', env: peerEnv(1) }).status === 0) ?? null;
  return python;
}

export const hasTorch = (): boolean => torchPython() !== null;

/** torch's version, whether it sees CUDA and the CUDA device's name, for a report; null without torch. */
export function torchInfo(): { python: string; version: string; cuda: boolean; device: string | null } | null {
  const py = torchPython();
  if (!py) return null;
  const code = 'import json, torch; c = torch.cuda.is_available(); print(json.dumps([torch.__version__, c, torch.cuda.get_device_name(0) if c else None]))';
  const res = spawnSync(py, ['-c', code], { env: peerEnv(1), encoding: 'utf8' });
  if (res.status !== 0) return { python: py, version: 'unknown', cuda: false, device: null };
  const [version, cuda, device] = JSON.parse(res.stdout.trim().split('\n').pop()!) as [string, boolean, string | null];
  return { python: py, version, cuda, device };
}

/**
 * Runs peers/<script> with `input` as JSON on stdin (OpenBLAS with `blasThreads` threads) and returns the device it
 * printed (`device <cpu|cuda>`) and its other `<name> <number>` lines.
 */
export function runTorchPeer(script: string, input: unknown, blasThreads = 2): { device: string; values: Map<string, number> } {
  const py = torchPython();
  if (!py) {
    console.log(NO_TORCH);
    return { device: 'none', values: new Map() };
  }
  const left = remainingMs();
  const res = spawnSync(py, [join(peerScriptDir, script)], {
    input: JSON.stringify(input), env: peerEnv(blasThreads), encoding: 'utf8', maxBuffer: 1 << 24,
    timeout: Number.isFinite(left) ? Math.max(1000, Math.round(left / 2)) : undefined,
  });
  const lines = (res.stdout ?? '').trim().split('\n').filter(Boolean).map((l) => l.split(' '));
  if (res.status !== 0) {
    const why = res.error ? res.error.message : `exit ${res.status}`;
    const stderr = (res.stderr ?? '').trim().split('\n').pop() ?? '';
    console.log(`# torch: ${script} failed (${why}) after ${lines.length} line(s): ${stderr}`);
  }
  const device = lines.find((l) => l[0] === 'device')?.[1] ?? 'cpu';
  const values = new Map(lines.filter((l) => l[0] !== 'device').map(([name, v]) => [name, Number(v)] as [string, number]));
  return { device, values };
}

/** torch.matmul GFLOP/s per case name (peers/torch_matmul.py). */
export function torchMatmul(cases: TorchCase[], minSeconds: number): { device: string; gflops: Map<string, number> } {
  const { device, values } = runTorchPeer('torch_matmul.py', { minSeconds, cases });
  return { device, gflops: values };
}
