/**
 * WGSL twins of lstm.cpu.ts: one thread per (batch row, hidden unit) reads that unit's four gates.
 * Sigmoid is the two-sided form (no exp overflow); tanh is clamped to ±15, where it is ±1 in f32, because
 * WGSL's tanh may return NaN for large inputs on some implementations (as in elementwise.wgsl.ts).
 * Uniform words: 0 batch, 1 hidden, 2 row_stride.
 */

const COMMON = /* wgsl */ `
struct Params { batch: u32, hidden: u32, row_stride: u32, pad: u32 }
fn sigmoid_f(x: f32) -> f32 {
  let e = exp(-abs(x));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
}
fn tanh_f(x: f32) -> f32 { return tanh(clamp(x, -15.0, 15.0)); }
struct Gates { i: f32, f: f32, g: f32, o: f32 }
// The activated gates of unit j of batch row b.
fn activated(b: u32, j: u32) -> Gates {
  let base = b * 4u * p.hidden + j;
  return Gates(
    sigmoid_f(gates[base]),
    sigmoid_f(gates[base + p.hidden]),
    tanh_f(gates[base + 2u * p.hidden]),
    sigmoid_f(gates[base + 3u * p.hidden]),
  );
}`;

export const LSTM_CELL = /* wgsl */ `
@group(0) @binding(0) var<storage, read> gates: array<f32>;
@group(0) @binding(1) var<storage, read> c_prev: array<f32>;
@group(0) @binding(2) var<storage, read_write> h_out: array<f32>;
@group(0) @binding(3) var<storage, read_write> c_out: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;
${COMMON}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let e = gid.x + gid.y * p.row_stride;
  if (e >= p.batch * p.hidden) { return; }
  let a = activated(e / p.hidden, e % p.hidden);
  let c = a.f * c_prev[e] + a.i * a.g;
  c_out[e] = c;
  h_out[e] = a.o * tanh_f(c);
}`;

export const LSTM_CELL_BACKWARD = /* wgsl */ `
@group(0) @binding(0) var<storage, read> gates: array<f32>;
@group(0) @binding(1) var<storage, read> c_prev: array<f32>;
@group(0) @binding(2) var<storage, read> dh: array<f32>;
@group(0) @binding(3) var<storage, read> dc: array<f32>;
@group(0) @binding(4) var<storage, read_write> dgates: array<f32>;
@group(0) @binding(5) var<storage, read_write> dc_prev: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;
${COMMON}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let e = gid.x + gid.y * p.row_stride;
  if (e >= p.batch * p.hidden) { return; }
  let b = e / p.hidden;
  let j = e % p.hidden;
  let a = activated(b, j);
  let cp = c_prev[e];
  let tc = tanh_f(a.f * cp + a.i * a.g);
  let dc_total = dc[e] + dh[e] * a.o * (1.0 - tc * tc);
  let base = b * 4u * p.hidden + j;
  dgates[base] = dc_total * a.g * a.i * (1.0 - a.i);
  dgates[base + p.hidden] = dc_total * cp * a.f * (1.0 - a.f);
  dgates[base + 2u * p.hidden] = dc_total * a.i * (1.0 - a.g * a.g);
  dgates[base + 3u * p.hidden] = dh[e] * tc * a.o * (1.0 - a.o);
  dc_prev[e] = dc_total * a.f;
}`;
