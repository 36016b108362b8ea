"""monai_angio.metrics."""
