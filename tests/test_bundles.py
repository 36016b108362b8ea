# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of the bundle registry (monai_angio.bundles): names, look-up, config parsing, network loading."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

from monai_angio.bundles import (
    BUNDLES,
    bundle_dirs,
    bundle_parser,
    bundles_of_task,
    find_bundle,
    is_bundle_path,
    load_bundle_network,
)

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "bundles"


def _bundle(root: Path, config: dict) -> Path:
    (root / "configs").mkdir(parents=True)
    (root / "configs" / "inference.json").write_text(json.dumps(config))
    return root


CONV = {"network_def": {"_target_": "torch.nn.Conv2d", "in_channels": 1, "out_channels": 1, "kernel_size": 1}}


@pytest.fixture(autouse=True)
def _no_extra_bundle_dirs(monkeypatch):
    monkeypatch.delenv("MONAI_ANGIO_BUNDLES", raising=False)


def test_every_registered_bundle_is_a_folder_of_bundles_and_the_reverse():
    assert set(BUNDLES.values()) <= {"interpolation", "deblurring"}
    for name in BUNDLES:
        assert (SHIPPED / name / "configs" / "inference.json").is_file(), name
    folders = {p.parent.parent.name for p in SHIPPED.glob("*/configs/inference.json")}
    assert folders == set(BUNDLES)  # the one list: no bundle folder left out of it


def test_find_bundle_by_name_folder_or_not_at_all(tmp_path):
    assert bundle_dirs()[-1] == SHIPPED
    name = "cerebral_dsa_interpolation"
    assert find_bundle(name) == SHIPPED / name
    assert find_bundle(SHIPPED / name) == SHIPPED / name
    assert find_bundle(str(SHIPPED / name)) == SHIPPED / name
    assert find_bundle("no_such_bundle") is None
    assert find_bundle(tmp_path) is None  # a folder without configs/inference.json
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "train.json").write_text("{}")
    assert find_bundle(tmp_path) is None


def test_find_bundle_searches_the_environment_folders_first(tmp_path, monkeypatch):
    mine = _bundle(tmp_path / "extra" / "mine", CONV)
    shadow = _bundle(tmp_path / "other" / "cerebral_dsa_interpolation", CONV)
    assert find_bundle("mine") is None
    monkeypatch.setenv("MONAI_ANGIO_BUNDLES", f"{tmp_path / 'extra'}{os.pathsep}{tmp_path / 'other'}")
    assert bundle_dirs() == [tmp_path / "extra", tmp_path / "other", SHIPPED]
    assert find_bundle("mine") == mine
    assert find_bundle("cerebral_dsa_interpolation") == shadow


def test_bundle_parser(tmp_path):
    root, parser = bundle_parser("cerebral_dsa_deblurring")
    assert root == SHIPPED / "cerebral_dsa_deblurring"
    assert parser["bundle_root"] == str(root)
    assert parser.get_parsed_content("ckpt_path") == str(root / "models" / "model.pt")
    with pytest.raises(ValueError, match=r"no bundle 'missing': expected an installed bundle's name \(a bundle folder"):
        bundle_parser("missing")
    with pytest.raises(ValueError, match=r"no bundle '\./missing': expected a folder with configs/inference.json"):
        bundle_parser("./missing")
    with pytest.raises(ValueError, match="no bundle"):
        bundle_parser(tmp_path)


def test_bundles_of_task(tmp_path, monkeypatch):
    assert bundles_of_task("interpolation") == ["cerebral_dsa_interpolation"]
    assert bundles_of_task("deblurring") == ["cerebral_dsa_deblurring"]
    assert bundles_of_task("segmentation") == []
    # a registered bundle that is not present is left out
    monkeypatch.setitem(BUNDLES, "absent_interpolation", "interpolation")
    assert bundles_of_task("interpolation") == ["cerebral_dsa_interpolation"]


