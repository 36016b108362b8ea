"""monai_angio.networks."""
