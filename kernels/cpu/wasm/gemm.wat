;; f32 GEMM for the CPU backend, WebAssembly 128-bit SIMD (no relaxed-simd, so no FMA: mul then add), and
;; the block moves that turn a convolution into GEMMs on it (at the end of the file).
;; Assembled by build-wasm.mjs (beside it) into gemm.wasm.ts; driven by kernels/cpu/matmul.fast.ts and
;; kernels/cpu/conv.fast.ts.
;;
;; C[m,n] = A[m,k] · B[k,n] in the GotoBLAS shape (the code is in gemm-core.wat, which attention.wat includes too):
;;   * `pack` copies an operand, whatever its strides, into panels: A into panels of MR = 4 rows stored
;;     [k][4], B into panels of NR = 8 columns stored [k][8]. Panels are zero-padded past m / n, so the
;;     micro-kernel never sees a ragged edge; C is a padded [mPad, nPad] buffer and the caller copies
;;     out the m × n corner.
;;   * `micro` computes one 4×8 tile of C, looping over k with the tile in 8 f32x4 accumulators.
;;     4×8 (and 2×16) measured fastest in V8 on x86-64: V8 gives wasm 15 xmm registers, and 8
;;     accumulators + 2 B vectors + the A broadcasts + a product temporary fit, while 5×8, 6×8, 4×12
;;     and 4×16 spill (figures: bench/RESULTS.md, "Kernel design measurements").
;;   * `gemm` walks the tiles: k in blocks of KC = 256 (a 4×KC A panel and a KC×8 B panel are 4 + 8 KiB,
;;     both L1-resident while a tile is computed), B panels in the middle loop so one B panel stays
;;     in L1 across a block of 64 A panels (their KC slice, ≤ 256 KiB, sits in L2). Other KC and
;;     block sizes measured the same within noise.
;; All pointers and strides are byte offsets into the one memory, grown by the caller (at most 1 GiB).
;; build-wasm.mjs also emits a variant for Node's helper threads that imports the memory as shared
;; instead: it swaps the `memory` line below, which must therefore stay exactly as it is.
(module
  (memory (export "memory") 1 16384)

  ;; @include gemm-core.wat

  ;; Convolution support (kernels/cpu/conv.fast.ts): moves between a frame (a batch of zero-padded input
  ;; planes, or of output planes) and a block of im2col columns, so that a convolution is a few products
  ;; on blocks that stay in cache. A run is 3 i32 (start, len, base): block columns start..start+len read
  ;; the frame floats base..base+len, which are contiguous. `rowOff` (i32, in floats) says where each block
  ;; row reads within the frame: the window tap's offset for an unrolled input, the channel's for an output.

  ;; dst[row][start + t] = frame[base + rowOff[row] + t], for row < rows, every run, t < len.
  ;; `ldd` is dst's row stride in bytes.
  (func (export "gather") (param $frame i32) (param $rowOff i32) (param $rows i32) (param $runs i32) (param $nRuns i32)
                          (param $dst i32) (param $ldd i32)
    (local $row i32) (local $off i32) (local $d i32) (local $run i32) (local $runsEnd i32)
    (if (i32.or (i32.eqz (local.get $rows)) (i32.eqz (local.get $nRuns))) (then (return)))
    (local.set $runsEnd (i32.add (local.get $runs) (i32.mul (local.get $nRuns) (i32.const 12))))
    (loop $rowLoop
      (local.set $off (i32.load (i32.add (local.get $rowOff) (i32.shl (local.get $row) (i32.const 2)))))
      (local.set $d (i32.add (local.get $dst) (i32.mul (local.get $row) (local.get $ldd))))
      (local.set $run (local.get $runs))
      (loop $runLoop
        (call $copy
          (i32.add (local.get $frame) (i32.shl (i32.add (i32.load offset=8 (local.get $run)) (local.get $off)) (i32.const 2)))
          (i32.add (local.get $d) (i32.shl (i32.load (local.get $run)) (i32.const 2)))
          (i32.load offset=4 (local.get $run)))
        (local.set $run (i32.add (local.get $run) (i32.const 12)))
        (br_if $runLoop (i32.lt_u (local.get $run) (local.get $runsEnd))))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br_if $rowLoop (i32.lt_u (local.get $row) (local.get $rows)))))

  ;; The adjoint of gather: frame[base + rowOff[row] + t] += src[row][start + t]. `lds` is src's row stride.
  (func (export "scatter_add") (param $frame i32) (param $rowOff i32) (param $rows i32) (param $runs i32) (param $nRuns i32)
                               (param $src i32) (param $lds i32)
    (local $row i32) (local $off i32) (local $s i32) (local $run i32) (local $runsEnd i32)
    (if (i32.or (i32.eqz (local.get $rows)) (i32.eqz (local.get $nRuns))) (then (return)))
    (local.set $runsEnd (i32.add (local.get $runs) (i32.mul (local.get $nRuns) (i32.const 12))))
    (loop $rowLoop
      (local.set $off (i32.load (i32.add (local.get $rowOff) (i32.shl (local.get $row) (i32.const 2)))))
      (local.set $s (i32.add (local.get $src) (i32.mul (local.get $row) (local.get $lds))))
      (local.set $run (local.get $runs))
      (loop $runLoop
        (call $addInto
          (i32.add (local.get $s) (i32.shl (i32.load (local.get $run)) (i32.const 2)))
          (i32.add (local.get $frame) (i32.shl (i32.add (i32.load offset=8 (local.get $run)) (local.get $off)) (i32.const 2)))
          (i32.load offset=4 (local.get $run)))
        (local.set $run (i32.add (local.get $run) (i32.const 12)))
        (br_if $runLoop (i32.lt_u (local.get $run) (local.get $runsEnd))))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br_if $rowLoop (i32.lt_u (local.get $row) (local.get $rows)))))

  ;; Copies `planes` planes of `rows` rows of `len` floats; strides in bytes. Pads an input into its frame
  ;; and takes a frame's interior back out.
  (func (export "copy_planes") (param $src i32) (param $dst i32) (param $planes i32) (param $rows i32) (param $len i32)
                               (param $srcRow i32) (param $dstRow i32) (param $srcPlane i32) (param $dstPlane i32)
    (local $p i32) (local $y i32)
    (if (i32.or (i32.eqz (local.get $planes)) (i32.eqz (local.get $rows))) (then (return)))
    (loop $planeLoop
      (local.set $y (i32.const 0))
      (loop $rowLoop
        (call $copy
          (i32.add (i32.add (local.get $src) (i32.mul (local.get $p) (local.get $srcPlane))) (i32.mul (local.get $y) (local.get $srcRow)))
          (i32.add (i32.add (local.get $dst) (i32.mul (local.get $p) (local.get $dstPlane))) (i32.mul (local.get $y) (local.get $dstRow)))
          (local.get $len))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br_if $rowLoop (i32.lt_u (local.get $y) (local.get $rows))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br_if $planeLoop (i32.lt_u (local.get $p) (local.get $planes)))))

  ;; dst[0..len) += src[0..len), floats.
  (func $addInto (param $src i32) (param $dst i32) (param $len i32)
    (block $vDone
      (loop $v
        (br_if $vDone (i32.lt_u (local.get $len) (i32.const 4)))
        (v128.store (local.get $dst) (f32x4.add (v128.load (local.get $dst)) (v128.load (local.get $src))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $len (i32.sub (local.get $len) (i32.const 4)))
        (br $v)))
    (block $sDone
      (loop $s
        (br_if $sDone (i32.eqz (local.get $len)))
        (f32.store (local.get $dst) (f32.add (f32.load (local.get $dst)) (f32.load (local.get $src))))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (local.set $len (i32.sub (local.get $len) (i32.const 1)))
        (br $s))))
)
