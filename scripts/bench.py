# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""The benchmarks of the bundles: ``python scripts/bench.py STUDY [options]``.

Studies (each writes ``docs/bench/<report>.json`` and ``.md``; ``python scripts/bench.py STUDY --help``):

  baselines      repeat / linear / DIS flow / DIS flow with quadratic motion: dose-reduction quality on the real
                 cine and two phantom cines, K = 1, 2, 3, and ms per frame at 512² (report baselines)
  interpolation  the MoSt-DSA bundle against the baselines on the held-out real frames and the test phantom cines,
                 each row a method with InterpolationOptions; headline row most_dsa_defaults (report
                 interpolation; with --cines validation: interpolation_validation)
  deblurring     the deblurring bundle: each frame alone against deconvolution (report deblur) and with its
                 neighbours, headline the non-blind temporal network's gain (report deblur_temporal)
  ops            the warping operators, PyTorch reference and Triton kernels, forward and backward (report ops)
  speed          ms per frame and peak memory of the networks in fresh processes (report speed)
  projection     time and peak memory of RTK's Joseph and the PyTorch forward projectors over a 200° rotational
                 sweep, in fresh processes; --quick: 64³ to 8 views of 128² (report projection)
  generalization frame interpolation across kinds of runs (3D-phantom rotational / fixed-table / coronary, real
                 coronary, real DSA with and without camera motion): linear, DIS flow, the bundle's network with
                 options off and recommended, K = 1, 2, 3, gains over DIS flow per kind; --weights PATH adds a
                 candidate network's rows; --quick: 9 frames of 64² (report generalization)

``--rows NAME ...`` (names or shell patterns) measures only those rows and keeps the other rows of the last report.
The data of every study are defined once in :mod:`monai_angio.benchmarks.datasets`. A bundle's ``metadata.json``
is updated from a report by ``python scripts/update_bundle_metadata.py docs/bench/REPORT.json``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from monai_angio.benchmarks import deblurring, generalization, interpolation, ops, projection, speed
from monai_angio.benchmarks.report import OUT

#: study -> (help, adds its options, runs it)
STUDIES = {
    "baselines": ("the interpolation baselines", interpolation.add_baselines_arguments, interpolation.run_baselines),
    "interpolation": (
        "the MoSt-DSA bundle against the baselines",
        interpolation.add_interpolation_arguments,
        interpolation.run_interpolation,
    ),
    "deblurring": ("the deblurring bundle, single-frame and temporal", deblurring.add_arguments, deblurring.run),
    "ops": ("the warping operators, PyTorch and Triton", ops.add_arguments, ops.run),
    "speed": ("ms per frame and peak memory of the networks", speed.add_arguments, speed.run),
    "projection": (
        "time and peak memory of the forward projectors over a rotational sweep",
        projection.add_arguments,
        projection.run,
    ),
    "generalization": (
        "frame interpolation across kinds of angiography runs, and a candidate network (--weights)",
        generalization.add_arguments,
        generalization.run,
    ),
}


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    studies = parser.add_subparsers(dest="study", required=True, metavar="STUDY")
    for name, (text, add_arguments, _) in STUDIES.items():
        sub = studies.add_parser(name, help=text, description=text)
        sub.add_argument("--rows", nargs="+", default=None, help="measure only these rows, keep the others")
        sub.add_argument("--threads", type=int, default=None, help="torch threads of the measuring process")
        sub.add_argument("--out", type=Path, default=OUT, help="report folder (default docs/bench)")
        add_arguments(sub)
    args = parser.parse_args(argv)
    args.command = "python scripts/bench.py " + " ".join(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    STUDIES[args.study][2](args)


if __name__ == "__main__":
    main()
