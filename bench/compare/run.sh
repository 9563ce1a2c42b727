#!/usr/bin/env bash
# Side by side with the authors' code (not part of npm test; hours of CPU): runs an experiment's small
# size for several seeds in maskscope and in the authors' PyTorch code (../shared/peers/modules/run-official,
# same sizes, steps and β), then prints mean ± std of every accuracy and per-layer IoU, ours beside theirs.
# Ours runs twice per seed: the default, and the same base network's masks again with the authors' clipping
# ("authorsClip", docs/method.md#deviations), which is the like-for-like comparison of the mask stages.
#
#   bench/compare/run.sh addmul 3        # or double-add; seeds 1..N
#   bench/compare/run.sh addmul 3 tab    # only tabulate what finished
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
exp=${1:?usage: bench/compare/run.sh addmul|double-add SEEDS [tab]}
seeds=${2:-3}
official=${OFFICIAL:-../shared/peers/modules/run-official}
modules=${MODULES_HOME:-$HOME/.cache/maskscope-peers/modules}
out=runs/compare/$exp
mkdir -p "$out"
case $exp in
  addmul) ours=addmul; theirs=(-task addmul_ff -stop_after 15000 -layer_sizes 256,256,256,256 -mask_loss_weight 0.0001) ;;
  double-add) ours=double-add; theirs=(-task tuple_ff -stop_after 5000 -layer_sizes 256,256,256,256 -mask_loss_weight 0.0004) ;;
  *) echo "unknown experiment $exp (addmul or double-add)" >&2; exit 2 ;;
esac
if [ "${3:-}" != tab ]; then
  for s in $(seq 1 "$seeds"); do
    [ -f "$out/ours-seed-$s/report.json" ] || npx maskscope run "$ours" --size small --seed "$s" --backend cpu --out "$out/ours-seed-$s"
    [ -f "$out/ours-clip-seed-$s/report.json" ] || npx maskscope run "$ours" --size small --seed "$s" --backend cpu \
      --weights "$out/ours-seed-$s/seed-$s/base.safetensors" --config '{"authorsClip":true}' --out "$out/ours-clip-seed-$s"
    if [ ! -f "$out/theirs-seed-$s/scalars.jsonl" ]; then
      "$official" "compare-$exp-$s" "${theirs[@]}" -n_digits 2 -mask_lr 1e-2 -step_per_mask 3000 -bias_no_mask 1 \
        -batch_size 128 -test_interval 1000 -seed "$s"
      rm -rf "$out/theirs-seed-$s" && cp -r "$modules/save/compare-$exp-$s" "$out/theirs-seed-$s"
    fi
  done
fi
/usr/bin/python3 bench/compare/tabulate.py "$exp" "$out"
