/**
 * The fused LSTM cell and its backward (twins of kernels/cpu/lstm.ts): one thread per (batch row, hidden
 * unit) reads that unit's four gates, in PyTorch's order i, f, g, o.
 */
import type { Program } from './program.js';
import { SIGMOID, TANH } from './snippets.js';

const ACTIVATED = /* wgsl */ `
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

const common = {
  uniforms: [{ name: 'hidden', type: 'u32' as const }],
  workgroupSize: 256,
  launch: 'threads' as const,
  helpers: [SIGMOID, TANH, ACTIVATED],
};

export const LSTM_CELL: Program = {
  ...common,
  name: 'lstmCell',
  buffers: [
    { name: 'gates', type: 'f32' },
    { name: 'c_prev', type: 'f32' },
    { name: 'h_out', type: 'f32', write: true },
    { name: 'c_out', type: 'f32', write: true },
  ],
  body: /* wgsl */ `
  let a = activated(i / p.hidden, i % p.hidden);
  let c = a.f * c_prev[i] + a.i * a.g;
  c_out[i] = c;
  h_out[i] = a.o * tanh_f(c);`,
};

export const LSTM_CELL_BACKWARD: Program = {
  ...common,
  name: 'lstmCellBackward',
  buffers: [
    { name: 'gates', type: 'f32' },
    { name: 'c_prev', type: 'f32' },
    { name: 'dh', type: 'f32' },
    { name: 'dc', type: 'f32' },
    { name: 'dgates', type: 'f32', write: true },
    { name: 'dc_prev', type: 'f32', write: true },
  ],
  body: /* wgsl */ `
  let b = i / p.hidden;
  let j = i % p.hidden;
  let a = activated(b, j);
  let cp = c_prev[i];
  let tc = tanh_f(a.f * cp + a.i * a.g);
  let dc_total = dc[i] + dh[i] * a.o * (1.0 - tc * tc);
  let base = b * 4u * p.hidden + j;
  dgates[base] = dc_total * a.g * a.i * (1.0 - a.i);
  dgates[base + p.hidden] = dc_total * cp * a.f * (1.0 - a.f);
  dgates[base + 2u * p.hidden] = dc_total * a.i * (1.0 - a.g * a.g);
  dgates[base + 3u * p.hidden] = dh[i] * tc * a.o * (1.0 - a.o);
  dc_prev[i] = dc_total * a.f;`,
};
