# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Package the bundles of this repository in the MONAI model-zoo format: one zip per bundle.

Each zip holds the bundle folder under its name (``cerebral_dsa_deblurring/configs/...``); files over 25 MiB are
left out and listed in ``large_files.yml`` with their hash. A zip installs with MONAI's own tools::

    python scripts/package_bundles.py --output-dir dist/bundles
    python -m monai.bundle download --name cerebral_dsa_deblurring --bundle_dir ./bundles_installed \
        --url file://$PWD/dist/bundles/cerebral_dsa_deblurring_v0.1.1.zip
    python -m monai.bundle download_large_files --bundle_path ./bundles_installed/cerebral_dsa_deblurring  # if any
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from monai_angio.bundle_utils import LARGE_FILE_LIMIT, find_bundles, package_bundle

REPO_ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    """Command line entry: package the named bundles (default: every bundle in ``--bundles-dir``)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="bundle names to package (default: all)")
    parser.add_argument("--bundles-dir", type=Path, default=REPO_ROOT / "bundles", help="folder holding the bundles")
    parser.add_argument("--output-dir", type=Path, default=REPO_ROOT / "dist" / "bundles", help="where zips go")
    parser.add_argument(
        "--max-file-mb",
        type=float,
        default=LARGE_FILE_LIMIT / 2**20,
        help="files above this size (MiB) go to large_files.yml",
    )
    parser.add_argument(
        "--large-file-url",
        default=None,
        help="base URL where large files will be hosted (<url>/<bundle>/<path>); default: file:// copies in output dir",
    )
    parser.add_argument("--hash-type", default="sha256", choices=("md5", "sha1", "sha256", "sha512"))
    args = parser.parse_args(argv)

    bundles = find_bundles(args.bundles_dir)
    by_name = {b.name: b for b in bundles}
    unknown = [n for n in args.names if n not in by_name]
    if unknown:
        parser.error(f"unknown bundle(s) {unknown}; found in {args.bundles_dir}: {sorted(by_name)}")
    selected = [by_name[n] for n in args.names] if args.names else bundles
    if not selected:
        parser.error(f"no bundle found in {args.bundles_dir}")
    for bundle in selected:
        result = package_bundle(
            bundle,
            args.output_dir,
            max_file_size=int(args.max_file_mb * 2**20),
            large_file_url=args.large_file_url,
            hash_type=args.hash_type,
        )
        size_mb = result.zip_path.stat().st_size / 2**20
        print(f"{bundle.name}: {result.zip_path} ({size_mb:.2f} MiB)")
        for entry in result.large_files:
            print(f"  large file {entry['path']} -> {entry['url']} ({entry['hash_type']} {entry['hash_val']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
