# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Write the results of benchmark reports into the bundles' ``configs/metadata.json`` ``eval_metrics``.

Reports (``docs/bench/*.json`` written by ``scripts/bench.py``) and what they update:

* ``interpolation.json``: cerebral_dsa_interpolation, per K every row's PSNR/SSIM and our margins on the held-out
  real frames and the phantom mean;
* ``deblur.json``, ``deblur_temporal.json``, ``deblur_temporal_motion.json``: cerebral_dsa_deblurring, the
  single-frame rows and the temporal rows;
* ``speed.json``: the speed blocks of both bundles.

The blocks a report makes replace the same keys of ``eval_metrics``; the other keys are kept. Usage:
    python scripts/update_bundle_metadata.py docs/bench/interpolation.json [more reports] [--metadata PATH]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from monai_angio.io.atomic import atomic_output


def bundle_blocks(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{bundle name: {eval_metrics key: block}}`` made from a report of ``scripts/bench.py``."""
    from monai_angio.benchmarks import deblurring, interpolation, speed

    makers = {
        "interpolation": interpolation.eval_metrics,
        "deblurring": deblurring.eval_metrics,
        "speed": speed.eval_metrics,
    }
    if report.get("study") not in makers:
        raise SystemExit(f"no bundle metrics from a {report.get('study')!r} report; reports of: {', '.join(makers)}")
    return makers[report["study"]](report)


def update_metadata(path: Path, blocks: dict[str, Any]) -> None:
    """Replace the ``blocks`` keys of the ``eval_metrics`` of the ``metadata.json`` at ``path`` (others kept)."""
    meta = json.loads(path.read_text())
    meta.setdefault("eval_metrics", {}).update(blocks)
    with atomic_output(path, overwrite=True) as tmp:
        tmp.write_text(json.dumps(meta, indent=4) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("reports", nargs="+", type=Path)
    parser.add_argument(
        "--metadata",
        type=Path,
        default=None,
        help="write into this metadata.json instead of the bundle's (reports of one bundle)",
    )
    args = parser.parse_args(argv)
    from monai_angio.bundles import find_bundle

    for report_path in args.reports:
        per_bundle = bundle_blocks(json.loads(report_path.read_text()))
        if args.metadata and len(per_bundle) > 1:
            raise SystemExit(
                f"{report_path} updates {', '.join(per_bundle)}: --metadata takes the report of one bundle"
            )
        for bundle, blocks in per_bundle.items():
            path = args.metadata or find_bundle(bundle) / "configs" / "metadata.json"
            update_metadata(path, blocks)
            print(f"{path}: eval_metrics {', '.join(blocks)} from {report_path}")


if __name__ == "__main__":
    main()
