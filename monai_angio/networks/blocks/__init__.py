"""monai_angio.networks.blocks."""
