# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Non-learned interpolators: repeat, linear blend, DIS optical flow with linear or quadratic motion."""

from __future__ import annotations

from typing import Any

from torch import nn

from .dis_flow import (
    DIS_PRESETS,
    DISFlowInterpolator,
    dis_optical_flow,
    flow_consistency_weight,
    flow_luminance,
    intermediate_flows,
    quadratic_intermediate_flows,
    to_uint8_pair,
)
from .quadratic_flow import QuadraticDISInterpolator
from .simple import LinearInterpolator, RepeatInterpolator, check_interpolator_inputs

__all__ = [
    "BASELINES",
    "get_baseline",
    "RepeatInterpolator",
    "LinearInterpolator",
    "DISFlowInterpolator",
    "QuadraticDISInterpolator",
    "DIS_PRESETS",
    "check_interpolator_inputs",
    "dis_optical_flow",
    "flow_consistency_weight",
    "flow_luminance",
    "intermediate_flows",
    "quadratic_intermediate_flows",
    "to_uint8_pair",
]

BASELINES: dict[str, type[nn.Module]] = {
    "repeat": RepeatInterpolator,
    "linear": LinearInterpolator,
    "dis_flow": DISFlowInterpolator,
    "dis_flow_quadratic": QuadraticDISInterpolator,
}


def get_baseline(name: str, **kwargs: Any) -> nn.Module:
    """Instantiate the baseline registered as ``name`` (a key of :data:`BASELINES`) with ``kwargs``.

    Raises:
        ValueError: for an unknown name, listing the valid ones.
    """
    if name not in BASELINES:
        raise ValueError(f"unknown baseline {name!r}; valid names: {', '.join(sorted(BASELINES))}.")
    return BASELINES[name](**kwargs)
