;; The fused mask kernels of kernels/cpu/mask.ts in WebAssembly 128-bit SIMD (no relaxed-simd, no threads),
;; bit-identical to that reference. Assembled by build-wasm.mjs (beside it) into mask.wasm.ts;
;; driven by kernels/cpu/mask.fast.ts, which puts the operands into this module's memory.
;;
;; The counter RNG (engine/random.ts) runs on 4 counters at a time: bits = pcg(pcg(counter + inner) ^ outer).
;; PCG's data-dependent shift, state >>> ((state >>> 28) + 4), has no per-lane SIMD instruction. It is
;; the high half of the 64-bit product state · 2^(28 − t), t = state >>> 28: two i64x2.extmul (pmuludq)
;; and a shuffle. 2^(28 − t) itself comes from float bits: (142 − t) << 23 is the f32 2^(15 − t); adding
;; 2^23 puts the integer 2^(15 − t) in the low mantissa bits (0x4B000000 + 2^(15 − t)), and << 13 both
;; moves it to 2^(28 − t) and shifts the 0x4B000000 out: 12 x64 instructions per shift in V8. The 4 lanes
;; one by one (extract, scalar shift, replace) ran a little faster on the Zen 5 we measured, but extract
;; and insert are 2 µops each on the shuffle port of Intel cores, so this keeps the all-SIMD form; 4
;; conditional shifts by 1, 2, 4, 8 selected by the bits of t were much slower (bench/RESULTS.md,
;; "Kernel design measurements").
;;
;; Forward keep decision. With b = bits >>> 8 and e = the f32 e^(−l) (kernels/cpu/mask.ts rounds it to f32),
;; the reference keeps iff u > (1 − u)·e in f64, u = (b + 0.5)/2^24. Writing a = 2b + 1, c = 2^25 − a:
;; u = a/2^25 and 1 − u = c/2^25 exactly, and c·e (25-bit integer times 24-bit significand) fits in
;; f64's 53 bits, so the f64 product is exact and the test is exactly a > c·e, i.e. b > (t − 1)/2 with
;; t = 2^25·e/(1 + e). That is monotone in b: the kept b are those ≥ a threshold T = ⌊(t − 1)/2⌋ + 1
;; (clamped to [0, 2^24]), one per weight, shared by all samples. `thresholds` estimates T in f64
;; (t's error is below 2^−27, and the estimate is biased down by 2^−25, so it is T − 1 or T) and then
;; settles it with the reference's own f64 predicate at the estimate: if that b is not kept, T is one
;; more. NaN and +∞ e (the reference never keeps) give T = 2^24. The sampling loop then only compares
;; integers. It stores T − 1, so that the test is one signed i32x4.gt_s: b > T − 1.
;;
;; Backward: the reference's f64 arithmetic in the same order (f64x2: IEEE, no contraction), so it is
;; bit-identical too, given the same f64 e^(−l): `expNeg` below (or Math.exp, in the runner).
;; Its two f64 divisions per element are not its bottleneck: a rewrite with one, p·u/(u + p)² with
;; p = e·(1 − u) (not bit-identical), measured the same.
;;
;; All pointers are byte offsets, 16-byte aligned; arrays are padded to nPad = n rounded up to 4, and the
;; padding lanes compute garbage that the runner never reads.
(module
  (memory (export "memory") 1 16384)

  ;; e[i] = e^(−l[i]) in f64 for i < count (even), bit-identical to Math.exp(−l[i]) in V8: the same
  ;; operations as V8's Math.exp, which is fdlibm's e_exp.c (src/base/ieee754.cc), on 2 lanes at a time.
  ;; fdlibm branches on |x|; here every lane takes the one general path, which gives the same result on
  ;; each branch it replaces:
  ;;   * |x| ≤ 0.5·ln 2 (k = 0): fdlibm skips the reduction and returns 1 − ((x·c)/(c − 2) − x); with
  ;;     k = 0 the general path has hi = x − 0 = x, lo = 0 and returns (1 − ((0 − r) − hi))·2^0 with
  ;;     r = (x·c)/(2 − c), and (x·c)/(c − 2) = −r exactly (IEEE division is sign-symmetric).
  ;;   * 0.5·ln 2 < |x| < 1.5·ln 2: fdlibm sets k = ±1 directly, which is what the rounding gives there.
  ;;   * |x| < 2^−28: 1 + x, and x = 1: the constant e fdlibm special-cases; both by lane select.
  ;; Lanes it does not cover — |x| > 708 (near or past overflow and underflow, where fdlibm scales
  ;; twice), NaN, ±∞ — get their index appended to rare[]; the count is returned, and the runner
  ;; computes those few with Math.exp. l is f32, so for weights' logits that list is empty.
  (func (export "expNeg") (param $l i32) (param $e i32) (param $count i32) (param $rare i32) (result i32)
    (local $end i32) (local $i i32) (local $nRare i32) (local $normal i32)
    (local $x v128) (local $ax v128) (local $k v128) (local $hi v128) (local $lo v128) (local $r v128)
    (local $t v128) (local $c v128) (local $y v128)
    (local.set $end (i32.add (local.get $l) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (br_if $done (i32.eqz (local.get $count)))
      (loop $pairs
        (local.set $x (f64x2.neg (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $l)))))
        (local.set $ax (f64x2.abs (local.get $x)))
        ;; k = trunc(x/ln 2 ± 0.5) where |x| > 0.5·ln 2 (high word > 0x3FD62E42), else 0
        (local.set $k (v128.and
          (f64x2.trunc (f64x2.add (f64x2.mul (local.get $x) (v128.const i64x2 0x3ff71547652b82fe 0x3ff71547652b82fe))
            (v128.or (v128.and (local.get $x) (v128.const i64x2 0x8000000000000000 0x8000000000000000))
                     (v128.const f64x2 0.5 0.5))))
          (f64x2.ge (local.get $ax) (v128.const i64x2 0x3fd62e4300000000 0x3fd62e4300000000))))
        ;; hi = x − k·ln2HI (exact), lo = k·ln2LO, r = hi − lo
        (local.set $hi (f64x2.sub (local.get $x) (f64x2.mul (local.get $k) (v128.const i64x2 0x3fe62e42fee00000 0x3fe62e42fee00000))))
        (local.set $lo (f64x2.mul (local.get $k) (v128.const i64x2 0x3dea39ef35793c76 0x3dea39ef35793c76)))
        (local.set $r (f64x2.sub (local.get $hi) (local.get $lo)))
        ;; c = r − t·(P1 + t·(P2 + t·(P3 + t·(P4 + t·P5)))), t = r²
        (local.set $t (f64x2.mul (local.get $r) (local.get $r)))
        (local.set $c (f64x2.mul (local.get $t) (v128.const i64x2 0x3e66376972bea4d0 0x3e66376972bea4d0)))
        (local.set $c (f64x2.mul (local.get $t) (f64x2.add (v128.const i64x2 0xbebbbd41c5d26bf1 0xbebbbd41c5d26bf1) (local.get $c))))
        (local.set $c (f64x2.mul (local.get $t) (f64x2.add (v128.const i64x2 0x3f11566aaf25de2c 0x3f11566aaf25de2c) (local.get $c))))
        (local.set $c (f64x2.mul (local.get $t) (f64x2.add (v128.const i64x2 0xbf66c16c16bebd93 0xbf66c16c16bebd93) (local.get $c))))
        (local.set $c (f64x2.sub (local.get $r)
          (f64x2.mul (local.get $t) (f64x2.add (v128.const i64x2 0x3fc555555555553e 0x3fc555555555553e) (local.get $c)))))
        ;; y = (1 − ((lo − (r·c)/(2 − c)) − hi))·2^k, 2^k from the bits of 2^52 + 1023 + k
        (local.set $y (f64x2.sub (v128.const f64x2 1 1)
          (f64x2.sub (f64x2.sub (local.get $lo)
                                (f64x2.div (f64x2.mul (local.get $r) (local.get $c))
                                           (f64x2.sub (v128.const f64x2 2 2) (local.get $c))))
                     (local.get $hi))))
        (local.set $y (f64x2.mul (local.get $y)
          (i64x2.shl (f64x2.add (local.get $k) (v128.const i64x2 0x43300000000003ff 0x43300000000003ff)) (i32.const 52))))
        ;; |x| < 2^−28: 1 + x; x = 1: e
        (local.set $y (v128.bitselect (f64x2.add (v128.const f64x2 1 1) (local.get $x)) (local.get $y)
          (f64x2.lt (local.get $ax) (v128.const f64x2 0x1p-28 0x1p-28))))
        (local.set $y (v128.bitselect (v128.const i64x2 0x4005bf0a8b145769 0x4005bf0a8b145769) (local.get $y)
          (f64x2.eq (local.get $x) (v128.const f64x2 1 1))))
        (v128.store (local.get $e) (local.get $y))
        ;; bit j set: lane j is |x| ≤ 708 (false for NaN)
        (local.set $normal (i64x2.bitmask (f64x2.le (local.get $ax) (v128.const f64x2 708 708))))
        (if (i32.ne (local.get $normal) (i32.const 3))
          (then
            (if (i32.eqz (i32.and (local.get $normal) (i32.const 1)))
              (then
                (i32.store (i32.add (local.get $rare) (i32.shl (local.get $nRare) (i32.const 2)))
                  (local.get $i))
                (local.set $nRare (i32.add (local.get $nRare) (i32.const 1)))))
            (if (i32.eqz (i32.and (local.get $normal) (i32.const 2)))
              (then
                (i32.store (i32.add (local.get $rare) (i32.shl (local.get $nRare) (i32.const 2)))
                  (i32.add (local.get $i) (i32.const 1)))
                (local.set $nRare (i32.add (local.get $nRare) (i32.const 1)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (local.set $l (i32.add (local.get $l) (i32.const 8)))
        (local.set $e (i32.add (local.get $e) (i32.const 16)))
        (br_if $pairs (i32.lt_u (local.get $l) (local.get $end)))))
    (local.get $nRare))

  ;; tOut[i] = T_i − 1 for e_i = f32(e[i]), e the f64 e^(−l), i < count (even). See the header.
  (func (export "thresholds") (param $e i32) (param $tOut i32) (param $count i32)
    (local $end i32) (local $e2 v128) (local $t v128) (local $f v128) (local $u v128) (local $keep v128)
    (local.set $end (i32.add (local.get $tOut) (i32.shl (local.get $count) (i32.const 2))))
    (if (i32.eqz (local.get $count)) (then (return)))
    (loop $pairs
      ;; rounded to f32 as the reference does, back in f64
      (local.set $e2 (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (v128.load (local.get $e)))))
      ;; t = 2^25·e / (1 + e)
      (local.set $t (f64x2.div (f64x2.mul (local.get $e2) (v128.const f64x2 0x1p25 0x1p25))
                               (f64x2.add (local.get $e2) (v128.const f64x2 1 1))))
      ;; f = floor((t − 1)/2 − 2^−25) = estimate − 1 (t·0.5 is exact; one rounding in the subtraction)
      (local.set $f (f64x2.floor (f64x2.sub (f64x2.mul (local.get $t) (v128.const f64x2 0.5 0.5))
                                            (v128.const f64x2 0x1.000001p-1 0x1.000001p-1))))
      ;; estimate ≥ 0 (pmax keeps NaN)
      (local.set $f (f64x2.pmax (local.get $f) (v128.const f64x2 -1 -1)))
      ;; is b = estimate = f + 1 kept? u = (b + 0.5)/2^24, exactly as the reference
      (local.set $u (f64x2.mul (f64x2.add (local.get $f) (v128.const f64x2 1.5 1.5)) (v128.const f64x2 0x1p-24 0x1p-24)))
      (local.set $keep (f64x2.gt (local.get $u)
        (f64x2.mul (f64x2.sub (v128.const f64x2 1 1) (local.get $u)) (local.get $e2))))
      ;; T − 1 = kept ? f : f + 1, at most 2^24 − 1 (pmin with the bound first turns NaN into the bound)
      (v128.store64_lane 0 (local.get $tOut)
        (i32x4.trunc_sat_f64x2_s_zero
          (f64x2.pmin (v128.const f64x2 16777215 16777215)
            (v128.bitselect (local.get $f) (f64x2.add (local.get $f) (v128.const f64x2 1 1)) (local.get $keep)))))
      (local.set $e (i32.add (local.get $e) (i32.const 16)))
      (local.set $tOut (i32.add (local.get $tOut) (i32.const 8)))
      (br_if $pairs (i32.lt_u (local.get $tOut) (local.get $end)))))

  ;; out[k·nPad + i] = bits(k·n + i) >>> 8 > tm1[i] ? w[i] : 0 for k < samples, i < nPad (a multiple of 4).
  (func (export "sample") (param $tm1 i32) (param $w i32) (param $out i32) (param $n i32) (param $nPad i32)
                          (param $samples i32) (param $inner i32) (param $outer i32)
    (local $k i32) (local $p i32) (local $rowBytes i32) (local $c v128) (local $h v128) (local $s v128) (local $m v128)
    (local $mul1 v128) (local $add1 v128) (local $mul2 v128) (local $magic v128) (local $nibble v128)
    (local $bits142 v128) (local $vOuter v128) (local $four v128)
    (if (i32.or (i32.eqz (local.get $nPad)) (i32.eqz (local.get $samples))) (then (return)))
    (local.set $mul1 (v128.const i32x4 747796405 747796405 747796405 747796405))
    (local.set $add1 (v128.const i32x4 2891336453 2891336453 2891336453 2891336453))
    (local.set $mul2 (v128.const i32x4 277803737 277803737 277803737 277803737))
    (local.set $magic (v128.const f32x4 0x1p23 0x1p23 0x1p23 0x1p23))
    (local.set $nibble (v128.const i32x4 0x07800000 0x07800000 0x07800000 0x07800000))
    (local.set $bits142 (v128.const i32x4 0x47000000 0x47000000 0x47000000 0x47000000))
    (local.set $four (v128.const i32x4 4 4 4 4))
    (local.set $vOuter (i32x4.splat (local.get $outer)))
    (local.set $rowBytes (i32.shl (local.get $nPad) (i32.const 2)))
    (loop $rows
      ;; counters k·n + inner + (0, 1, 2, 3)
      (local.set $c (i32x4.add (i32x4.splat (i32.add (i32.mul (local.get $k) (local.get $n)) (local.get $inner)))
                               (v128.const i32x4 0 1 2 3)))
      (local.set $p (i32.const 0))
      (loop $groups
        ;; h = pcg(c)
        (local.set $s (i32x4.add (i32x4.mul (local.get $c) (local.get $mul1)) (local.get $add1)))
        (local.set $m (i32x4.shl (f32x4.add (i32x4.sub (local.get $bits142)
          (v128.and (i32x4.shr_u (local.get $s) (i32.const 5)) (local.get $nibble))) (local.get $magic)) (i32.const 13)))
        (local.set $h (i32x4.mul (v128.xor (local.get $s)
          (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
            (i64x2.extmul_low_i32x4_u (local.get $s) (local.get $m)) (i64x2.extmul_high_i32x4_u (local.get $s) (local.get $m))))
          (local.get $mul2)))
        (local.set $h (v128.xor (i32x4.shr_u (local.get $h) (i32.const 22)) (local.get $h)))
        ;; h = pcg(h ^ outer)
        (local.set $s (i32x4.add (i32x4.mul (v128.xor (local.get $h) (local.get $vOuter)) (local.get $mul1)) (local.get $add1)))
        (local.set $m (i32x4.shl (f32x4.add (i32x4.sub (local.get $bits142)
          (v128.and (i32x4.shr_u (local.get $s) (i32.const 5)) (local.get $nibble))) (local.get $magic)) (i32.const 13)))
        (local.set $h (i32x4.mul (v128.xor (local.get $s)
          (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
            (i64x2.extmul_low_i32x4_u (local.get $s) (local.get $m)) (i64x2.extmul_high_i32x4_u (local.get $s) (local.get $m))))
          (local.get $mul2)))
        ;; b = ((h >>> 22) ^ h) >>> 8; keep iff b > T − 1
        (v128.store (i32.add (local.get $out) (local.get $p))
          (v128.and (v128.load (i32.add (local.get $w) (local.get $p)))
            (i32x4.gt_s (i32x4.shr_u (v128.xor (i32x4.shr_u (local.get $h) (i32.const 22)) (local.get $h)) (i32.const 8))
                        (v128.load (i32.add (local.get $tm1) (local.get $p))))))
        (local.set $c (i32x4.add (local.get $c) (local.get $four)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br_if $groups (i32.lt_u (local.get $p) (local.get $rowBytes))))
      (local.set $out (i32.add (local.get $out) (local.get $rowBytes)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $rows (i32.lt_u (local.get $k) (local.get $samples)))))

  ;; out[i] = w[i] · Σ_k grad[k·nPad + i] · q/(1 + q)², q = e[i]·(1 − u)/u, u the uniform of counter k·n + i,
  ;; for i < nPad (a multiple of 4); e holds f64 e^(−l), the other arrays f32. samples ≥ 1.
  (func (export "sampleBackward") (param $e i32) (param $w i32) (param $grad i32) (param $out i32) (param $n i32)
                                  (param $nPad i32) (param $samples i32) (param $inner i32) (param $outer i32)
    (local $k i32) (local $p i32) (local $g i32) (local $rowBytes i32) (local $end i32)
    (local $c v128) (local $h v128) (local $s v128) (local $m v128)
    (local $mul1 v128) (local $add1 v128) (local $mul2 v128) (local $magic v128) (local $nibble v128)
    (local $bits142 v128) (local $vOuter v128) (local $vN v128)
    (local $eLo v128) (local $eHi v128) (local $accLo v128) (local $accHi v128) (local $u v128) (local $q v128)
    (local $gv v128) (local $wv v128)
    (if (i32.or (i32.eqz (local.get $nPad)) (i32.eqz (local.get $samples))) (then (return)))
    (local.set $mul1 (v128.const i32x4 747796405 747796405 747796405 747796405))
    (local.set $add1 (v128.const i32x4 2891336453 2891336453 2891336453 2891336453))
    (local.set $mul2 (v128.const i32x4 277803737 277803737 277803737 277803737))
    (local.set $magic (v128.const f32x4 0x1p23 0x1p23 0x1p23 0x1p23))
    (local.set $nibble (v128.const i32x4 0x07800000 0x07800000 0x07800000 0x07800000))
    (local.set $bits142 (v128.const i32x4 0x47000000 0x47000000 0x47000000 0x47000000))
    (local.set $vOuter (i32x4.splat (local.get $outer)))
    (local.set $vN (i32x4.splat (local.get $n)))
    (local.set $rowBytes (i32.shl (local.get $nPad) (i32.const 2)))
    (local.set $end (local.get $rowBytes))
    (loop $groups
      (local.set $eLo (v128.load (i32.add (local.get $e) (i32.shl (local.get $p) (i32.const 1)))))
      (local.set $eHi (v128.load offset=16 (i32.add (local.get $e) (i32.shl (local.get $p) (i32.const 1)))))
      (local.set $accLo (v128.const i64x2 0 0))
      (local.set $accHi (v128.const i64x2 0 0))
      ;; counters i + inner + (0, 1, 2, 3), then + n per sample
      (local.set $c (i32x4.add (i32x4.splat (i32.add (i32.shr_u (local.get $p) (i32.const 2)) (local.get $inner)))
                               (v128.const i32x4 0 1 2 3)))
      (local.set $g (i32.add (local.get $grad) (local.get $p)))
      (local.set $k (i32.const 0))
      (loop $samples
        ;; h = pcg(c)
        (local.set $s (i32x4.add (i32x4.mul (local.get $c) (local.get $mul1)) (local.get $add1)))
        (local.set $m (i32x4.shl (f32x4.add (i32x4.sub (local.get $bits142)
          (v128.and (i32x4.shr_u (local.get $s) (i32.const 5)) (local.get $nibble))) (local.get $magic)) (i32.const 13)))
        (local.set $h (i32x4.mul (v128.xor (local.get $s)
          (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
            (i64x2.extmul_low_i32x4_u (local.get $s) (local.get $m)) (i64x2.extmul_high_i32x4_u (local.get $s) (local.get $m))))
          (local.get $mul2)))
        (local.set $h (v128.xor (i32x4.shr_u (local.get $h) (i32.const 22)) (local.get $h)))
        ;; h = pcg(h ^ outer)
        (local.set $s (i32x4.add (i32x4.mul (v128.xor (local.get $h) (local.get $vOuter)) (local.get $mul1)) (local.get $add1)))
        (local.set $m (i32x4.shl (f32x4.add (i32x4.sub (local.get $bits142)
          (v128.and (i32x4.shr_u (local.get $s) (i32.const 5)) (local.get $nibble))) (local.get $magic)) (i32.const 13)))
        (local.set $h (i32x4.mul (v128.xor (local.get $s)
          (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
            (i64x2.extmul_low_i32x4_u (local.get $s) (local.get $m)) (i64x2.extmul_high_i32x4_u (local.get $s) (local.get $m))))
          (local.get $mul2)))
        ;; b = ((h >>> 22) ^ h) >>> 8 < 2^24, so the signed conversion to f64 is exact
        (local.set $h (i32x4.shr_u (v128.xor (i32x4.shr_u (local.get $h) (i32.const 22)) (local.get $h)) (i32.const 8)))
        (local.set $gv (v128.load (local.get $g)))
        ;; lanes 0, 1: u = (b + 0.5)/2^24; q = e·(1 − u)/u; acc += grad · (q / ((1 + q)·(1 + q)))
        (local.set $u (f64x2.mul (f64x2.add (f64x2.convert_low_i32x4_s (local.get $h)) (v128.const f64x2 0.5 0.5))
                                 (v128.const f64x2 0x1p-24 0x1p-24)))
        (local.set $q (f64x2.div (f64x2.mul (local.get $eLo) (f64x2.sub (v128.const f64x2 1 1) (local.get $u))) (local.get $u)))
        (local.set $u (f64x2.add (v128.const f64x2 1 1) (local.get $q)))
        (local.set $accLo (f64x2.add (local.get $accLo)
          (f64x2.mul (f64x2.promote_low_f32x4 (local.get $gv))
                     (f64x2.div (local.get $q) (f64x2.mul (local.get $u) (local.get $u))))))
        ;; lanes 2, 3
        (local.set $h (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $h) (local.get $h)))
        (local.set $gv (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $gv) (local.get $gv)))
        (local.set $u (f64x2.mul (f64x2.add (f64x2.convert_low_i32x4_s (local.get $h)) (v128.const f64x2 0.5 0.5))
                                 (v128.const f64x2 0x1p-24 0x1p-24)))
        (local.set $q (f64x2.div (f64x2.mul (local.get $eHi) (f64x2.sub (v128.const f64x2 1 1) (local.get $u))) (local.get $u)))
        (local.set $u (f64x2.add (v128.const f64x2 1 1) (local.get $q)))
        (local.set $accHi (f64x2.add (local.get $accHi)
          (f64x2.mul (f64x2.promote_low_f32x4 (local.get $gv))
                     (f64x2.div (local.get $q) (f64x2.mul (local.get $u) (local.get $u))))))
        (local.set $c (i32x4.add (local.get $c) (local.get $vN)))
        (local.set $g (i32.add (local.get $g) (local.get $rowBytes)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br_if $samples (i32.lt_u (local.get $k) (local.get $samples))))
      ;; out = f32(acc · w)
      (local.set $wv (v128.load (i32.add (local.get $w) (local.get $p))))
      (v128.store (i32.add (local.get $out) (local.get $p))
        (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (f64x2.mul (local.get $accLo) (f64x2.promote_low_f32x4 (local.get $wv))))
          (f32x4.demote_f64x2_zero (f64x2.mul (local.get $accHi) (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $wv) (local.get $wv)))))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br_if $groups (i32.lt_u (local.get $p) (local.get $end)))))
)
