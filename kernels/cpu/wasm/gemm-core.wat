;; The GEMM kernel proper, included by gemm.wat (the matmul and conv module) and attention.wat (which runs
;; its per-head products on it): the 4×8 micro-kernel, the blocked `gemm` over packed panels, `pack`, and
;; `$copy`, which both modules use to move results out of their work buffers.
;; gemm.wat's header says why they look as they do.
  ;; One 4×8 tile: C[4, 8] (+)= Apanel[kc][4] · Bpanel[kc][8]. `ldc` is C's row stride in bytes;
  ;; `accumulate` = 0 overwrites C (first k block), otherwise adds to it. kc ≥ 1.
  (func $micro (param $a i32) (param $b i32) (param $c i32) (param $kc i32) (param $ldc i32) (param $accumulate i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $av v128) (local $aEnd i32) (local $c1 i32) (local $c2 i32) (local $c3 i32)
    (local.set $aEnd (i32.add (local.get $a) (i32.shl (local.get $kc) (i32.const 4))))
    (loop $k
      (local.set $b0 (v128.load (local.get $b)))
      (local.set $b1 (v128.load offset=16 (local.get $b)))
      (local.set $av (v128.load32_splat (local.get $a)))
      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $av) (local.get $b0))))
      (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $av) (local.get $b1))))
      (local.set $av (v128.load32_splat offset=4 (local.get $a)))
      (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $av) (local.get $b0))))
      (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $av) (local.get $b1))))
      (local.set $av (v128.load32_splat offset=8 (local.get $a)))
      (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $av) (local.get $b0))))
      (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $av) (local.get $b1))))
      (local.set $av (v128.load32_splat offset=12 (local.get $a)))
      (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $av) (local.get $b0))))
      (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $av) (local.get $b1))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 32)))
      (br_if $k (i32.ne (local.get $a) (local.get $aEnd))))
    ;; Write the tile. Inline, not through a helper function: with calls after the loop, V8 moved
    ;; accumulators to stack slots inside the loop, and the kernel got slower.
    (local.set $c1 (i32.add (local.get $c) (local.get $ldc)))
    (local.set $c2 (i32.add (local.get $c1) (local.get $ldc)))
    (local.set $c3 (i32.add (local.get $c2) (local.get $ldc)))
    (if (local.get $accumulate)
      (then
        (local.set $c00 (f32x4.add (local.get $c00) (v128.load (local.get $c))))
        (local.set $c01 (f32x4.add (local.get $c01) (v128.load offset=16 (local.get $c))))
        (local.set $c10 (f32x4.add (local.get $c10) (v128.load (local.get $c1))))
        (local.set $c11 (f32x4.add (local.get $c11) (v128.load offset=16 (local.get $c1))))
        (local.set $c20 (f32x4.add (local.get $c20) (v128.load (local.get $c2))))
        (local.set $c21 (f32x4.add (local.get $c21) (v128.load offset=16 (local.get $c2))))
        (local.set $c30 (f32x4.add (local.get $c30) (v128.load (local.get $c3))))
        (local.set $c31 (f32x4.add (local.get $c31) (v128.load offset=16 (local.get $c3))))))
    (v128.store (local.get $c) (local.get $c00))
    (v128.store offset=16 (local.get $c) (local.get $c01))
    (v128.store (local.get $c1) (local.get $c10))
    (v128.store offset=16 (local.get $c1) (local.get $c11))
    (v128.store (local.get $c2) (local.get $c20))
    (v128.store offset=16 (local.get $c2) (local.get $c21))
    (v128.store (local.get $c3) (local.get $c30))
    (v128.store offset=16 (local.get $c3) (local.get $c31)))

  ;; C[mPanels·4, nPanels·8] = packed A · packed B, C row stride `ldc` bytes.
  ;; A panel i starts at pa + i·k·16, B panel j at pb + j·k·32 (see `pack`).
  ;; `accumulate` ≠ 0 adds the product to C instead (a caller that omits it gets 0).
  (func $gemm (export "gemm") (param $pa i32) (param $pb i32) (param $pc i32)
                        (param $mPanels i32) (param $nPanels i32) (param $k i32) (param $ldc i32) (param $accumulate i32)
    (local $p0 i32) (local $kc i32) (local $i0 i32) (local $iEnd i32) (local $i i32) (local $j i32)
    (local $bPtr i32)
    (loop $kBlocks
      ;; kc = min(KC, k - p0)
      (local.set $kc (select (i32.const 256) (i32.sub (local.get $k) (local.get $p0))
                             (i32.lt_u (i32.const 256) (i32.sub (local.get $k) (local.get $p0)))))
      (local.set $i0 (i32.const 0))
      (loop $rowBlocks
        ;; Blocks of 64 A panels: 256 rows of A, a 256 KiB KC slice.
        (local.set $iEnd (select (i32.add (local.get $i0) (i32.const 64)) (local.get $mPanels)
                                 (i32.lt_u (i32.add (local.get $i0) (i32.const 64)) (local.get $mPanels))))
        (local.set $j (i32.const 0))
        (loop $cols
          (local.set $bPtr (i32.add (local.get $pb)
            (i32.shl (i32.add (i32.mul (local.get $j) (local.get $k)) (local.get $p0)) (i32.const 5))))
          (local.set $i (local.get $i0))
          (loop $rows
            (call $micro
              (i32.add (local.get $pa) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $k)) (local.get $p0)) (i32.const 4)))
              (local.get $bPtr)
              (i32.add (local.get $pc) (i32.add (i32.mul (i32.shl (local.get $i) (i32.const 2)) (local.get $ldc))
                                                (i32.shl (local.get $j) (i32.const 5))))
              ;; accumulate into C after the first k block (or from the start when asked)
              (local.get $kc) (local.get $ldc) (i32.or (local.get $p0) (local.get $accumulate)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $rows (i32.lt_u (local.get $i) (local.get $iEnd))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $cols (i32.lt_u (local.get $j) (local.get $nPanels))))
        (local.set $i0 (local.get $iEnd))
        (br_if $rowBlocks (i32.lt_u (local.get $i0) (local.get $mPanels))))
      (local.set $p0 (i32.add (local.get $p0) (local.get $kc)))
      (br_if $kBlocks (i32.lt_u (local.get $p0) (local.get $k)))))

  ;; Pack X (element (w, p) at src + w·sw + p·sp bytes, w < nw, p < np) into panels of `width` (4 or 8)
  ;; w-values: panel j holds dst[j][p][0..width) = X(j·width + 0..width, p), zeros past nw.
  ;; For A, w is the row and p the k index; for B, w is the column. Works in groups of 4 w-values:
  ;; contiguous w (sw = 4) copies one vector per p, contiguous p (sp = 4) transposes 4×4 blocks,
  ;; anything else, and the group that straddles nw, goes element by element. p advances in chunks of
  ;; 16 across all groups: a group reads 16 bytes of each p row, and walking all np rows per group
  ;; evicted those rows (strides of 1 KiB alias in L1) before the next group read its 16 bytes.
  (func $pack (export "pack") (param $src i32) (param $dst i32) (param $nw i32) (param $np i32)
                        (param $sw i32) (param $sp i32) (param $width i32)
    (local $groups i32) (local $g i32) (local $w0 i32) (local $out i32) (local $dstStride i32)
    (local $in i32) (local $p i32) (local $pStart i32) (local $pEnd i32) (local $q i32) (local $w i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128) (local $t0 v128) (local $t1 v128)
    (if (i32.eqz (local.get $np)) (then (return)))
    (local.set $dstStride (i32.shl (local.get $width) (i32.const 2)))
    ;; Groups of 4 in the padded w range: ceil(nw / width) · width / 4.
    (local.set $groups (i32.shr_u
      (i32.mul (i32.div_u (i32.add (local.get $nw) (i32.sub (local.get $width) (i32.const 1))) (local.get $width))
               (local.get $width))
      (i32.const 2)))
    (loop $chunk
      (local.set $pEnd (select (i32.add (local.get $pStart) (i32.const 16)) (local.get $np)
                               (i32.lt_u (i32.add (local.get $pStart) (i32.const 16)) (local.get $np))))
      (local.set $g (i32.const 0))
      (loop $group
        (local.set $w0 (i32.shl (local.get $g) (i32.const 2)))
        ;; Group g is sub-column (g mod width/4) of panel g / (width/4); start at its row pStart.
        (local.set $out (i32.add (local.get $dst)
          (i32.add (i32.mul (i32.add (i32.mul (i32.div_u (local.get $w0) (local.get $width)) (local.get $np))
                                     (local.get $pStart))
                            (local.get $dstStride))
                   (i32.shl (i32.rem_u (local.get $w0) (local.get $width)) (i32.const 2)))))
        (local.set $in (i32.add (local.get $src)
          (i32.add (i32.mul (local.get $w0) (local.get $sw)) (i32.mul (local.get $pStart) (local.get $sp)))))
        (local.set $p (local.get $pStart))
        (if (i32.le_u (i32.add (local.get $w0) (i32.const 4)) (local.get $nw))
          (then
            (if (i32.eq (local.get $sw) (i32.const 4))
              (then
                (loop $copy
                  (v128.store (local.get $out) (v128.load (local.get $in)))
                  (local.set $in (i32.add (local.get $in) (local.get $sp)))
                  (local.set $out (i32.add (local.get $out) (local.get $dstStride)))
                  (local.set $p (i32.add (local.get $p) (i32.const 1)))
                  (br_if $copy (i32.lt_u (local.get $p) (local.get $pEnd)))))
              (else
                (if (i32.eq (local.get $sp) (i32.const 4))
                  (then
                    ;; 4×4 transposes: rows r0..r3 hold X(w0 + q, p..p+3); their columns are the
                    ;; vectors X(w0..w0+3, p + q) that go to consecutive p rows of the panel.
                    (block $tDone
                      (loop $transpose
                        (br_if $tDone (i32.gt_u (i32.add (local.get $p) (i32.const 4)) (local.get $pEnd)))
                        (local.set $r0 (v128.load (local.get $in)))
                        (local.set $r1 (v128.load (i32.add (local.get $in) (local.get $sw))))
                        (local.set $r2 (v128.load (i32.add (local.get $in) (i32.shl (local.get $sw) (i32.const 1)))))
                        (local.set $r3 (v128.load (i32.add (local.get $in) (i32.mul (local.get $sw) (i32.const 3)))))
                        ;; t0 = r0[0] r1[0] r0[1] r1[1], t1 = r2[0] r3[0] r2[1] r3[1]
                        (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
                        (local.set $t1 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
                        (v128.store (local.get $out)
                          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1)))
                        (v128.store (i32.add (local.get $out) (local.get $dstStride))
                          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1)))
                        ;; the same for elements 2 and 3
                        (local.set $t0 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
                        (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
                        (v128.store (i32.add (local.get $out) (i32.shl (local.get $dstStride) (i32.const 1)))
                          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1)))
                        (v128.store (i32.add (local.get $out) (i32.mul (local.get $dstStride) (i32.const 3)))
                          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1)))
                        (local.set $in (i32.add (local.get $in) (i32.const 16)))
                        (local.set $out (i32.add (local.get $out) (i32.shl (local.get $dstStride) (i32.const 2))))
                        (local.set $p (i32.add (local.get $p) (i32.const 4)))
                        (br $transpose)))))))))
        ;; Element by element for whatever is left of this group's chunk (all of it for a group that
        ;; straddles nw or has general strides); w ≥ nw reads as 0.
        (block $sDone
          (loop $scalarP
            (br_if $sDone (i32.ge_u (local.get $p) (local.get $pEnd)))
            (local.set $q (i32.const 0))
            (loop $scalarW
              (local.set $w (i32.add (local.get $w0) (local.get $q)))
              (f32.store (i32.add (local.get $out) (i32.shl (local.get $q) (i32.const 2)))
                (if (result f32) (i32.lt_u (local.get $w) (local.get $nw))
                  (then (f32.load (i32.add (local.get $src)
                    (i32.add (i32.mul (local.get $w) (local.get $sw)) (i32.mul (local.get $p) (local.get $sp))))))
                  (else (f32.const 0))))
              (local.set $q (i32.add (local.get $q) (i32.const 1)))
              (br_if $scalarW (i32.lt_u (local.get $q) (i32.const 4))))
            (local.set $out (i32.add (local.get $out) (local.get $dstStride)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $scalarP)))
        (local.set $g (i32.add (local.get $g) (i32.const 1)))
        (br_if $group (i32.lt_u (local.get $g) (local.get $groups))))
      (local.set $pStart (local.get $pEnd))
      (br_if $chunk (i32.lt_u (local.get $pStart) (local.get $np)))))

  ;; dst[0..len) = src[0..len), floats, 4 at a time then one by one.
  (func $copy (param $src i32) (param $dst i32) (param $len i32)
    (block $vDone
      (loop $v
        (br_if $vDone (i32.lt_u (local.get $len) (i32.const 4)))
        (v128.store (local.get $dst) (v128.load (local.get $src)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $len (i32.sub (local.get $len) (i32.const 4)))
        (br $v)))
    (block $sDone
      (loop $s
        (br_if $sDone (i32.eqz (local.get $len)))
        (f32.store (local.get $dst) (f32.load (local.get $src)))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (local.set $len (i32.sub (local.get $len) (i32.const 1)))
        (br $s))))
