/**
 * Elementwise maps on f32 arrays in WebAssembly SIMD (wasm/map.wat), bit for bit what the JavaScript loops
 * give (elementwise.ts), several times faster on large arrays even with the copies into and out of the
 * module's memory. It takes the layouts that networks produce: every data operand either contiguous with
 * the output, or — one operand of a binary op — broadcast as
 *   rows:  a vector over the trailing axes repeated over the leading ones (a Linear's bias on [B, H]), or
 *   runs:  one value per leading index held over the trailing axes (a convolution's bias on [N, C, H, W]).
 * Anything else (transposed views, both operands broadcast, other dtypes, small maps where the copies cost
 * more than they save) returns null, and the caller runs the JavaScript loops.
 */
import type { DType } from '../../engine/dtype.js';
import type { MapOp } from '../../engine/backend.js';
import type { CpuOperand } from './elementwise.js';
import { isContiguous } from './elementwise.js';
import { offsetsOf } from './reduce.js';
import { mapWasmBase64 } from './wasm/map.wasm.js';
import { heapFor, lazyWasmKernel, regions } from './wasm-kernel.js';
import { copyOut } from './recycled.js';

interface MapExports {
  memory: WebAssembly.Memory;
  unary(op: number, a: number, o: number, n: number): void;
  binary(op: number, a: number, aStep: number, b: number, bStep: number, o: number, n: number): void;
  binary_runs(op: number, a: number, values: number, scratch: number, o: number, runs: number, run: number, swap: number): void;
}

const kernel = lazyWasmKernel<MapExports>(mapWasmBase64);

/** Op codes of map.wat. */
const UNARY: Partial<Record<MapOp, number>> = { relu: 0, step: 1, neg: 2, abs: 3, square: 4, sqrt: 5 };
const BINARY: Partial<Record<MapOp, number>> = { add: 0, sub: 1, mul: 2, div: 3, maximum: 4, minimum: 5, eq: 6, ne: 7, lt: 8, le: 9, gt: 10, ge: 11 };

/** Below this many outputs the JavaScript loop wins (a call and two copies cost about a microsecond). */
const MIN_SIZE = 2048;
/** Broadcast rows and runs shorter than this make too many short loops; the JavaScript loop takes them. */
const MIN_RUN = 16;

/**
 * How one operand is read: `array` (all size floats), `rows` (one row of `run` floats, repeated), or `runs`
 * (one value per run of `run` outputs, `values.length` runs). A scalar is one run of the whole output.
 */
type Layout =
  | { kind: 'array'; data: Float32Array }
  | { kind: 'rows'; data: Float32Array; run: number }
  | { kind: 'runs'; values: Float32Array; run: number };

/** The operand's layout, or null when it is none of those. */
function layoutOf(o: CpuOperand, shape: readonly number[], size: number): Layout | null {
  // A scalar that f32 cannot hold exactly (0.1) would round differently from the f64 JavaScript uses.
  if ('scalar' in o) return Math.fround(o.scalar) === o.scalar || Number.isNaN(o.scalar) ? { kind: 'runs', values: Float32Array.of(o.scalar), run: size } : null;
  if (!(o.data instanceof Float32Array)) return null;
  if (isContiguous(o.strides, shape)) return { kind: 'array', data: o.data.subarray(0, size) };
  // Split the axes (size-1 axes do not matter) at the first from the end where the operand stops being
  // contiguous (rows) or stops being broadcast (runs).
  const axes = shape.map((n, ax) => ({ n, stride: o.strides[ax] })).filter((a) => a.n !== 1);
  let inner = 1;
  let split = axes.length;
  while (split > 0 && axes[split - 1].stride === inner) inner *= axes[--split].n;
  if (split < axes.length && axes.slice(0, split).every((a) => a.stride === 0)) {
    return inner >= MIN_RUN ? { kind: 'rows', data: o.data.subarray(0, inner), run: inner } : null;
  }
  let run = 1;
  split = axes.length;
  while (split > 0 && axes[split - 1].stride === 0) run *= axes[--split].n;
  if (split === axes.length || run < MIN_RUN) return null;
  // One value per leading index, read through the leading strides.
  const lead = axes.slice(0, split);
  const data = o.data;
  const offsets = offsetsOf(lead.map((a) => a.n), lead.map((a) => a.stride), size / run);
  return { kind: 'runs', values: Float32Array.from(offsets, (at) => data[at]), run };
}

/** The map's result, or null when this path does not take it. */
export function mapSimd(op: MapOp, operands: readonly CpuOperand[], shape: readonly number[], size: number, outDtype: DType): Float32Array | null {
  if (outDtype !== 'f32' || size < MIN_SIZE) return null;
  const code = operands.length === 1 ? UNARY[op] : operands.length === 2 ? BINARY[op] : undefined;
  if (code === undefined) return null;
  const layouts = operands.map((o) => layoutOf(o, shape, size));
  if (layouts.some((l) => l === null) || layouts.filter((l) => l!.kind !== 'array').length > 1) return null;
  const k = kernel();
  if (!k) return null;
  // Regions: each operand's floats, then 4 floats of scratch, then the output; 4 floats of slack after
  // each for the lanes past the end.
  const floatsOf = (l: Layout) => 4 + (l.kind === 'runs' ? l.values.length : l.kind === 'rows' ? l.run : size);
  const { at, floats } = regions([...layouts.map((l) => floatsOf(l!)), 4, size + 4]);
  const heap = heapFor(k.memory, floats);
  if (!heap) return null;
  layouts.forEach((l, i) => heap.set(l!.kind === 'runs' ? l!.values : l!.data, at[i]));
  const [scratch, out] = at.slice(layouts.length).map((a) => 4 * a);
  if (operands.length === 1) {
    k.unary(code, 4 * at[0], out, size);
  } else {
    const broadcast = layouts.findIndex((l) => l!.kind !== 'array');
    const other = 1 - broadcast;
    const b = layouts[broadcast];
    if (!b || b.kind === 'array') k.binary(code, 4 * at[0], 16, 4 * at[1], 16, out, size);
    else if (b.kind === 'runs') k.binary_runs(code, 4 * at[other], 4 * at[broadcast], scratch, out, b.values.length, b.run, broadcast === 0 ? 1 : 0);
    else {
      // One call per row; the lanes a call writes past its row's end are the next row's, written over next.
      const rowBytes = 4 * b.run;
      for (let row = 0; row < size / b.run; row++) {
        const [a0, a1] = broadcast === 0 ? [4 * at[0], 4 * at[1] + row * rowBytes] : [4 * at[0] + row * rowBytes, 4 * at[1]];
        k.binary(code, a0, 16, a1, 16, out + row * rowBytes, b.run);
      }
    }
  }
  return copyOut(heap, out / 4, out / 4 + size);
}
