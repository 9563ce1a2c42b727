/** Runs the PyTorch peers (peers/torch_*.py, when /usr/bin/python3 has torch) and parses their output. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PYTHON = '/usr/bin/python3';
const OPENBLAS = '/usr/lib/x86_64-linux-gnu/openblas-pthread';

export interface TorchCase {
  name: string;
  m: number;
  k: number;
  n: number;
  transB: boolean;
}

export function hasTorch(): boolean {
  return spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

/**
 * Runs peers/<script> with `input` as JSON on stdin (OpenBLAS with `blasThreads` threads) and returns the device it
 * printed (`device <cpu|cuda>`) and its other `<name> <number>` lines.
 */
export function runTorchPeer(script: string, input: unknown, blasThreads = 2): { device: string; values: Map<string, number> } {
  const path = fileURLToPath(new URL(`./${script}`, import.meta.url));
  const env = { ...process.env, LD_LIBRARY_PATH: [OPENBLAS, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'), OPENBLAS_NUM_THREADS: String(blasThreads) };
  const res = spawnSync(PYTHON, [path], { input: JSON.stringify(input), env, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (res.status !== 0) throw new Error(`torch peer ${script} failed (exit ${res.status}): ${res.stderr}`);
  const lines = res.stdout.trim().split('\n').map((l) => l.split(' '));
  const device = lines.find((l) => l[0] === 'device')?.[1] ?? 'cpu';
  const values = new Map(lines.filter((l) => l[0] !== 'device').map(([name, v]) => [name, Number(v)] as [string, number]));
  return { device, values };
}

/** torch.matmul GFLOP/s per case name (peers/torch_matmul.py). */
export function torchMatmul(cases: TorchCase[], minSeconds: number): { device: string; gflops: Map<string, number> } {
  const { device, values } = runTorchPeer('torch_matmul.py', { minSeconds, cases });
  return { device, gflops: values };
}
