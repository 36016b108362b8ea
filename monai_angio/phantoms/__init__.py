"""Digital phantoms: angiography cine (vessel tree, contrast bolus, cardiac motion, X-ray noise)."""

from .angiography import AngiographyPhantom, cardiac_waveform, gamma_variate
from .vessel_tree import VesselSegment, grow_vessel_tree, rasterize_vessel_tree

__all__ = [
    "AngiographyPhantom",
    "VesselSegment",
    "cardiac_waveform",
    "gamma_variate",
    "grow_vessel_tree",
    "rasterize_vessel_tree",
]
