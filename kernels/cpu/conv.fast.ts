/**
 * conv2d and its backward passes on the WebAssembly GEMM module (gemm.wat), the same contracts as the
 * reference loops of conv.ts. The input windows are unrolled ("im2col") one block of output positions
 * at a time, so that a block's unrolled input, its packed panels and its product stay in cache instead of
 * one unrolled copy of the whole batch going through memory three times. Per weight sample s and channel
 * group g, with col the unrolled input [cg·kh·kw, positions] and W the weights [og, cg·kh·kw]:
 *   y = W · col,   dcol = Wᵀ · dy (then added back onto the input),   dW = Σ_blocks dy · colᵀ.
 * The input is copied once into a zero-bordered frame in wasm memory, so that unrolling never tests for
 * padding: a block column reads, for every window tap, the frame float at its base + the tap's offset,
 * and runs of columns whose bases are consecutive (stride 1, one output row) move 4 floats at a time.
 * Without WebAssembly SIMD (or past the module's 1 GiB memory) the reference loops run instead.
 */
import type { Conv2dSpec } from '../../engine/backend.js';
import { conv2dBackwardInputCpu, conv2dBackwardWeightCpu, conv2dCpu } from './conv.js';
import { gemmKernel, runGemm, type GemmExports } from './matmul.fast.js';
import { heapFor, regions } from './wasm-kernel.js';
import { copyOut, zeroedF32 } from './recycled.js';

/** Unrolled input floats per block (columns × rows): about 256 KiB, so a block and its packing fit in L2. */
const BLOCK_FLOATS = 1 << 16;

/** Everything about a shape that does not depend on the values; kept per shape, as a network has few. */
interface Geometry {
  cg: number;
  og: number;
  /** The weight matrix's inner size: cg · kh · kw. */
  k: number;
  /** Output positions per image: outH · outW. */
  positions: number;
  /** Batch rows per weight sample. */
  rows: number;
  /** Columns per (sample, group): rows · positions. */
  cols: number;
  /** The zero-bordered input frame's plane. */
  frameH: number;
  frameW: number;
  padded: boolean;
  /** Columns per block (a multiple of 8, the GEMM's panel width) and the number of blocks. */
  block: number;
  blocks: number;
  /** Per window tap (c, ky, kx): its offset within the frame of a group's first channel. */
  tapOffsets: Int32Array;
  /** Per output channel o of a group: o · positions. */
  channelOffsets: Int32Array;
  /** Runs (start, len, base) of the input frame and of the output, cut at block ends; block b's are [from[b], from[b + 1]). */
  inputRuns: Runs;
  outputRuns: Runs;
}

interface Runs {
  table: Int32Array;
  from: Int32Array;
}

/**
 * Runs of the columns whose frame bases `baseOf(col)` are consecutive, never crossing a block end. A run
 * is (start within its block, length, base of its first column).
 */
function runsOf(cols: number, block: number, baseOf: (col: number) => number): Runs {
  const table: number[] = [];
  const from = [0];
  for (let start = 0; start < cols; start += block) {
    const end = Math.min(cols, start + block);
    let col = start;
    while (col < end) {
      const base = baseOf(col);
      let len = 1;
      while (col + len < end && baseOf(col + len) === base + len) len++;
      table.push(col - start, len, base);
      col += len;
    }
    from.push(table.length / 3);
  }
  return { table: Int32Array.from(table), from: Int32Array.from(from) };
}

