# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Turn cines (DICOM, video, frame folders) into the MoSt-DSA dataset layout for N = 1, 2 or 3.

Example:
    python scripts/prepare_interpolation_dataset.py run1.dcm screen_recording.mp4 frames_dir/ --root data/most_dsa_n2 \
        --num-targets 2 --mask 0,0,300,40 --mask 700,0,324,40
"""

from __future__ import annotations

import argparse

from monai_angio.data.prepare import prepare_interpolation_dataset


def _rect(text: str) -> tuple[int, int, int, int]:
    parts = [int(v) for v in text.split(",")]
    if len(parts) != 4:
        raise argparse.ArgumentTypeError(f"a rectangle is x,y,width,height, got {text!r}")
    return tuple(parts)  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", help="cine files or folders")
    parser.add_argument("--root", required=True, help="dataset root to write")
    parser.add_argument("--num-targets", type=int, default=1, choices=(1, 2, 3), help="N frames to interpolate")
    parser.add_argument("--gap", type=int, default=1, help="frame step inside a tuple")
    parser.add_argument("--stride", type=int, default=None, help="step between tuple starts")
    parser.add_argument("--test-fraction", type=float, default=0.3, help="end fraction of each cine for testing")
    parser.add_argument("--mask", type=_rect, action="append", default=[], help="x,y,width,height to mask")
    parser.add_argument(
        "--duplicate-threshold",
        type=float,
        default=0.003,
        help="relative mean |difference| of repeated frames; negative keeps all frames",
    )
    args = parser.parse_args()
    result = prepare_interpolation_dataset(
        args.inputs,
        args.root,
        args.num_targets,
        args.gap,
        args.stride,
        args.test_fraction,
        args.mask or None,
        None if args.duplicate_threshold < 0 else args.duplicate_threshold,
    )
    print(f"{len(result['train'])} training and {len(result['test'])} test sequences in {args.root}")
    for path, count in result["removed_duplicates"].items():
        print(f"{path}: {count} duplicate frames removed")


if __name__ == "__main__":
    main()
