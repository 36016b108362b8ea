# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""monai_angio.data: frame-interpolation tuple datasets (cines, phantoms, the MoSt-DSA layout)."""

from __future__ import annotations

from monai_angio.data.em import EMEvalTriplets, EMSliceTriplets, em_eval_triplets, load_em_stack, match_histogram
from monai_angio.data.most_dsa import MoStDSADataset
from monai_angio.data.tuples import (
    CineEvalTuples,
    CineTupleDataset,
    cine_eval_tuples,
    cine_tuple_dataset,
    phantom3d_cines,
    phantom_cines,
    phantom_tuple_dataset,
    prepare_cine,
    split_frames,
)

__all__ = [
    "EMSliceTriplets",
    "EMEvalTriplets",
    "em_eval_triplets",
    "load_em_stack",
    "match_histogram",
    "MoStDSADataset",
    "CineTupleDataset",
    "CineEvalTuples",
    "cine_tuple_dataset",
    "cine_eval_tuples",
    "phantom_cines",
    "phantom3d_cines",
    "phantom_tuple_dataset",
    "prepare_cine",
    "split_frames",
]
