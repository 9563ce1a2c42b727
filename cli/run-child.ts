/**
 * A sweep's run as a process of its own: `maskscope run … --sweep-child`, the normal command (folder lock,
 * settings checks, checkpoints, resume), one CPU backend or GPU device per process, so runs on one machine
 * neither share the engine's global state nor block the parent's event loop (a worker's queue lock is
 * renewed from there). The child sends its progress over an IPC channel instead of drawing bars, and stops
 * at the next step when that channel closes: a parent that dies, even by SIGKILL, leaves no run going.
 */
import { spawn } from 'node:child_process';
import type { RunEvent } from '../experiments/runner.js';
import type { ProgressPrinter } from './progress.js';

/** How a child run ended. */
export interface ChildEnd {
  /** Its exit status (0 done, 1 failed, 2 refused, 130 / 143 stopped), null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Its error line ("maskscope: …" without the prefix), when it printed one. */
  error?: string;
}

export interface ChildRun {
  done: Promise<ChildEnd>;
  /** Passes a stop signal on: the run stops after its current step, keeping its finished phases. */
  stop(signal: NodeJS.Signals): void;
}

/** Starts `maskscope run <args>` in a child process (this process's Node options and entry point); its RunEvents go to `onEvent`. */
export function startChildRun(args: readonly string[], onEvent: (e: RunEvent) => void): ChildRun {
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1], 'run', ...args, '--sweep-child'], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    // Its own process group: a Ctrl-C at the terminal reaches the parent, which passes it on once.
    detached: true,
  });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-16_384)));
  child.on('message', (m) => onEvent(m as RunEvent));
  const done = new Promise<ChildEnd>((ok) => {
    child.on('error', (e) => ok({ code: null, signal: null, error: `cannot start ${process.execPath}: ${e.message}` }));
    child.on('close', (code, signal) => {
      const error = stderr.split('\n').filter((l) => l.startsWith('maskscope: ')).pop()?.slice('maskscope: '.length);
      ok({ code, signal, ...(error ? { error } : {}) });
    });
  });
  return { done, stop: (signal) => child.exitCode === null && child.kill(signal) };
}

/** Why a child run failed, in a few words: its error line, else how it ended. */
export const failureOf = (end: ChildEnd): string =>
  end.error ?? (end.code !== null ? `it ended with exit status ${end.code}` : `it was killed by ${end.signal}`);

/** A step event at most this often: the IPC channel and the parent need no more. */
const STEP_EVERY_MS = 250;

/**
 * The child's side (`run --sweep-child`): events to the parent instead of the terminal, and a stop when the
 * parent goes (SIGTERM to itself, so the usual stop path runs: the current step finishes, the lock goes).
 */
export function parentPrinter(): ProgressPrinter {
  // The channel must not keep the process alive once the run is over.
  process.channel?.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  let last = 0;
  const send = (e: RunEvent): void => {
    if (e.kind === 'step' && performance.now() - last < STEP_EVERY_MS) return;
    last = performance.now();
    if (process.connected) process.send!(e);
  };
  return Object.assign(send, { close: () => {} });
}
