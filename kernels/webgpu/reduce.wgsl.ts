/**
 * WGSL reductions. Long ones: a workgroup of 256 threads per output element; threads stride over the
 * reduced elements, then combine through workgroup memory. Short ones (≤ SHORT_REDUCTION elements):
 * one thread per output. Uniform words: 0 out_size, 1 red_size, 2 kept rank, 3 reduced rank,
 * 4 outputs per grid row, 8..15 kept shape, 16..23 kept strides, 24..31 reduced shape, 32..39 reduced strides.
 */
import type { ReduceOp } from '../../engine/backend.js';

export const REDUCE_UNIFORM_WORDS = 40;
export const SHORT_REDUCTION = 64;

const COMBINE: Record<ReduceOp, { init: string; add: string; combine: string }> = {
  sum: { init: '0.0', add: 'acc + v', combine: 'x + y' },
  sumsq: { init: '0.0', add: 'acc + v * v', combine: 'x + y' },
  max: { init: '-0x1.fffffep+127f', add: 'max_nan(acc, v)', combine: 'max_nan(x, y)' },
};

export function reduceKernel(op: ReduceOp, perThread: boolean): string {
  const c = COMBINE[op];
  return /* wgsl */ `${HEADER}
${perThread ? perThreadMain(c) : workgroupMain(c)}`;
}

const HEADER = /* wgsl */ `
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
struct Params { w: array<vec4<u32>, ${REDUCE_UNIFORM_WORDS / 4}> }
@group(0) @binding(2) var<uniform> p: Params;
fn word(i: u32) -> u32 { return p.w[i / 4u][i % 4u]; }
fn offset(flat: u32, rank: u32, shape_at: u32, strides_at: u32) -> u32 {
  var rest = flat;
  var off = 0u;
  for (var ax = i32(rank) - 1; ax >= 0; ax--) {
    let dim = word(shape_at + u32(ax));
    off += (rest % dim) * word(strides_at + u32(ax));
    rest /= dim;
  }
  return off;
}
fn max_nan(x: f32, y: f32) -> f32 {
  if (x != x || y != y) { return x + y; }
  return max(x, y);
}`;

function perThreadMain(c: { init: string; add: string }): string {
  return /* wgsl */ `
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let o = gid.x + gid.y * word(4u);
  if (o >= word(0u)) { return; }
  let base = offset(o, word(2u), 8u, 16u);
  var acc = ${c.init};
  for (var r = 0u; r < word(1u); r++) {
    let v = x[base + offset(r, word(3u), 24u, 32u)];
    acc = ${c.add};
  }
  out[o] = acc;
}`;
}

function workgroupMain(c: { init: string; add: string; combine: string }): string {
  return /* wgsl */ `
var<workgroup> partial: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let o = wid.x + wid.y * word(4u);
  let valid = o < word(0u);
  let base = offset(o, word(2u), 8u, 16u);
  var acc = ${c.init};
  if (valid) {
    for (var r = lid; r < word(1u); r += 256u) {
      let v = x[base + offset(r, word(3u), 24u, 32u)];
      acc = ${c.add};
    }
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (lid < s) {
      let x = partial[lid];
      let y = partial[lid + s];
      partial[lid] = ${c.combine};
    }
    workgroupBarrier();
  }
  if (valid && lid == 0u) { out[o] = partial[0]; }
}`;
}
