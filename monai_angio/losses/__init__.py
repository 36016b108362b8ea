"""monai_angio.losses."""
