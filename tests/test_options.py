# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of the test-time options (monai_angio.options): defaults, checks, flags, bundles, labels."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from monai_angio.options import MOTION_MODELS, DeblurOptions, InterpolationOptions, is_off, option_help

REPO = Path(__file__).resolve().parents[1]
BUNDLES = {
    InterpolationOptions: REPO / "bundles" / "cerebral_dsa_interpolation",
    DeblurOptions: REPO / "bundles" / "cerebral_dsa_deblurring",
}


def _bundle(root: Path, config: dict) -> Path:
    (root / "configs").mkdir(parents=True)
    (root / "configs" / "inference.json").write_text(json.dumps(config))
    return root


def test_defaults():
    assert InterpolationOptions().as_dict() == {
        "ensemble": None,
        "global_motion": None,
        "denoise_window": 0,
        "adapt_steps": 0,
        "fallback": None,
    }
    assert DeblurOptions().as_dict() == {
        "temporal_radius": 0,
        "global_motion": "similarity",
        "balance": 0.1,
        "tile_size": 512,
    }
    assert InterpolationOptions.names() == ("ensemble", "global_motion", "denoise_window", "adapt_steps", "fallback")
    assert DeblurOptions.names() == ("temporal_radius", "global_motion", "balance", "tile_size")
    assert MOTION_MODELS == ("translation", "similarity", "affine")


@pytest.mark.parametrize(
    "cls, kwargs, match",
    [
        (InterpolationOptions, {"denoise_window": 1}, r"denoise_window must be 0 \(off\) or an integer >= 2.*got 1\."),
        (InterpolationOptions, {"denoise_window": -2}, "denoise_window must be 0"),
        (InterpolationOptions, {"denoise_window": True}, "denoise_window must be 0"),
        (InterpolationOptions, {"denoise_window": 2.5}, "denoise_window must be 0"),
        (InterpolationOptions, {"adapt_steps": -1}, r"adapt_steps must be an integer >= 0, got -1\."),
        (InterpolationOptions, {"adapt_steps": 1.5}, "adapt_steps must be an integer >= 0"),
        (InterpolationOptions, {"global_motion": "rigid"}, r"global_motion must be none or one of .*got 'rigid'\."),
        (InterpolationOptions, {"global_motion": 3}, "global_motion must be none or one of"),
        (InterpolationOptions, {"ensemble": 3}, r"ensemble must be none or a method name, got 3\."),
        (InterpolationOptions, {"ensemble": "  "}, "ensemble must be none or a method name"),
        (DeblurOptions, {"global_motion": "rigid"}, r"global_motion must be none or one of \('translation', "),
        (DeblurOptions, {"balance": -1}, r"balance must be a number >= 0, got -1\."),
        (DeblurOptions, {"balance": True}, "balance must be a number >= 0"),
        (DeblurOptions, {"balance": float("inf")}, "balance must be finite"),
        (DeblurOptions, {"balance": float("nan")}, "balance must be a number >= 0"),
        (DeblurOptions, {"tile_size": 4}, r"tile_size must be an integer >= 8, got 4\."),
        (DeblurOptions, {"tile_size": 0}, "tile_size must be an integer >= 8"),
        (DeblurOptions, {"temporal_radius": -1}, r"temporal_radius must be an integer >= 0, got -1\."),
    ],
)
def test_validation_errors_name_the_option_and_the_value(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)


@pytest.mark.parametrize("value", [None, False, "none", "None", "OFF", " off ", "false", "no", "0"])
def test_is_off_for_the_off_spellings(value):
    assert is_off(value)


@pytest.mark.parametrize("value", [0, 2, True, "", "similarity", "dis_flow", "nothing"])
def test_is_off_for_other_values(value):
    assert not is_off(value)


def test_off_spellings_are_normalised():
    opts = InterpolationOptions(ensemble="none", global_motion="OFF", denoise_window=False)
    assert (opts.ensemble, opts.global_motion, opts.denoise_window) == (None, None, 0)
    assert opts == InterpolationOptions()  # equal to the defaults, also as a dictionary key
    assert hash(opts) == hash(InterpolationOptions())
    deblur = DeblurOptions(tile_size="none", global_motion="false")
    assert (deblur.tile_size, deblur.global_motion) == (None, None)
    # the motion models are case- and space-insensitive; a balance becomes a float
    assert InterpolationOptions(global_motion=" Affine ").global_motion == "affine"
    balance = DeblurOptions(balance=1).balance
    assert balance == 1.0 and isinstance(balance, float)


def test_from_flags_reads_hyphens_and_takes_none_as_not_given():
    opts = InterpolationOptions.from_flags({"denoise-window": 4, "global-motion": "similarity", "ensemble": None})
    assert opts == InterpolationOptions(denoise_window=4, global_motion="similarity")
    base = InterpolationOptions(ensemble="dis_flow", denoise_window=6, global_motion="affine")
    opts = InterpolationOptions.from_flags({"ensemble": None, "denoise_window": 0, "global_motion": "none"}, base=base)
    assert opts == InterpolationOptions(ensemble="dis_flow")  # None kept the base's ensemble, the others are off
    assert base.denoise_window == 6  # the base is not changed
    assert InterpolationOptions.from_flags({}, base=base) == base
    assert DeblurOptions.from_flags({"temporal_radius": 2, "tile-size": "none"}) == DeblurOptions(
        temporal_radius=2, tile_size=None
    )
    with pytest.raises(ValueError, match="denoise_window must be 0"):  # the values are checked
        InterpolationOptions.from_flags({"denoise_window": 1})


