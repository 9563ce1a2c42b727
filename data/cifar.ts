/**
 * Node only: the binary version of CIFAR-10 (https://www.cs.toronto.edu/~kriz/cifar.html,
 * cifar-10-binary.tar.gz → cifar-10-batches-bin/). Each record is 1 label byte then 3072 pixel bytes:
 * the 1024 red values of the 32×32 image row by row, then green, then blue — already channel-major (CHW).
 */
import { readFile } from 'node:fs/promises';

export const CIFAR_CHANNELS = 3;
export const CIFAR_SIDE = 32;
export const CIFAR_CLASSES = 10;
const PIXELS = CIFAR_CHANNELS * CIFAR_SIDE * CIFAR_SIDE;
const RECORD = 1 + PIXELS;

export const CIFAR_TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
export const CIFAR_TEST_FILES = ['test_batch.bin'];

export interface CifarRecords {
  count: number;
  /** count × 3072 bytes, CHW per image. */
  pixels: Uint8Array;
  labels: Uint8Array;
}

/** Splits a batch file's bytes into labels and pixels; `source` names the file in errors. */
export function parseCifarBatch(bytes: Uint8Array, source: string): CifarRecords {
  if (bytes.length === 0 || bytes.length % RECORD !== 0) {
    throw new Error(`${source}: ${bytes.length} bytes is not a whole number of CIFAR-10 records (${RECORD} bytes each); truncated or not the binary version`);
  }
  const count = bytes.length / RECORD;
  const pixels = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = bytes[i * RECORD];
    if (label >= CIFAR_CLASSES) throw new Error(`${source}: record ${i} has label ${label}, CIFAR-10 labels are 0-9`);
    labels[i] = label;
    pixels.set(bytes.subarray(i * RECORD + 1, (i + 1) * RECORD), i * PIXELS);
  }
  return { count, pixels, labels };
}

/** Reads and concatenates batch files in the order given. */
export async function readCifarBatches(paths: string[]): Promise<CifarRecords> {
  const parts = await Promise.all(paths.map(async (p) => parseCifarBatch(await readFile(p), p)));
  const count = parts.reduce((n, p) => n + p.count, 0);
  const pixels = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  let row = 0;
  for (const p of parts) {
    pixels.set(p.pixels, row * PIXELS);
    labels.set(p.labels, row);
    row += p.count;
  }
  return { count, pixels, labels };
}
