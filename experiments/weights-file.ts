/** Loading a base network trained elsewhere (e.g. PyTorch) from a safetensors file: `run --weights FILE`. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { decodeSafetensors } from '../engine/io/safetensors.js';
import { tensor } from '../engine/create.js';
import type { Module } from '../models/module.js';

/** A weights file as read: its tensors (checked finite) and the SHA-256 of its bytes. */
export interface WeightsFile {
  path: string;
  sha256: string;
  tensors: Record<string, { shape: readonly number[]; data: ArrayLike<number> }>;
}

/** A weights file that cannot be used: unreadable, not safetensors, non-finite values or wrong shapes. */
export class WeightsFileError extends Error {
  override name = 'WeightsFileError';
}

const shapeOf = (s: readonly number[]): string => `[${s.join(',')}]`;

/** Reads, decodes and checks a weights file: every value must be finite (the first that is not is named). */
export async function readWeightsFile(path: string): Promise<WeightsFile> {
  const bytes = await readFile(path).catch((e: Error) => {
    throw new WeightsFileError(`--weights ${path}: cannot read the file (${e.message})`);
  });
  let tensors: WeightsFile['tensors'];
  try {
    tensors = decodeSafetensors(bytes).tensors;
  } catch (e) {
    throw new WeightsFileError(`--weights ${path}: ${(e as Error).message}`);
  }
  for (const name of Object.keys(tensors).sort(byLayer)) {
    const { data } = tensors[name];
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) throw new WeightsFileError(`--weights ${path}: tensor ${name} holds ${data[i]} at index ${i} (every weight must be finite)`);
    }
  }
  return { path, sha256: createHash('sha256').update(bytes).digest('hex'), tensors };
}

/**
 * Which file tensor goes to which parameter: by name when every parameter name is in the file
 * (maskscope's own names, e.g. layers.0.weight), otherwise in layer order (e.g. a PyTorch nn.Sequential's
 * 0.weight, 0.bias, 2.weight, …; safetensors files store names sorted as text, so the order is rebuilt).
 * Throws a WeightsFileError naming the first tensor that does not fit.
 */
export function matchWeights(params: readonly (readonly [string, readonly number[]])[], file: WeightsFile): { how: 'by name' | 'in order'; names: string[] } {
  const { tensors, path } = file;
  const fail = (why: string): never => {
    throw new WeightsFileError(`--weights ${path}: the file's tensors do not fit the model: ${why}`);
  };
  if (params.every(([n]) => n in tensors)) {
    for (const [n, shape] of params) {
      if (shapeOf(tensors[n].shape) !== shapeOf(shape)) fail(`${n} is ${shapeOf(tensors[n].shape)} in the file, the model needs ${shapeOf(shape)}`);
    }
    return { how: 'by name', names: params.map(([n]) => n) };
  }
  const names = Object.keys(tensors).sort(byLayer);
  params.forEach(([n, shape], i) => {
    if (i >= names.length) fail(`the file has ${names.length} tensors in layer order, the model needs ${params.length}: nothing for ${n} ${shapeOf(shape)}`);
    const t = tensors[names[i]];
    if (shapeOf(t.shape) !== shapeOf(shape)) fail(`tensor ${i + 1} in layer order, ${names[i]} ${shapeOf(t.shape)}, is the model's ${n}, which needs ${shapeOf(shape)}`);
  });
  if (names.length > params.length) fail(`the file has ${names.length} tensors, the model needs ${params.length}: ${names[params.length]} is one too many`);
  return { how: 'in order', names };
}

/** Copies a weights file's tensors into the model's parameters (see matchWeights for how they are paired). */
export async function loadWeightsFile(model: Module, path: string): Promise<'by name' | 'in order'> {
  const file = await readWeightsFile(path);
  const params = model.namedParameters();
  const { how, names } = matchWeights(params.map(([n, p]) => [n, p.shape] as const), file);
  params.forEach(([, p], i) => p.assign(tensor(Float32Array.from(file.tensors[names[i]].data), p.shape)));
  return how;
}

/** Orders "2.weight" before "10.bias", and a layer's weight before its bias. */
function byLayer(a: string, b: string): number {
  const key = (name: string): (number | string)[] => {
    const parts = name.split('.');
    const last = parts.pop() ?? '';
    return [...parts.map((p) => (/^\d+$/.test(p) ? Number(p) : p)), last === 'weight' ? 0 : last === 'bias' ? 1 : last];
  };
  const ka = key(a);
  const kb = key(b);
  for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
    if (ka[i] === kb[i]) continue;
    if (typeof ka[i] === 'number' && typeof kb[i] === 'number') return (ka[i] as number) - (kb[i] as number);
    return String(ka[i]) < String(kb[i]) ? -1 : 1;
  }
  return ka.length - kb.length;
}
