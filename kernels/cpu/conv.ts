/**
 * 2-D convolution (PyTorch's conv2d: NCHW, weights [O, C/groups, kh, kw], cross-correlation, zero
 * padding) and max pooling, with their backward passes: the plain loops every other implementation is
 * checked against. With `samples` K > 1 the weight holds K stacked samples and batch slice k (of N/K
 * rows) uses sample k, as a masked layer needs.
 */
import type { Conv2dSpec, Pool2dSpec } from '../../engine/backend.js';

/** Where the weight sample that batch row n uses starts. */
function weightOffset(s: Conv2dSpec, n: number): number {
  const perSample = s.outC * (s.inC / s.groups) * s.kh * s.kw;
  return Math.floor(n / (s.batch / s.samples)) * perSample;
}

/**
 * Calls tap(yAt, xAt, wAt) for every product of the convolution: output element, the input element its
 * window reads there (padding skipped), and the weight. The forward and both gradients are sums over
 * these taps, so they share the walk.
 */
function forEachTap(s: Conv2dSpec, tap: (yAt: number, xAt: number, wAt: number) => void): void {
  const cg = s.inC / s.groups;
  const og = s.outC / s.groups;
  for (let n = 0; n < s.batch; n++) {
    const wBase = weightOffset(s, n);
    for (let o = 0; o < s.outC; o++) {
      const g = Math.floor(o / og);
      for (let oy = 0; oy < s.outH; oy++) {
        for (let ox = 0; ox < s.outW; ox++) {
          const yAt = ((n * s.outC + o) * s.outH + oy) * s.outW + ox;
          for (let c = 0; c < cg; c++) {
            const xc = ((n * s.inC + g * cg + c) * s.h) * s.w;
            const wc = wBase + ((o * cg + c) * s.kh) * s.kw;
            for (let ky = 0; ky < s.kh; ky++) {
              const iy = oy * s.strideH - s.padH + ky;
              if (iy < 0 || iy >= s.h) continue;
              for (let kx = 0; kx < s.kw; kx++) {
                const ix = ox * s.strideW - s.padW + kx;
                if (ix >= 0 && ix < s.w) tap(yAt, xc + iy * s.w + ix, wc + ky * s.kw + kx);
              }
            }
          }
        }
      }
    }
  }
}

/** y[n, o, oy, ox] = Σ_{c, ky, kx} x[n, g·Cg + c, oy·sh − ph + ky, ox·sw − pw + kx] · w[o, c, ky, kx]. */
export function conv2dCpu(x: Float32Array, w: Float32Array, s: Conv2dSpec): Float32Array {
  const y = new Float64Array(s.batch * s.outC * s.outH * s.outW);
  forEachTap(s, (yAt, xAt, wAt) => {
    y[yAt] += x[xAt] * w[wAt];
  });
  return Float32Array.from(y);
}

/** dx: each output gradient flows back to the inputs its window read, through the same weights. */
export function conv2dBackwardInputCpu(dy: Float32Array, w: Float32Array, s: Conv2dSpec): Float32Array {
  const dx = new Float32Array(s.batch * s.inC * s.h * s.w);
  forEachTap(s, (yAt, xAt, wAt) => {
    dx[xAt] += dy[yAt] * w[wAt];
  });
  return dx;
}

/** dw (per sample when K > 1): Σ over the batch rows that used it of output gradient × input. */
export function conv2dBackwardWeightCpu(x: Float32Array, dy: Float32Array, s: Conv2dSpec): Float32Array {
  const dw = new Float32Array(s.samples * s.outC * (s.inC / s.groups) * s.kh * s.kw);
  forEachTap(s, (yAt, xAt, wAt) => {
    dw[wAt] += dy[yAt] * x[xAt];
  });
  return dw;
}

/**
 * Max over each window (no padding), and the flat input index (within its image plane) that won, the
 * first on ties, for the backward.
 */
export function maxPool2dCpu(x: Float32Array, s: Pool2dSpec): { out: Float32Array; argmax: Int32Array } {
  const planes = s.batch * s.channels;
  const out = new Float32Array(planes * s.outH * s.outW);
  const argmax = new Int32Array(out.length);
  for (let p = 0; p < planes; p++) {
    const base = p * s.h * s.w;
    for (let oy = 0; oy < s.outH; oy++) {
      for (let ox = 0; ox < s.outW; ox++) {
        let at = oy * s.strideH * s.w + ox * s.strideW;
        let best = x[base + at];
        for (let ky = 0; ky < s.kh; ky++) {
          for (let kx = 0; kx < s.kw; kx++) {
            const i = (oy * s.strideH + ky) * s.w + ox * s.strideW + kx;
            if (x[base + i] > best) {
              best = x[base + i];
              at = i;
            }
          }
        }
        const o = (p * s.outH + oy) * s.outW + ox;
        out[o] = best;
        argmax[o] = at;
      }
    }
  }
  return { out, argmax };
}

/** Each output gradient goes to the input its window's maximum came from. */
export function maxPool2dBackwardCpu(dy: Float32Array, argmax: Int32Array, s: Pool2dSpec): Float32Array {
  const dx = new Float32Array(s.batch * s.channels * s.h * s.w);
  const perPlane = s.outH * s.outW;
  for (let p = 0, o = 0; p < s.batch * s.channels; p++) {
    const plane = p * s.h * s.w;
    for (const end = o + perPlane; o < end; o++) dx[plane + argmax[o]] += dy[o];
  }
  return dx;
}
