# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""The test-time options of each task, declared once.

One frozen dataclass per task holds its options with their defaults, checks and help. The command line builds it
from its flags (:meth:`~TaskOptions.from_flags`), a bundle from its ``configs/inference.json``
(:meth:`~TaskOptions.from_bundle`, which parses the config's ``options`` entry), and the inferers take it. Adding an
option touches its field here and its implementation.
"""

from __future__ import annotations

import dataclasses
import math
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from monai.utils import look_up_option

__all__ = ["DeblurOptions", "InterpolationOptions", "MOTION_MODELS", "is_off", "option_help"]

#: the global-motion models (``global_motion`` options); ``None`` is off
MOTION_MODELS = ("translation", "similarity", "affine")
#: values that switch an optional method off, as a user writes them on a command line or in a config
_OFF = ("none", "off", "false", "no", "0")

T = TypeVar("T", bound="TaskOptions")


def is_off(value: Any) -> bool:
    """Whether ``value`` switches an optional method off: ``None``, ``False``, ``none``/``off``/``false`` (any case)."""
    return value is None or value is False or (isinstance(value, str) and value.strip().lower() in _OFF)


def _int(value: Any, name: str, minimum: int, off: int | None = None) -> int:
    """``value`` checked as an integer >= ``minimum``; an off-spelling (:func:`is_off`) gives ``off`` when allowed."""
    if off is not None and is_off(value):
        return off
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return value


def _motion(value: Any, name: str = "global_motion") -> str | None:
    if is_off(value):
        return None
    if not isinstance(value, str) or value.strip().lower() not in MOTION_MODELS:
        raise ValueError(f"{name} must be none or one of {MOTION_MODELS}, got {value!r}.")
    return look_up_option(value.strip().lower(), MOTION_MODELS)


def _field(default: Any, help: str) -> Any:
    return dataclasses.field(default=default, metadata={"help": help})


@dataclasses.dataclass(frozen=True)
class TaskOptions:
    """Base of the options dataclasses: construction from flags or a bundle, and the label of a run."""

    #: the key of a bundle's ``inference.json`` that builds the options object
    config_key: ClassVar[str] = "options"

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The option names (the dataclass fields, also the command-line flags and the bundle's config keys)."""
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def from_flags(cls: type[T], flags: Mapping[str, Any], base: T | None = None) -> T:
        """The options ``base`` (default: the dataclass defaults) with the given ``flags`` replacing its values.

        Flags whose value is ``None`` are not given. Hyphens in names are read as underscores.

        Raises:
            ValueError: an unknown option, naming the valid ones.
        """
        given = {str(k).replace("-", "_"): v for k, v in flags.items() if v is not None}
        unknown = sorted(set(given) - set(cls.names()))
        if unknown:
            flag = lambda name: "--" + name.replace("_", "-")  # noqa: E731
            raise ValueError(
                f"unknown option{'s' if len(unknown) > 1 else ''} {', '.join(map(flag, unknown))}; "
                f"valid options: {', '.join(map(flag, cls.names()))}."
            )
        return dataclasses.replace(base if base is not None else cls(), **given)

    @classmethod
    def from_bundle(cls: type[T], bundle: str | Path) -> T:
        """The options a bundle's ``configs/inference.json`` sets in its ``options`` entry (what
        ``python -m monai.bundle run`` uses), or the defaults when it has none."""
        from monai_angio.bundles import bundle_parser

        _, parser = bundle_parser(bundle)
        if cls.config_key not in parser:
            return cls()
        options = parser.get_parsed_content(cls.config_key)
        if not isinstance(options, cls):
            raise ValueError(
                f"bundle {bundle}: '{cls.config_key}' of configs/inference.json must build {cls.__name__}."
            )
        return options

    def as_dict(self) -> dict[str, Any]:
        """The options as a plain dictionary (reports, JSON)."""
        return dataclasses.asdict(self)

    def parts(self) -> list[str]:
        """The options that are on, as short phrases for :meth:`label`."""
        raise NotImplementedError

    def label(self, method: str) -> str:
        """``method (option, option, ...)``: the name written into reports and the DICOM DerivationDescription."""
        parts = self.parts()
        return f"{method} ({', '.join(parts)})" if parts else method


@dataclasses.dataclass(frozen=True)
class InterpolationOptions(TaskOptions):
    """Test-time options of frame interpolation over a cine
    (:func:`~monai_angio.inferers.interpolate_cine`, ``monai-angio interpolate``, interpolation bundles).

    Every option defaults to off; an interpolation bundle's ``inference.json`` holds its recommended setting.
    """

    ensemble: str | None = _field(
        None,
        "a second method (dis_flow_quadratic, dis_flow, ...) whose frames are averaged with the method's; none: off",
    )
    global_motion: str | None = _field(
        None,
        "translation, similarity or affine: remove the global (camera, patient) motion of each frame pair before the "
        "network sees it and put it back in the synthesized frames; pairs moving less than 1 pixel are left as they "
        "are; none: off",
    )
    denoise_window: int = _field(
        0,
        "R >= 2: pull each synthesized frame towards a line in time through up to R acquired frames on each side of "
        "its gap, where the scene follows it (less quantum noise); 0: off",
    )
    adapt_steps: int = _field(
        0, "fine-tune a network method for this many steps on the input's own acquired frames first; 0: off"
    )
    fallback: str | None = _field(
        None,
        "a second method (dis_flow, ...) scored against the method with its options on the input's own acquired "
        "frames (every other one synthesized from its neighbours); the closer of the two interpolates the input; "
        "none: off",
    )

    def __post_init__(self) -> None:
        ensemble = None if is_off(self.ensemble) else self.ensemble
        if ensemble is not None and (not isinstance(ensemble, str) or not ensemble.strip()):
            raise ValueError(f"ensemble must be none or a method name, got {self.ensemble!r}.")
        object.__setattr__(self, "ensemble", ensemble)
        object.__setattr__(self, "global_motion", _motion(self.global_motion))
        window = 0 if is_off(self.denoise_window) else self.denoise_window
        if isinstance(window, bool) or not isinstance(window, int) or not (window == 0 or window >= 2):
            raise ValueError(
                f"denoise_window must be 0 (off) or an integer >= 2 (acquired frames on each side of a gap), "
                f"got {self.denoise_window!r}."
            )
        object.__setattr__(self, "denoise_window", window)
        object.__setattr__(self, "adapt_steps", _int(self.adapt_steps, "adapt_steps", 0, off=0))
        fallback = None if is_off(self.fallback) else self.fallback
        if fallback is not None and (not isinstance(fallback, str) or not fallback.strip()):
            raise ValueError(f"fallback must be none or a method name, got {self.fallback!r}.")
        object.__setattr__(self, "fallback", fallback)

    def parts(self) -> list[str]:
        return (
            ([f"adapted {self.adapt_steps} steps"] if self.adapt_steps else [])
            + ([f"temporal window {self.denoise_window}"] if self.denoise_window else [])
            + ([f"ensemble with {self.ensemble}"] if self.ensemble else [])
            + ([f"global motion {self.global_motion}"] if self.global_motion else [])
            + ([f"fallback {self.fallback}"] if self.fallback else [])
        )

    def run_label(self, method: str, choices: Mapping[str, Any]) -> str:
        """:meth:`label` of a run, naming the fallback when it interpolated the input (``choices`` of an
        :class:`~monai_angio.inferers.InterpolationResult`)."""
        label = self.label(method)
        return f"{label}: {self.fallback} chosen on this input" if choices.get("fallback_chosen") else label


@dataclasses.dataclass(frozen=True)
class DeblurOptions(TaskOptions):
    """Test-time options of cine deblurring (:func:`~monai_angio.inferers.deblur.deblur_cine_with_options`,
    ``monai-angio deblur``, the deblurring bundle).

    The command line takes the bundle's values for the options not given.
    """

    temporal_radius: int = _field(
        0,
        "use this many neighbouring frames on each side (a cine of at least 3 frames); with the focal-spot geometry "
        "known the non-blind temporal network, else the blind one; 0: each frame alone",
    )
    global_motion: str | None = _field(
        "similarity",
        "with temporal_radius, resample the neighbours to each frame's geometry first (translation, similarity or "
        "affine); neighbours moving less than 1 pixel are used as they are; none: unaligned",
    )
    balance: float = _field(
        0.1, "regularisation of the deconvolution step of temporal_radius when the bundle lacks the non-blind network"
    )
    tile_size: int | None = _field(512, "frames larger than this are restored in overlapping tiles; none: whole frames")

    def __post_init__(self) -> None:
        object.__setattr__(self, "temporal_radius", _int(self.temporal_radius, "temporal_radius", 0, off=0))
        object.__setattr__(self, "global_motion", _motion(self.global_motion))
        if isinstance(self.balance, bool) or not isinstance(self.balance, (int, float)) or not self.balance >= 0:
            raise ValueError(f"balance must be a number >= 0, got {self.balance!r}.")
        if not math.isfinite(self.balance):
            raise ValueError(f"balance must be finite, got {self.balance!r}.")
        object.__setattr__(self, "balance", float(self.balance))
        tile = None if is_off(self.tile_size) else self.tile_size
        if tile is not None:
            _int(tile, "tile_size", 8)
        object.__setattr__(self, "tile_size", tile)

    def parts(self) -> list[str]:
        if not self.temporal_radius:
            return []
        return [f"temporal +-{self.temporal_radius} frames"] + (
            [f"global motion {self.global_motion}"] if self.global_motion else []
        )


def option_help(cls: type[TaskOptions], indent: int = 8, width: int = 112) -> str:
    """The options of ``cls`` as ``--flag: help (default ...)`` paragraphs, for command-line help."""
    lines = []
    for f in dataclasses.fields(cls):
        default = "none" if f.default is None else f.default
        text = f"--{f.name.replace('_', '-')}: {f.metadata.get('help', '')} (default {default})."
        lines.append(textwrap.fill(text, width, initial_indent=" " * indent, subsequent_indent=" " * (indent + 4)))
    return "\n".join(lines)
