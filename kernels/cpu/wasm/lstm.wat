;; The fused LSTM cell, forward and backward, in WebAssembly 128-bit SIMD: the contracts of
;; kernels/cpu/lstm.ts (PyTorch's gate order i, f, g, o), 4 hidden units at a time. Assembled by
;; build-wasm.mjs (beside it) into lstm.wasm.ts; driven by kernels/cpu/lstm.fast.ts, which copies the
;; operands into this module's memory and the results out.
;;
;; Layout (byte offsets, 16-byte aligned, rows of floats): gates and dgates [B][4H], c_prev, h, c, dh, dc,
;; dc_prev [B][H], acts [B][5H] (σ(i), σ(f), tanh(g), σ(o), tanh(c) per row, what the backward reads).
;; H must be a multiple of 4 (the runner checks), so that 4 lanes never straddle two gates.
;;
;; σ(x) = 1/(1 + e^−x) and tanh(x) = sign(x)·(1 − e^−2|x|)/(1 + e^−2|x|) with the 4-lane exp below, in f32:
;; within a few units of f32 rounding of the f64 reference (absolute, near tanh's zero).
(module
  (memory (export "memory") 1 16384)

  ;; @include exp4.wat

  (func $sigmoid4 (param $x v128) (result v128)
    (f32x4.div (f32x4.splat (f32.const 1))
      (f32x4.add (f32x4.splat (f32.const 1)) (call $exp4 (f32x4.neg (local.get $x))))))

  (func $tanh4 (param $x v128) (result v128)
    (local $e v128)
    (local.set $e (call $exp4 (f32x4.mul (f32x4.abs (local.get $x)) (f32x4.splat (f32.const -2)))))
    ;; (1 − e)/(1 + e) ≥ 0, then x's sign bit
    (v128.or
      (f32x4.div (f32x4.sub (f32x4.splat (f32.const 1)) (local.get $e)) (f32x4.add (f32x4.splat (f32.const 1)) (local.get $e)))
      (v128.and (local.get $x) (i32x4.splat (i32.const 0x80000000)))))

  ;; c = σ(f)·c_prev + σ(i)·tanh(g), h = σ(o)·tanh(c) for every row; the activations into acts when save is 1.
  (func (export "forward") (param $gates i32) (param $cPrev i32) (param $h i32) (param $c i32) (param $acts i32)
      (param $batch i32) (param $hidden i32) (param $save i32)
    (local $hb i32) (local $j i32) (local $i v128) (local $f v128) (local $g v128) (local $o v128) (local $cv v128) (local $tc v128)
    (if (i32.eqz (i32.mul (local.get $batch) (local.get $hidden))) (then (return)))
    (local.set $hb (i32.shl (local.get $hidden) (i32.const 2)))
    (loop $rows
      (local.set $j (i32.const 0))
      (loop $units
        (local.set $i (call $sigmoid4 (v128.load (i32.add (local.get $gates) (local.get $j)))))
        (local.set $f (call $sigmoid4 (v128.load (i32.add (i32.add (local.get $gates) (local.get $hb)) (local.get $j)))))
        (local.set $g (call $tanh4 (v128.load (i32.add (i32.add (local.get $gates) (i32.shl (local.get $hb) (i32.const 1))) (local.get $j)))))
        (local.set $o (call $sigmoid4 (v128.load (i32.add (i32.add (local.get $gates) (i32.mul (local.get $hb) (i32.const 3))) (local.get $j)))))
        (local.set $cv (f32x4.add (f32x4.mul (local.get $f) (v128.load (i32.add (local.get $cPrev) (local.get $j))))
                                  (f32x4.mul (local.get $i) (local.get $g))))
        (local.set $tc (call $tanh4 (local.get $cv)))
        (v128.store (i32.add (local.get $c) (local.get $j)) (local.get $cv))
        (v128.store (i32.add (local.get $h) (local.get $j)) (f32x4.mul (local.get $o) (local.get $tc)))
        (if (local.get $save)
          (then
            (v128.store (i32.add (local.get $acts) (local.get $j)) (local.get $i))
            (v128.store (i32.add (i32.add (local.get $acts) (local.get $hb)) (local.get $j)) (local.get $f))
            (v128.store (i32.add (i32.add (local.get $acts) (i32.shl (local.get $hb) (i32.const 1))) (local.get $j)) (local.get $g))
            (v128.store (i32.add (i32.add (local.get $acts) (i32.mul (local.get $hb) (i32.const 3))) (local.get $j)) (local.get $o))
            (v128.store (i32.add (i32.add (local.get $acts) (i32.shl (local.get $hb) (i32.const 2))) (local.get $j)) (local.get $tc))))
        (br_if $units (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 16))) (local.get $hb))))
      (local.set $gates (i32.add (local.get $gates) (i32.shl (local.get $hb) (i32.const 2))))
      (local.set $cPrev (i32.add (local.get $cPrev) (local.get $hb)))
      (local.set $h (i32.add (local.get $h) (local.get $hb)))
      (local.set $c (i32.add (local.get $c) (local.get $hb)))
      (local.set $acts (i32.add (local.get $acts) (i32.mul (local.get $hb) (i32.const 5))))
      (br_if $rows (local.tee $batch (i32.sub (local.get $batch) (i32.const 1)))))
  )

  ;; From the forward's activations, ∂L/∂gates and ∂L/∂c_prev given ∂L/∂h and ∂L/∂c:
  ;;   dc_total = dc + dh·σ(o)·(1 − tanh²c)
  ;;   d(i, f, g, o) = dc_total·tanh(g)·σ'(i), dc_total·c_prev·σ'(f), dc_total·σ(i)·(1 − tanh²g), dh·tanh(c)·σ'(o)
  ;;   dc_prev = dc_total·σ(f)
  (func (export "backward") (param $acts i32) (param $cPrev i32) (param $dh i32) (param $dc i32) (param $dgates i32) (param $dcPrev i32)
      (param $batch i32) (param $hidden i32)
    (local $hb i32) (local $j i32) (local $one v128) (local $i v128) (local $f v128) (local $g v128) (local $o v128) (local $tc v128)
    (local $dhv v128) (local $dct v128)
    (if (i32.eqz (i32.mul (local.get $batch) (local.get $hidden))) (then (return)))
    (local.set $hb (i32.shl (local.get $hidden) (i32.const 2)))
    (local.set $one (f32x4.splat (f32.const 1)))
    (loop $rows
      (local.set $j (i32.const 0))
      (loop $units
        (local.set $i (v128.load (i32.add (local.get $acts) (local.get $j))))
        (local.set $f (v128.load (i32.add (i32.add (local.get $acts) (local.get $hb)) (local.get $j))))
        (local.set $g (v128.load (i32.add (i32.add (local.get $acts) (i32.shl (local.get $hb) (i32.const 1))) (local.get $j))))
        (local.set $o (v128.load (i32.add (i32.add (local.get $acts) (i32.mul (local.get $hb) (i32.const 3))) (local.get $j))))
        (local.set $tc (v128.load (i32.add (i32.add (local.get $acts) (i32.shl (local.get $hb) (i32.const 2))) (local.get $j))))
        (local.set $dhv (v128.load (i32.add (local.get $dh) (local.get $j))))
        (local.set $dct (f32x4.add (v128.load (i32.add (local.get $dc) (local.get $j)))
          (f32x4.mul (f32x4.mul (local.get $dhv) (local.get $o)) (f32x4.sub (local.get $one) (f32x4.mul (local.get $tc) (local.get $tc))))))
        (v128.store (i32.add (local.get $dgates) (local.get $j))
          (f32x4.mul (f32x4.mul (f32x4.mul (local.get $dct) (local.get $g)) (local.get $i)) (f32x4.sub (local.get $one) (local.get $i))))
        (v128.store (i32.add (i32.add (local.get $dgates) (local.get $hb)) (local.get $j))
          (f32x4.mul (f32x4.mul (f32x4.mul (local.get $dct) (v128.load (i32.add (local.get $cPrev) (local.get $j)))) (local.get $f))
            (f32x4.sub (local.get $one) (local.get $f))))
        (v128.store (i32.add (i32.add (local.get $dgates) (i32.shl (local.get $hb) (i32.const 1))) (local.get $j))
          (f32x4.mul (f32x4.mul (local.get $dct) (local.get $i)) (f32x4.sub (local.get $one) (f32x4.mul (local.get $g) (local.get $g)))))
        (v128.store (i32.add (i32.add (local.get $dgates) (i32.mul (local.get $hb) (i32.const 3))) (local.get $j))
          (f32x4.mul (f32x4.mul (f32x4.mul (local.get $dhv) (local.get $tc)) (local.get $o)) (f32x4.sub (local.get $one) (local.get $o))))
        (v128.store (i32.add (local.get $dcPrev) (local.get $j)) (f32x4.mul (local.get $dct) (local.get $f)))
        (br_if $units (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 16))) (local.get $hb))))
      (local.set $acts (i32.add (local.get $acts) (i32.mul (local.get $hb) (i32.const 5))))
      (local.set $cPrev (i32.add (local.get $cPrev) (local.get $hb)))
      (local.set $dh (i32.add (local.get $dh) (local.get $hb)))
      (local.set $dc (i32.add (local.get $dc) (local.get $hb)))
      (local.set $dgates (i32.add (local.get $dgates) (i32.shl (local.get $hb) (i32.const 2))))
      (local.set $dcPrev (i32.add (local.get $dcPrev) (local.get $hb)))
      (br_if $rows (local.tee $batch (i32.sub (local.get $batch) (i32.const 1)))))
  )
)