function geometry(s: Conv2dSpec): Geometry {
  const key = JSON.stringify(s);
  const cached = geometries.get(key);
  if (cached) return cached;
  const cg = s.inC / s.groups;
  const og = s.outC / s.groups;
  const k = cg * s.kh * s.kw;
  const positions = s.outH * s.outW;
  const rows = s.batch / s.samples;
  const cols = rows * positions;
  const frameH = s.h + 2 * s.padH;
  const frameW = s.w + 2 * s.padW;
  const block = Math.max(8, Math.floor(BLOCK_FLOATS / (k + og) / 8) * 8);
  const tapOffsets = new Int32Array(k);
  for (let c = 0; c < cg; c++) {
    for (let ky = 0; ky < s.kh; ky++) {
      for (let kx = 0; kx < s.kw; kx++) tapOffsets[(c * s.kh + ky) * s.kw + kx] = (c * frameH + ky) * frameW + kx;
    }
  }
  const channelOffsets = Int32Array.from({ length: og }, (_, o) => o * positions);
  const imageOf = (col: number) => Math.floor(col / positions);
  const inputBase = (col: number) => {
    const r = imageOf(col);
    const q = col - r * positions;
    const oy = Math.floor(q / s.outW);
    return r * s.inC * frameH * frameW + oy * s.strideH * frameW + (q - oy * s.outW) * s.strideW;
  };
  const outputBase = (col: number) => imageOf(col) * s.outC * positions + (col - imageOf(col) * positions);
  const g: Geometry = {
    cg, og, k, positions, rows, cols, frameH, frameW, padded: s.padH > 0 || s.padW > 0,
    block, blocks: Math.ceil(cols / block), tapOffsets, channelOffsets,
    inputRuns: runsOf(cols, block, inputBase), outputRuns: runsOf(cols, block, outputBase),
  };
  if (geometries.size >= MAX_GEOMETRIES) geometries.delete(geometries.keys().next().value!);
  geometries.set(key, g);
  return g;
}
const geometries = new Map<string, Geometry>();
const MAX_GEOMETRIES = 32;

const panels = (n: number, width: number) => Math.ceil(n / width);

/** Float offsets of a (sample, group)'s part of the input frame, the output and the weights. */
function offsets(s: Conv2dSpec, g: Geometry, sample: number, group: number) {
  return {
    frame: (sample * g.rows * s.inC + group * g.cg) * g.frameH * g.frameW,
    output: (sample * g.rows * s.outC + group * g.og) * g.positions,
    weight: (sample * s.outC + group * g.og) * g.k,
  };
}

/**
 * Lays out a call's regions in the module's memory (the shape's tables first, then the named float
 * regions) and returns the block moves bound to them. Null where there is no wasm kernel or the memory
 * cannot grow that far. Addresses given to and taken by the moves are float offsets.
 */
function setUp<N extends string>(g: Geometry, sizes: Record<N, number>) {
  const kern = gemmKernel();
  if (!kern) return null;
  const names = Object.keys(sizes) as N[];
  const tables = [g.tapOffsets, g.channelOffsets, g.inputRuns.table, g.outputRuns.table];
  const { at, floats } = regions([...tables.map((t) => t.length), ...names.map((n) => sizes[n])]);
  const heap = heapFor(kern.memory, floats);
  if (!heap) return null;
  const ints = new Int32Array(heap.buffer);
  tables.forEach((t, i) => ints.set(t, at[i]));
  const region = Object.fromEntries(names.map((n, i) => [n, at[tables.length + i]])) as Record<N, number>;
  const [taps, channels, inputRuns, outputRuns] = at.map((a) => 4 * a);
  const { gk } = kern;
  const ld = 4 * g.block;
  /** One (unbatched) product on packed panels, on the worker threads where matmulFast would use them. */
  const gemm = (pa: number, pb: number, pc: number, mPanels: number, nPanels: number, k: number, ldc: number, accumulate: number) =>
    runGemm(kern, { batch: 1, pa, paStride: 0, pb, pbStride: 0, pc, pcStride: 0, mPanels, nPanels, k, ldc, accumulate });
  /** Block b's runs: the byte address of its first and their count. */
  const runsOfBlock = (runs: Runs, table: number, b: number): [number, number] => [table + 12 * runs.from[b], runs.from[b + 1] - runs.from[b]];
  return {
    gk, heap, region, gemm,
    /** Block rows are `block` floats apart. */
    ld,
    /** Block b of the unrolled input [k][block], from the frame of a (sample, group). */
    unroll: (b: number, frame: number, dst: number) => gk.gather(4 * frame, taps, g.k, ...runsOfBlock(g.inputRuns, inputRuns, b), 4 * dst, ld),
    /** Its adjoint: block b of an unrolled gradient added onto the frame. */
    fold: (b: number, frame: number, src: number) => gk.scatter_add(4 * frame, taps, g.k, ...runsOfBlock(g.inputRuns, inputRuns, b), 4 * src, ld),
    /** Block b of an output-shaped tensor [og][block], from a (sample, group)'s first channel. */
    outputBlock: (b: number, y: number, dst: number) => gk.gather(4 * y, channels, g.og, ...runsOfBlock(g.outputRuns, outputRuns, b), 4 * dst, ld),
    /** Block b of a product [og][block] added onto the output. */
    addOutputBlock: (b: number, y: number, src: number) => gk.scatter_add(4 * y, channels, g.og, ...runsOfBlock(g.outputRuns, outputRuns, b), 4 * src, ld),
  };
}

