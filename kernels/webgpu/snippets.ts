/**
 * WGSL helpers shared by several kernels, written once. A program lists the ones it uses in `helpers`.
 * WGSL compilers may assume no Inf/NaN, so these are written to stay finite where the math allows.
 */

/** The two-sided logistic: no exp overflow for large |x|. */
export const SIGMOID = /* wgsl */ `
fn sigmoid_f(x: f32) -> f32 {
  let e = exp(-abs(x));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
}`;

/** tanh clamped to ±15, where it is ±1 in f32: WGSL's tanh may return NaN for large inputs on some GPUs. */
export const TANH = /* wgsl */ `
fn tanh_f(x: f32) -> f32 { return tanh(clamp(x, -15.0, 15.0)); }`;

/**
 * The counter-based generator of engine/random.ts: value `index` of the stream whose keys (inner, outer)
 * the host computes with streamKeys and passes as uniforms. Bit-identical to the CPU.
 */
export const RANDOM = /* wgsl */ `
fn pcg_hash(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}
fn random_bits(inner: u32, outer: u32, index: u32) -> u32 {
  return pcg_hash(pcg_hash(index + inner) ^ outer);
}
fn bits_to_uniform(bits: u32) -> f32 {
  return (f32(bits >> 8u) + 0.5) / 16777216.0;
}`;

/**
 * `fn <name>(flat: u32) -> u32`: the offset of element `flat` of a strided view, walking `rank` axes
 * whose sizes and strides the given `<array>_at` functions read from the uniforms.
 */
export const stridedOffset = (name: string, rank: string, shapeAt: string, stridesAt: string): string => /* wgsl */ `
fn ${name}(flat: u32) -> u32 {
  var rest = flat;
  var off = 0u;
  for (var ax = i32(${rank}) - 1; ax >= 0; ax--) {
    let dim = ${shapeAt}(u32(ax));
    off += (rest % dim) * ${stridesAt}(u32(ax));
    rest /= dim;
  }
  return off;
}`;
