;; Fused scaled dot-product attention, forward and backward, in WebAssembly 128-bit SIMD: the contracts of
;; kernels/cpu/attention.ts, one (batch·head, query row) at a time with its scores in a scratch row, so that
;; no [Tq, Tk] matrix is formed and nothing is packed per product (small per-head products are what the
;; GEMM path spent its time packing). Assembled by build-wasm.mjs (beside it) into attention.wasm.ts;
;; driven by kernels/cpu/attention.fast.ts, which lays the operands out in this module's memory.
;;
;; Layout (byte offsets, 16-byte aligned): q, out, dout, dq are [rows = bh·tq][dp] f32, k, v, dk, dv are
;; [bh·tk][dp] f32, with dp = d_head rounded up to 4 and the padding channels zero. ends[row] (i32) is the
;; number of keys the row may attend to; factors[row·tk + j] the dropout factors, read when `dropout` is 1.
;; scratch holds one row's scores, tk rounded up to 4.
;;
;; exp is Cephes' expf on 4 lanes (range reduction by ln 2 in two parts, degree-6 polynomial, 2^n from
;; the exponent bits): within 2 ulp of Math.exp over the clamped range [−87.3, 88.7], which softmax's
;; shifted arguments (≤ 0) stay in; below it the result is 2^−126 rather than a denormal or 0, far under
;; any probability that matters. wasm has no log: the forward returns each row's max and sum, and the
;; runner forms log-sum-exp = max + log(sum).
(module
  (memory (export "memory") 1 16384)

  ;; Σ_c a[c]·b[c] over n4 groups of 4 floats.
  (func $dot (param $a i32) (param $b i32) (param $n4 i32) (result f32)
    (local $acc v128)
    (loop $groups
      (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b)))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (br_if $groups (local.tee $n4 (i32.sub (local.get $n4) (i32.const 1)))))
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
      (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))

  ;; y[c] += alpha·x[c] over n4 groups of 4 floats.
  (func $axpy (param $y i32) (param $x i32) (param $alpha f32) (param $n4 i32)
    (local $a v128)
    (local.set $a (f32x4.splat (local.get $alpha)))
    (loop $groups
      (v128.store (local.get $y) (f32x4.add (v128.load (local.get $y)) (f32x4.mul (local.get $a) (v128.load (local.get $x)))))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (br_if $groups (local.tee $n4 (i32.sub (local.get $n4) (i32.const 1)))))
  )

  ;; The dots of a with the 4 rows b, b + stride, b + 2·stride, b + 3·stride (n4 groups of 4 floats each), as
  ;; one vector: 4 accumulators, then a transposing horizontal add (no per-dot lane extraction).
  (func $dot4 (param $a i32) (param $b i32) (param $stride i32) (param $n4 i32) (result v128)
    (local $x v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $b1 i32) (local $b2 i32) (local $b3 i32)
    (local.set $b1 (i32.add (local.get $b) (local.get $stride)))
    (local.set $b2 (i32.add (local.get $b1) (local.get $stride)))
    (local.set $b3 (i32.add (local.get $b2) (local.get $stride)))
    (loop $groups
      (local.set $x (v128.load (local.get $a)))
      (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $x) (v128.load (local.get $b)))))
      (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $x) (v128.load (local.get $b1)))))
      (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $x) (v128.load (local.get $b2)))))
      (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $x) (v128.load (local.get $b3)))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (local.set $b1 (i32.add (local.get $b1) (i32.const 16)))
      (local.set $b2 (i32.add (local.get $b2) (i32.const 16)))
      (local.set $b3 (i32.add (local.get $b3) (i32.const 16)))
      (br_if $groups (local.tee $n4 (i32.sub (local.get $n4) (i32.const 1)))))
    ;; [a0₀+a0₂, a1₀+a1₂, a0₁+a0₃, a1₁+a1₃] and the same for a2, a3; then the halves of those
    (local.set $a0 (f32x4.add
      (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a0) (local.get $a1))
      (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a0) (local.get $a1))))
    (local.set $a2 (f32x4.add
      (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a2) (local.get $a3))
      (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a2) (local.get $a3))))
    (f32x4.add
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $a0) (local.get $a2))
      (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $a0) (local.get $a2))))

  ;; y += Σ_l alpha[l]·x_l over the 4 rows x, x + stride, … (n4 groups): y is read and written once per 4 rows.
  (func $axpy4 (param $y i32) (param $x i32) (param $stride i32) (param $alpha v128) (param $n4 i32)
    (local $p0 v128) (local $p1 v128) (local $p2 v128) (local $p3 v128) (local $x1 i32) (local $x2 i32) (local $x3 i32)
    (local.set $p0 (f32x4.splat (f32x4.extract_lane 0 (local.get $alpha))))
    (local.set $p1 (f32x4.splat (f32x4.extract_lane 1 (local.get $alpha))))
    (local.set $p2 (f32x4.splat (f32x4.extract_lane 2 (local.get $alpha))))
    (local.set $p3 (f32x4.splat (f32x4.extract_lane 3 (local.get $alpha))))
    (local.set $x1 (i32.add (local.get $x) (local.get $stride)))
    (local.set $x2 (i32.add (local.get $x1) (local.get $stride)))
    (local.set $x3 (i32.add (local.get $x2) (local.get $stride)))
    (loop $groups
      (v128.store (local.get $y) (f32x4.add (v128.load (local.get $y)) (f32x4.add
        (f32x4.add (f32x4.mul (local.get $p0) (v128.load (local.get $x))) (f32x4.mul (local.get $p1) (v128.load (local.get $x1))))
        (f32x4.add (f32x4.mul (local.get $p2) (v128.load (local.get $x2))) (f32x4.mul (local.get $p3) (v128.load (local.get $x3)))))))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $x1 (i32.add (local.get $x1) (i32.const 16)))
      (local.set $x2 (i32.add (local.get $x2) (i32.const 16)))
      (local.set $x3 (i32.add (local.get $x3) (i32.const 16)))
      (br_if $groups (local.tee $n4 (i32.sub (local.get $n4) (i32.const 1)))))
  )

  ;; @include exp4.wat

  ;; row[j] = e^(row[j] − shift) for j < 4·n4.
  (func $expShifted (param $row i32) (param $n4 i32) (param $shift f32)
    (local $s v128)
    (local.set $s (f32x4.splat (local.get $shift)))
    (loop $groups
      (v128.store (local.get $row) (call $exp4 (f32x4.sub (v128.load (local.get $row)) (local.get $s))))
      (local.set $row (i32.add (local.get $row) (i32.const 16)))
      (br_if $groups (local.tee $n4 (i32.sub (local.get $n4) (i32.const 1)))))
  )

  ;; scratch[j] = (q_row · k_j)·scale for j < end, 4 keys at a time (the lanes up to end rounded up to 4 get
  ;; whatever the keys' rows there hold: the runner pads the key rows so that those reads stay in memory).
  ;; Returns the maximum over j < end.
  (func $scores (param $qRow i32) (param $kBase i32) (param $end i32) (param $rowBytes i32) (param $n4 i32)
                (param $scale f32) (param $scratch i32) (result f32)
    (local $j i32) (local $max f32)
    (loop $keys
      (v128.store (i32.add (local.get $scratch) (i32.shl (local.get $j) (i32.const 2)))
        (f32x4.mul (call $dot4 (local.get $qRow) (i32.add (local.get $kBase) (i32.mul (local.get $j) (local.get $rowBytes)))
                               (local.get $rowBytes) (local.get $n4))
                   (f32x4.splat (local.get $scale))))
      (br_if $keys (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 4))) (local.get $end))))
    (local.set $max (f32.const -inf))
    (local.set $j (i32.const 0))
    (loop $maxKeys
      (local.set $max (f32.max (local.get $max) (f32.load (i32.add (local.get $scratch) (i32.shl (local.get $j) (i32.const 2))))))
      (br_if $maxKeys (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $end))))
    (local.get $max))

  ;; scratch[j] *= factors[j] for j < end (the row's dropout factors), and 0 for end ≤ j < end rounded up to 4.
  (func $dropAndPad (param $scratch i32) (param $factors i32) (param $dropout i32) (param $end i32)
    (local $j i32)
    (if (local.get $dropout) (then
      (loop $keys
        (f32.store (i32.add (local.get $scratch) (local.get $j))
          (f32.mul (f32.load (i32.add (local.get $scratch) (local.get $j))) (f32.load (i32.add (local.get $factors) (local.get $j)))))
        (br_if $keys (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 4))) (i32.shl (local.get $end) (i32.const 2)))))))
    (local.set $j (local.get $end))
    (block $padded (loop $pad
      (br_if $padded (i32.eqz (i32.and (local.get $j) (i32.const 3))))
      (f32.store (i32.add (local.get $scratch) (i32.shl (local.get $j) (i32.const 2))) (f32.const 0))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $pad)))
  )

  ;; out_row = Σ_j softmax(scores)_j · factor_j · v_j; maxes[row], sums[row] = the row's max score and Σ e^(s − max).
  (func (export "forward") (param $q i32) (param $k i32) (param $v i32) (param $out i32) (param $maxes i32) (param $sums i32)
                           (param $ends i32) (param $factors i32) (param $dropout i32)
                           (param $bh i32) (param $tq i32) (param $tk i32) (param $dp i32) (param $scale f32) (param $scratch i32)
    (local $b i32) (local $i i32) (local $j i32) (local $row i32) (local $end i32) (local $n4 i32) (local $rowBytes i32)
    (local $kBase i32) (local $vBase i32) (local $qRow i32) (local $oRow i32) (local $max f32) (local $sum f32)
    (local.set $n4 (i32.shr_u (local.get $dp) (i32.const 2)))
    (local.set $rowBytes (i32.shl (local.get $dp) (i32.const 2)))
    (block $doneB (loop $batchHeads
      (br_if $doneB (i32.ge_u (local.get $b) (local.get $bh)))
      (local.set $kBase (i32.add (local.get $k) (i32.mul (i32.mul (local.get $b) (local.get $tk)) (local.get $rowBytes))))
      (local.set $vBase (i32.add (local.get $v) (i32.mul (i32.mul (local.get $b) (local.get $tk)) (local.get $rowBytes))))
      (local.set $i (i32.const 0))
      (block $doneI (loop $queries
        (br_if $doneI (i32.ge_u (local.get $i) (local.get $tq)))
        (local.set $row (i32.add (i32.mul (local.get $b) (local.get $tq)) (local.get $i)))
        (local.set $end (i32.load (i32.add (local.get $ends) (i32.shl (local.get $row) (i32.const 2)))))
        (local.set $qRow (i32.add (local.get $q) (i32.mul (local.get $row) (local.get $rowBytes))))
        (local.set $oRow (i32.add (local.get $out) (i32.mul (local.get $row) (local.get $rowBytes))))
        (local.set $max (f32.const -inf))
        (local.set $sum (f32.const 0))
        (if (i32.gt_s (local.get $end) (i32.const 0)) (then
          (local.set $max (call $scores (local.get $qRow) (local.get $kBase) (local.get $end) (local.get $rowBytes) (local.get $n4)
                                        (local.get $scale) (local.get $scratch)))
          (call $expShifted (local.get $scratch) (i32.shr_u (i32.add (local.get $end) (i32.const 3)) (i32.const 2)) (local.get $max))
          (local.set $j (i32.const 0))
          (loop $sumKeys
            (local.set $sum (f32.add (local.get $sum) (f32.load (i32.add (local.get $scratch) (i32.shl (local.get $j) (i32.const 2))))))
            (br_if $sumKeys (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $end))))
          (call $dropAndPad (local.get $scratch) (i32.add (local.get $factors) (i32.shl (i32.mul (local.get $row) (local.get $tk)) (i32.const 2)))
                            (local.get $dropout) (local.get $end))
          ;; 4 keys at a time while whole blocks remain, then key by key: a block never reaches past end,
          ;; where another row's values (possibly not finite) would meet a zero weight
          (local.set $j (i32.const 0))
          (block $blocksDone (loop $values
            (br_if $blocksDone (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $end)))
            (call $axpy4 (local.get $oRow) (i32.add (local.get $vBase) (i32.mul (local.get $j) (local.get $rowBytes))) (local.get $rowBytes)
              (f32x4.div (v128.load (i32.add (local.get $scratch) (i32.shl (local.get $j) (i32.const 2)))) (f32x4.splat (local.get $sum)))
              (local.get $n4))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $values)))
          (block $tailDone (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $j) (local.get $end)))
            (call $axpy (local.get $oRow) (i32.add (local.get $vBase) (i32.mul (local.get $j) (local.get $rowBytes)))
              (f32.div (f32.load (i32.add (local.get $scratch) (i32.shl (local.get $j) (i32.const 2)))) (local.get $sum)) (local.get $n4))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $tail)))))
        (f32.store (i32.add (local.get $maxes) (i32.shl (local.get $row) (i32.const 2))) (local.get $max))
        (f32.store (i32.add (local.get $sums) (i32.shl (local.get $row) (i32.const 2))) (local.get $sum))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $queries)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $batchHeads)))
  )

