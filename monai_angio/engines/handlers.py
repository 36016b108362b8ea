# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Ignite handlers for the interpolation workflows."""

from __future__ import annotations

import importlib.util
import logging
import warnings
from typing import Any

__all__ = ["SetEpochHandler", "optional_tensorboard_handler"]


class SetEpochHandler:
    """Call ``target.set_epoch(engine.state.epoch)`` when every epoch starts (e.g. to switch loss terms on).

    Args:
        target: any object with a ``set_epoch(int)`` method, such as :class:`~monai_angio.losses.MoStDSALoss`.
    """

    def __init__(self, target: Any) -> None:
        if not callable(getattr(target, "set_epoch", None)):
            raise TypeError(f"SetEpochHandler: {type(target).__name__} has no set_epoch method.")
        self.target = target

    def attach(self, engine: Any) -> None:
        from ignite.engine import Events

        engine.add_event_handler(Events.EPOCH_STARTED, self)

    def __call__(self, engine: Any) -> None:
        self.target.set_epoch(engine.state.epoch)


class _NoOpHandler:
    def attach(self, engine: Any) -> None:
        logging.getLogger(__name__).info("TensorBoard logging disabled: the tensorboard package is not installed.")


def optional_tensorboard_handler(**kwargs: Any) -> Any:
    """MONAI's ``TensorBoardStatsHandler(**kwargs)`` when the ``tensorboard`` package is installed, else a no-op
    handler (with a warning), so bundle configs run either way."""
    if importlib.util.find_spec("tensorboard") is None:
        warnings.warn("tensorboard is not installed: TensorBoard logging is skipped.", UserWarning, stacklevel=2)
        return _NoOpHandler()
    from monai.handlers import TensorBoardStatsHandler

    return TensorBoardStatsHandler(**kwargs)
