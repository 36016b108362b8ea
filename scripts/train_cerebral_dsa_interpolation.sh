#!/usr/bin/env bash
# Train the shipped weights of bundles/cerebral_dsa_interpolation (MoSt-DSA, `small` configuration) on the CPU.
#
# Data: the first 70 % of the shared real DSA cine (../shared/data/dsa/cerebral_lateral_2d; the last 30 % is the
# benchmark's test span and is never read for training) at full and half resolution, plus angiography phantom cines
# (coronary and DSA modes with cardiac motion), with random crops, synthetic geometric motion, flips, rot90, temporal
# reversal and gamma. About one hour on one core of a 2-core CPU (one thread: the cores are shared).
#
# Usage: bash scripts/train_cerebral_dsa_interpolation.sh [extra train_interpolation.py options]
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
python scripts/train_interpolation.py \
    --config small \
    --cine ../shared/data/dsa/cerebral_lateral_2d \
    --holdout 0.3 \
    --steps 5000 --minutes 62 \
    --batch 6 --crop 128 \
    --lr 3e-4 --end-lr 2e-5 --weight-decay 1e-4 --warmup 300 --ema 0.999 \
    --phantoms 16 --phantom-size 256 --weights 0.3,0.3,0.4 \
    --motion-prob 0.5 --max-translation 10 --max-gap 2 \
    --threads 1 --seed 0 --log-every 50 --val-every 500 \
    --work-dir /tmp/most_dsa_train \
    --out bundles/cerebral_dsa_interpolation/models/model.pt \
    "$@"
