;; The fused Adam step of kernels/cpu/adam.ts in WebAssembly 128-bit SIMD, bit-identical to it: the same
;; f64 operations in the same order (f64x2 is IEEE, with no contraction; sqrt is correctly rounded like
;; Math.sqrt), m and v rounded to f32 when stored and read back rounded, as the reference's Float32Arrays
;; do. Assembled by build-wasm.mjs (beside it) into adam.wasm.ts; driven by kernels/cpu/adam.fast.ts,
;; which computes the per-step scalars exactly as adamCpu does and passes them in.
(module
  (memory (export "memory") 1 16384)

  ;; For i < count (even), param, grad, m, v f32 arrays at byte offsets p, g, m, v (8-byte aligned):
  ;;   gi = grad·gradScale + weightDecay·param
  ;;   m = f32(beta1·m + oneMinusBeta1·gi); v = f32(beta2·v + oneMinusBeta2·gi·gi)
  ;;   param = f32(param − (stepSize·m) / (sqrt(v)/sqrtBc2 + eps))
  (func (export "adam") (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $count i32)
                        (param $gradScale f64) (param $weightDecay f64) (param $beta1 f64) (param $oneMinusBeta1 f64)
                        (param $beta2 f64) (param $oneMinusBeta2 f64) (param $stepSize f64) (param $sqrtBc2 f64)
                        (param $eps f64)
    (local $end i32)
    (local $vGradScale v128) (local $vWeightDecay v128) (local $vBeta1 v128) (local $vOneMinusBeta1 v128)
    (local $vBeta2 v128) (local $vOneMinusBeta2 v128) (local $vStepSize v128) (local $vSqrtBc2 v128) (local $vEps v128)
    (local $param v128) (local $gi v128) (local $mi v128) (local $vi v128)
    (if (i32.eqz (local.get $count)) (then (return)))
    (local.set $vGradScale (f64x2.splat (local.get $gradScale)))
    (local.set $vWeightDecay (f64x2.splat (local.get $weightDecay)))
    (local.set $vBeta1 (f64x2.splat (local.get $beta1)))
    (local.set $vOneMinusBeta1 (f64x2.splat (local.get $oneMinusBeta1)))
    (local.set $vBeta2 (f64x2.splat (local.get $beta2)))
    (local.set $vOneMinusBeta2 (f64x2.splat (local.get $oneMinusBeta2)))
    (local.set $vStepSize (f64x2.splat (local.get $stepSize)))
    (local.set $vSqrtBc2 (f64x2.splat (local.get $sqrtBc2)))
    (local.set $vEps (f64x2.splat (local.get $eps)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $count) (i32.const 2))))
    (loop $pairs
      (local.set $param (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $p))))
      (local.set $gi (f64x2.add
        (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $g))) (local.get $vGradScale))
        (f64x2.mul (local.get $vWeightDecay) (local.get $param))))
      ;; m and v as stored (f32), then read back
      (local.set $mi (f32x4.demote_f64x2_zero (f64x2.add
        (f64x2.mul (local.get $vBeta1) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $m))))
        (f64x2.mul (local.get $vOneMinusBeta1) (local.get $gi)))))
      (local.set $vi (f32x4.demote_f64x2_zero (f64x2.add
        (f64x2.mul (local.get $vBeta2) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $v))))
        (f64x2.mul (f64x2.mul (local.get $vOneMinusBeta2) (local.get $gi)) (local.get $gi)))))
      (v128.store64_lane 0 (local.get $m) (local.get $mi))
      (v128.store64_lane 0 (local.get $v) (local.get $vi))
      (v128.store64_lane 0 (local.get $p) (f32x4.demote_f64x2_zero (f64x2.sub (local.get $param)
        (f64x2.div (f64x2.mul (local.get $vStepSize) (f64x2.promote_low_f32x4 (local.get $mi)))
                   (f64x2.add (f64x2.div (f64x2.sqrt (f64x2.promote_low_f32x4 (local.get $vi))) (local.get $vSqrtBc2))
                              (local.get $vEps))))))
      (local.set $p (i32.add (local.get $p) (i32.const 8)))
      (local.set $g (i32.add (local.get $g) (i32.const 8)))
      (local.set $m (i32.add (local.get $m) (i32.const 8)))
      (local.set $v (i32.add (local.get $v) (i32.const 8)))
      (br_if $pairs (i32.lt_u (local.get $p) (local.get $end)))))
)
