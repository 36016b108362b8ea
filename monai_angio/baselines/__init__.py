"""monai_angio.baselines."""
