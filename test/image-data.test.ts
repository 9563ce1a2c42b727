import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCifarBatch } from '../data/cifar.js';
import { parseIdx, readIdxFile, readIdxShape } from '../data/idx.js';
import { channelStats, normaliseImageSet } from '../data/image-normalise.js';
import { FASHION_MNIST_DEBIAN_DIR, loadImageSet } from '../data/image-sets.js';
import type { ImageSet } from '../data/image-split.js';
import { splitValidation, validationRows } from '../data/validation-split.js';
import { idxBytes } from './image-files.js';

// 3 train and 2 test images of 4×5: pixel p of image i is (i * 20 + p) * 2, labels distinct per row.
const H = 4;
const W = 5;
const pixels = (n: number): number[] => Array.from({ length: n * H * W }, (_, k) => k * 2);
const trainLabels = [3, 0, 9];
const testLabels = [1, 7];

let dir: string;
const path = (...parts: string[]): string => join(dir, ...parts);

async function writeIdxSet(sub: string, gzipped: boolean): Promise<void> {
  const files: [string, Uint8Array][] = [
    ['train-images-idx3-ubyte', idxBytes([3, H, W], pixels(3))],
    ['train-labels-idx1-ubyte', idxBytes([3], trainLabels)],
    ['t10k-images-idx3-ubyte', idxBytes([2, H, W], pixels(2))],
    ['t10k-labels-idx1-ubyte', idxBytes([2], testLabels)],
  ];
  await mkdir(path(sub));
  for (const [name, bytes] of files) {
    await writeFile(path(sub, gzipped ? `${name}.gz` : name), gzipped ? gzipSync(bytes) : bytes);
  }
}

/** A CIFAR record: label then 3072 bytes, value of channel c, pixel p = (seed + c * 7 + p) mod 256. */
function cifarRecord(label: number, seed: number): Uint8Array {
  const out = new Uint8Array(3073);
  out[0] = label;
  for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) out[1 + c * 1024 + p] = (seed + c * 7 + p) % 256;
  return out;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'maskscope-image-data-'));
  await writeIdxSet('raw', false);
  await writeIdxSet('gz', true);
  await mkdir(path('cifar'));
  for (let b = 1; b <= 5; b++) await writeFile(path('cifar', `data_batch_${b}.bin`), cifarRecord(b, b * 10));
  await writeFile(path('cifar', 'test_batch.bin'), Buffer.concat([cifarRecord(4, 100), cifarRecord(8, 200)]));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('IDX reader', () => {
  it('round-trips shapes and values, raw and gzipped alike', async () => {
    for (const sub of ['raw', 'gz']) {
      const suffix = sub === 'gz' ? '.gz' : '';
      const images = await readIdxFile(path(sub, `train-images-idx3-ubyte${suffix}`));
      expect(images.shape).toEqual([3, H, W]);
      expect(Array.from(images.data)).toEqual(pixels(3));
      expect(await readIdxShape(path(sub, `t10k-images-idx3-ubyte${suffix}`))).toEqual([2, H, W]);
    }
  });

  it('detects gzip by its magic bytes, not by the name', async () => {
    await writeFile(path('renamed'), gzipSync(idxBytes([2], [5, 6])));
    expect(Array.from((await readIdxFile(path('renamed'))).data)).toEqual([5, 6]);
  });

  it('names the file and the fault', async () => {
    expect(() => parseIdx(new Uint8Array([1, 2, 8, 1, 0, 0, 0, 0]), 'x.idx')).toThrow(/x\.idx: bad IDX magic number 01 02 08 01/);
    expect(() => parseIdx(idxBytes([2], [1, 2], 0x0d), 'f.idx')).toThrow(/f\.idx: IDX element type is f32, only u8/);
    expect(() => parseIdx(idxBytes([2, 3], [1, 2, 3]), 't.idx')).toThrow(/t\.idx: truncated IDX data \(shape \[2,3\] needs 6 bytes, file has 3\)/);
    expect(() => parseIdx(new Uint8Array([0, 0, 8, 3, 0, 0]), 'h.idx')).toThrow(/h\.idx: truncated IDX header/);
    expect(() => parseIdx(new Uint8Array([0, 0]), 's.idx')).toThrow(/s\.idx: truncated IDX file/);
    await writeFile(path('broken.gz'), gzipSync(idxBytes([100], new Uint8Array(100))).subarray(0, 20));
    await expect(readIdxFile(path('broken.gz'))).rejects.toThrow(/broken\.gz: gzip data is damaged/);
  });
});