type Offsets = ReturnType<typeof offsets>;

/** For each (sample, group): before(its offsets), block(…) for each of its blocks with the block's width, after(…). */
function forEachBlock(s: Conv2dSpec, g: Geometry, visit: { before?: (at: Offsets) => void; block: (at: Offsets, b: number, width: number) => void; after?: (at: Offsets) => void }): void {
  for (let sample = 0; sample < s.samples; sample++) {
    for (let group = 0; group < s.groups; group++) {
      const at = offsets(s, g, sample, group);
      visit.before?.(at);
      for (let b = 0; b < g.blocks; b++) visit.block(at, b, Math.min(g.block, g.cols - b * g.block));
      visit.after?.(at);
    }
  }
}

/** Copies x into the frame region, zero-bordered when the convolution pads. */
function loadFrame(gk: GemmExports, heap: Float32Array, x: Float32Array, s: Conv2dSpec, g: Geometry, frame: number, raw: number): void {
  if (!g.padded) {
    heap.set(x, frame);
    return;
  }
  heap.fill(0, frame, frame + s.batch * s.inC * g.frameH * g.frameW);
  heap.set(x, raw);
  const rowBytes = 4 * g.frameW;
  gk.copy_planes(4 * raw, 4 * (frame + s.padH * g.frameW + s.padW), s.batch * s.inC, s.h, s.w,
    4 * s.w, rowBytes, 4 * s.h * s.w, rowBytes * g.frameH);
}

const frameFloats = (s: Conv2dSpec, g: Geometry) => s.batch * s.inC * g.frameH * g.frameW;

export function conv2dFast(x: Float32Array, w: Float32Array, s: Conv2dSpec): Float32Array {
  const g = geometry(s);
  const mPanels = panels(g.og, 4);
  const yLength = s.batch * s.outC * g.positions;
  const m = setUp(g, {
    frame: frameFloats(s, g), raw: g.padded ? x.length : 0, weights: w.length, packedW: mPanels * 4 * g.k,
    unrolled: g.k * g.block, packedCol: g.k * g.block, product: mPanels * 4 * g.block, y: yLength,
  });
  if (!m) return conv2dCpu(x, w, s);
  const { gk, heap, region: r, ld, gemm } = m;
  loadFrame(gk, heap, x, s, g, r.frame, r.raw);
  heap.set(w, r.weights);
  heap.fill(0, r.y, r.y + yLength);
  forEachBlock(s, g, {
    before: (at) => gk.pack(4 * (r.weights + at.weight), 4 * r.packedW, g.og, g.k, 4 * g.k, 4, 4),
    block: (at, b, width) => {
      m.unroll(b, r.frame + at.frame, r.unrolled);
      gk.pack(4 * r.unrolled, 4 * r.packedCol, width, g.k, 4, ld, 8);
      gemm(4 * r.packedW, 4 * r.packedCol, 4 * r.product, mPanels, panels(width, 8), g.k, ld, 0);
      m.addOutputBlock(b, r.y + at.output, r.product);
    },
  });
  return copyOut(heap, r.y, r.y + yLength);
}

