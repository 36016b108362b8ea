# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""MONAI Deploy application: DICOM cine in, interpolation bundle per frame pair, derived DICOM cine out.

Run (CPU or GPU; Holoscan wants a 32 MB stack)::

    ulimit -s 32768
    python apps/cine_interpolation/app.py -i cine.dcm -o out/ -m bundles/cerebral_dsa_interpolation

``-i`` is a multi-frame DICOM file (or a folder holding one, or a folder of one series), ``-m`` the bundle folder
(``models/model.ts`` is used when present, else ``models/model.pt`` with the ``network_def`` of
``configs/inference.json``), ``-o`` the output folder. The graph is::

    CineSourceOperator --image--> BundleFrameInferenceOperator --pred--> CineWriterOperator

The source emits one ``(2, H, W)`` frame pair in [0, 1] per tick (a ``CountCondition`` stops it after ``T - 1``
pairs); the bundle operator is the SDK's ``MonaiBundleInferenceOperator`` with one change: the SDK converts an
``image`` output to ``uint8`` (a segmentation habit), which would destroy an intensity frame, so this subclass emits
the float frame as it is. The bundle's own file-based ``preprocessing``/``postprocessing`` are not used (the SDK
passes in-memory images); a bundle may define ``deploy_preprocessing``, ``deploy_postprocessing`` and
``deploy_inferer`` for that, otherwise the network gets the pair directly (``SimpleInferer``).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np
from monai.deploy.conditions import CountCondition
from monai.deploy.core import AppContext, Application, Fragment, Image, IOType, Operator, OperatorSpec
from monai.deploy.operators.monai_bundle_inference_operator import (
    BundleConfigNames,
    IOMapping,
    MonaiBundleInferenceOperator,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cine_logic import Cine, load_cine, make_pairs, write_interpolated  # noqa: E402

__all__ = ["BundleFrameInferenceOperator", "CineInterpolationApp", "CineSourceOperator", "CineWriterOperator"]

DEPLOY_CONFIG_NAMES = BundleConfigNames(
    preproc_name="deploy_preprocessing",
    postproc_name="deploy_postprocessing",
    inferer_name="deploy_inferer",
    config_names=["inference"],
)


class CineSourceOperator(Operator):
    """Emits the consecutive frame pairs of a cine, one ``Image`` ``(2, H, W)`` float32 per call."""

    def __init__(self, fragment: Fragment, *args: Any, cine: Cine, **kwargs: Any) -> None:
        self.cine = cine
        self.pairs = make_pairs(cine.frames).astype(np.float32)
        self.index = 0
        super().__init__(fragment, *args, **kwargs)

    def setup(self, spec: OperatorSpec) -> None:
        spec.output("image")

    def compute(self, op_input, op_output, context) -> None:
        pair = self.pairs[self.index]
        self.index += 1
        op_output.emit(Image(pair, metadata={}), "image")


class BundleFrameInferenceOperator(MonaiBundleInferenceOperator):
    """The SDK bundle operator, emitting the predicted frame as float32 ``(H, W)`` instead of ``uint8``."""

    def _send_output(self, value: Any, name: str, metadata: dict, op_output, context) -> None:
        array = value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)
        op_output.emit(np.squeeze(array).astype(np.float32), name)


class CineWriterOperator(Operator):
    """Collects the synthesized frames and writes the interleaved derived DICOM after the last pair."""

    def __init__(self, fragment: Fragment, *args: Any, cine: Cine, output: Path, method: str, **kwargs: Any) -> None:
        self.cine = cine
        self.output = Path(output)
        self.method = method
        self.written: Path | None = None
        super().__init__(fragment, *args, **kwargs)

    def setup(self, spec: OperatorSpec) -> None:
        spec.input("pred")

    def compute(self, op_input, op_output, context) -> None:
        frame = op_input.receive("pred")
        self.cine.predictions.append(np.asarray(frame.asnumpy() if isinstance(frame, Image) else frame))
        if len(self.cine.predictions) == self.cine.num_pairs:
            self.written = write_interpolated(self.cine, self.cine.predictions, self.output, self.method)
            logging.info(f"CineWriterOperator: wrote {self.written}")


class CineInterpolationApp(Application):
    """DICOM cine -> interpolation bundle (frame at t = 0.5 between each pair) -> derived DICOM cine (2T - 1 frames)."""

    def compose(self) -> None:
        app_context: AppContext = Application.init_app_context(self.argv)
        bundle = Path(app_context.model_path)
        if not (bundle / "configs" / "inference.json").is_file():
            raise ValueError(f"CineInterpolationApp: {bundle} is not a bundle folder (no configs/inference.json).")
        # The SDK's model factory wraps a bundle folder in a generic Model that cannot predict; the bundle operator
        # loads the folder itself (models/model.ts, or models/model.pt with network_def).
        app_context.models = None
        cine = load_cine(app_context.input_path)
        source = CineSourceOperator(self, CountCondition(self, cine.num_pairs), cine=cine, name="cine_source")
        infer = BundleFrameInferenceOperator(
            self,
            app_context=app_context,
            bundle_path=bundle,
            bundle_config_names=DEPLOY_CONFIG_NAMES,
            input_mapping=[IOMapping("image", Image, IOType.IN_MEMORY)],
            output_mapping=[IOMapping("pred", Image, IOType.IN_MEMORY)],
            name="bundle_inference",
        )
        writer = CineWriterOperator(
            self, cine=cine, output=Path(app_context.output_path), method=f"{bundle.name} (MONAI Deploy)", name="writer"
        )
        self.add_flow(source, infer, {("image", "image")})
        self.add_flow(infer, writer, {("pred", "pred")})


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    CineInterpolationApp().run()