describe('loadImageSet', () => {
  it('gives NCHW floats in [0, 1] and Int32 labels for train and test', async () => {
    for (const sub of ['raw', 'gz']) {
      const set = await loadImageSet({ name: 'mnist', dataDir: path(sub) });
      expect(set.classes).toBe(10);
      expect(set.train.shape).toEqual([3, 1, H, W]);
      expect(set.test.shape).toEqual([2, 1, H, W]);
      expect(set.train.images).toBeInstanceOf(Float32Array);
      expect(Array.from(set.train.images)).toEqual(pixels(3).map((v) => Math.fround(v / 255)));
      expect(set.train.labels).toEqual(Int32Array.from(trainLabels));
      expect(set.test.labels).toEqual(Int32Array.from(testLabels));
    }
  });

  it('says which file is missing and which package or folder provides it', async () => {
    await expect(loadImageSet({ name: 'fashion-mnist', dataDir: path('cifar') })).rejects.toThrow(
      `fashion-mnist: ${path('cifar', 'train-images-idx3-ubyte')}(.gz) not found — install the Debian package dataset-fashion-mnist, or pass --data-dir DIR`,
    );
    await expect(loadImageSet({ name: 'mnist' })).rejects.toThrow(/mnist: no data folder given — no Debian package ships MNIST: pass --data-dir DIR/);
    await expect(loadImageSet({ name: 'cifar10', dataDir: path('raw') })).rejects.toThrow(/cifar10: .*data_batch_1\.bin not found — .*cifar-10-batches-bin/);
  });

  it('refuses images and labels of different lengths', async () => {
      await mkdir(path('mismatch'));
    await writeFile(path('mismatch', 'train-images-idx3-ubyte'), idxBytes([3, H, W], pixels(3)));
    await writeFile(path('mismatch', 'train-labels-idx1-ubyte'), idxBytes([2], [0, 1]));
    await expect(loadImageSet({ name: 'mnist', dataDir: path('mismatch') })).rejects.toThrow(/holds 3 images but .*train-labels-idx1-ubyte holds 2 labels/);
  });

  it('reads CIFAR-10 batches channel-major, train batches 1-5 in order', async () => {
    const set = await loadImageSet({ name: 'cifar10', dataDir: path('cifar') });
    expect(set.train.shape).toEqual([5, 3, 32, 32]);
    expect(set.test.shape).toEqual([2, 3, 32, 32]);
    expect(Array.from(set.train.labels)).toEqual([1, 2, 3, 4, 5]);
    expect(Array.from(set.test.labels)).toEqual([4, 8]);
    // test image 1 (seed 200), channel 2 (blue), pixel (row 1, col 3) = (200 + 14 + 35) mod 256
    expect(set.test.images[1 * 3072 + 2 * 1024 + 35]).toBeCloseTo(((200 + 14 + 35) % 256) / 255, 6);
  });

  it('refuses a CIFAR file that is not whole records or has a label over 9', () => {
    expect(() => parseCifarBatch(new Uint8Array(3073 + 10), 'c.bin')).toThrow(/c\.bin: 3083 bytes is not a whole number of CIFAR-10 records/);
    expect(() => parseCifarBatch(cifarRecord(10, 0), 'd.bin')).toThrow(/d\.bin: record 0 has label 10/);
  });
});

/** A one-channel set whose train image i is filled with value i: rows identify themselves. */
function numberedSet(n: number): ImageSet {
  const images = Float32Array.from({ length: n * 4 }, (_, k) => Math.floor(k / 4));
  return {
    name: 'numbered',
    classes: 10,
    train: { shape: [n, 1, 2, 2], images, labels: Int32Array.from({ length: n }, (_, i) => i % 10) },
    test: { shape: [1, 1, 2, 2], images: new Float32Array(4), labels: new Int32Array(1) },
  };
}

