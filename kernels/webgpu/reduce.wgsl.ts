/**
 * Reductions over any axes of a strided view. Long ones: one workgroup of 256 threads per output
 * element; threads stride over the reduced elements, then combine through workgroup memory. Short ones
 * (≤ SHORT_REDUCTION elements): one thread per output.
 */
import type { ReduceOp } from '../../engine/backend.js';
import { variants, type Program, type UniformDecl } from './program.js';
import { stridedOffset } from './snippets.js';

export const SHORT_REDUCTION = 64;
/** Ranks up to this many kept and reduced axes. */
export const REDUCE_MAX_RANK = 8;

const COMBINE: Record<ReduceOp, { init: string; add: string; combine: string }> = {
  sum: { init: '0.0', add: 'acc + v', combine: 'x + y' },
  sumsq: { init: '0.0', add: 'acc + v * v', combine: 'x + y' },
  max: { init: '-0x1.fffffep+127f', add: 'max_nan(acc, v)', combine: 'max_nan(x, y)' },
};

const UNIFORMS: UniformDecl[] = [
  { name: 'red_size', type: 'u32' },
  { name: 'kept_rank', type: 'u32' },
  { name: 'red_rank', type: 'u32' },
  ...['kept_shape', 'kept_strides', 'red_shape', 'red_strides'].map((name) => ({ name, type: 'u32' as const, length: REDUCE_MAX_RANK })),
];

/** Offsets of a flat index within the kept (or reduced) axes, and a NaN-propagating max. */
const HELPERS = `${stridedOffset('kept_offset', 'p.kept_rank', 'kept_shape_at', 'kept_strides_at')}
${stridedOffset('red_offset', 'p.red_rank', 'red_shape_at', 'red_strides_at')}
fn max_nan(x: f32, y: f32) -> f32 {
  if (x != x || y != y) { return x + y; }
  return max(x, y);
}`;

/** `perThread`: launch one thread per output ('threads'), else one workgroup per output ('groups'). */
export const reduceProgram = variants((op: ReduceOp, perThread: boolean): Program => {
  const c = COMBINE[op];
  const common = { buffers: [{ name: 'x', type: 'f32' as const }, { name: 'out', type: 'f32' as const, write: true }], uniforms: UNIFORMS, workgroupSize: 256 };
  if (perThread) {
    return {
      ...common,
      name: `reduce(${op}, per thread)`,
      launch: 'threads',
      helpers: [HELPERS],
      body: /* wgsl */ `
  let base = kept_offset(i);
  var acc = ${c.init};
  for (var r = 0u; r < p.red_size; r++) {
    let v = x[base + red_offset(r)];
    acc = ${c.add};
  }
  out[i] = acc;`,
    };
  }
  return {
    ...common,
    name: `reduce(${op}, per workgroup)`,
    launch: 'groups',
    helpers: [HELPERS, 'var<workgroup> partial: array<f32, 256>;'],
    body: /* wgsl */ `
  let base = kept_offset(group);
  var acc = ${c.init};
  for (var r = lindex; r < p.red_size; r += 256u) {
    let v = x[base + red_offset(r)];
    acc = ${c.add};
  }
  partial[lindex] = acc;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (lindex < s) {
      let x = partial[lindex];
      let y = partial[lindex + s];
      partial[lindex] = ${c.combine};
    }
    workgroupBarrier();
  }
  if (lindex == 0u) { out[group] = partial[0]; }`,
  };
});
