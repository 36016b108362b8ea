"""monai_angio.io."""
