/**
 * Node only (nothing in index.ts imports it): loads Fashion-MNIST, MNIST or CIFAR-10 from local files, as
 * NCHW floats in [0, 1]. Nothing is downloaded. Fashion-MNIST defaults to the Debian package
 * dataset-fashion-mnist (gzipped IDX files in /usr/share/datasets/fashion-mnist); MNIST and CIFAR-10 have no
 * Debian package, so they need a data folder.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { CIFAR_CHANNELS, CIFAR_CLASSES, CIFAR_SIDE, CIFAR_TEST_FILES, CIFAR_TRAIN_FILES, readCifarBatches } from './cifar.js';
import { readIdxFile } from './idx.js';
import { splitFromBytes, type ImageSet, type ImageSplit } from './image-split.js';

export type ImageSetName = 'fashion-mnist' | 'mnist' | 'cifar10';
export const IMAGE_SET_NAMES: readonly ImageSetName[] = ['fashion-mnist', 'mnist', 'cifar10'];

export const FASHION_MNIST_DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';

export interface LoadImageSetOptions {
  name: ImageSetName;
  /** Folder with the set's files; default only for fashion-mnist (the Debian package's folder). */
  dataDir?: string;
}

/** Where each set's files come from, for the "not found" errors. */
const PROVIDER: Record<ImageSetName, string> = {
  'fashion-mnist': 'install the Debian package dataset-fashion-mnist, or pass --data-dir DIR with the IDX files',
  mnist: 'no Debian package ships MNIST: pass --data-dir DIR with its four IDX files (train-/t10k-images-idx3-ubyte, train-/t10k-labels-idx1-ubyte, raw or .gz)',
  cifar10: 'no Debian package ships CIFAR-10: pass --data-dir DIR with the binary version (cifar-10-batches-bin/ of cifar-10-binary.tar.gz)',
};

const MNIST_CLASSES = 10;

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

/** `base` or `base.gz`, whichever exists (raw first). */
async function findIdx(name: ImageSetName, dir: string, base: string): Promise<string> {
  const path = join(dir, base);
  for (const candidate of [path, `${path}.gz`]) if (await exists(candidate)) return candidate;
  throw new Error(`${name}: ${path}(.gz) not found — ${PROVIDER[name]}`);
}

async function readIdxSplit(name: ImageSetName, dir: string, prefix: 'train' | 't10k'): Promise<ImageSplit> {
  const imagesPath = await findIdx(name, dir, `${prefix}-images-idx3-ubyte`);
  const labelsPath = await findIdx(name, dir, `${prefix}-labels-idx1-ubyte`);
  const [images, labels] = await Promise.all([readIdxFile(imagesPath), readIdxFile(labelsPath)]);
  if (images.shape.length !== 3) throw new Error(`${imagesPath}: images must have rank 3 [N, H, W], got shape [${images.shape}]`);
  if (labels.shape.length !== 1) throw new Error(`${labelsPath}: labels must have rank 1 [N], got shape [${labels.shape}]`);
  if (images.shape[0] !== labels.shape[0]) {
    throw new Error(`${name}: ${imagesPath} holds ${images.shape[0]} images but ${labelsPath} holds ${labels.shape[0]} labels`);
  }
  const bad = labels.data.findIndex((l) => l >= MNIST_CLASSES);
  if (bad >= 0) throw new Error(`${labelsPath}: label ${labels.data[bad]} at row ${bad}, expected 0-${MNIST_CLASSES - 1}`);
  const [n, h, w] = images.shape;
  return splitFromBytes([n, 1, h, w], images.data, labels.data);
}

async function readCifarSplit(dir: string, files: string[]): Promise<ImageSplit> {
  const paths = files.map((f) => join(dir, f));
  for (const p of paths) if (!(await exists(p))) throw new Error(`cifar10: ${p} not found — ${PROVIDER.cifar10}`);
  const { count, pixels, labels } = await readCifarBatches(paths);
  return splitFromBytes([count, CIFAR_CHANNELS, CIFAR_SIDE, CIFAR_SIDE], pixels, labels);
}

/** Train and test splits of a set; throws naming the missing file and where to get it. */
export async function loadImageSet({ name, dataDir }: LoadImageSetOptions): Promise<ImageSet> {
  const dir = dataDir ?? (name === 'fashion-mnist' ? FASHION_MNIST_DEBIAN_DIR : undefined);
  if (dir === undefined) throw new Error(`${name}: no data folder given — ${PROVIDER[name]}`);
  if (name === 'cifar10') {
    // One after the other, so that a missing file is always reported the same way (train's first).
    const train = await readCifarSplit(dir, CIFAR_TRAIN_FILES);
    const test = await readCifarSplit(dir, CIFAR_TEST_FILES);
    return { name, classes: CIFAR_CLASSES, train, test };
  }
  const train = await readIdxSplit(name, dir, 'train');
  const test = await readIdxSplit(name, dir, 't10k');
  return { name, classes: MNIST_CLASSES, train, test };
}
