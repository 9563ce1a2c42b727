/**
 * Scaled dot-product attention and its backward (engine/backend.ts AttentionSpec): the reference loops.
 * The forward keeps each query row's log-sum-exp of its scores; the backward recomputes the
 * probabilities from it (as the GPU's fused kernels do) instead of storing the T×T matrix.
 */
import type { AttentionSpec } from '../../engine/backend.js';
import { dropoutFactorsCpu } from '../../engine/random.js';

/**
 * The dropout factors M of every (query row, key), row-major [B·H·Tq, Tk]: 0 or 1/(1 − rate) from the counter
 * RNG (dropoutFactorsCpu, with the rate rounded to f32 as the GPU holds it); null without dropout. The fast
 * path passes the same generator on the wasm sampler (mask.fast.ts dropoutFactorsFast, the same bits).
 */
export function dropFactors(s: AttentionSpec, generate = dropoutFactorsCpu): Float32Array | null {
  if (s.dropout.rate === 0) return null;
  return generate(s.batch * s.heads * s.tq * s.tk, Math.fround(s.dropout.rate), s.dropout.seed, s.dropout.stream);
}

/** The keys query row i of batch row b may attend to: [0, end). */
export function keyEnd(s: AttentionSpec, lengths: Int32Array, b: number, i: number): number {
  let end = s.hasLengths ? Math.min(s.tk, lengths[b]) : s.tk;
  if (s.causal) end = Math.min(end, i + 1);
  return end;
}

/** The output and each query row's [log-sum-exp, unused] (the GPU keeps Δ in the second slot). */
export function attentionCpu(q: Float32Array, k: Float32Array, v: Float32Array, lengths: Int32Array, s: AttentionSpec): { out: Float32Array; stats: Float32Array } {
  const { dHead: d } = s;
  const out = new Float32Array(s.batch * s.heads * s.tq * d);
  const stats = new Float32Array(2 * s.batch * s.heads * s.tq);
  const scale = 1 / Math.sqrt(d);
  const factors = dropFactors(s);
  const scores = new Float64Array(s.tk);
  for (let bh = 0; bh < s.batch * s.heads; bh++) {
    const b = Math.floor(bh / s.heads);
    for (let i = 0; i < s.tq; i++) {
      const qi = (bh * s.tq + i) * d;
      const end = keyEnd(s, lengths, b, i);
      const row = bh * s.tq + i;
      if (end <= 0) {
        stats[2 * row] = -Infinity;
        continue;
      }
      let max = -Infinity;
      for (let j = 0; j < end; j++) {
        const kj = (bh * s.tk + j) * d;
        let dot = 0;
        for (let c = 0; c < d; c++) dot += q[qi + c] * k[kj + c];
        scores[j] = dot * scale;
        max = Math.max(max, scores[j]);
      }
      let sum = 0;
      for (let j = 0; j < end; j++) sum += Math.exp(scores[j] - max);
      for (let j = 0; j < end; j++) {
        const p = (Math.exp(scores[j] - max) / sum) * (factors ? factors[row * s.tk + j] : 1);
        const vj = (bh * s.tk + j) * d;
        for (let c = 0; c < d; c++) out[qi + c] += p * v[vj + c];
      }
      stats[2 * row] = max + Math.log(sum);
    }
  }
  return { out, stats };
}

/**
 * With P = exp(S − lse), the dropped-out P̃ = P ∘ M (M the dropout factors) and Δ_i = dout_i·out_i:
 * dV = P̃ᵀ dout, dS = P ∘ (M ∘ dout Vᵀ − Δ), dQ = dS K / √d, dK = dSᵀ Q / √d.
 */
export function attentionBackwardCpu(
  q: Float32Array, k: Float32Array, v: Float32Array, out: Float32Array, dout: Float32Array, stats: Float32Array, lengths: Int32Array, s: AttentionSpec,
): { dq: Float32Array; dk: Float32Array; dv: Float32Array } {
  const { dHead: d } = s;
  const dq = new Float32Array(q.length);
  const dk = new Float32Array(k.length);
  const dv = new Float32Array(v.length);
  const scale = 1 / Math.sqrt(d);
  const factors = dropFactors(s);
  for (let bh = 0; bh < s.batch * s.heads; bh++) {
    const b = Math.floor(bh / s.heads);
    for (let i = 0; i < s.tq; i++) {
      const qi = (bh * s.tq + i) * d;
      const end = keyEnd(s, lengths, b, i);
      const row = bh * s.tq + i;
      let delta = 0;
      for (let c = 0; c < d; c++) delta += dout[qi + c] * out[qi + c];
      for (let j = 0; j < end; j++) {
        const kj = (bh * s.tk + j) * d;
        let dot = 0;
        let dp = 0;
        for (let c = 0; c < d; c++) {
          dot += q[qi + c] * k[kj + c];
          dp += dout[qi + c] * v[kj + c];
        }
        const p = Math.exp(dot * scale - stats[2 * row]);
        const m = factors ? factors[row * s.tk + j] : 1;
        const ds = p * (m * dp - delta) * scale;
        for (let c = 0; c < d; c++) {
          dv[kj + c] += p * m * dout[qi + c];
          dq[qi + c] += ds * k[kj + c];
          dk[kj + c] += ds * q[qi + c];
        }
      }
    }
  }
  return { dq, dk, dv };
}
