/**
 * Per-channel standardisation: mean and std of each channel over the train split only (so no statistic
 * leaks from validation or test data), then (x - mean) / std applied to every split.
 */
import type { ImageSet, ImageSplit } from './image-split.js';

export interface ChannelStats {
  mean: number[];
  /** Population std (divides by the number of values), as torchvision-style statistics are usually computed. */
  std: number[];
}

/** Mean and std per channel of a split; two passes in float64 so millions of pixels sum without drift. */
export function channelStats(split: ImageSplit): ChannelStats {
  const [n, c, h, w] = split.shape;
  const plane = h * w;
  const mean: number[] = [];
  const std: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const start = (i * c + ch) * plane;
      for (let p = start; p < start + plane; p++) sum += split.images[p];
    }
    const m = sum / (n * plane);
    let squares = 0;
    for (let i = 0; i < n; i++) {
      const start = (i * c + ch) * plane;
      for (let p = start; p < start + plane; p++) squares += (split.images[p] - m) ** 2;
    }
    mean.push(m);
    std.push(Math.sqrt(squares / (n * plane)));
  }
  return { mean, std };
}

/** A normalised copy of a split. A constant channel (std 0) is only centred, not divided by zero. */
export function applyChannelStats(split: ImageSplit, stats: ChannelStats): ImageSplit {
  const [n, c, h, w] = split.shape;
  const plane = h * w;
  const images = new Float32Array(split.images.length);
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const start = (i * c + ch) * plane;
      const m = stats.mean[ch];
      const s = stats.std[ch] > 0 ? stats.std[ch] : 1;
      for (let p = start; p < start + plane; p++) images[p] = (split.images[p] - m) / s;
    }
  }
  return { shape: split.shape, images, labels: split.labels };
}

/** The train split's statistics and a copy of the set with every split (train, valid, test) normalised by them. */
export function normaliseImageSet<S extends ImageSet>(set: S): { stats: ChannelStats; set: S } {
  const stats = channelStats(set.train);
  const normalised = {
    ...set,
    train: applyChannelStats(set.train, stats),
    test: applyChannelStats(set.test, stats),
    ...(set.valid ? { valid: applyChannelStats(set.valid, stats) } : {}),
  };
  return { stats, set: normalised };
}
