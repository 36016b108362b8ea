"""monai_angio.projection."""
