/** Runs peers/torch_matmul.py (when python3 has torch) and returns its device and GFLOP/s per case name. */
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

export function torchMatmul(cases: TorchCase[], minSeconds: number): { device: string; gflops: Map<string, number> } {
  const script = fileURLToPath(new URL('./torch_matmul.py', import.meta.url));
  const env = { ...process.env, LD_LIBRARY_PATH: [OPENBLAS, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'), OPENBLAS_NUM_THREADS: '2' };
  const res = spawnSync(PYTHON, [script], { input: JSON.stringify({ minSeconds, cases }), env, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`torch peer failed (exit ${res.status}): ${res.stderr}`);
  const lines = res.stdout.trim().split('\n').map((l) => l.split(' '));
  const device = lines.find((l) => l[0] === 'device')?.[1] ?? 'cpu';
  const gflops = new Map(lines.filter((l) => l[0] !== 'device').map(([name, v]) => [name, Number(v)] as [string, number]));
  return { device, gflops };
}
