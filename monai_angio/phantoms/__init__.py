"""monai_angio.phantoms."""
