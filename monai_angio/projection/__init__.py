# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""C-arm projection: acquisition geometry (views, trajectories, DICOM and RTK conversion), forward projectors, and
volumes to project (NIfTI, DICOM series with gantry tilt, HU to attenuation), closed-form line integrals of
ellipsoids and vessel pieces."""

from .analytic import chain_cap_normals, cylinder_line_integrals, ellipsoid_line_integrals
from .geometry import (
    LPS_TO_RTK,
    CArmGeometry,
    PatientDrift,
    Trajectory,
    fixed_view,
    from_dicom,
    rotational_sweep,
    table_pan,
    to_dicom,
    to_rtk,
    trajectory_from_dicom,
    trajectory_to_dicom,
)
from .projector import ForwardProjector, forward_project, rtk_forward_project
from .simulate import PROJECTORS, VOLUME_VALUES, attenuation_volume, line_integrals, lps_axes, trajectory_attributes
from .volume import hu_to_attenuation, load_volume, mu_water

__all__ = [
    "chain_cap_normals",
    "cylinder_line_integrals",
    "ellipsoid_line_integrals",
    "PROJECTORS",
    "VOLUME_VALUES",
    "attenuation_volume",
    "line_integrals",
    "lps_axes",
    "trajectory_attributes",
    "LPS_TO_RTK",
    "CArmGeometry",
    "PatientDrift",
    "ForwardProjector",
    "Trajectory",
    "fixed_view",
    "forward_project",
    "from_dicom",
    "hu_to_attenuation",
    "load_volume",
    "mu_water",
    "rotational_sweep",
    "rtk_forward_project",
    "table_pan",
    "to_dicom",
    "to_rtk",
    "trajectory_from_dicom",
    "trajectory_to_dicom",
]