export function conv2dBackwardInputFast(dy: Float32Array, w: Float32Array, s: Conv2dSpec): Float32Array {
  const g = geometry(s);
  const kPanels = panels(g.k, 4);
  const m = setUp(g, {
    dy: dy.length, weights: w.length, packedWt: kPanels * 4 * g.og, dyBlock: g.og * g.block, packedDy: g.og * g.block,
    product: kPanels * 4 * g.block, frame: frameFloats(s, g), dx: g.padded ? s.batch * s.inC * s.h * s.w : 0,
  });
  if (!m) return conv2dBackwardInputCpu(dy, w, s);
  const { gk, heap, region: r, ld, gemm } = m;
  heap.set(dy, r.dy);
  heap.set(w, r.weights);
  heap.fill(0, r.frame, r.frame + frameFloats(s, g));
  forEachBlock(s, g, {
    // Wᵀ's rows are the window taps: element (tap, o) of the group's [og, k] weights is at o·k + tap.
    before: (at) => gk.pack(4 * (r.weights + at.weight), 4 * r.packedWt, g.k, g.og, 4, 4 * g.k, 4),
    block: (at, b, width) => {
      m.outputBlock(b, r.dy + at.output, r.dyBlock);
      gk.pack(4 * r.dyBlock, 4 * r.packedDy, width, g.og, 4, ld, 8);
      gemm(4 * r.packedWt, 4 * r.packedDy, 4 * r.product, kPanels, panels(width, 8), g.og, ld, 0);
      m.fold(b, r.frame + at.frame, r.product);
    },
  });
  if (!g.padded) return copyOut(heap, r.frame, r.frame + frameFloats(s, g));
  const rowBytes = 4 * g.frameW;
  gk.copy_planes(4 * (r.frame + s.padH * g.frameW + s.padW), 4 * r.dx, s.batch * s.inC, s.h, s.w,
    rowBytes, 4 * s.w, rowBytes * g.frameH, 4 * s.h * s.w);
  return copyOut(heap, r.dx, r.dx + s.batch * s.inC * s.h * s.w);
}

export function conv2dBackwardWeightFast(x: Float32Array, dy: Float32Array, s: Conv2dSpec): Float32Array {
  const g = geometry(s);
  const oPanels = panels(g.og, 4);
  const kPanels = panels(g.k, 8);
  const m = setUp(g, {
    frame: frameFloats(s, g), raw: g.padded ? x.length : 0, dy: dy.length, dyBlock: g.og * g.block, unrolled: g.k * g.block,
    packedDy: oPanels * 4 * g.block, packedCol: kPanels * 8 * g.block, dw: oPanels * 4 * kPanels * 8,
  });
  if (!m) return conv2dBackwardWeightCpu(x, dy, s);
  const { gk, heap, region: r, ld, gemm } = m;
  loadFrame(gk, heap, x, s, g, r.frame, r.raw);
  heap.set(dy, r.dy);
  const dw = zeroedF32(s.samples * s.outC * g.k);
  const ldw = kPanels * 8;
  forEachBlock(s, g, {
    block: (at, b, width) => {
      m.outputBlock(b, r.dy + at.output, r.dyBlock);
      m.unroll(b, r.frame + at.frame, r.unrolled);
      // Both operands of dy · colᵀ run over the block's columns, the product's inner axis.
      gk.pack(4 * r.dyBlock, 4 * r.packedDy, g.og, width, ld, 4, 4);
      gk.pack(4 * r.unrolled, 4 * r.packedCol, g.k, width, ld, 4, 8);
      gemm(4 * r.packedDy, 4 * r.packedCol, 4 * r.dw, oPanels, kPanels, width, 4 * ldw, b === 0 ? 0 : 1);
    },
    after: (at) => {
      for (let o = 0; o < g.og; o++) dw.set(heap.subarray(r.dw + o * ldw, r.dw + o * ldw + g.k), at.weight + o * g.k);
    },
  });
  return dw;
}
