/**
 * The training worker: takes one StartMessage, activates the backend (WebGPU through the worker's
 * navigator.gpu, or the CPU backend), runs the experiment (web/run.ts) and posts DemoEvents back. The page
 * stays responsive on either backend; stopping a run terminates the worker.
 */
import { setBackend } from '../engine/setup.js';
import type { DemoEvent, StartMessage } from './protocol.js';
import { PRESETS } from './presets.js';
import { configFor, runDemo } from './run.js';

const post = (e: DemoEvent): void => {
  const transfer = e.kind === 'probe' && e.masks ? e.masks.heat.map((h) => h.values.buffer as ArrayBuffer) : [];
  (self as unknown as Worker).postMessage(e, transfer);
};

self.onmessage = async (msg: MessageEvent<StartMessage>) => {
  const { preset, beta, seed, backend: pick } = msg.data;
  try {
    const backend = await setBackend(pick);
    await runDemo({ cfg: configFor(preset, beta), seed, size: PRESETS[preset].size, backend, emit: post });
  } catch (e) {
    post({ kind: 'error', message: e instanceof Error ? e.message : String(e) });
  }
};
