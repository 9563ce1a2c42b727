#!/usr/bin/env bash
# Side by side with the authors' code (not part of npm test; hours of CPU): runs an experiment's small
# size for several seeds in maskscope and in the authors' PyTorch code (../shared/peers/modules/run-official,
# same sizes, steps and β), then prints mean ± std of every accuracy and per-layer IoU, ours beside theirs.
# Ours runs twice per seed: the default, and the same base network's masks again with the authors' clipping
# ("authorsClip", docs/method.md#deviations), which is the like-for-like comparison of the mask stages.
#
#   bench/compare/run.sh addmul 3        # or double-add, scan-lstm, scan-transformer, class-removal; seeds 1..N
#   bench/compare/run.sh addmul 3 tab    # only tabulate what finished
#   SIDE=ours bench/compare/run.sh …     # only our runs (SIDE=theirs: only theirs), e.g. one per core
#
# scan-lstm, scan-transformer and class-removal run the authors' code from a copy with switches for our small sizes
# (patch-authors.py: the falling base lr, teacher forcing, the CNN's widths, Fashion-MNIST in CIFAR-10's place) in
# $MODULES_HOME-patched, with SCAN's files from ../shared/data/scan; the SCAN ones have no authorsClip column.
# With one side on each core, a scan-transformer seed took 27–42 min in their code and 40 in ours (RESULTS).
#
# Runs go to runs/compare/<experiment>/{ours,ours-clip,theirs}-seed-<s>; a finished run is not repeated.
# To tell base training from mask training apart, run our mask stages on their trained net:
#   /usr/bin/python3 bench/compare/export-weights.py runs/compare/addmul/theirs-seed-1 theirs-1.safetensors
#   npx maskscope run addmul --weights theirs-1.safetensors --out runs/compare/addmul/ours-on-theirs-1
# and theirs on ours (their loader reads DIR/0/model.pth):
#   /usr/bin/python3 bench/compare/import-weights.py runs/compare/addmul/ours-seed-1/seed-1/base.safetensors DIR
#   run-official NAME <the theirs arguments below> -seed 1 -restore_pretrained DIR
# Base training alone, PyTorch beside ours from the same init and batches: base-probe.py and addmul-base.ts.
set -euo pipefail
cd "$(dirname "$0")/../.."
exp=${1:?usage: bench/compare/run.sh addmul|double-add|scan-lstm|scan-transformer|class-removal SEEDS [tab]}
seeds=${2:-3}
official=${OFFICIAL:-../shared/peers/modules/run-official}
modules=${MODULES_HOME:-$HOME/.cache/maskscope-peers/modules}
out=runs/compare/$exp
mkdir -p "$out"
mlp=(-n_digits 2 -mask_lr 1e-2 -step_per_mask 3000 -bias_no_mask 1 -batch_size 128 -test_interval 1000)
clip=1 patched=0
case $exp in
  addmul) ours=addmul; theirs=(-task addmul_ff -stop_after 15000 -layer_sizes 256,256,256,256 -mask_loss_weight 0.0001 "${mlp[@]}") ;;
  double-add) ours=double-add; theirs=(-task tuple_ff -stop_after 5000 -layer_sizes 256,256,256,256 -mask_loss_weight 0.0004 "${mlp[@]}") ;;
  scan-lstm)
    # experiments/scan-lstm.ts, small: 2 × 64, embeddings 16, dropout 0.1, teacher forcing always, batch 64,
    # lr 3e-3 falling to 0 over the last half of 3,000 steps, clip 5; masks 800 steps at lr 5e-2, β 2e-4.
    ours=scan-lstm; clip=0 patched=1
    theirs=(-task scan -n_layers 2 -state_size 64 -dropout 0.1 -batch_size 64 -lr 3e-3 -grad_clip 5
      -stop_after 3000 -step_per_mask 800 -mask_lr 5e-2 -mask_loss_weight 2e-4 -bias_no_mask 1
      -test_interval 3000 -test_batch_size 1024)
    export MASKSCOPE_LR_DECAY=0.5 MASKSCOPE_TEACHER_FORCING=1 ;;
  scan-transformer)
    # experiments/scan-transformer.ts, small: d 64, 4 heads, FF 128, 2 + 2 layers, batch 64, lr 3e-3 falling to 0
    # over the last half of 2,500 steps, clip 5; masks 800 steps at lr 5e-2, β 5e-4, biases unmasked.
    ours=scan-transformer; clip=0 patched=1
    theirs=(-task trafo_scan -state_size 64 -transformer.n_heads 4 -transformer.ff_multiplier 2
      -transformer.encoder_n_layers 2 -transformer.decoder_n_layers 2 -batch_size 64 -lr 3e-3 -grad_clip 5
      -stop_after 2500 -step_per_mask 800 -mask_lr 5e-2 -mask_loss_weight 5e-4 -bias_no_mask 1
      -test_interval 2500 -test_batch_size 1024)
    export MASKSCOPE_LR_DECAY=0.5 ;;
  class-removal)
    # experiments/class-removal.ts, small: widths 8, 16, 32, 64 on Fashion-MNIST, 1,000 base steps; ten
    # classes' masks of 400 steps at lr 1e-2, β 3e-3, biases masked, the output layer's mask kept from stage 0.
    ours=class-removal; clip=1 patched=1
    theirs=(-task cifar10_class_removal -batch_size 128 -lr 1e-3 -grad_clip 1 -stop_after 1000 -step_per_mask 400
      -mask_lr 1e-2 -mask_loss_weight 3e-3 -class_removal.keep_last_layer 1 -test_interval 1000)
    export MASKSCOPE_CNN_CHANNELS=8,16,32,64 MASKSCOPE_FASHION_MNIST=/usr/share/datasets/fashion-mnist ;;
  *) echo "unknown experiment $exp (addmul, double-add, scan-lstm, scan-transformer or class-removal)" >&2; exit 2 ;;
