;; Scaled dot-product attention, forward and backward, in WebAssembly 128-bit SIMD: the contracts of
;; kernels/cpu/attention.ts, one (batch·head) at a time as products on the GEMM kernel (gemm-core.wat,
;; included below) with the softmax between them:
;;   forward   S = Q·Kᵀ, P = softmax(S·scale) (masked, dropped out), out = P·V
;;   backward  S and P again from the saved log-sum-exp, dP = dout·Vᵀ, dS = P·(M·dP − Δ)·scale,
;;             dQ = dS·K, dK = dSᵀ·Q, dV = (P·M)ᵀ·dout
;; with M the dropout factors and Δ_row = dout_row · out_row. The forward of a single query row (greedy
;; decoding) skips the packing ($scoresOfRow, $valuesOfRow) and gives the same bits. A head's [Tq, Tk] scores live in a work
;; buffer, one head at a time; the row loops run 4 keys at a time (lanes past a row's end are zeroed after). Assembled by build-wasm.mjs (beside it) into attention.wasm.ts; driven by
;; kernels/cpu/attention.fast.ts, which lays the operands out in this module's memory.
;;
;; Layout (byte offsets, regions 16-byte aligned): q, out, dout, dq are [rows = bh·tq][d] f32, k, v, dk, dv
;; are [bh·tk][d] f32 (d = d_head, rows not padded: `pack` and the row loops take any d). ends[row] (i32) is
;; the number of keys the row may attend to; factors[row·tk + j] the dropout factors, read when `dropout` is
;; 1, 4 at a time (the runner leaves 3 floats of slack after them).
;; Work buffers, sized by the runner: packA and packB for the operands' panels, s and dp2 for a head's
;; [tq4][tk8] scores and their gradient, c for a product's [max(tq4, tk4)][d8] result (tq4: tq rounded up to 4, and so on).
;;
;; Keys at or past a head's last end (its key length) are never read: the products over keys stop there
;; (k = kEnd), so padded keys and values — which may hold anything, NaN included — meet no zero weight.
;; Past a row's own end (causal rows), P and dS are set to 0, not computed.
;;
;; exp is Cephes' expf on 4 lanes (exp4.wat): within 2 ulp of Math.exp over the clamped range
;; [−87.3, 88.7], which softmax's shifted arguments (≤ 0) stay in. wasm has no log: the forward returns
;; each row's max and sum, and the runner forms log-sum-exp = max + log(sum).
(module
  (memory (export "memory") 1 16384)

  ;; @include gemm-core.wat

  ;; @include exp4.wat

  ;; The largest end among a head's rows (its key length): 0 when every row is fully masked.
  (func $headEnd (param $ends i32) (param $tq i32) (result i32)
    (local $i i32) (local $end i32) (local $max i32)
    (loop $rows
      (local.set $end (i32.load (i32.add (local.get $ends) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $max (select (local.get $end) (local.get $max) (i32.gt_s (local.get $end) (local.get $max))))
      (br_if $rows (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $tq))))
    (local.get $max))

  ;; rows rows of n floats from src (row stride srcStride bytes) to dst (dstStride).
  (func $copyRows (param $src i32) (param $srcStride i32) (param $dst i32) (param $dstStride i32) (param $rows i32) (param $n i32)
    (local $r i32)
    (if (i32.eqz (local.get $rows)) (then (return)))
    (loop $rowLoop
      (call $copy (local.get $src) (local.get $dst) (local.get $n))
      (local.set $src (i32.add (local.get $src) (local.get $srcStride)))
      (local.set $dst (i32.add (local.get $dst) (local.get $dstStride)))
      (br_if $rowLoop (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $rows)))))

  ;; Σ_j a[j]·b[j] for j < n: 4 lanes at a time, then one by one.
  (func $dot (param $a i32) (param $b i32) (param $n i32) (result f32)
    (local $acc v128) (local $j i32) (local $sum f32)
    (block $vDone (loop $vectors
      (br_if $vDone (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
      (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul
        (v128.load (i32.add (local.get $a) (i32.shl (local.get $j) (i32.const 2))))
        (v128.load (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2)))))))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $vectors)))
    (local.set $sum (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
      (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
    (block $sDone (loop $scalars
      (br_if $sDone (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $sum (f32.add (local.get $sum) (f32.mul
        (f32.load (i32.add (local.get $a) (i32.shl (local.get $j) (i32.const 2))))
        (f32.load (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2)))))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $scalars)))
    (local.get $sum))

  ;; max_j row[j] and Σ_j row[j] for j < n (n ≥ 1): 4 lanes at a time, then one by one.
  (func $rowMax (param $row i32) (param $n i32) (result f32)
    (local $acc v128) (local $j i32) (local $max f32)
    (local.set $acc (v128.const f32x4 -inf -inf -inf -inf))
    (block $vDone (loop $vectors
      (br_if $vDone (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
      (local.set $acc (f32x4.max (local.get $acc) (v128.load (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))))))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $vectors)))
    (local.set $max (f32.max
      (f32.max (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
      (f32.max (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
    (block $sDone (loop $scalars
      (br_if $sDone (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $max (f32.max (local.get $max) (f32.load (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $scalars)))
    (local.get $max))

  (func $rowSum (param $row i32) (param $n i32) (result f32)
    (local $acc v128) (local $j i32) (local $sum f32)
    (block $vDone (loop $vectors
      (br_if $vDone (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
      (local.set $acc (f32x4.add (local.get $acc) (v128.load (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))))))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $vectors)))
    (local.set $sum (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
      (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
    (block $sDone (loop $scalars
      (br_if $sDone (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $sum (f32.add (local.get $sum) (f32.load (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $scalars)))
    (local.get $sum))

  ;; row[j] = 0 for from ≤ j < to.
  (func $zero (param $row i32) (param $from i32) (param $to i32)
    (block $done (loop $j
      (br_if $done (i32.ge_u (local.get $from) (local.get $to)))
      (f32.store (i32.add (local.get $row) (i32.shl (local.get $from) (i32.const 2))) (f32.const 0))
      (local.set $from (i32.add (local.get $from) (i32.const 1)))
      (br $j))))

  ;; row[j] = e^(row[j]·scale − shift) for j < 4·n4 (lanes past a row's end compute values nobody keeps).
  (func $expScaled (param $row i32) (param $n4 i32) (param $scale f32) (param $shift f32)
    (local $s v128) (local $sh v128)
    (local.set $s (f32x4.splat (local.get $scale)))
    (local.set $sh (f32x4.splat (local.get $shift)))
    (loop $groups
      (v128.store (local.get $row) (call $exp4 (f32x4.sub (f32x4.mul (v128.load (local.get $row)) (local.get $s)) (local.get $sh))))
      (local.set $row (i32.add (local.get $row) (i32.const 16)))
      (br_if $groups (local.tee $n4 (i32.sub (local.get $n4) (i32.const 1))))))

  ;; The scores of a head: s[i][j] = q_i · k_j for i < tq, j < kEnd (rows tk8 floats apart).
  (func $scores (param $q i32) (param $k i32) (param $tq i32) (param $kEnd i32) (param $d i32) (param $tk8 i32)
                (param $packA i32) (param $packB i32) (param $s i32)
    (local $rowBytes i32)
    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 2)))
    (call $pack (local.get $q) (local.get $packA) (local.get $tq) (local.get $d) (local.get $rowBytes) (i32.const 4) (i32.const 4))
    (call $pack (local.get $k) (local.get $packB) (local.get $kEnd) (local.get $d) (local.get $rowBytes) (i32.const 4) (i32.const 8))
    (call $gemm (local.get $packA) (local.get $packB) (local.get $s) (i32.shr_u (i32.add (local.get $tq) (i32.const 3)) (i32.const 2))
                (i32.shr_u (i32.add (local.get $kEnd) (i32.const 7)) (i32.const 3)) (local.get $d) (i32.shl (local.get $tk8) (i32.const 2)) (i32.const 0)))

  ;; A single query row's scores, as $scores gives them bit for bit (each s[j] = q · k_j summed over the d
  ;; channels in order, from 0) without packing: 4 keys at a time, one key per lane. Lanes past kEnd repeat
  ;; the last key (their scores are never read). Used where tq = 1 (greedy decoding's one new position).
  (func $scoresOfRow (param $q i32) (param $k i32) (param $kEnd i32) (param $d i32) (param $s i32)
    (local $j i32) (local $p i32) (local $rowBytes i32) (local $last i32) (local $k0 i32) (local $k1 i32) (local $k2 i32) (local $k3 i32)
    (local $acc v128) (local $keys v128)
    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 2)))
    (local.set $last (i32.sub (local.get $kEnd) (i32.const 1)))
    (loop $groups
      (local.set $k0 (i32.add (local.get $k) (i32.mul (local.get $j) (local.get $rowBytes))))
      (local.set $k1 (i32.add (local.get $k) (i32.mul (select (i32.add (local.get $j) (i32.const 1)) (local.get $last)
        (i32.lt_u (i32.add (local.get $j) (i32.const 1)) (local.get $kEnd))) (local.get $rowBytes))))
      (local.set $k2 (i32.add (local.get $k) (i32.mul (select (i32.add (local.get $j) (i32.const 2)) (local.get $last)
        (i32.lt_u (i32.add (local.get $j) (i32.const 2)) (local.get $kEnd))) (local.get $rowBytes))))
      (local.set $k3 (i32.add (local.get $k) (i32.mul (select (i32.add (local.get $j) (i32.const 3)) (local.get $last)
        (i32.lt_u (i32.add (local.get $j) (i32.const 3)) (local.get $kEnd))) (local.get $rowBytes))))
      (local.set $acc (v128.const f32x4 0 0 0 0))
      (local.set $p (i32.const 0))
      (loop $channels
        (local.set $keys (f32x4.replace_lane 3 (f32x4.replace_lane 2 (f32x4.replace_lane 1
          (v128.load32_splat (local.get $k0)) (f32.load (local.get $k1))) (f32.load (local.get $k2))) (f32.load (local.get $k3))))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul
          (v128.load32_splat (i32.add (local.get $q) (i32.shl (local.get $p) (i32.const 2)))) (local.get $keys))))
        (local.set $k0 (i32.add (local.get $k0) (i32.const 4)))
        (local.set $k1 (i32.add (local.get $k1) (i32.const 4)))
        (local.set $k2 (i32.add (local.get $k2) (i32.const 4)))
        (local.set $k3 (i32.add (local.get $k3) (i32.const 4)))
        (br_if $channels (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 1))) (local.get $d))))
      (v128.store (i32.add (local.get $s) (i32.shl (local.get $j) (i32.const 2))) (local.get $acc))
      (br_if $groups (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 4))) (local.get $kEnd)))))

  ;; out[0, d) = Σ_j p[j]·v_j over j < kEnd, in key order from 0, as $timesRows gives a single row bit for
  ;; bit; accumulates in c (⌈d/4⌉ vectors), then copies d floats out.
  (func $valuesOfRow (param $p i32) (param $v i32) (param $kEnd i32) (param $d i32) (param $c i32) (param $out i32)
    (local $j i32) (local $g i32) (local $groups i32) (local $rowBytes i32) (local $weight v128) (local $vRow i32) (local $at i32)
    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 2)))
    (local.set $groups (i32.shr_u (i32.add (local.get $d) (i32.const 3)) (i32.const 2)))
    (loop $clear
      (v128.store (i32.add (local.get $c) (i32.shl (local.get $g) (i32.const 4))) (v128.const f32x4 0 0 0 0))
      (br_if $clear (i32.lt_u (local.tee $g (i32.add (local.get $g) (i32.const 1))) (local.get $groups))))
    (local.set $vRow (local.get $v))
    (loop $keys
      (local.set $weight (v128.load32_splat (i32.add (local.get $p) (i32.shl (local.get $j) (i32.const 2)))))
      (local.set $g (i32.const 0))
      (loop $channels
        (local.set $at (i32.add (local.get $c) (i32.shl (local.get $g) (i32.const 4))))
        (v128.store (local.get $at) (f32x4.add (v128.load (local.get $at))
          (f32x4.mul (local.get $weight) (v128.load (i32.add (local.get $vRow) (i32.shl (local.get $g) (i32.const 4)))))))
        (br_if $channels (i32.lt_u (local.tee $g (i32.add (local.get $g) (i32.const 1))) (local.get $groups))))
      (local.set $vRow (i32.add (local.get $vRow) (local.get $rowBytes)))
      (br_if $keys (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $kEnd))))
    (call $copy (local.get $c) (local.get $out) (local.get $d)))

  ;; C = X · Y with X [m][kk] read through panels of its rows (stride xs bytes, contiguous inner axis) and
  ;; Y [kk][d] rows of a head (stride d floats): the products whose inner axis is keys or query rows.
  ;; `xRowsContiguous` = 1: X's rows are contiguous in memory (stride xs between rows), 0: X is stored
  ;; transposed (its columns contiguous, stride xs between columns).
  (func $timesRows (param $x i32) (param $xs i32) (param $xRowsContiguous i32) (param $m i32) (param $kk i32)
                   (param $y i32) (param $d i32) (param $packA i32) (param $packB i32) (param $c i32)
    (local $d8 i32)
    (local.set $d8 (i32.and (i32.add (local.get $d) (i32.const 7)) (i32.const -8)))
    (if (local.get $xRowsContiguous)
      (then (call $pack (local.get $x) (local.get $packA) (local.get $m) (local.get $kk) (local.get $xs) (i32.const 4) (i32.const 4)))
      (else (call $pack (local.get $x) (local.get $packA) (local.get $m) (local.get $kk) (i32.const 4) (local.get $xs) (i32.const 4))))
    (call $pack (local.get $y) (local.get $packB) (local.get $d) (local.get $kk) (i32.const 4) (i32.shl (local.get $d) (i32.const 2)) (i32.const 8))
    (call $gemm (local.get $packA) (local.get $packB) (local.get $c) (i32.shr_u (i32.add (local.get $m) (i32.const 3)) (i32.const 2))
                (i32.shr_u (local.get $d8) (i32.const 3)) (local.get $kk) (i32.shl (local.get $d8) (i32.const 2)) (i32.const 0)))

  ;; out_row = Σ_j softmax(scores)_j · factor_j · v_j; maxes[row], sums[row] = the row's max score and
  ;; Σ e^(s − max). out must be zero on entry (fully masked heads are skipped).
  (func (export "forward") (param $q i32) (param $k i32) (param $v i32) (param $out i32) (param $maxes i32) (param $sums i32)
                           (param $ends i32) (param $factors i32) (param $dropout i32)
                           (param $bh i32) (param $tq i32) (param $tk i32) (param $d i32) (param $scale f32)
                           (param $packA i32) (param $packB i32) (param $s i32) (param $c i32)
    (local $b i32) (local $i i32) (local $g i32) (local $groups i32) (local $row i32) (local $end i32) (local $kEnd i32)
    (local $tk8 i32) (local $rowBytes i32) (local $headQ i32) (local $headK i32) (local $sRow i32) (local $fRow i32)
    (local $max f32) (local $sum f32) (local $vSum v128) (local $x v128) (local $oneRow i32)
    (local.set $tk8 (i32.and (i32.add (local.get $tk) (i32.const 7)) (i32.const -8)))
    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 2)))
    (block $doneB (loop $heads
      (br_if $doneB (i32.ge_u (local.get $b) (local.get $bh)))
      (local.set $headQ (i32.mul (i32.mul (local.get $b) (local.get $tq)) (local.get $rowBytes)))
      (local.set $headK (i32.mul (i32.mul (local.get $b) (local.get $tk)) (local.get $rowBytes)))
      (local.set $kEnd (call $headEnd (i32.add (local.get $ends) (i32.shl (i32.mul (local.get $b) (local.get $tq)) (i32.const 2))) (local.get $tq)))
      ;; One query row over at most one k block of the GEMM (KC = 256 keys): no packing (same sums, same order).
      (local.set $oneRow (i32.and (i32.eq (local.get $tq) (i32.const 1)) (i32.le_u (local.get $kEnd) (i32.const 256))))
      (if (i32.gt_s (local.get $kEnd) (i32.const 0)) (then
        (if (local.get $oneRow)
          (then (call $scoresOfRow (i32.add (local.get $q) (local.get $headQ)) (i32.add (local.get $k) (local.get $headK)) (local.get $kEnd)
                                   (local.get $d) (local.get $s)))
          (else (call $scores (i32.add (local.get $q) (local.get $headQ)) (i32.add (local.get $k) (local.get $headK)) (local.get $tq) (local.get $kEnd)
                              (local.get $d) (local.get $tk8) (local.get $packA) (local.get $packB) (local.get $s))))))
      (local.set $i (i32.const 0))
      (loop $rows
        (local.set $row (i32.add (i32.mul (local.get $b) (local.get $tq)) (local.get $i)))
        (local.set $end (i32.load (i32.add (local.get $ends) (i32.shl (local.get $row) (i32.const 2)))))
        (local.set $sRow (i32.add (local.get $s) (i32.shl (i32.mul (local.get $i) (local.get $tk8)) (i32.const 2))))
        (local.set $max (f32.const -inf))
        (local.set $sum (f32.const 0))
        (if (i32.gt_s (local.get $end) (i32.const 0)) (then
          (local.set $max (f32.mul (call $rowMax (local.get $sRow) (local.get $end)) (local.get $scale)))
          (local.set $groups (i32.shr_u (i32.add (local.get $end) (i32.const 3)) (i32.const 2)))
          (call $expScaled (local.get $sRow) (local.get $groups) (local.get $scale) (local.get $max))
          (local.set $sum (call $rowSum (local.get $sRow) (local.get $end)))
          ;; P = e / sum · factor, 4 keys at a time (the lanes past end are zeroed below)
          (local.set $vSum (f32x4.splat (local.get $sum)))
          (local.set $fRow (i32.add (local.get $factors) (i32.shl (i32.mul (local.get $row) (local.get $tk)) (i32.const 2))))
          (local.set $g (i32.const 0))
          (loop $normalise
            (local.set $x (f32x4.div (v128.load (i32.add (local.get $sRow) (i32.shl (local.get $g) (i32.const 4)))) (local.get $vSum)))
            (if (local.get $dropout) (then
              (local.set $x (f32x4.mul (local.get $x) (v128.load (i32.add (local.get $fRow) (i32.shl (local.get $g) (i32.const 4))))))))
            (v128.store (i32.add (local.get $sRow) (i32.shl (local.get $g) (i32.const 4))) (local.get $x))
            (br_if $normalise (i32.lt_u (local.tee $g (i32.add (local.get $g) (i32.const 1))) (local.get $groups))))))
        (call $zero (local.get $sRow) (select (local.get $end) (i32.const 0) (i32.gt_s (local.get $end) (i32.const 0))) (local.get $kEnd))
        (f32.store (i32.add (local.get $maxes) (i32.shl (local.get $row) (i32.const 2))) (local.get $max))
        (f32.store (i32.add (local.get $sums) (i32.shl (local.get $row) (i32.const 2))) (local.get $sum))
        (br_if $rows (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $tq))))
      (if (i32.and (local.get $oneRow) (i32.gt_s (local.get $kEnd) (i32.const 0))) (then
        (call $valuesOfRow (local.get $s) (i32.add (local.get $v) (local.get $headK)) (local.get $kEnd) (local.get $d) (local.get $c)
                           (i32.add (local.get $out) (local.get $headQ)))))
      (if (i32.and (i32.eqz (local.get $oneRow)) (i32.gt_s (local.get $kEnd) (i32.const 0))) (then
        ;; out = P · V, P's rows contiguous (tk8 floats apart), over the head's kEnd keys
        (call $timesRows (local.get $s) (i32.shl (local.get $tk8) (i32.const 2)) (i32.const 1) (local.get $tq) (local.get $kEnd)
                         (i32.add (local.get $v) (local.get $headK)) (local.get $d) (local.get $packA) (local.get $packB) (local.get $c))
        (call $copyRows (local.get $c) (i32.shl (i32.and (i32.add (local.get $d) (i32.const 7)) (i32.const -8)) (i32.const 2))
                        (i32.add (local.get $out) (local.get $headQ)) (local.get $rowBytes) (local.get $tq) (local.get $d))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $heads)))
  )

  ;; With P = e^(S·scale − lse), M the dropout factors and Δ = dout_row · out_row:
  ;;   dS = P·(M·dP − Δ)·scale with dP = dout·Vᵀ;  dq = dS·K;  dk = dSᵀ·Q;  dv = (P·M)ᵀ·dout.
  ;; dq, dk, dv must be zero on entry.
  (func (export "backward") (param $q i32) (param $k i32) (param $v i32) (param $out i32) (param $dout i32) (param $lse i32)
                            (param $ends i32) (param $factors i32) (param $dropout i32)
                            (param $dq i32) (param $dk i32) (param $dv i32)
                            (param $bh i32) (param $tq i32) (param $tk i32) (param $d i32) (param $scale f32)
                            (param $packA i32) (param $packB i32) (param $s i32) (param $dp2 i32) (param $c i32)
    (local $b i32) (local $i i32) (local $g i32) (local $groups i32) (local $row i32) (local $end i32) (local $kEnd i32)
    (local $tk8 i32) (local $rowBytes i32) (local $cStride i32) (local $sStride i32) (local $headQ i32) (local $headK i32)
    (local $sRow i32) (local $dRow i32) (local $fRow i32)
    (local $delta v128) (local $vScale v128) (local $p v128) (local $m v128)
    (local.set $tk8 (i32.and (i32.add (local.get $tk) (i32.const 7)) (i32.const -8)))
    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 2)))
    (local.set $cStride (i32.shl (i32.and (i32.add (local.get $d) (i32.const 7)) (i32.const -8)) (i32.const 2)))
    (local.set $sStride (i32.shl (local.get $tk8) (i32.const 2)))
    (local.set $vScale (f32x4.splat (local.get $scale)))
    (block $doneB (loop $heads
      (br_if $doneB (i32.ge_u (local.get $b) (local.get $bh)))
      (local.set $headQ (i32.mul (i32.mul (local.get $b) (local.get $tq)) (local.get $rowBytes)))
      (local.set $headK (i32.mul (i32.mul (local.get $b) (local.get $tk)) (local.get $rowBytes)))
      (local.set $kEnd (call $headEnd (i32.add (local.get $ends) (i32.shl (i32.mul (local.get $b) (local.get $tq)) (i32.const 2))) (local.get $tq)))
      (if (i32.gt_s (local.get $kEnd) (i32.const 0)) (then
        (call $scores (i32.add (local.get $q) (local.get $headQ)) (i32.add (local.get $k) (local.get $headK)) (local.get $tq) (local.get $kEnd)
                      (local.get $d) (local.get $tk8) (local.get $packA) (local.get $packB) (local.get $s))
        ;; dP = dout · Vᵀ: the same product as the scores, with dout for Q and V for K
        (call $scores (i32.add (local.get $dout) (local.get $headQ)) (i32.add (local.get $v) (local.get $headK)) (local.get $tq) (local.get $kEnd)
                      (local.get $d) (local.get $tk8) (local.get $packA) (local.get $packB) (local.get $dp2))
        (local.set $i (i32.const 0))
        (loop $rows
          (local.set $row (i32.add (i32.mul (local.get $b) (local.get $tq)) (local.get $i)))
          (local.set $end (i32.load (i32.add (local.get $ends) (i32.shl (local.get $row) (i32.const 2)))))
          (local.set $sRow (i32.add (local.get $s) (i32.mul (local.get $i) (local.get $sStride))))
          (local.set $dRow (i32.add (local.get $dp2) (i32.mul (local.get $i) (local.get $sStride))))
          (if (i32.gt_s (local.get $end) (i32.const 0)) (then
            (local.set $delta (f32x4.splat (call $dot (i32.add (local.get $dout) (i32.mul (local.get $row) (local.get $rowBytes)))
                                                      (i32.add (local.get $out) (i32.mul (local.get $row) (local.get $rowBytes))) (local.get $d))))
            (local.set $groups (i32.shr_u (i32.add (local.get $end) (i32.const 3)) (i32.const 2)))
            (call $expScaled (local.get $sRow) (local.get $groups) (local.get $scale)
                             (f32.load (i32.add (local.get $lse) (i32.shl (local.get $row) (i32.const 2)))))
            ;; s row ← P·M (for dV), dp2 row ← dS (for dQ and dK), 4 keys at a time (lanes past end zeroed below)
            (local.set $fRow (i32.add (local.get $factors) (i32.shl (i32.mul (local.get $row) (local.get $tk)) (i32.const 2))))
            (local.set $m (v128.const f32x4 1 1 1 1))
            (local.set $g (i32.const 0))
            (loop $keys
              (if (local.get $dropout) (then (local.set $m (v128.load (i32.add (local.get $fRow) (i32.shl (local.get $g) (i32.const 4)))))))
              (local.set $p (v128.load (i32.add (local.get $sRow) (i32.shl (local.get $g) (i32.const 4)))))
              (v128.store (i32.add (local.get $dRow) (i32.shl (local.get $g) (i32.const 4)))
                (f32x4.mul (f32x4.mul (local.get $p)
                  (f32x4.sub (f32x4.mul (local.get $m) (v128.load (i32.add (local.get $dRow) (i32.shl (local.get $g) (i32.const 4))))) (local.get $delta)))
                  (local.get $vScale)))
              (v128.store (i32.add (local.get $sRow) (i32.shl (local.get $g) (i32.const 4))) (f32x4.mul (local.get $p) (local.get $m)))
              (br_if $keys (i32.lt_u (local.tee $g (i32.add (local.get $g) (i32.const 1))) (local.get $groups))))))
          (local.set $end (select (local.get $end) (i32.const 0) (i32.gt_s (local.get $end) (i32.const 0))))
          (call $zero (local.get $sRow) (local.get $end) (local.get $kEnd))
          (call $zero (local.get $dRow) (local.get $end) (local.get $kEnd))
          (br_if $rows (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $tq))))
        ;; dq = dS · K (dS's rows contiguous)
        (call $timesRows (local.get $dp2) (local.get $sStride) (i32.const 1) (local.get $tq) (local.get $kEnd)
                         (i32.add (local.get $k) (local.get $headK)) (local.get $d) (local.get $packA) (local.get $packB) (local.get $c))
        (call $copyRows (local.get $c) (local.get $cStride) (i32.add (local.get $dq) (local.get $headQ)) (local.get $rowBytes) (local.get $tq) (local.get $d))
        ;; dk = dSᵀ · Q and dv = (P·M)ᵀ · dout: the key rows of the transposes are dS's and P·M's columns
        (call $timesRows (local.get $dp2) (local.get $sStride) (i32.const 0) (local.get $kEnd) (local.get $tq)
                         (i32.add (local.get $q) (local.get $headQ)) (local.get $d) (local.get $packA) (local.get $packB) (local.get $c))
        (call $copyRows (local.get $c) (local.get $cStride) (i32.add (local.get $dk) (local.get $headK)) (local.get $rowBytes) (local.get $kEnd) (local.get $d))
        (call $timesRows (local.get $s) (local.get $sStride) (i32.const 0) (local.get $kEnd) (local.get $tq)
                         (i32.add (local.get $dout) (local.get $headQ)) (local.get $d) (local.get $packA) (local.get $packB) (local.get $c))
        (call $copyRows (local.get $c) (local.get $cStride) (i32.add (local.get $dv) (local.get $headK)) (local.get $rowBytes) (local.get $kEnd) (local.get $d))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $heads)))
  )
)
