#!/usr/bin/env bash
# Train the four checkpoints shipped in assets/models/ on one schedule, then copy all four there.
#   scripts/train_shipped.sh [CIFAR10_PATH] [EPOCHS]
# Each schedule has its own run folders, runs/r20-e<EPOCHS>-<aug>, so a longer retrain never
# touches the shipped models: assets/models/ changes only once all four are trained (the tests
# require one schedule for all of them). Then re-run the evaluation and paste its table.
# One run at a time with every core (THREADS, default: all of them): on the 2-core AMD EPYC
# (Zen 3, AVX2, no AVX512-BF16, so fp32) machine the shipped models were trained on, one
# two-thread run did ~320 images/s and two one-thread runs side by side did no better in total,
# so sequential runs give each model sooner. The measured test accuracy lands in each model
# card; `python -m cutmix_core.evaluate` re-measures it.
# Interrupted? Run again: a finished model is skipped and a started one resumes from its
# last.pt.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-${CUTMIX_CIFAR10:-../shared/data/cifar10}}"
EPOCHS="${2:-30}"
THREADS="${THREADS:-$(nproc)}"
AUGS=(none cutmix mixup cutout)
mkdir -p runs assets/models
for aug in "${AUGS[@]}"; do
  out="runs/r20-e$EPOCHS-$aug"
  if [[ ! -f "$out/resnet20_$aug.pt" ]]; then
    resume=()
    [[ -f "$out/last.pt" ]] && resume=(--resume)
    OMP_NUM_THREADS=$THREADS python -m cutmix_core.train --data "$DATA" --out "$out" \
      --arch resnet20 --aug "$aug" --epochs "$EPOCHS" --seed 0 --eval-every 5 --no-progress \
      "${resume[@]}" >> "runs/train-e$EPOCHS-$aug.log" 2>&1
  fi
  echo "$(date -u +%H:%M) $aug done: $(grep -o '"test_accuracy": [0-9.]*' "$out/resnet20_$aug.json" | head -1)"
done
for aug in "${AUGS[@]}"; do
  cp "runs/r20-e$EPOCHS-$aug/resnet20_$aug.pt" "runs/r20-e$EPOCHS-$aug/resnet20_$aug.json" \
    assets/models/
done
echo "shipped: $(ls assets/models | tr "\n" " ")"
echo "next: OMP_NUM_THREADS=$THREADS python -m cutmix_core.evaluate --data $DATA --markdown"