esac
if [ $patched = 1 ]; then
  modules=$modules-patched
  export MODULES_HOME=$modules
  [ -f "$modules/main.py" ] || { mkdir -p "$modules" && tar -xzf "$(dirname "$official")/modules-efdb879.tar.gz" -C "$modules" --strip-components=1; }
  if [ ! -f "$modules/cache/scan/tasks_test_simple.txt" ]; then  # their code would download SCAN
    mkdir -p "$modules/cache/scan"
    for f in ../shared/data/scan/*.txt.gz; do gunzip -c "$f" > "$modules/cache/scan/$(basename "$f" .gz)"; done
  fi
  /usr/bin/python3 bench/compare/patch-authors.py "$modules"
fi
if [ "${3:-}" != tab ]; then
  for s in $(seq 1 "$seeds"); do
    if [ "${SIDE:-both}" != theirs ]; then
      [ -f "$out/ours-seed-$s/report.json" ] || npx maskscope run "$ours" --size small --seed "$s" --backend cpu --out "$out/ours-seed-$s"
      [ $clip = 0 ] || [ -f "$out/ours-clip-seed-$s/report.json" ] || npx maskscope run "$ours" --size small --seed "$s" --backend cpu \
        --weights "$out/ours-seed-$s/seed-$s/base.safetensors" --config '{"authorsClip":true}' --out "$out/ours-clip-seed-$s"
    fi
    if [ "${SIDE:-both}" != ours ] && [ ! -f "$out/theirs-seed-$s/scalars.jsonl" ]; then
      "$official" "compare-$exp-$s" "${theirs[@]}" -seed "$s"
      rm -rf "$out/theirs-seed-$s" && cp -r "$modules/save/compare-$exp-$s" "$out/theirs-seed-$s"
    fi
  done
fi
/usr/bin/python3 bench/compare/tabulate.py "$exp" "$out"
