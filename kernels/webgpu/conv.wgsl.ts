/**
 * 2-D convolution and max pooling, twins of kernels/cpu/conv.ts. The forward and the input gradient are
 * implicit GEMMs on the tiled product of matmul.wgsl.ts: per (weight sample, group) block, 64×64 output
 * tiles whose operand tiles are gathered straight from the input (or the output gradient) into workgroup
 * memory, so no unrolled im2col buffer exists in global memory; the terms are summed in the CPU's order
 * of axes. The weight gradient keeps one thread per weight (its products are short and wide: as a tiled
 * GEMM it would leave most of a GPU idle without a split-K pass). With `samples` K > 1, batch slice k
 * reads weight sample k.
 */
import type { Conv2dSpec, Pool2dSpec } from '../../engine/backend.js';
import { TILE_MEMORY, tileGrid, tileProduct } from './matmul.wgsl.js';
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

/** The (sample, group) block of a workgroup of the implicit GEMMs, and its batch rows. */
const BLOCK = /* wgsl */ `
  let sample = wid.z / p.groups;
  let g = wid.z % p.groups;
  let rows = p.batch / p.samples;`;

/** Weight sample s, output channel o, input channel c of its group, tap kk = ky·kw + kx. */
const WEIGHT_AT = /* wgsl */ `
fn weight_at(s: u32, o: u32, c: u32, kk: u32) -> f32 { return wt[((s * p.outC + o) * cg() + c) * p.kh * p.kw + kk]; }`;

/**
 * y = W · unrolled(x) per block: M = output channels of the group, N = rows · outH · outW, K = cg · kh · kw.
 * A row-major from the weights; B gathered from x (0 in the padding).
 */
export const CONV2D: Program = {
  name: 'conv2d',
  buffers: [f32('x'), f32('wt'), f32('y', true)],
  uniforms: uniforms(CONV_FIELDS),
  workgroupSize: [16, 16],
  launch: { grid: (u) => tileGrid(Number(u.outC) / Number(u.groups), (Number(u.batch) / Number(u.samples)) * Number(u.outH) * Number(u.outW), Number(u.samples) * Number(u.groups)) },
  helpers: [CONV_HELPERS, WEIGHT_AT, ...TILE_MEMORY, /* wgsl */ `
fn unrolled(sample: u32, g: u32, kk: u32, col: u32) -> f32 {
  let taps = p.kh * p.kw;
  let ky = (kk % taps) / p.kw;
  let kx = kk % p.kw;
  let ox = col % p.outW;
  let oy = (col / p.outW) % p.outH;
  let n = sample * (p.batch / p.samples) + col / (p.outW * p.outH);
  let iy = i32(oy * p.strideH + ky) - i32(p.padH);
  let ix = i32(ox * p.strideW + kx) - i32(p.padW);
  if (iy < 0 || iy >= i32(p.h) || ix < 0 || ix >= i32(p.w)) { return 0.0; }
  return x[((n * p.inC + g * cg() + kk / taps) * p.h + u32(iy)) * p.w + u32(ix)];
}`],
  body: /* wgsl */ `${BLOCK}
  let M = og(); let N = rows * p.outH * p.outW; let K = cg() * p.kh * p.kw;
  let plane = p.outH * p.outW;
  ${tileProduct(
    'let r = idx / 16u; let kk = idx % 16u; let gr = row0 + r; let gk = t + kk;\n      var v = 0.0; if (gr < M && gk < K) { v = weight_at(sample, g * og() + gr, gk / (p.kh * p.kw), gk % (p.kh * p.kw)); }',
    'let kk = idx / 64u; let c = idx % 64u; let gc = col0 + c; let gk = t + kk;\n      var v = 0.0; if (gc < N && gk < K) { v = unrolled(sample, g, gk, gc); }',
    'y[((sample * rows + col / plane) * p.outC + g * og() + r) * plane + col % plane] = acc[i][j];',
  )}`,
};

/**
 * dx = Wᵀ-like product per block, gathered so that every dx element has one writer: M = input channels of
 * the group, N = rows · h · w, K = og · kh · kw; B[(o, ky, kx)][(n, iy, ix)] is the output gradient at the
 * output position whose window puts tap (ky, kx) on (iy, ix), or 0 where there is none.
 */
export const CONV2D_BACKWARD_INPUT: Program = {
  name: 'conv2dBackwardInput',
  buffers: [f32('dy'), f32('wt'), f32('dx', true)],
  uniforms: uniforms(CONV_FIELDS),
  workgroupSize: [16, 16],
  launch: { grid: (u) => tileGrid(Number(u.inC) / Number(u.groups), (Number(u.batch) / Number(u.samples)) * Number(u.h) * Number(u.w), Number(u.samples) * Number(u.groups)) },
  helpers: [CONV_HELPERS, WEIGHT_AT, ...TILE_MEMORY, /* wgsl */ `
fn gathered_dy(sample: u32, g: u32, k2: u32, col: u32) -> f32 {
  let taps = p.kh * p.kw;
  let ky = (k2 % taps) / p.kw;
  let kx = k2 % p.kw;
  let ix = col % p.w;
  let iy = (col / p.w) % p.h;
  let n = sample * (p.batch / p.samples) + col / (p.w * p.h);
  let ty = i32(iy + p.padH) - i32(ky);
  let tx = i32(ix + p.padW) - i32(kx);
  if (ty < 0 || tx < 0 || ty % i32(p.strideH) != 0 || tx % i32(p.strideW) != 0) { return 0.0; }
  let oy = u32(ty) / p.strideH;
  let ox = u32(tx) / p.strideW;
  if (oy >= p.outH || ox >= p.outW) { return 0.0; }
  return dy[((n * p.outC + g * og() + k2 / taps) * p.outH + oy) * p.outW + ox];
}`],
  body: /* wgsl */ `${BLOCK}
  let M = cg(); let N = rows * p.h * p.w; let K = og() * p.kh * p.kw;
  let plane = p.h * p.w;
  ${tileProduct(
    'let r = idx / 16u; let kk = idx % 16u; let gr = row0 + r; let gk = t + kk;\n      var v = 0.0; if (gr < M && gk < K) { v = weight_at(sample, g * og() + gk / (p.kh * p.kw), gr, gk % (p.kh * p.kw)); }',
    'let kk = idx / 64u; let c = idx % 64u; let gc = col0 + c; let gk = t + kk;\n      var v = 0.0; if (gc < N && gk < K) { v = gathered_dy(sample, g, gk, gc); }',
    'dx[((sample * rows + col / plane) * p.inC + g * cg() + r) * plane + col % plane] = acc[i][j];',
  )}`,
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
