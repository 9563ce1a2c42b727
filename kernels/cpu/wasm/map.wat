;; Elementwise maps for the CPU backend, WebAssembly 128-bit SIMD; assembled by build-wasm.mjs into
;; map.wasm.ts and driven by kernels/cpu/map.simd.ts. Every op gives the bits JavaScript gives for f32
;; operands (elementwise.ts): +, −, ×, ÷ and √ rounded once in f32 equal the f64 result rounded to f32, and
;; the selections and comparisons follow the same NaN rules as the JavaScript ternaries.
;; Arrays are processed 4 floats at a time, ceil(n / 4) vectors: the caller pads its regions so that the
;; up to 3 lanes past n read and write memory nobody else needs. An operand whose step is 0 is a vector
;; read again and again (4 copies of a scalar, or of one broadcast value).
(module
  (memory (export "memory") 1 16384)

  ;; o[i] = op(a[i]). Op codes: 0 relu, 1 step, 2 neg, 3 abs, 4 square, 5 sqrt.
  (func (export "unary") (param $op i32) (param $a i32) (param $o i32) (param $n i32)
    (local $v v128) (local $r v128) (local $end i32)
    (local.set $end (i32.add (local.get $o) (i32.shl (local.get $n) (i32.const 2))))
    (if (i32.eqz (local.get $n)) (then (return)))
    (loop $vectors
      (local.set $v (v128.load (local.get $a)))
      (block $done
      (block $sqrt (block $square (block $abs (block $neg (block $step (block $relu
        (br_table $relu $step $neg $abs $square $sqrt $done (local.get $op)))
        (local.set $r (v128.and (local.get $v) (f32x4.gt (local.get $v) (v128.const f32x4 0 0 0 0))))
        (br $done))
        (local.set $r (v128.and (f32x4.gt (local.get $v) (v128.const f32x4 0 0 0 0)) (v128.const f32x4 1 1 1 1)))
        (br $done))
        (local.set $r (f32x4.neg (local.get $v)))
        (br $done))
        (local.set $r (f32x4.abs (local.get $v)))
        (br $done))
        (local.set $r (f32x4.mul (local.get $v) (local.get $v)))
        (br $done))
        (local.set $r (f32x4.sqrt (local.get $v))))
      (v128.store (local.get $o) (local.get $r))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br_if $vectors (i32.lt_u (local.get $o) (local.get $end)))))

  ;; o[i] = op(a[i], b[i]). Op codes: 0 add, 1 sub, 2 mul, 3 div, 4 maximum, 5 minimum, 6 eq, 7 ne, 8 lt, 9 le, 10 gt, 11 ge.
  ;; The steps are 16 (an array) or 0 (a repeated vector).
  (func $binary (export "binary") (param $op i32) (param $a i32) (param $aStep i32) (param $b i32) (param $bStep i32) (param $o i32) (param $n i32)
    (local $va v128) (local $vb v128) (local $r v128) (local $end i32)
    (local.set $end (i32.add (local.get $o) (i32.shl (local.get $n) (i32.const 2))))
    (if (i32.eqz (local.get $n)) (then (return)))
    (loop $vectors
      (local.set $va (v128.load (local.get $a)))
      (local.set $vb (v128.load (local.get $b)))
      (block $done
      (block $ge (block $gt (block $le (block $lt (block $ne (block $eq (block $minimum (block $maximum (block $div (block $mul (block $sub (block $add
        (br_table $add $sub $mul $div $maximum $minimum $eq $ne $lt $le $gt $ge $done (local.get $op)))
        (local.set $r (f32x4.add (local.get $va) (local.get $vb)))
        (br $done))
        (local.set $r (f32x4.sub (local.get $va) (local.get $vb)))
        (br $done))
        (local.set $r (f32x4.mul (local.get $va) (local.get $vb)))
        (br $done))
        (local.set $r (f32x4.div (local.get $va) (local.get $vb)))
        (br $done))
        (local.set $r (v128.bitselect (local.get $va) (local.get $vb) (f32x4.gt (local.get $va) (local.get $vb))))
        (br $done))
        (local.set $r (v128.bitselect (local.get $va) (local.get $vb) (f32x4.lt (local.get $va) (local.get $vb))))
        (br $done))
        (local.set $r (v128.and (f32x4.eq (local.get $va) (local.get $vb)) (v128.const f32x4 1 1 1 1)))
        (br $done))
        (local.set $r (v128.and (f32x4.ne (local.get $va) (local.get $vb)) (v128.const f32x4 1 1 1 1)))
        (br $done))
        (local.set $r (v128.and (f32x4.lt (local.get $va) (local.get $vb)) (v128.const f32x4 1 1 1 1)))
        (br $done))
        (local.set $r (v128.and (f32x4.le (local.get $va) (local.get $vb)) (v128.const f32x4 1 1 1 1)))
        (br $done))
        (local.set $r (v128.and (f32x4.gt (local.get $va) (local.get $vb)) (v128.const f32x4 1 1 1 1)))
        (br $done))
        (local.set $r (v128.and (f32x4.ge (local.get $va) (local.get $vb)) (v128.const f32x4 1 1 1 1))))
      (v128.store (local.get $o) (local.get $r))
      (local.set $a (i32.add (local.get $a) (local.get $aStep)))
      (local.set $b (i32.add (local.get $b) (local.get $bStep)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br_if $vectors (i32.lt_u (local.get $o) (local.get $end)))))

  ;; The output as `runs` runs of `run` floats, run r holding values[r] fixed as one operand of op (the
  ;; second, or the first when `swap` ≠ 0) and reading the array `a` as the other: o = op(a, value) or
  ;; op(value, a). `scratch` is 16 bytes where the value is repeated for `binary`.
  (func (export "binary_runs") (param $op i32) (param $a i32) (param $values i32) (param $scratch i32) (param $o i32)
                               (param $runs i32) (param $run i32) (param $swap i32)
    (local $r i32) (local $bytes i32)
    (if (i32.eqz (local.get $runs)) (then (return)))
    (local.set $bytes (i32.shl (local.get $run) (i32.const 2)))
    (loop $runLoop
      (v128.store (local.get $scratch)
        (v128.load32_splat (i32.add (local.get $values) (i32.shl (local.get $r) (i32.const 2)))))
      (if (local.get $swap)
        (then (call $binary (local.get $op) (local.get $scratch) (i32.const 0) (local.get $a) (i32.const 16) (local.get $o) (local.get $run)))
        (else (call $binary (local.get $op) (local.get $a) (i32.const 16) (local.get $scratch) (i32.const 0) (local.get $o) (local.get $run))))
      (local.set $a (i32.add (local.get $a) (local.get $bytes)))
      (local.set $o (i32.add (local.get $o) (local.get $bytes)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $runLoop (i32.lt_u (local.get $r) (local.get $runs)))))
)
