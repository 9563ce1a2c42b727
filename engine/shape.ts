/** Shape helpers shared by the tensor front end and both backends. Shapes are row-major (C order). */
export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

export const fmt = (shape: Shape): string => `[${shape.join(',')}]`;

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** NumPy broadcasting: align right, a dimension of 1 stretches. Throws naming the op. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${op}: shapes ${fmt(a)} and ${fmt(b)} cannot be broadcast together (dimension ${i}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides of `shape` read as if it had `outShape` (rank-aligned right), 0 where broadcast. */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const own = stridesOf(shape);
  const offset = outShape.length - shape.length;
  return outShape.map((_, i) => {
    const j = i - offset;
    return j < 0 || shape[j] === 1 ? 0 : own[j];
  });
}

/** Axes along which `shape` was stretched to reach `outShape` (for summing gradients back). */
export function broadcastAxes(shape: Shape, outShape: Shape): number[] {
  const offset = outShape.length - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < outShape.length; i++) {
    const j = i - offset;
    if (j < 0 || (shape[j] === 1 && outShape[i] !== 1)) axes.push(i);
  }
  return axes;
}

/** Normalises axes (negative allowed, undefined = all) to a sorted list without duplicates. */
export function normalizeAxes(op: string, shape: Shape, axes?: number | readonly number[]): number[] {
  if (axes === undefined) return shape.map((_, i) => i);
  const list = typeof axes === 'number' ? [axes] : [...axes];
  const out = list.map((a) => {
    const ax = a < 0 ? a + shape.length : a;
    if (!Number.isInteger(ax) || ax < 0 || ax >= shape.length) {
      throw new Error(`${op}: axis ${a} is out of range for shape ${fmt(shape)}`);
    }
    return ax;
  });
  return [...new Set(out)].sort((x, y) => x - y);
}

export function checkShape(op: string, shape: Shape): void {
  if (!Array.isArray(shape)) throw new Error(`${op}: a shape is an array of sizes, got ${JSON.stringify(shape)}`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${op}: invalid shape ${fmt(shape)} (dimensions must be non-negative integers)`);
  }
}

/** 1.5 GB, 512 MB, 4 kB: sizes in error messages. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (bytes >= 1000 && i < units.length - 1) {
    bytes /= 1000;
    i++;
  }
  return `${i === 0 ? bytes : bytes.toPrecision(3)} ${units[i]}`;
}