;; With P = e^(S − lse), M the dropout factors and Δ = dout_row · out_row, per (row, key j):
  ;;   dS = P·(M·(dout_row · v_j) − Δ)·scale;  dq_row += dS·k_j;  dk_j += dS·q_row;  dv_j += P·M·dout_row.
  ;; dq, dk, dv must be zero on entry. scratch holds 3 rows of tk rounded up to 4: P, dS and P·M.
  (func (export "backward") (param $q i32) (param $k i32) (param $v i32) (param $out i32) (param $dout i32) (param $lse i32)
                            (param $ends i32) (param $factors i32) (param $dropout i32)
                            (param $dq i32) (param $dk i32) (param $dv i32)
                            (param $bh i32) (param $tq i32) (param $tk i32) (param $dp i32) (param $scale f32) (param $scratch i32)
    (local $b i32) (local $i i32) (local $j i32) (local $row i32) (local $end i32) (local $n4 i32) (local $rowBytes i32)
    (local $keyOffset i32) (local $qRow i32) (local $doRow i32) (local $dqRow i32) (local $kj i32) (local $ds i32) (local $pm i32)
    (local $delta v128) (local $vScale v128) (local $p v128) (local $m v128) (local $dS v128)
    (local.set $n4 (i32.shr_u (local.get $dp) (i32.const 2)))
    (local.set $rowBytes (i32.shl (local.get $dp) (i32.const 2)))
    (local.set $ds (i32.add (local.get $scratch) (i32.shl (i32.and (i32.add (local.get $tk) (i32.const 3)) (i32.const -4)) (i32.const 2))))
    (local.set $pm (i32.add (local.get $ds) (i32.shl (i32.and (i32.add (local.get $tk) (i32.const 3)) (i32.const -4)) (i32.const 2))))
    (local.set $vScale (f32x4.splat (local.get $scale)))
    (local.set $m (f32x4.splat (f32.const 1)))
    (block $doneB (loop $batchHeads
      (br_if $doneB (i32.ge_u (local.get $b) (local.get $bh)))
      (local.set $keyOffset (i32.mul (i32.mul (local.get $b) (local.get $tk)) (local.get $rowBytes)))
      (local.set $i (i32.const 0))
      (block $doneI (loop $queries
        (br_if $doneI (i32.ge_u (local.get $i) (local.get $tq)))
        (local.set $row (i32.add (i32.mul (local.get $b) (local.get $tq)) (local.get $i)))
        (local.set $end (i32.load (i32.add (local.get $ends) (i32.shl (local.get $row) (i32.const 2)))))
        (if (i32.gt_s (local.get $end) (i32.const 0)) (then
          (local.set $qRow (i32.add (local.get $q) (i32.mul (local.get $row) (local.get $rowBytes))))
          (local.set $doRow (i32.add (local.get $dout) (i32.mul (local.get $row) (local.get $rowBytes))))
          (local.set $dqRow (i32.add (local.get $dq) (i32.mul (local.get $row) (local.get $rowBytes))))
          (local.set $delta (f32x4.splat
            (call $dot (local.get $doRow) (i32.add (local.get $out) (i32.mul (local.get $row) (local.get $rowBytes))) (local.get $n4))))
          (drop (call $scores (local.get $qRow) (i32.add (local.get $k) (local.get $keyOffset)) (local.get $end) (local.get $rowBytes)
                              (local.get $n4) (local.get $scale) (local.get $scratch)))
          (call $expShifted (local.get $scratch) (i32.shr_u (i32.add (local.get $end) (i32.const 3)) (i32.const 2))
                            (f32.load (i32.add (local.get $lse) (i32.shl (local.get $row) (i32.const 2)))))
          (call $dropAndPad (local.get $scratch) (i32.const 0) (i32.const 0) (local.get $end))
          ;; 4 keys at a time: dS and P·M into their scratch rows, dq_row += Σ dS·k (P is 0 past end, so is dS)
          (local.set $j (i32.const 0))
          (loop $blocks
            (local.set $kj (i32.add (local.get $keyOffset) (i32.mul (local.get $j) (local.get $rowBytes))))
            (local.set $p (v128.load (i32.add (local.get $scratch) (i32.shl (local.get $j) (i32.const 2)))))
            (if (local.get $dropout) (then
              (local.set $m (v128.load (i32.add (local.get $factors)
                (i32.shl (i32.add (i32.mul (local.get $row) (local.get $tk)) (local.get $j)) (i32.const 2)))))))
            (local.set $dS (f32x4.mul (f32x4.mul (local.get $p)
              (f32x4.sub (f32x4.mul (local.get $m) (call $dot4 (local.get $doRow) (i32.add (local.get $v) (local.get $kj)) (local.get $rowBytes) (local.get $n4)))
                         (local.get $delta)))
              (local.get $vScale)))
            (v128.store (i32.add (local.get $ds) (i32.shl (local.get $j) (i32.const 2))) (local.get $dS))
            (v128.store (i32.add (local.get $pm) (i32.shl (local.get $j) (i32.const 2))) (f32x4.mul (local.get $p) (local.get $m)))
            (if (i32.le_u (i32.add (local.get $j) (i32.const 4)) (local.get $end))
              (then (call $axpy4 (local.get $dqRow) (i32.add (local.get $k) (local.get $kj)) (local.get $rowBytes) (local.get $dS) (local.get $n4)))
              ;; the last, partial block key by key (as in the forward: no zero weight on another row's keys)
              (else (loop $tail
                (call $axpy (local.get $dqRow) (i32.add (local.get $k) (local.get $kj))
                            (f32.load (i32.add (local.get $ds) (i32.shl (local.get $j) (i32.const 2)))) (local.get $n4))
                (local.set $kj (i32.add (local.get $kj) (local.get $rowBytes)))
                (br_if $tail (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $end))))))
            (br_if $blocks (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 4))) (local.get $end))))
          (local.set $j (i32.const 0))
          (loop $keys
            (local.set $kj (i32.add (local.get $keyOffset) (i32.mul (local.get $j) (local.get $rowBytes))))
            (call $axpy (i32.add (local.get $dk) (local.get $kj)) (local.get $qRow)
                        (f32.load (i32.add (local.get $ds) (i32.shl (local.get $j) (i32.const 2)))) (local.get $n4))
            (call $axpy (i32.add (local.get $dv) (local.get $kj)) (local.get $doRow)
                        (f32.load (i32.add (local.get $pm) (i32.shl (local.get $j) (i32.const 2)))) (local.get $n4))
            (br_if $keys (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $end))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $queries)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $batchHeads)))
  )
)
