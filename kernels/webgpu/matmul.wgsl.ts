/**
 * Batched matmul C = op(A)·op(B): 64×64 output tiles, 16×16 threads each computing a 4×4 block
 * (rows ty+16i, cols tx+16j, so workgroup-memory reads don't collide), K stepped 16 at a time through
 * workgroup memory. Tile loads are arranged so neighbouring threads read neighbouring addresses for
 * either transpose. Out-of-range rows/cols load 0 and are not stored, so any shape is correct.
 */
import { variants, type Program } from './program.js';

const TILE = 64;

/** The workgroup memory of tileProduct. */
export const TILE_MEMORY = ['var<workgroup> As: array<array<f32, 64>, 16>;', 'var<workgroup> Bs: array<array<f32, 64>, 16>;'];

/** Workgroups of a tiled product: 64×64 output tiles of an M × N product, per block. */
export const tileGrid = (m: number, n: number, blocks: number): [number, number, number] => [Math.ceil(n / TILE), Math.ceil(m / TILE), blocks];

/**
 * The tiled product C = A·B of one workgroup's 64×64 tile (16×16 threads), given M, N, K in scope:
 * `loadA` / `loadB` turn a linear index \`idx\` into (kk, r) / (kk, c) and set \`v\` to A[row0 + r][t + kk] /
 * B[t + kk][col0 + c] (0 outside the product); `store` writes acc[i][j], C's element (r, col). The
 * convolutions (conv.wgsl.ts) reuse it with loads that gather their operands (implicit GEMM).
 */
export function tileProduct(loadA: string, loadB: string, store: string): string {
  return /* wgsl */ `
  let row0 = wid.y * 64u;
  let col0 = wid.x * 64u;
  let tid = lid.y * 16u + lid.x;
  var acc: array<array<f32, 4>, 4>;
  for (var t = 0u; t < K; t += 16u) {
    for (var l = 0u; l < 4u; l++) {
      let idx = tid + l * 256u;
      ${loadA}
      As[kk][r] = v;
    }
    for (var l = 0u; l < 4u; l++) {
      let idx = tid + l * 256u;
      ${loadB}
      Bs[kk][c] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk++) {
      var av: array<f32, 4>;
      var bv: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) { av[i] = As[kk][lid.y + 16u * i]; bv[i] = Bs[kk][lid.x + 16u * i]; }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) { acc[i][j] = fma(av[i], bv[j], acc[i][j]); }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let r = row0 + lid.y + 16u * i;
    if (r >= M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let col = col0 + lid.x + 16u * j;
      if (col < N) { ${store} }
    }
  }`;
}

export const matmulProgram = variants((transA: boolean, transB: boolean): Program => {
  // For each operand: how a linear thread index maps to (row-in-tile, k-in-tile), and the address.
  const loadA = transA
    ? 'let kk = idx / 64u; let r = idx % 64u; let gr = row0 + r; let gk = t + kk;\n      var v = 0.0; if (gr < M && gk < K) { v = a[offA + gk * M + gr]; }'
    : 'let r = idx / 16u; let kk = idx % 16u; let gr = row0 + r; let gk = t + kk;\n      var v = 0.0; if (gr < M && gk < K) { v = a[offA + gr * K + gk]; }';
  const loadB = transB
    ? 'let c = idx / 16u; let kk = idx % 16u; let gc = col0 + c; let gk = t + kk;\n      var v = 0.0; if (gc < N && gk < K) { v = b[offB + gc * K + gk]; }'
    : 'let kk = idx / 64u; let c = idx % 64u; let gc = col0 + c; let gk = t + kk;\n      var v = 0.0; if (gc < N && gk < K) { v = b[offB + gk * N + gc]; }';
  return {
    name: `matmul(transA=${transA}, transB=${transB})`,
    buffers: [{ name: 'a', type: 'f32' }, { name: 'b', type: 'f32' }, { name: 'out', type: 'f32', write: true }],
    uniforms: ['M', 'N', 'K', 'stride_a', 'stride_b', 'batch'].map((name) => ({ name, type: 'u32' as const })),
    workgroupSize: [16, 16],
    launch: { grid: (u) => tileGrid(u.M as number, u.N as number, u.batch as number) },
    helpers: TILE_MEMORY,
    body: /* wgsl */ `
  let M = p.M; let N = p.N; let K = p.K;
  let offA = wid.z * p.stride_a;
  let offB = wid.z * p.stride_b;
  let offC = wid.z * M * N;
  ${tileProduct(loadA, loadB, 'out[offC + r * N + col] = acc[i][j];')}`,
  };
});
