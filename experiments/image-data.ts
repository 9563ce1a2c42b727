/**
 * The image sets the image experiments train on (cnn-class-removal, permuted-transfer), loaded once per
 * (set, folder, split seed): read from disk (Node only — the import stays out of browser bundles), a
 * seeded 20 % of the train split held out for validation, every split normalised by the train split's
 * per-channel statistics.
 */
import type { ImageSet, ImageSplit } from '../data/image-split.js';

export interface ImageDataConfig {
  dataset: 'fashion-mnist' | 'mnist' | 'cifar10';
  /** A folder with the set's files, instead of the default location. */
  dataDir?: string;
  /** Seed of the validation hold-out. */
  splitSeed: number;
}

export type LoadedImages = ImageSet & { valid: ImageSplit };

const loaded = new Map<string, LoadedImages>();
const dataKey = (cfg: ImageDataConfig): string => `${cfg.dataset}|${cfg.dataDir ?? ''}|${cfg.splitSeed}`;

/** Loads the set if it is not loaded yet; `check` may refuse it (e.g. the wrong image size) with an Error. */
export async function prepareImages(cfg: ImageDataConfig, check?: (set: ImageSet) => void): Promise<void> {
  if (loaded.has(dataKey(cfg))) return;
  const { loadImageSet } = await import('../data/image-sets.js');
  const { splitValidation } = await import('../data/validation-split.js');
  const { normaliseImageSet } = await import('../data/image-normalise.js');
  const raw = await loadImageSet({ name: cfg.dataset, dataDir: cfg.dataDir });
  check?.(raw);
  loaded.set(dataKey(cfg), normaliseImageSet(splitValidation(raw, cfg.splitSeed)).set);
}

/** The loaded set; `experiment` names the caller in the error when prepareImages was not called. */
export function loadedImages(experiment: string, cfg: ImageDataConfig): LoadedImages {
  const set = loaded.get(dataKey(cfg));
  if (!set) throw new Error(`${experiment}: the ${cfg.dataset} data was not loaded (prepare first)`);
  return set;
}
