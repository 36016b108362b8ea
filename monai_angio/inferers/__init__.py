"""monai_angio.inferers."""
