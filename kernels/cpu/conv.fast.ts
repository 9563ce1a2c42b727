/**
 * conv2d and its backward passes as matrix products on the WebAssembly GEMM (matmul.fast.ts), the same
 * contracts as the reference loops of conv.ts. The input windows are unrolled ("im2col") into
 * col[s][g][cg·kh·kw][rows·outH·outW], one block per weight sample s and channel group g, so that each
 * block is one product with that sample's and group's weights [og, cg·kh·kw]:
 *   y = W · col,   dcol = Wᵀ · dy (then folded back onto the input),   dW = dy · colᵀ.
 */
import type { Conv2dSpec, MatmulSpec } from '../../engine/backend.js';
import { matmulFast } from './matmul.fast.js';

interface Layout {
  cg: number;
  og: number;
  /** Rows of the weight matrix's inner axis: cg · kh · kw. */
  k: number;
  /** Output positions per image: outH · outW. */
  positions: number;
  /** Batch rows per weight sample. */
  rows: number;
  /** Columns of one (sample, group) block: rows · positions. */
  cols: number;
}

function layout(s: Conv2dSpec): Layout {
  const cg = s.inC / s.groups;
  const positions = s.outH * s.outW;
  const rows = s.batch / s.samples;
  return { cg, og: s.outC / s.groups, k: cg * s.kh * s.kw, positions, rows, cols: rows * positions };
}

/** The output columns ox whose input column ox·stride − pad + kx lies inside the image: [lo, hi). */
function validColumns(s: Conv2dSpec, kx: number): [number, number] {
  const lo = Math.max(0, Math.ceil((s.padW - kx) / s.strideW));
  const hi = Math.min(s.outW, Math.floor((s.w - 1 + s.padW - kx) / s.strideW) + 1);
  return [lo, Math.max(lo, hi)];
}

/**
 * The unrolled input's copy plan: one entry (colAt, xAt, lo, hi) per (sample, group, window row kk, batch
 * row, output row) whose input row lies inside the image; the output columns lo ≤ ox < hi read
 * x[xAt + ox·strideW] into col[colAt + ox]. Padding is never visited (it stays zero). im2col and its
 * adjoint walk the same plan in tight loops; plans are kept per shape, as a network has few.
 */
function windowPlan(s: Conv2dSpec, l: Layout): Int32Array {
  const key = JSON.stringify(s);
  let plan = plans.get(key);
  if (plan) return plan;
  const entries: number[] = [];
  for (let sample = 0; sample < s.samples; sample++) {
    for (let g = 0; g < s.groups; g++) {
      const block = (sample * s.groups + g) * l.k * l.cols;
      for (let c = 0; c < l.cg; c++) {
        for (let ky = 0; ky < s.kh; ky++) {
          for (let kx = 0; kx < s.kw; kx++) {
            const kk = (c * s.kh + ky) * s.kw + kx;
            const [lo, hi] = validColumns(s, kx);
            if (lo >= hi) continue;
            for (let r = 0; r < l.rows; r++) {
              const plane = ((sample * l.rows + r) * s.inC + g * l.cg + c) * s.h * s.w;
              for (let oy = 0; oy < s.outH; oy++) {
                const iy = oy * s.strideH - s.padH + ky;
                if (iy >= 0 && iy < s.h) entries.push(block + kk * l.cols + r * l.positions + oy * s.outW, plane + iy * s.w - s.padW + kx, lo, hi);
              }
            }
          }
        }
      }
    }
  }
  plan = Int32Array.from(entries);
  if (plans.size >= MAX_PLANS) plans.delete(plans.keys().next().value!);
  plans.set(key, plan);
  return plan;
}
const plans = new Map<string, Int32Array>();
const MAX_PLANS = 32;

