/** The machine a driver's report was made on, so that figures copied from it carry their context. */
import { spawnSync } from 'node:child_process';
import { cpus, hostname, release, totalmem } from 'node:os';
import { torchInfo } from '../peers/torch.js';

export interface Machine {
  host: string;
  os: string;
  cpus: string;
  memoryGiB: number;
  node: string;
  /** nvidia-smi's name, driver and memory per GPU; null where it is not installed. */
  nvidia: string[] | null;
  /** torch as the peers run it; null without one (or when the peers were turned off). */
  torch: ReturnType<typeof torchInfo>;
  /** `git describe --always --dirty` of the working directory: the device machine may get a copy without .git. */
  commit: string;
}

function run(cmd: string, args: string[]): string | null {
  const res = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  return res.status === 0 ? res.stdout.trim() : null;
}

export function describeMachine(withTorch: boolean): Machine {
  const cpu = cpus();
  const smi = run('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader']);
  return {
    host: hostname(),
    os: `${process.platform} ${release()}`,
    cpus: `${cpu.length} × ${cpu[0]?.model ?? 'unknown'}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    nvidia: smi ? smi.split('\n') : null,
    torch: withTorch ? torchInfo() : null,
    commit: run('git', ['describe', '--always', '--dirty']) ?? 'unknown',
  };
}
