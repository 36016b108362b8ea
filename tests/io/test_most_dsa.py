# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of monai_angio.io.most_dsa (MoSt-DSA dataset layout)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from monai_angio.io import read_most_dsa_list, write_most_dsa_lists, write_most_dsa_sequence
from monai_angio.io.most_dsa import load_most_dsa_item, read_most_dsa_sequence


def _sequence(rng, n, bits=8, size=(6, 7)):
    dtype = np.uint8 if bits <= 8 else np.uint16
    return (
        rng.integers(0, 2**bits, size).astype(dtype),
        rng.integers(0, 2**bits, (n, *size)).astype(dtype),
        rng.integers(0, 2**bits, size).astype(dtype),
    )


def test_write_then_read(tmp_path, rng):
    seqs = {"Data_part_1/Sequence_3": _sequence(rng, 3), "Data_part_2/Sequence_10": _sequence(rng, 1, bits=12)}
    for name, (f0, tg, f1) in seqs.items():
        folder = write_most_dsa_sequence(tmp_path, name, f0, tg, f1, bits_stored=8 if tg.dtype == np.uint8 else 12)
        assert folder == tmp_path / name
    seq = tmp_path / "Data_part_1" / "Sequence_3"
    assert sorted(p.name for p in seq.iterdir()) == [
        "frame_1.png",
        "frame_2_gt.png",
        "frame_3_gt.png",
        "frame_4_gt.png",
        "frame_5.png",
    ]
    write_most_dsa_lists(tmp_path, train=["Data_part_1/Sequence_3"], test=["Data_part_2/Sequence_10"])
    assert (tmp_path / "TrainList.txt").read_text() == "Data_part_1/Sequence_3\n"
    train = read_most_dsa_list(tmp_path, "train")
    test = read_most_dsa_list(tmp_path, split="test")
    assert len(train) == 1 and len(test) == 1
    item = train[0]
    assert item["sequence"] == "Data_part_1/Sequence_3"
    assert item["frame0"].endswith("frame_1.png") and item["frame1"].endswith("frame_5.png")
    assert [p.rsplit("/", 1)[-1] for p in item["target"]] == ["frame_2_gt.png", "frame_3_gt.png", "frame_4_gt.png"]
    assert item["time"] == pytest.approx([0.25, 0.5, 0.75])
    assert test[0]["time"] == pytest.approx([0.5])
    for items, name in ((train, "Data_part_1/Sequence_3"), (test, "Data_part_2/Sequence_10")):
        loaded = load_most_dsa_item(items[0])
        f0, tg, f1 = seqs[name]
        np.testing.assert_array_equal(loaded["frame0"], f0)
        np.testing.assert_array_equal(loaded["frame1"], f1)
        np.testing.assert_array_equal(loaded["target"], tg)
        assert loaded["target"].dtype == tg.dtype and loaded["time"].dtype == np.float32


def test_rewrite_removes_stale_frames(tmp_path, rng):
    write_most_dsa_sequence(tmp_path, "s", *_sequence(rng, 4), bits_stored=8)
    write_most_dsa_sequence(tmp_path, "s", *_sequence(rng, 1), bits_stored=8)
    item = read_most_dsa_sequence(tmp_path / "s")
    assert len(item["target"]) == 1


def test_list_skips_comments_and_blank_lines(tmp_path, rng):
    write_most_dsa_sequence(tmp_path, "a/b", *_sequence(rng, 2), bits_stored=8)
    (tmp_path / "TrainList.txt").write_text("# comment\n\na\\b\r\n")
    items = read_most_dsa_list(tmp_path)
    assert [i["sequence"] for i in items] == ["a/b"]


def test_bad_layouts(tmp_path, rng):
    with pytest.raises(ValueError, match="split"):
        read_most_dsa_list(tmp_path, "val")
    with pytest.raises(FileNotFoundError, match="TrainList.txt"):
        read_most_dsa_list(tmp_path)
    (tmp_path / "TrainList.txt").write_text("missing/seq\n")
    with pytest.raises(FileNotFoundError, match=r"TrainList.txt:1.*missing/seq"):
        read_most_dsa_list(tmp_path)
    folder = write_most_dsa_sequence(tmp_path, "s", *_sequence(rng, 2), bits_stored=8)
    (folder / "frame_3_gt.png").unlink()
    with pytest.raises(ValueError, match=r"frame numbers \[3\] missing"):
        read_most_dsa_sequence(folder)
    cv2.imwrite(str(folder / "frame_3.png"), np.zeros((6, 7), np.uint8))  # an intermediate without _gt
    with pytest.raises(ValueError, match="frame_3.png"):
        read_most_dsa_sequence(folder)
    (tmp_path / "TestList.txt").write_text("../outside\n")
    with pytest.raises(ValueError, match="relative path inside"):
        read_most_dsa_list(tmp_path, "test")


def test_write_bad_input(tmp_path, rng):
    f0, tg, f1 = _sequence(rng, 2)
    with pytest.raises(ValueError, match="sizes differ"):
        write_most_dsa_sequence(tmp_path, "s", f0, tg, f1[:, :-1], bits_stored=8)
    with pytest.raises(ValueError, match="range"):
        write_most_dsa_sequence(tmp_path, "s", f0, tg.astype(np.uint16) + 300, f1, bits_stored=8)
    with pytest.raises(ValueError, match="relative path"):
        write_most_dsa_sequence(tmp_path, "/abs", f0, tg, f1, bits_stored=8)
    with pytest.raises(ValueError, match="relative path"):
        write_most_dsa_lists(tmp_path, ["../x"], [])
    assert not (tmp_path / "s").exists() and not (tmp_path / "TrainList.txt").exists()
