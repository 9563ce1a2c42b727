;; Layer normalisation over the last axis, forward and backward, for the CPU backend; assembled by
;; build-wasm.mjs into norm.wasm.ts and driven by kernels/cpu/norm.fast.ts. Bit for bit the JavaScript
;; reference (kernels/cpu/norm.ts): the same f64 operations in the same order, each f32 result rounded once.
;; The row sums are chains of dependent additions, so two rows run side by side (each keeps its own chain,
;; in column order); a lone last row runs as both rows of a pair. Everything written per element (y, dx,
;; and the gain and bias gradients, which add rows in row order) goes one row at a time.
;; Rows hold `cols` floats; row r uses gain and bias sample ⌊r / perSample⌋. Addresses are in bytes.
(module
  (memory (export "memory") 1 16384)

  ;; Σ x over the n floats at a and at b, each in f64 from the first float on.
  (func $sum2 (param $a i32) (param $b i32) (param $n i32) (result f64 f64)
    (local $sa f64) (local $sb f64) (local $end i32)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 2))))
    (loop $c
      (local.set $sa (f64.add (local.get $sa) (f64.promote_f32 (f32.load (local.get $a)))))
      (local.set $sb (f64.add (local.get $sb) (f64.promote_f32 (f32.load (local.get $b)))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (br_if $c (i32.lt_u (local.get $a) (local.get $end))))
    (local.get $sa) (local.get $sb))

  ;; Σ (x − mean)² over the n floats at a and at b.
  (func $squares2 (param $a i32) (param $b i32) (param $n i32) (param $ma f64) (param $mb f64) (result f64 f64)
    (local $sa f64) (local $sb f64) (local $da f64) (local $db f64) (local $end i32)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 2))))
    (loop $c
      (local.set $da (f64.sub (f64.promote_f32 (f32.load (local.get $a))) (local.get $ma)))
      (local.set $db (f64.sub (f64.promote_f32 (f32.load (local.get $b))) (local.get $mb)))
      (local.set $sa (f64.add (local.get $sa) (f64.mul (local.get $da) (local.get $da))))
      (local.set $sb (f64.add (local.get $sb) (f64.mul (local.get $db) (local.get $db))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (br_if $c (i32.lt_u (local.get $a) (local.get $end))))
    (local.get $sa) (local.get $sb))

  ;; 1 / the row's denominator: √(var + eps) ('torch', paper = 0) or std_unbiased + eps (paper = 1).
  (func $inverse (param $squares f64) (param $n i32) (param $eps f64) (param $paper i32) (result f64)
    (f64.div (f64.const 1)
      (if (result f64) (local.get $paper)
        (then (f64.add (f64.sqrt (f64.div (local.get $squares)
          (f64.convert_i32_u (select (i32.sub (local.get $n) (i32.const 1)) (i32.const 1) (i32.gt_u (local.get $n) (i32.const 1))))))
          (local.get $eps)))
        (else (f64.sqrt (f64.add (f64.div (local.get $squares) (f64.convert_i32_u (local.get $n))) (local.get $eps)))))))

  ;; y = (x − mean)·inv·gain + bias for one row; its stats (mean, inv) rounded to f32.
  (func $normalise (param $x i32) (param $y i32) (param $gain i32) (param $bias i32) (param $stats i32) (param $n i32) (param $mean f64) (param $inv f64)
    (local $end i32)
    (f32.store (local.get $stats) (f32.demote_f64 (local.get $mean)))
    (f32.store offset=4 (local.get $stats) (f32.demote_f64 (local.get $inv)))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (loop $c
      (f32.store (local.get $y) (f32.demote_f64 (f64.add
        (f64.mul (f64.mul (f64.sub (f64.promote_f32 (f32.load (local.get $x))) (local.get $mean)) (local.get $inv)) (f64.promote_f32 (f32.load (local.get $gain))))
        (f64.promote_f32 (f32.load (local.get $bias))))))
      (local.set $x (i32.add (local.get $x) (i32.const 4)))
      (local.set $y (i32.add (local.get $y) (i32.const 4)))
      (local.set $gain (i32.add (local.get $gain) (i32.const 4)))
      (local.set $bias (i32.add (local.get $bias) (i32.const 4)))
      (br_if $c (i32.lt_u (local.get $x) (local.get $end)))))

  ;; Byte offset of row r's gain/bias sample.
  (func $sampleAt (param $r i32) (param $perSample i32) (param $n i32) (result i32)
    (i32.shl (i32.mul (i32.div_u (local.get $r) (local.get $perSample)) (local.get $n)) (i32.const 2)))

  (func (export "forward") (param $x i32) (param $gain i32) (param $bias i32) (param $y i32) (param $stats i32)
    (param $rows i32) (param $n i32) (param $perSample i32) (param $eps f64) (param $paper i32)
    (local $r i32) (local $b i32) (local $rowBytes i32) (local $xa i32) (local $xb i32)
    (local $sa f64) (local $sb f64) (local $ma f64) (local $mb f64) (local $qa f64) (local $qb f64) (local $g i32)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 2)))
    (loop $pairs
      ;; Rows r and b = r + 1 (or r again for a lone last row).
      (local.set $b (select (i32.add (local.get $r) (i32.const 1)) (local.get $r) (i32.lt_u (i32.add (local.get $r) (i32.const 1)) (local.get $rows))))
      (local.set $xa (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $rowBytes))))
      (local.set $xb (i32.add (local.get $x) (i32.mul (local.get $b) (local.get $rowBytes))))
      (call $sum2 (local.get $xa) (local.get $xb) (local.get $n))
      (local.set $sb) (local.set $sa)
      (local.set $ma (f64.div (local.get $sa) (f64.convert_i32_u (local.get $n))))
      (local.set $mb (f64.div (local.get $sb) (f64.convert_i32_u (local.get $n))))
      (call $squares2 (local.get $xa) (local.get $xb) (local.get $n) (local.get $ma) (local.get $mb))
      (local.set $qb) (local.set $qa)
      (local.set $g (call $sampleAt (local.get $r) (local.get $perSample) (local.get $n)))
      (call $normalise (local.get $xa) (i32.add (local.get $y) (i32.mul (local.get $r) (local.get $rowBytes)))
        (i32.add (local.get $gain) (local.get $g)) (i32.add (local.get $bias) (local.get $g))
        (i32.add (local.get $stats) (i32.shl (local.get $r) (i32.const 3))) (local.get $n)
        (local.get $ma) (call $inverse (local.get $qa) (local.get $n) (local.get $eps) (local.get $paper)))
      (if (i32.ne (local.get $b) (local.get $r)) (then
        (local.set $g (call $sampleAt (local.get $b) (local.get $perSample) (local.get $n)))
        (call $normalise (local.get $xb) (i32.add (local.get $y) (i32.mul (local.get $b) (local.get $rowBytes)))
          (i32.add (local.get $gain) (local.get $g)) (i32.add (local.get $bias) (local.get $g))
          (i32.add (local.get $stats) (i32.shl (local.get $b) (i32.const 3))) (local.get $n)
          (local.get $mb) (call $inverse (local.get $qb) (local.get $n) (local.get $eps) (local.get $paper)))))
      (local.set $r (i32.add (local.get $b) (i32.const 1)))
      (br_if $pairs (i32.lt_u (local.get $r) (local.get $rows)))))

  ;; Σ dx̂ and Σ dx̂·(x − mean) with dx̂ = dy·gain, over rows a and b.
  (func $gradSums2 (param $dya i32) (param $dyb i32) (param $xa i32) (param $xb i32) (param $ga i32) (param $gb i32) (param $n i32)
    (param $ma f64) (param $mb f64) (result f64 f64 f64 f64)
    (local $sda f64) (local $sdb f64) (local $sca f64) (local $scb f64) (local $da f64) (local $db f64) (local $end i32)
    (local.set $end (i32.add (local.get $xa) (i32.shl (local.get $n) (i32.const 2))))
    (loop $c
      (local.set $da (f64.mul (f64.promote_f32 (f32.load (local.get $dya))) (f64.promote_f32 (f32.load (local.get $ga)))))
      (local.set $db (f64.mul (f64.promote_f32 (f32.load (local.get $dyb))) (f64.promote_f32 (f32.load (local.get $gb)))))
      (local.set $sda (f64.add (local.get $sda) (local.get $da)))
      (local.set $sdb (f64.add (local.get $sdb) (local.get $db)))
      (local.set $sca (f64.add (local.get $sca) (f64.mul (local.get $da) (f64.sub (f64.promote_f32 (f32.load (local.get $xa))) (local.get $ma)))))
      (local.set $scb (f64.add (local.get $scb) (f64.mul (local.get $db) (f64.sub (f64.promote_f32 (f32.load (local.get $xb))) (local.get $mb)))))
      (local.set $dya (i32.add (local.get $dya) (i32.const 4)))
      (local.set $dyb (i32.add (local.get $dyb) (i32.const 4)))
      (local.set $xa (i32.add (local.get $xa) (i32.const 4)))
      (local.set $xb (i32.add (local.get $xb) (i32.const 4)))
      (local.set $ga (i32.add (local.get $ga) (i32.const 4)))
      (local.set $gb (i32.add (local.get $gb) (i32.const 4)))
      (br_if $c (i32.lt_u (local.get $xa) (local.get $end))))
    (local.get $sda) (local.get $sdb) (local.get $sca) (local.get $scb))

  ;; One row's dx, and its share of the gain and bias gradients (added in f64, rounded to f32).
  (func $rowGrads (param $dy i32) (param $x i32) (param $gain i32) (param $dx i32) (param $dgain i32) (param $dbias i32) (param $stats i32)
    (param $n i32) (param $sumD f64) (param $sumDC f64) (param $eps f64) (param $paper i32)
    (local $mean f64) (local $inv f64) (local $coef f64) (local $std f64) (local $meanD f64) (local $g f64) (local $centred f64) (local $end i32)
    (local.set $mean (f64.promote_f32 (f32.load (local.get $stats))))
    (local.set $inv (f64.promote_f32 (f32.load offset=4 (local.get $stats))))
    (if (local.get $paper)
      (then
        (local.set $std (f64.sub (f64.div (f64.const 1) (local.get $inv)) (local.get $eps)))
        (if (f64.gt (local.get $std) (f64.const 0)) (then
          (local.set $coef (f64.div (f64.mul (f64.mul (local.get $inv) (local.get $inv)) (local.get $sumDC))
            (f64.mul (f64.convert_i32_u (i32.sub (local.get $n) (i32.const 1))) (local.get $std)))))))
      (else
        (local.set $coef (f64.div (f64.mul (f64.mul (f64.mul (local.get $inv) (local.get $inv)) (local.get $inv)) (local.get $sumDC))
          (f64.convert_i32_u (local.get $n))))))
    (local.set $meanD (f64.div (local.get $sumD) (f64.convert_i32_u (local.get $n))))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (loop $c
      (local.set $g (f64.promote_f32 (f32.load (local.get $dy))))
      (local.set $centred (f64.sub (f64.promote_f32 (f32.load (local.get $x))) (local.get $mean)))
      (f32.store (local.get $dgain) (f32.demote_f64 (f64.add (f64.promote_f32 (f32.load (local.get $dgain)))
        (f64.mul (f64.mul (local.get $g) (local.get $centred)) (local.get $inv)))))
      (f32.store (local.get $dbias) (f32.demote_f64 (f64.add (f64.promote_f32 (f32.load (local.get $dbias))) (local.get $g))))
      (f32.store (local.get $dx) (f32.demote_f64 (f64.sub
        (f64.mul (local.get $inv) (f64.sub (f64.mul (local.get $g) (f64.promote_f32 (f32.load (local.get $gain)))) (local.get $meanD)))
        (f64.mul (local.get $centred) (local.get $coef)))))
      (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
      (local.set $x (i32.add (local.get $x) (i32.const 4)))
      (local.set $gain (i32.add (local.get $gain) (i32.const 4)))
      (local.set $dx (i32.add (local.get $dx) (i32.const 4)))
      (local.set $dgain (i32.add (local.get $dgain) (i32.const 4)))
      (local.set $dbias (i32.add (local.get $dbias) (i32.const 4)))
      (br_if $c (i32.lt_u (local.get $x) (local.get $end)))))

  ;; dgain and dbias must hold zeros on entry.
  (func (export "backward") (param $dy i32) (param $x i32) (param $gain i32) (param $stats i32) (param $dx i32) (param $dgain i32) (param $dbias i32)
    (param $rows i32) (param $n i32) (param $perSample i32) (param $eps f64) (param $paper i32)
    (local $r i32) (local $b i32) (local $rowBytes i32) (local $ga i32) (local $gb i32) (local $oa i32) (local $ob i32)
    (local $sda f64) (local $sdb f64) (local $sca f64) (local $scb f64)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 2)))
    (loop $pairs
      (local.set $b (select (i32.add (local.get $r) (i32.const 1)) (local.get $r) (i32.lt_u (i32.add (local.get $r) (i32.const 1)) (local.get $rows))))
      (local.set $oa (i32.mul (local.get $r) (local.get $rowBytes)))
      (local.set $ob (i32.mul (local.get $b) (local.get $rowBytes)))
      (local.set $ga (call $sampleAt (local.get $r) (local.get $perSample) (local.get $n)))
      (local.set $gb (call $sampleAt (local.get $b) (local.get $perSample) (local.get $n)))
      (call $gradSums2 (i32.add (local.get $dy) (local.get $oa)) (i32.add (local.get $dy) (local.get $ob))
        (i32.add (local.get $x) (local.get $oa)) (i32.add (local.get $x) (local.get $ob))
        (i32.add (local.get $gain) (local.get $ga)) (i32.add (local.get $gain) (local.get $gb)) (local.get $n)
        (f64.promote_f32 (f32.load (i32.add (local.get $stats) (i32.shl (local.get $r) (i32.const 3)))))
        (f64.promote_f32 (f32.load (i32.add (local.get $stats) (i32.shl (local.get $b) (i32.const 3))))))
      (local.set $scb) (local.set $sca) (local.set $sdb) (local.set $sda)
      (call $rowGrads (i32.add (local.get $dy) (local.get $oa)) (i32.add (local.get $x) (local.get $oa)) (i32.add (local.get $gain) (local.get $ga))
        (i32.add (local.get $dx) (local.get $oa)) (i32.add (local.get $dgain) (local.get $ga)) (i32.add (local.get $dbias) (local.get $ga))
        (i32.add (local.get $stats) (i32.shl (local.get $r) (i32.const 3))) (local.get $n) (local.get $sda) (local.get $sca) (local.get $eps) (local.get $paper))
      (if (i32.ne (local.get $b) (local.get $r)) (then
        (call $rowGrads (i32.add (local.get $dy) (local.get $ob)) (i32.add (local.get $x) (local.get $ob)) (i32.add (local.get $gain) (local.get $gb))
          (i32.add (local.get $dx) (local.get $ob)) (i32.add (local.get $dgain) (local.get $gb)) (i32.add (local.get $dbias) (local.get $gb))
          (i32.add (local.get $stats) (i32.shl (local.get $b) (i32.const 3))) (local.get $n) (local.get $sdb) (local.get $scb) (local.get $eps) (local.get $paper))))
      (local.set $r (i32.add (local.get $b) (i32.const 1)))
      (br_if $pairs (i32.lt_u (local.get $r) (local.get $rows)))))
)