def test_from_flags_refuses_unknown_flags_listing_the_valid_ones():
    with pytest.raises(ValueError) as err:
        InterpolationOptions.from_flags({"factr": 2, "denoise_window": 4})
    assert str(err.value) == (
        "unknown option --factr; valid options: --ensemble, --global-motion, --denoise-window, --adapt-steps, "
        "--fallback."
    )
    with pytest.raises(ValueError) as err:
        DeblurOptions.from_flags({"self_ensemble": 4, "time-reversal": True})
    assert str(err.value) == (
        "unknown options --self-ensemble, --time-reversal; "
        "valid options: --temporal-radius, --global-motion, --balance, --tile-size."
    )
    with pytest.raises(ValueError, match="unknown option --adapt-lr"):  # even when its value is not given
        InterpolationOptions.from_flags({"adapt_lr": 0.001})


@pytest.mark.parametrize("cls", [InterpolationOptions, DeblurOptions])
def test_from_bundle_of_the_shipped_bundles_is_their_inference_config(cls):
    root = BUNDLES[cls]
    config = json.loads((root / "configs" / "inference.json").read_text())
    assert config["options"]["_target_"] == f"monai_angio.options.{cls.__name__}"
    opts = cls.from_bundle(root)
    assert isinstance(opts, cls)
    assert opts.as_dict() == {name: config[name] for name in cls.names()}
    assert cls.from_bundle(root.name) == opts  # by name too


def test_shipped_bundle_values():
    assert InterpolationOptions.from_bundle("cerebral_dsa_interpolation") == InterpolationOptions(
        ensemble="dis_flow_quadratic", global_motion="similarity", denoise_window=12, adapt_steps=0, fallback="dis_flow"
    )
    assert DeblurOptions.from_bundle("cerebral_dsa_deblurring") == DeblurOptions()


def test_from_bundle_without_an_options_entry_gives_the_defaults(tmp_path):
    root = _bundle(tmp_path / "b", {"factor": 3, "denoise_window": 6})  # keys alone build nothing
    assert InterpolationOptions.from_bundle(root) == InterpolationOptions()
    assert DeblurOptions.from_bundle(root) == DeblurOptions()


def test_from_bundle_parses_references_and_expressions(tmp_path):
    config = {
        "window": 6,
        "options": {
            "_target_": "monai_angio.options.InterpolationOptions",
            "denoise_window": "@window",
            "adapt_steps": "$2 * 2",
            "ensemble": "dis_flow_quadratic",
            "global_motion": "$None",
        },
    }
    opts = InterpolationOptions.from_bundle(_bundle(tmp_path / "b", config))
    assert opts == InterpolationOptions(ensemble="dis_flow_quadratic", denoise_window=6, adapt_steps=4)


def test_from_bundle_errors(tmp_path):
    with pytest.raises(ValueError, match="no bundle"):
        InterpolationOptions.from_bundle(tmp_path / "missing")
    root = _bundle(tmp_path / "b", {"options": {"_target_": "monai_angio.options.DeblurOptions"}})
    with pytest.raises(ValueError, match="'options' of configs/inference.json must build InterpolationOptions"):
        InterpolationOptions.from_bundle(root)
    assert DeblurOptions.from_bundle(root) == DeblurOptions()
    bad = _bundle(tmp_path / "c", {"options": {"_target_": "monai_angio.options.DeblurOptions", "tile_size": 4}})
    with pytest.raises(Exception) as exc:  # the bundle's bad value, raised while the entry is built
        DeblurOptions.from_bundle(bad)
    chain, e = [], exc.value
    while e is not None:
        chain.append(str(e))
        e = e.__cause__ or e.__context__
    assert any("tile_size must be an integer >= 8" in m for m in chain)


def test_labels():
    assert InterpolationOptions().label("linear") == "linear"
    full = InterpolationOptions(ensemble="dis_flow", global_motion="similarity", denoise_window=4, adapt_steps=3)
    assert full.label("m") == (
        "m (adapted 3 steps, temporal window 4, ensemble with dis_flow, global motion similarity)"
    )
    assert InterpolationOptions(global_motion="affine").label("m") == "m (global motion affine)"
    assert InterpolationOptions(fallback="dis_flow").label("m") == "m (fallback dis_flow)"
    assert InterpolationOptions(fallback="none").fallback is None
    # deblurring: global motion only matters with a temporal radius
    assert DeblurOptions().label("rdn") == "rdn"
    assert DeblurOptions(temporal_radius=2).label("rdn") == "rdn (temporal +-2 frames, global motion similarity)"
    assert DeblurOptions(temporal_radius=1, global_motion=None).label("rdn") == "rdn (temporal +-1 frames)"


def test_options_are_frozen():
    opts = InterpolationOptions(denoise_window=4)
    with pytest.raises(dataclasses.FrozenInstanceError):
        opts.denoise_window = 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        DeblurOptions().tile_size = 64
    assert opts.denoise_window == 4
    assert dataclasses.replace(opts, denoise_window=0) == InterpolationOptions()


def test_option_help_lists_every_flag_with_its_default():
    text = option_help(InterpolationOptions)
    for flag, default in (("--ensemble", "none"), ("--global-motion", "none"), ("--denoise-window", "0"),
                          ("--adapt-steps", "0"), ("--fallback", "none")):  # fmt: skip
        assert f"{flag}:" in text
        paragraph = text.split(f"{flag}:")[1].split("\n        --")[0]
        assert f"(default {default})." in " ".join(paragraph.split())
    text = option_help(DeblurOptions, indent=2)
    assert text.startswith("  --temporal-radius:")
    assert max(len(line) for line in text.splitlines()) <= 112
    words = " ".join(text.split())
    for default in ("0", "similarity", "0.1", "512"):
        assert f"(default {default})." in words
