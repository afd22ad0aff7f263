#!/usr/bin/env bash
# Train the four checkpoints shipped in assets/models/ on one schedule and copy them there.
#   scripts/train_shipped.sh [CIFAR10_PATH] [EPOCHS]
# CPU (2 cores): two runs at a time, one thread each (about 530 images/s each on the
# 2-core AMD EPYC dev machine, 1.1x the throughput of one two-thread run). The measured
# test accuracy lands in each model card; `python -m cutmix_core.evaluate` re-measures it.
# Interrupted? Run again: each run resumes from runs/r20-<aug>/last.pt.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-${CUTMIX_CIFAR10:-../shared/data/cifar10}}"
EPOCHS="${2:-30}"
THREADS="${THREADS:-1}"
run() {  # aug
  local out="runs/r20-$1" resume=()
  [[ -f "$out/last.pt" ]] && resume=(--resume)
  OMP_NUM_THREADS=$THREADS python -m cutmix_core.train --data "$DATA" --out "$out" \
    --arch resnet20 --aug "$1" --epochs "$EPOCHS" --seed 0 --eval-every 5 --no-progress \
    "${resume[@]}" > "runs/train-$1.log" 2>&1
}
mkdir -p runs assets/models
for pair in "none cutmix" "mixup cutout"; do
  set -- $pair
  run "$1" & a=$!
  run "$2" & b=$!
  wait $a; wait $b
  for aug in $pair; do cp "runs/r20-$aug/resnet20_$aug.pt" "runs/r20-$aug/resnet20_$aug.json" assets/models/; done
done
echo "done: $(ls assets/models)"
