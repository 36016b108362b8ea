# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""monai-angio: MONAI bundles for X-ray angiography dose reduction and image quality."""

__version__ = "0.1.0"
