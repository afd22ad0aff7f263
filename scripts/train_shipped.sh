#!/usr/bin/env bash
# Train the shipped airnet checkpoints (four augmentations on one schedule, seeds 0 and 1 for
# the baseline and CutMix), then copy the seed-0 four into assets/models/.
#   scripts/train_shipped.sh [CIFAR10_PATH] [EPOCHS]
# Each run has its own folder, runs/airnet-e<EPOCHS>-<aug>-s<SEED>, so a longer schedule never
# touches the shipped models: assets/models/ changes only once all four seed-0 models exist (the
# tests require one schedule for all of them). Then re-run the evaluation and paste its table.
# HOLDOUT=1 first trains the baseline with 5,000 training images held out (the run the recipe's
# settings were checked on; it never sees the test set).
# Interrupted? Run again: a finished run is skipped and a started one resumes from its last.pt.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-${CUTMIX_CIFAR10:-../shared/data/cifar10}}"
EPOCHS="${2:-10}"
THREADS="${THREADS:-$(nproc)}"
mkdir -p runs assets/models

run() {  # run <out> <aug> <seed> [extra flags...]
  local out="$1" aug="$2" seed="$3"
  shift 3
  if [[ ! -f "$out/airnet_$aug.pt" ]]; then
    local resume=()
    [[ -f "$out/last.pt" ]] && resume=(--resume)
    OMP_NUM_THREADS=$THREADS python -m cutmix_core.training --data "$DATA" --out "$out" \
      --arch airnet --aug "$aug" --epochs "$EPOCHS" --seed "$seed" --no-progress "$@" \
      "${resume[@]}" >> "$out.log" 2>&1
  fi
  echo "$(date -u +%H:%M) $out: $(grep -o '"[a-z]*_accuracy": [0-9.]*' "$out/airnet_$aug.json" | head -1)"
}

if [[ "${HOLDOUT:-0}" == 1 ]]; then
  run "runs/airnet-e$EPOCHS-none-holdout" none 0 --holdout 5000
fi
for aug in none cutmix mixup cutout; do
  run "runs/airnet-e$EPOCHS-$aug-s0" "$aug" 0
done
for aug in none cutmix; do
  run "runs/airnet-e$EPOCHS-$aug-s1" "$aug" 1
done
for aug in none cutmix mixup cutout; do
  cp "runs/airnet-e$EPOCHS-$aug-s0/airnet_$aug.pt" "runs/airnet-e$EPOCHS-$aug-s0/airnet_$aug.json" \
    assets/models/
done
echo "shipped: $(ls assets/models | tr "\n" " ")"
echo "next: OMP_NUM_THREADS=$THREADS python -m cutmix_core.evaluation --data $DATA --markdown"
