# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""The benchmark harness behind ``scripts/bench.py STUDY``.

* :mod:`.datasets`: the data of every study, defined once (the real DSA cine and its parts, the phantom cines, the
  deblurring degradations);
* :mod:`.report`: the reports (``docs/bench/<name>.{json,md}``), partial re-runs and fresh-process workers;
* :mod:`.interpolation`: the ``baselines`` and ``interpolation`` studies and the interpolation bundle's
  ``eval_metrics``;
* :mod:`.deblurring`: the ``deblurring`` study (single-frame and temporal rows) and the deblurring bundle's
  ``eval_metrics``;
* :mod:`.ops`: the ``ops`` study (the warping operators, PyTorch reference and Triton kernels);
* :mod:`.speed`: the ``speed`` study (ms per frame and peak memory of the bundles' networks);
* :mod:`.projection`: the ``projection`` study (time and peak memory of the forward projectors over a sweep).

Nothing here is imported by the rest of the package.
"""
