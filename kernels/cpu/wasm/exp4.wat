;; Shared snippet (not a module): e^x on 4 f32 lanes, spliced into a module by build-wasm.mjs where the
;; module's text has the line `;; @include exp4.wat`. Cephes' expf: range reduction by ln 2 in two parts,
;; degree-6 polynomial, 2^n from the exponent bits; within 2 ulp of Math.exp over the clamped range
;; [−87.3, 88.7]; below it the result is 2^−126 rather than a denormal or 0.
  ;; e^x on 4 lanes (Cephes expf).
  (func $exp4 (param $x v128) (result v128)
    (local $n v128) (local $r v128) (local $y v128)
    ;; The clamp: pmax/pmin (one x86 instruction each) give what max/min give here — x first, constants
    ;; that are neither NaN nor zero — where max/min spend several on NaN and signed-zero rules.
    (local.set $x (f32x4.pmin (f32x4.pmax (local.get $x) (v128.const f32x4 -87.33654 -87.33654 -87.33654 -87.33654)) (v128.const f32x4 88.72283 88.72283 88.72283 88.72283)))
    (local.set $n (f32x4.floor (f32x4.add (f32x4.mul (local.get $x) (v128.const f32x4 1.44269504 1.44269504 1.44269504 1.44269504)) (v128.const f32x4 0.5 0.5 0.5 0.5))))
    ;; r = x − n·ln 2, with ln 2 = 0.693359375 − 2.12194440e−4 so that the first product is exact
    (local.set $r (f32x4.sub (local.get $x) (f32x4.mul (local.get $n) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))))
    (local.set $r (f32x4.add (local.get $r) (f32x4.mul (local.get $n) (v128.const f32x4 2.12194440e-4 2.12194440e-4 2.12194440e-4 2.12194440e-4))))
    (local.set $y (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
    (local.set $y (f32x4.add (f32x4.add (f32x4.mul (f32x4.mul (local.get $y) (local.get $r)) (local.get $r)) (local.get $r))
                             (v128.const f32x4 1 1 1 1)))
    ;; · 2^n: n + 127 in the exponent bits (n ≥ −126 after the clamp). n is a whole number in [−126, 128]:
    ;; adding 1.5·2^23 puts it in the low mantissa bits, exactly, and 127 more is the biased exponent
    ;; (cheaper than i32x4.trunc_sat_f32x4_s, which x86 has no instruction for).
    (f32x4.mul (local.get $y)
      (i32x4.shl (i32x4.sub (f32x4.add (local.get $n) (v128.const f32x4 12582912 12582912 12582912 12582912))
                            (v128.const i32x4 0x4b3fff81 0x4b3fff81 0x4b3fff81 0x4b3fff81)) (i32.const 23))))
