;; Max pooling for the CPU backend, WebAssembly 128-bit SIMD; assembled by build-wasm.mjs into
;; pool.wasm.ts and driven by kernels/cpu/pool.fast.ts. Four outputs of a row at a time: per window tap,
;; the four inputs (a stride of 1 or 2 as loads and a shuffle, any other one by one), compared with
;; f32x4.gt against the best so far, so that — as in the reference loop of conv.ts — the first maximum
;; wins ties and NaN only wins when it is the window's first element.
;; A row's last group computes up to 3 outputs past its end: they read past the row (the caller leaves
;; slack after the input) and are written over by the next row's (or land in slack after the outputs).
(module
  (memory (export "memory") 1 16384)

  ;; Four floats `step` floats apart, starting at byte `at`.
  (func $lanes (param $at i32) (param $step i32) (result v128)
    (if (result v128) (i32.eq (local.get $step) (i32.const 1))
      (then (v128.load (local.get $at)))
      (else
        (if (result v128) (i32.eq (local.get $step) (i32.const 2))
          (then
            (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
              (v128.load (local.get $at)) (v128.load offset=16 (local.get $at))))
          (else
            (f32x4.replace_lane 3
              (f32x4.replace_lane 2
                (f32x4.replace_lane 1
                  (f32x4.splat (f32.load (local.get $at)))
                  (f32.load (i32.add (local.get $at) (i32.shl (local.get $step) (i32.const 2)))))
                (f32.load (i32.add (local.get $at) (i32.shl (local.get $step) (i32.const 3)))))
              (f32.load (i32.add (local.get $at) (i32.mul (local.get $step) (i32.const 12))))))))))

  ;; For each of `planes` planes of h × w floats at x: out[oy][ox] = the window's maximum, arg[oy][ox] =
  ;; its index within the plane (i32). Windows are kh × kw, sh and sw apart; no padding.
  (func (export "max_pool") (param $x i32) (param $out i32) (param $arg i32) (param $planes i32)
                            (param $h i32) (param $w i32) (param $outH i32) (param $outW i32)
                            (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32)
    (local $p i32) (local $oy i32) (local $ox i32) (local $ky i32) (local $kx i32) (local $tap i32)
    (local $best v128) (local $idx v128) (local $v v128) (local $iv v128) (local $m v128) (local $laneStep v128)
    (if (i32.or (i32.eqz (local.get $planes)) (i32.eqz (i32.mul (local.get $outH) (local.get $outW)))) (then (return)))
    (local.set $laneStep (i32x4.mul (v128.const i32x4 0 1 2 3) (i32x4.splat (local.get $sw))))
    (loop $planeLoop
      (local.set $oy (i32.const 0))
      (loop $rowLoop
        (local.set $ox (i32.const 0))
        (loop $groupLoop
          (local.set $ky (i32.const 0))
          (loop $kyLoop
            (local.set $kx (i32.const 0))
            (loop $kxLoop
              ;; The tap's input index (within the plane) for the group's first output.
              (local.set $tap (i32.add
                (i32.mul (i32.add (i32.mul (local.get $oy) (local.get $sh)) (local.get $ky)) (local.get $w))
                (i32.add (i32.mul (local.get $ox) (local.get $sw)) (local.get $kx))))
              (local.set $v (call $lanes (i32.add (local.get $x) (i32.shl (local.get $tap) (i32.const 2))) (local.get $sw)))
              (local.set $iv (i32x4.add (i32x4.splat (local.get $tap)) (local.get $laneStep)))
              (if (i32.eqz (i32.or (local.get $ky) (local.get $kx)))
                (then
                  (local.set $best (local.get $v))
                  (local.set $idx (local.get $iv)))
                (else
                  (local.set $m (f32x4.gt (local.get $v) (local.get $best)))
                  (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $m)))
                  (local.set $idx (v128.bitselect (local.get $iv) (local.get $idx) (local.get $m)))))
              (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
              (br_if $kxLoop (i32.lt_u (local.get $kx) (local.get $kw))))
            (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
            (br_if $kyLoop (i32.lt_u (local.get $ky) (local.get $kh))))
          (v128.store (i32.add (local.get $out) (i32.shl (local.get $ox) (i32.const 2))) (local.get $best))
          (v128.store (i32.add (local.get $arg) (i32.shl (local.get $ox) (i32.const 2))) (local.get $idx))
          (local.set $ox (i32.add (local.get $ox) (i32.const 4)))
          (br_if $groupLoop (i32.lt_u (local.get $ox) (local.get $outW))))
        (local.set $out (i32.add (local.get $out) (i32.shl (local.get $outW) (i32.const 2))))
        (local.set $arg (i32.add (local.get $arg) (i32.shl (local.get $outW) (i32.const 2))))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br_if $rowLoop (i32.lt_u (local.get $oy) (local.get $outH))))
      (local.set $x (i32.add (local.get $x) (i32.shl (i32.mul (local.get $h) (local.get $w)) (i32.const 2))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br_if $planeLoop (i32.lt_u (local.get $p) (local.get $planes)))))
)
