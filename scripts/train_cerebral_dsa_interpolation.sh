#!/usr/bin/env bash
# Train the shipped weights of bundles/cerebral_dsa_interpolation (MoSt-DSA, `small` configuration) on the CPU.
#
# Data: the first 70 % of the shared real DSA cine (../shared/data/dsa/cerebral_lateral_2d; the last 30 % is the
# benchmark's test span and is never read for training) at full and half resolution, plus angiography phantom cines
# (coronary and DSA modes with cardiac motion), with random crops, synthetic geometric motion, flips, rot90, temporal
# reversal and gamma. Laplacian-pyramid l1 loss only (no VGG19 weights on this machine).
#
# Three stages on one core of a shared 2-core CPU (one thread); each writes the checkpoint (raw or EMA) with the best
# validation gain over the linear blend (real validation frames 44-51 and two phantom cines):
#   1. 62 min (5000 steps): real 60 % / phantom 40 % of the tuples, lr 3e-4 -> 2e-5;
#   2. 50 min, from stage 1: noise-free phantoms with random shared + independent noise (45 %), more phantoms and
#      more synthetic motion, lr 2e-4 -> 1e-5; checkpoints from step 1000 on are eligible.
#   3. 45 min (3000 steps), from stage 2, across kinds of runs (issue 25): 12 runs of the 3D phantom (rotational
#      sweeps, fixed views with table pan and patient drift, beating coronary trees; seeds 100-111, never the
#      validation seeds 900-999), the first 70 % of the real coronary cine (frames 0-58; 59-66 validate, 67-95 never
#      read), the real DSA and the 2D phantoms; more camera motion; a DIS-flow prior on the flows fading out over the
#      first 30 % of the steps; lr 2e-4 -> 2e-5. It selected its step-250 EMA weights (the mean validation gain over
#      the linear blend on the real DSA and coronary frames and the 2D and 3D phantoms); later steps kept the coronary
#      gain but lost on the real DSA frames.
# (Stage 1 selected its step-1000 EMA weights with an earlier validation on crops; stage 2 its step-1000 EMA
# weights; later checkpoints were better on phantoms but worse on whole real frames.)
#
# Usage: bash scripts/train_cerebral_dsa_interpolation.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
WORK=${WORK:-/tmp/most_dsa_train}
COMMON=(--config small --cine ../shared/data/dsa/cerebral_lateral_2d --holdout 0.3 --batch 6 --crop 128
        --ema 0.999 --phantom-size 256 --max-gap 2 --threads 1 --log-every 50)

echo "=== stage 1"
python scripts/train_interpolation.py "${COMMON[@]}" \
    --steps 5000 --minutes 62 --lr 3e-4 --end-lr 2e-5 --weight-decay 1e-4 --warmup 300 \
    --phantoms 16 --weights 0.3,0.3,0.4 --motion-prob 0.5 --max-translation 10 --seed 0 --val-every 500 \
    --work-dir "$WORK/stage1" --out "$WORK/stage1.pt"

echo "=== stage 2"
python scripts/train_interpolation.py "${COMMON[@]}" --init "$WORK/stage1.pt" \
    --steps 6000 --minutes 50 --lr 2e-4 --end-lr 1e-5 --weight-decay 1e-4 --warmup 100 \
    --phantoms 24 --phantom-noise-aug --weights 0.35,0.2,0.45 --motion-prob 0.6 --max-translation 12 --seed 1 \
    --val-every 500 --select-after 1000 \
    --work-dir "$WORK/stage2" --out "$WORK/stage2.pt"

echo "=== stage 3 (resumable: add --resume to continue an interrupted run)"
python scripts/train_interpolation.py "${COMMON[@]}" --init "$WORK/stage2.pt" \
    --steps 3000 --minutes 75 --lr 2e-4 --end-lr 2e-5 --weight-decay 1e-4 --warmup 100 \
    --phantoms 16 --phantoms3d 12 --phantom3d-size 256 \
    --extra-cines ../shared/data/xa_coronary/coronary_rca_xa_96f.dcm --weights 0.2,0.1,0.15,0.4,0.15 \
    --motion-prob 0.7 --max-translation 16 --flow-prior 0.01 --flow-prior-fraction 0.3 --seed 0 \
    --val-every 250 --log-every 25 \
    --work-dir "$WORK/stage3" --out bundles/cerebral_dsa_interpolation/models/model.pt
