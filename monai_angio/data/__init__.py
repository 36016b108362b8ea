"""monai_angio.data."""
