/**
 * 2-D convolution and max pooling, twins of kernels/cpu/conv.ts: one thread per output element of each
 * pass (the forward's outputs, dx's inputs, dw's weights), each summing its own terms in the CPU's order
 * of axes, so no atomics are needed. With `samples` K > 1, batch slice k reads weight sample k.
 */
import type { Conv2dSpec, Pool2dSpec } from '../../engine/backend.js';
import type { BufferDecl, Program, UniformDecl, UniformValues } from './program.js';

const CONV_FIELDS = ['batch', 'inC', 'h', 'w', 'outC', 'kh', 'kw', 'strideH', 'strideW', 'padH', 'padW', 'groups', 'outH', 'outW', 'samples'] as const;
const POOL_FIELDS = ['batch', 'channels', 'h', 'w', 'kh', 'kw', 'strideH', 'strideW', 'outH', 'outW'] as const;
const uniforms = (fields: readonly string[]): UniformDecl[] => fields.map((name) => ({ name, type: 'u32' }));

/** A spec as the programs' uniforms (the same names). */
export const convUniforms = (s: Conv2dSpec | Pool2dSpec): UniformValues => ({ ...s });

const f32 = (name: string, write = false): BufferDecl => ({ name, type: 'f32', write });

/** Derived sizes and the start of the weight sample a batch row uses. */
const CONV_HELPERS = /* wgsl */ `
fn cg() -> u32 { return p.inC / p.groups; }
fn og() -> u32 { return p.outC / p.groups; }
fn weight_base(n: u32) -> u32 { return (n / (p.batch / p.samples)) * p.outC * cg() * p.kh * p.kw; }`;

/** One thread per output y[n, o, oy, ox]. */
export const CONV2D: Program = {
  name: 'conv2d',
  buffers: [f32('x'), f32('wt'), f32('y', true)],
  uniforms: uniforms(CONV_FIELDS),
  workgroupSize: 256,
  launch: 'threads',
  helpers: [CONV_HELPERS],
  body: /* wgsl */ `
  let ox = i % p.outW;
  let oy = (i / p.outW) % p.outH;
  let o = (i / (p.outW * p.outH)) % p.outC;
  let n = i / (p.outW * p.outH * p.outC);
  let g = o / og();
  let wb = weight_base(n);
  var acc = 0.0;
  for (var c = 0u; c < cg(); c++) {
    let xc = ((n * p.inC + g * cg() + c) * p.h) * p.w;
    let wc = wb + ((o * cg() + c) * p.kh) * p.kw;
    for (var ky = 0u; ky < p.kh; ky++) {
      let iy = i32(oy * p.strideH + ky) - i32(p.padH);
      if (iy < 0 || iy >= i32(p.h)) { continue; }
      for (var kx = 0u; kx < p.kw; kx++) {
        let ix = i32(ox * p.strideW + kx) - i32(p.padW);
        if (ix < 0 || ix >= i32(p.w)) { continue; }
        acc += x[xc + u32(iy) * p.w + u32(ix)] * wt[wc + ky * p.kw + kx];
      }
    }
  }
  y[i] = acc;`,
};

/** One thread per input element dx[n, ci, iy, ix]: the outputs whose windows read it. */
export const CONV2D_BACKWARD_INPUT: Program = {
  name: 'conv2dBackwardInput',
  buffers: [f32('dy'), f32('wt'), f32('dx', true)],
  uniforms: uniforms(CONV_FIELDS),
  workgroupSize: 256,
  launch: 'threads',
  helpers: [CONV_HELPERS],
  body: /* wgsl */ `
  let ix = i % p.w;
  let iy = (i / p.w) % p.h;
  let ci = (i / (p.w * p.h)) % p.inC;
  let n = i / (p.w * p.h * p.inC);
  let g = ci / cg();
  let c = ci % cg();
  let wb = weight_base(n);
  var acc = 0.0;
  for (var oo = 0u; oo < og(); oo++) {
    let o = g * og() + oo;
    let wc = wb + ((o * cg() + c) * p.kh) * p.kw;
    for (var ky = 0u; ky < p.kh; ky++) {
      let ty = i32(iy + p.padH) - i32(ky);
      if (ty < 0 || ty % i32(p.strideH) != 0) { continue; }
      let oy = u32(ty) / p.strideH;
      if (oy >= p.outH) { continue; }
      for (var kx = 0u; kx < p.kw; kx++) {
        let tx = i32(ix + p.padW) - i32(kx);
        if (tx < 0 || tx % i32(p.strideW) != 0) { continue; }
        let ox = u32(tx) / p.strideW;
        if (ox >= p.outW) { continue; }
        acc += dy[((n * p.outC + o) * p.outH + oy) * p.outW + ox] * wt[wc + ky * p.kw + kx];
      }
    }
  }
  dx[i] = acc;`,
};

