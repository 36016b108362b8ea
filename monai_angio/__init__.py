"""monai-angio: MONAI bundles for X-ray angiography dose reduction and image quality."""

__version__ = "0.1.0"
