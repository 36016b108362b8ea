"""monai_angio.transforms."""
