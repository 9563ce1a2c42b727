/** Small image sets in IDX form that tests write themselves (no download, no Debian package needed). */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** An IDX file: magic 00 00 <type> rank, big-endian dims, data (u8 by default). */
export function idxBytes(shape: number[], data: ArrayLike<number>, type = 0x08): Uint8Array {
  const out = new Uint8Array(4 + 4 * shape.length + data.length);
  out.set([0, 0, type, shape.length]);
  const view = new DataView(out.buffer);
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(Array.from(data), 4 + 4 * shape.length);
  return out;
}

/**
 * Writes train and t10k image and label files of `side`×`side` images, 10 classes in turn, whose pixel
 * pattern depends on the class, so that a tiny net can learn something.
 */
export async function writeImageSet(dir: string, side: number, counts: { train: number; test: number }): Promise<void> {
  for (const [part, n] of [['train', counts.train], ['t10k', counts.test]] as const) {
    const labels = Array.from({ length: n }, (_, i) => i % 10);
    const pixels = labels.flatMap((c, i) => Array.from({ length: side * side }, (_, p) => ((p * (c + 1) + i) * 37) % 256));
    await writeFile(join(dir, `${part}-images-idx3-ubyte`), idxBytes([n, side, side], pixels));
    await writeFile(join(dir, `${part}-labels-idx1-ubyte`), idxBytes([n], labels));
  }
}