describe('normalisation', () => {
  it('computes mean and std per channel on train and applies them to every split', () => {
    // 2 images × 2 channels × 1×2: channel 0 holds 1,3,5,7 (mean 4, std √5), channel 1 holds 2 everywhere.
    const set: ImageSet = {
      name: 'tiny',
      classes: 2,
      train: { shape: [2, 2, 1, 2], images: Float32Array.from([1, 3, 2, 2, 5, 7, 2, 2]), labels: Int32Array.from([0, 1]) },
      test: { shape: [1, 2, 1, 2], images: Float32Array.from([4, 9, 2, 3]), labels: Int32Array.from([1]) },
    };
    const { stats, set: out } = normaliseImageSet(splitValidation(set, 1, 0.5));
    // the stats come from the train rows left after the hold-out, not from valid or test
    const kept = out.train.labels[0];
    const keptValues = kept === 0 ? [1, 3] : [5, 7];
    expect(stats.mean[0]).toBeCloseTo((keptValues[0] + keptValues[1]) / 2, 6);
    expect(stats.std[0]).toBeCloseTo(1, 6);
    expect(stats).toEqual(channelStats(splitValidation(set, 1, 0.5).train));
    expect(stats.mean[1]).toBe(2);
    expect(stats.std[1]).toBe(0);
    expect(Array.from(out.train.images)).toEqual([-1, 1, 0, 0]);
    expect(out.valid.images[0]).toBeCloseTo((kept === 0 ? 5 : 1) - stats.mean[0], 6);
    expect(Array.from(out.test.images)).toEqual([4 - stats.mean[0], 9 - stats.mean[0], 0, 1]); // std 0: centred only
    expect(set.train.images[0]).toBe(1); // the input is not modified
  });

  it('gives zero mean and unit std on the train split itself', () => {
    const { set } = normaliseImageSet(numberedSet(50));
    const stats = channelStats(set.train);
    expect(stats.mean[0]).toBeCloseTo(0, 5);
    expect(stats.std[0]).toBeCloseTo(1, 5);
  });
});

describe('validation split', () => {
  const n = 103;
  it('holds out round(20 %) of the rows, disjoint from train and covering it', () => {
    const { train, valid } = validationRows(n, 7);
    expect(valid.length).toBe(21);
    expect(train.length).toBe(82);
    const all = [...train, ...valid].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: n }, (_, i) => i));
    const split = splitValidation(numberedSet(n), 7);
    expect(split.valid.shape).toEqual([21, 1, 2, 2]);
    expect(Array.from(split.valid.images.filter((_, k) => k % 4 === 0))).toEqual(Array.from(valid));
    expect(Array.from(split.train.labels)).toEqual(Array.from(train, (r) => r % 10));
  });

  it('is the same for the same seed and different for another', () => {
    expect(validationRows(n, 7)).toEqual(validationRows(n, 7));
    expect(validationRows(n, 8).valid).not.toEqual(validationRows(n, 7).valid);
    expect(validationRows(n, 7, 0.5).valid.length).toBe(52);
  });

  it('refuses fractions that leave a side empty', () => {
    expect(() => validationRows(n, 1, 0)).toThrow(/fraction must be in \(0, 1\)/);
    expect(() => validationRows(2, 1, 0.1)).toThrow(/leaves one side empty/);
  });
});

const debianFiles = join(FASHION_MNIST_DEBIAN_DIR, 'train-images-idx3-ubyte.gz');
describe.skipIf(!existsSync(debianFiles))(`the Debian package's Fashion-MNIST (skipped: ${debianFiles} absent — apt-get install dataset-fashion-mnist)`, () => {
  it('has 60,000 train images of 28×28 and 10,000 balanced test labels', async () => {
    expect(await readIdxShape(debianFiles)).toEqual([60000, 28, 28]);
    expect(await readIdxShape(join(FASHION_MNIST_DEBIAN_DIR, 'train-labels-idx1-ubyte.gz'))).toEqual([60000]);
    const labels = await readIdxFile(join(FASHION_MNIST_DEBIAN_DIR, 't10k-labels-idx1-ubyte.gz'));
    const perClass = new Array(10).fill(0);
    for (const l of labels.data) perClass[l]++;
    expect(perClass).toEqual(new Array(10).fill(1000));
  });
});