/** One thread per weight dw[k, o, c, ky, kx]: the rows of batch slice k, every output position. */
export const CONV2D_BACKWARD_WEIGHT: Program = {
  name: 'conv2dBackwardWeight',
  buffers: [f32('x'), f32('dy'), f32('dw', true)],
  uniforms: uniforms(CONV_FIELDS),
  workgroupSize: 256,
  launch: 'threads',
  helpers: [CONV_HELPERS],
  body: /* wgsl */ `
  let kx = i % p.kw;
  let ky = (i / p.kw) % p.kh;
  let c = (i / (p.kw * p.kh)) % cg();
  let o = (i / (p.kw * p.kh * cg())) % p.outC;
  let k = i / (p.kw * p.kh * cg() * p.outC);
  let g = o / og();
  let rows = p.batch / p.samples;
  var acc = 0.0;
  for (var n = k * rows; n < (k + 1u) * rows; n++) {
    let xc = ((n * p.inC + g * cg() + c) * p.h) * p.w;
    for (var oy = 0u; oy < p.outH; oy++) {
      let iy = i32(oy * p.strideH + ky) - i32(p.padH);
      if (iy < 0 || iy >= i32(p.h)) { continue; }
      for (var ox = 0u; ox < p.outW; ox++) {
        let ix = i32(ox * p.strideW + kx) - i32(p.padW);
        if (ix < 0 || ix >= i32(p.w)) { continue; }
        acc += dy[((n * p.outC + o) * p.outH + oy) * p.outW + ox] * x[xc + u32(iy) * p.w + u32(ix)];
      }
    }
  }
  dw[i] = acc;`,
};

/** One thread per output: the window's maximum (the first on ties) and where it was. */
export const MAX_POOL2D: Program = {
  name: 'maxPool2d',
  buffers: [f32('x'), f32('out', true), { name: 'argmax', type: 'i32', write: true }],
  uniforms: uniforms(POOL_FIELDS),
  workgroupSize: 256,
  launch: 'threads',
  body: /* wgsl */ `
  let ox = i % p.outW;
  let oy = (i / p.outW) % p.outH;
  let plane = i / (p.outW * p.outH);
  let base = plane * p.h * p.w;
  var at = oy * p.strideH * p.w + ox * p.strideW;
  var best = x[base + at];
  for (var ky = 0u; ky < p.kh; ky++) {
    for (var kx = 0u; kx < p.kw; kx++) {
      let j = (oy * p.strideH + ky) * p.w + ox * p.strideW + kx;
      if (x[base + j] > best) { best = x[base + j]; at = j; }
    }
  }
  out[i] = best;
  argmax[i] = i32(at);`,
};

/** One thread per input element: the outputs of its plane whose maximum it was (windows may overlap). */
export const MAX_POOL2D_BACKWARD: Program = {
  name: 'maxPool2dBackward',
  buffers: [f32('dy'), { name: 'argmax', type: 'i32' }, f32('dx', true)],
  uniforms: uniforms(POOL_FIELDS),
  workgroupSize: 256,
  launch: 'threads',
  body: /* wgsl */ `
  let j = i % (p.h * p.w);
  let plane = i / (p.h * p.w);
  let iy = j / p.w;
  let ix = j % p.w;
  // Only windows that contain (iy, ix) can have picked it.
  let oy_lo = select(0u, (iy - p.kh + 1u + p.strideH - 1u) / p.strideH, iy + 1u >= p.kh);
  let ox_lo = select(0u, (ix - p.kw + 1u + p.strideW - 1u) / p.strideW, ix + 1u >= p.kw);
  var acc = 0.0;
  for (var oy = oy_lo; oy <= iy / p.strideH && oy < p.outH; oy++) {
    for (var ox = ox_lo; ox <= ix / p.strideW && ox < p.outW; ox++) {
      let o = (plane * p.outH + oy) * p.outW + ox;
      if (argmax[o] == i32(j)) { acc += dy[o]; }
    }
  }
  dx[i] = acc;`,
};
