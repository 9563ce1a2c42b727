/**
 * Image data held in memory, shared by the Node loaders (./image-sets.ts) and the browser-safe transforms
 * (normalisation, validation split): images as one Float32Array in NCHW order, as the conv ops take them.
 */
export interface ImageSplit {
  /** [N, C, H, W] */
  shape: [number, number, number, number];
  images: Float32Array;
  labels: Int32Array;
}

export interface ImageSet {
  name: string;
  classes: number;
  train: ImageSplit;
  test: ImageSplit;
  /** Present after splitValidation (./validation-split.ts). */
  valid?: ImageSplit;
}

/** u8 pixels → [0, 1] floats, u8 labels → Int32Array. */
export function splitFromBytes(shape: ImageSplit['shape'], pixels: Uint8Array, labels: Uint8Array): ImageSplit {
  const images = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) images[i] = pixels[i] / 255;
  return { shape, images, labels: Int32Array.from(labels) };
}

/** A copy of the given rows of a split, in the order given. */
export function selectRows(split: ImageSplit, rows: ArrayLike<number>): ImageSplit {
  const [, c, h, w] = split.shape;
  const size = c * h * w;
  const images = new Float32Array(rows.length * size);
  const labels = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    images.set(split.images.subarray(rows[i] * size, (rows[i] + 1) * size), i * size);
    labels[i] = split.labels[rows[i]];
  }
  return { shape: [rows.length, c, h, w], images, labels };
}
