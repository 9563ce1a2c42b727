/** Loading a base network trained elsewhere (e.g. PyTorch) from a safetensors file: `run --weights FILE`. */
import { readFile } from 'node:fs/promises';
import { decodeSafetensors } from '../engine/io/safetensors.js';
import { tensor } from '../engine/create.js';
import type { Module } from '../models/module.js';

/**
 * Copies the file's tensors into the model's parameters: by name when every parameter name is in the
 * file (maskscope's own names, e.g. layers.0.weight), otherwise in layer order when the file's tensors,
 * sorted by layer (e.g. a PyTorch nn.Sequential's 0.weight, 0.bias, 2.weight, …), have exactly the
 * parameters' shapes. safetensors files store names sorted as text, so the order is rebuilt here.
 */
export async function loadWeightsFile(model: Module, path: string): Promise<'by name' | 'in order'> {
  const bytes = await readFile(path).catch((e: Error) => {
    throw new Error(`--weights ${path}: cannot read the file (${e.message})`);
  });
  const { tensors } = (() => {
    try {
      return decodeSafetensors(bytes);
    } catch (e) {
      throw new Error(`--weights ${path}: ${(e as Error).message}`);
    }
  })();
  const params = model.namedParameters();
  const names = Object.keys(tensors).sort(byLayer);
  const describe = (list: [string, readonly number[]][]): string => list.map(([n, s]) => `${n} [${s.join(',')}]`).join(', ');
  const byName = params.every(([n]) => n in tensors);
  const source = byName ? params.map(([n]) => tensors[n]) : names.map((n) => tensors[n]);
  const fits = source.length === params.length && source.every((t, i) => t.shape.join() === params[i][1].shape.join());
  if (!fits) {
    throw new Error(
      `--weights ${path}: the file's tensors do not fit the model. The model needs ${describe(params.map(([n, p]) => [n, p.shape]))}; ` +
        `the file has ${describe(names.map((n) => [n, tensors[n].shape]))}`,
    );
  }
  params.forEach(([, p], i) => p.assign(tensor(Float32Array.from(source[i].data), p.shape)));
  return byName ? 'by name' : 'in order';
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
