# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of monai_angio.engines.handlers."""

from __future__ import annotations

import importlib.util

import pytest
from ignite.engine import Engine

from monai_angio.engines import SetEpochHandler, optional_tensorboard_handler


class _Target:
    def __init__(self):
        self.epochs = []

    def set_epoch(self, epoch):
        self.epochs.append(epoch)


def test_set_epoch_handler_follows_the_engine():
    target = _Target()
    engine = Engine(lambda e, b: None)
    SetEpochHandler(target).attach(engine)
    engine.run([0, 1], max_epochs=3)
    assert target.epochs == [1, 2, 3]
    with pytest.raises(TypeError, match="set_epoch"):
        SetEpochHandler(object())


def test_optional_tensorboard_handler(tmp_path):
    if importlib.util.find_spec("tensorboard") is None:
        with pytest.warns(UserWarning, match="tensorboard"):
            handler = optional_tensorboard_handler(log_dir=str(tmp_path))
        engine = Engine(lambda e, b: None)
        handler.attach(engine)  # a no-op that must not fail
        engine.run([0], max_epochs=1)
    else:
        from monai.handlers import TensorBoardStatsHandler

        assert isinstance(optional_tensorboard_handler(log_dir=str(tmp_path)), TensorBoardStatsHandler)