def test_load_bundle_network_of_the_shipped_interpolation_bundle():
    from monai_angio.networks import MoStDSA

    net = load_bundle_network("cerebral_dsa_interpolation")
    assert isinstance(net, MoStDSA) and not net.training
    assert {p.device.type for p in net.parameters()} == {"cpu"}
    state = torch.load(SHIPPED / "cerebral_dsa_interpolation" / "models" / "model.pt", weights_only=True)
    loaded = net.state_dict()
    assert loaded.keys() == state.keys()
    assert all(torch.equal(loaded[k], state[k]) for k in state)
    with torch.no_grad():
        out = net(torch.rand(1, 1, 32, 32), torch.rand(1, 1, 32, 32), torch.tensor([[0.5]]))
    assert out.shape == (1, 1, 1, 32, 32)


def test_load_bundle_network_of_a_folder_and_its_errors(tmp_path):
    root = _bundle(tmp_path / "b", CONV)
    with pytest.raises(ValueError, match="ships no weights at .*model.pt"):
        load_bundle_network(root)
    (root / "models").mkdir()
    ref = torch.nn.Conv2d(1, 1, 1)
    torch.save({"model": ref.state_dict()}, root / "models" / "model.pt")  # a checkpoint dict is unwrapped
    net = load_bundle_network(root)
    assert not net.training
    torch.testing.assert_close(net.weight, ref.weight)
    torch.testing.assert_close(net.bias, ref.bias)
    empty = _bundle(tmp_path / "c", {"factor": 1})
    with pytest.raises(ValueError, match="defines no 'network_def'"):
        load_bundle_network(empty)
    with pytest.raises(ValueError, match="no bundle"):
        load_bundle_network(tmp_path / "missing")
    # the weights' path from the config's ckpt_path
    other = _bundle(tmp_path / "d", {**CONV, "ckpt_path": str(tmp_path / "w.pt")})
    torch.save(ref.state_dict(), tmp_path / "w.pt")
    torch.testing.assert_close(load_bundle_network(other).weight, ref.weight)


def test_a_bare_name_never_resolves_to_a_folder_in_the_working_directory(tmp_path, monkeypatch):
    """A folder named like a bundle in the current folder ran its inference.json (Python in ``$`` expressions)."""
    name = "cerebral_dsa_deblurring"
    marker = tmp_path / "PWNED"
    _bundle(tmp_path / name, {"options": f"$open({str(marker)!r}, 'w')", "network_def": CONV["network_def"]})
    _bundle(tmp_path / "only_here", CONV)
    monkeypatch.chdir(tmp_path)
    assert find_bundle(name) == SHIPPED / name  # the installed one
    assert bundle_parser(name)[0] == SHIPPED / name
    assert find_bundle("only_here") is None  # not installed: a bare name is not a path
    with pytest.raises(ValueError, match="expected an installed bundle's name"):
        load_bundle_network("only_here")
    assert not marker.exists()
    # a folder given as a path: ./name, ../x/name, an absolute path, a Path, a name holding a separator
    assert find_bundle(f"./{name}") == Path(f"./{name}")
    assert find_bundle(f"../{tmp_path.name}/only_here") == Path(f"../{tmp_path.name}/only_here")
    assert find_bundle(str(tmp_path / "only_here")) == tmp_path / "only_here"
    assert find_bundle(Path("only_here")) == Path("only_here")
    (tmp_path / "sub").mkdir()
    _bundle(tmp_path / "sub" / "b", CONV)
    assert find_bundle(os.path.join("sub", "b")) == Path("sub") / "b"
    assert not marker.exists()


@pytest.mark.parametrize(
    "value, is_path",
    [
        ("cerebral_dsa_interpolation", False),
        ("./x", True),
        ("../x", True),
        (".", True),
        ("..", True),
        ("a/b", True),
        ("/abs/x", True),
        (Path("x"), True),
        ("x.y", False),
        ("", False),
    ],
)
def test_is_bundle_path(value, is_path):
    assert is_bundle_path(value) is is_path
