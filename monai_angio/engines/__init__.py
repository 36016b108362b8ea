"""Training and evaluation helpers for the interpolation bundles: batch preparation, tuple sampling, losses, handlers."""

from .handlers import SetEpochHandler, optional_tensorboard_handler
from .losses import MOST_DSA_VGG_LAYER_WEIGHTS, MOST_DSA_VGG_LAYERS, MoStDSALoss
from .prepare_batch import PrepareInterpolationBatch, frames_to_batch, interpolation_output_transform
from .sampling import MixedTupleDataset, RandTupleMotiond

__all__ = [
    "MOST_DSA_VGG_LAYERS",
    "MOST_DSA_VGG_LAYER_WEIGHTS",
    "MixedTupleDataset",
    "MoStDSALoss",
    "PrepareInterpolationBatch",
    "RandTupleMotiond",
    "SetEpochHandler",
    "frames_to_batch",
    "interpolation_output_transform",
    "optional_tensorboard_handler",
]
