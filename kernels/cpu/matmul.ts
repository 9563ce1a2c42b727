/**
 * CPU matmul: C[b] = op(A[b]) · op(B[b]). Transposed operands are first copied to row-major [m,k] / [k,n]
 * (O(mk) next to the O(mnk) product), then an i-k-j loop that updates four rows of C per pass over a
 * row of B, so each loaded B value is used four times and the inner loop runs over contiguous memory.
 */
import type { MatmulSpec } from '../../engine/backend.js';

export function matmulCpu(a: Float32Array, b: Float32Array, spec: MatmulSpec): Float32Array {
  const { batch, m, n, k } = spec;
  const out = new Float32Array(batch * m * n);
  for (let bi = 0; bi < batch; bi++) {
    const aRows = rowMajor(a, bi * spec.batchStrideA, spec.transA, m, k);
    const bRows = rowMajor(b, bi * spec.batchStrideB, spec.transB, k, n);
    gemm(aRows, bRows, out.subarray(bi * m * n, (bi + 1) * m * n), m, n, k);
  }
  return out;
}

/** The [rows, cols] matrix at `offset`, stored transposed when `transposed`, as a row-major array. */
function rowMajor(src: Float32Array, offset: number, transposed: boolean, rows: number, cols: number): Float32Array {
  if (!transposed) return src.subarray(offset, offset + rows * cols);
  const out = new Float32Array(rows * cols);
  for (let c = 0; c < cols; c++) {
    const base = offset + c * rows;
    for (let r = 0; r < rows; r++) out[r * cols + c] = src[base + r];
  }
  return out;
}

function gemm(a: Float32Array, b: Float32Array, c: Float32Array, m: number, n: number, k: number): void {
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const c0 = i * n, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
    const a0 = i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
    for (let p = 0; p < k; p++) {
      const v0 = a[a0 + p], v1 = a[a1 + p], v2 = a[a2 + p], v3 = a[a3 + p];
      const bp = p * n;
      for (let j = 0; j < n; j++) {
        const bv = b[bp + j];
        c[c0 + j] += v0 * bv;
        c[c1 + j] += v1 * bv;
        c[c2 + j] += v2 * bv;
        c[c3 + j] += v3 * bv;
      }
    }
  }
  for (; i < m; i++) {
    const ci = i * n, ai = i * k;
    for (let p = 0; p < k; p++) {
      const v = a[ai + p];
      const bp = p * n;
      for (let j = 0; j < n; j++) c[ci + j] += v * b[bp + j];
    }
  }
}