function im2col(x: Float32Array, s: Conv2dSpec, l: Layout): Float32Array {
  const col = new Float32Array(s.samples * s.groups * l.k * l.cols);
  const plan = windowPlan(s, l);
  const stride = s.strideW;
  for (let e = 0; e < plan.length; e += 4) {
    const colAt = plan[e], xAt = plan[e + 1], hi = plan[e + 3];
    for (let ox = plan[e + 2]; ox < hi; ox++) col[colAt + ox] = x[xAt + ox * stride];
  }
  return col;
}

/** The adjoint of im2col: every unrolled entry added back onto the input position it was read from. */
function col2im(col: Float32Array, s: Conv2dSpec, l: Layout): Float32Array {
  const dx = new Float32Array(s.batch * s.inC * s.h * s.w);
  const plan = windowPlan(s, l);
  const stride = s.strideW;
  for (let e = 0; e < plan.length; e += 4) {
    const colAt = plan[e], xAt = plan[e + 1], hi = plan[e + 3];
    for (let ox = plan[e + 2]; ox < hi; ox++) dx[xAt + ox * stride] += col[colAt + ox];
  }
  return dx;
}

/** Moves between [batch, outC, positions] and the blocks [sample][group][og][rows · positions]. */
function toBlocks(y: Float32Array, s: Conv2dSpec, l: Layout): Float32Array {
  const out = new Float32Array(y.length);
  copyBlocks(s, l, (blockAt, yAt) => out.set(y.subarray(yAt, yAt + l.positions), blockAt));
  return out;
}

function fromBlocks(blocks: Float32Array, s: Conv2dSpec, l: Layout): Float32Array {
  const y = new Float32Array(blocks.length);
  copyBlocks(s, l, (blockAt, yAt) => y.set(blocks.subarray(blockAt, blockAt + l.positions), yAt));
  return y;
}

function copyBlocks(s: Conv2dSpec, l: Layout, copy: (blockAt: number, yAt: number) => void): void {
  for (let sample = 0; sample < s.samples; sample++) {
    for (let g = 0; g < s.groups; g++) {
      for (let o = 0; o < l.og; o++) {
        for (let r = 0; r < l.rows; r++) {
          const blockAt = (((sample * s.groups + g) * l.og + o) * l.rows + r) * l.positions;
          const yAt = ((sample * l.rows + r) * s.outC + g * l.og + o) * l.positions;
          copy(blockAt, yAt);
        }
      }
    }
  }
}

/** One product per (sample, group) block: the weights are [samples, groups, og, k] as stored. */
const blockProducts = (s: Conv2dSpec, spec: Omit<MatmulSpec, 'batch'>, a: Float32Array, b: Float32Array): Float32Array =>
  matmulFast(a, b, { ...spec, batch: s.samples * s.groups });

export function conv2dFast(x: Float32Array, w: Float32Array, s: Conv2dSpec): Float32Array {
  const l = layout(s);
  const col = im2col(x, s, l);
  const y = blockProducts(s, { m: l.og, n: l.cols, k: l.k, transA: false, transB: false, batchStrideA: l.og * l.k, batchStrideB: l.k * l.cols }, w, col);
  return fromBlocks(y, s, l);
}

export function conv2dBackwardInputFast(dy: Float32Array, w: Float32Array, s: Conv2dSpec): Float32Array {
  const l = layout(s);
  const dyBlocks = toBlocks(dy, s, l);
  const dcol = blockProducts(s, { m: l.k, n: l.cols, k: l.og, transA: true, transB: false, batchStrideA: l.og * l.k, batchStrideB: l.og * l.cols }, w, dyBlocks);
  return col2im(dcol, s, l);
}

export function conv2dBackwardWeightFast(x: Float32Array, dy: Float32Array, s: Conv2dSpec): Float32Array {
  const l = layout(s);
  const col = im2col(x, s, l);
  const dyBlocks = toBlocks(dy, s, l);
  return blockProducts(s, { m: l.og, n: l.k, k: l.cols, transA: false, transB: true, batchStrideA: l.og * l.cols, batchStrideB: l.k * l.cols }, dyBlocks, col);
}
