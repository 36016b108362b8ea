# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Train the temporal deblurring network: the RDN of cerebral_dsa_deblurring with the neighbours' mean as 2nd channel.

The network (:class:`monai_angio.networks.RDNDeblur` with ``in_channels=2, out_channels=1``) sees a large-focal-spot
frame and the mean of its neighbouring frames (``--radius`` on each side) and restores the frame; the neighbours show
the same anatomy with independent noise. It starts from the single-frame weights (``--pretrained``, default the
bundle's ``models/model.pt``) with the new channel's first-layer weights at zero, so training starts from the
single-frame network and learns how much to take from the neighbours.

Data: consecutive frames of the first 70 % of each cine (``--data``, one or more; the last 4 training frames of the
first one for validation, the last 30 % never used) and ``--phantoms`` DSA phantom cines of 4 filled frames, degraded
as the single-frame training (focal spot 0.3-1.5 mm, SOD 750 mm, SID 1100 mm, 0.154 mm pixels, Poisson noise 1e4-1e5
quanta (``--photons``, log-uniform; narrow it to a site's dose), the same focal spot for the frames of a window and
independent noise) by :class:`monai_angio.data.deblur.TemporalDeblurPatchDataset`; with probability ``--drift-prob``
the neighbours drift by a whole pixel per frame, so the network learns to reject neighbours that do not match. Patches
40x40 every 20 px (``--patch-size``), batch 128, flips and 90-degree rotations, l1 loss (``--loss mse`` for l2), Adam
with the learning rate divided by 10 after 60 % of the epochs, MONAI ``SupervisedTrainer``; after every epoch the PSNR
on 256² crops of the 4 validation frames (0.6/0.9/1.2 mm, 2e4 quanta) and the best weights are saved to ``--out``.
``--num-blocks`` larger than the ``--pretrained`` network's appends residual dense blocks that start as the identity
(:func:`grow_state_dict`), so training starts from the given weights' results.

With ``--kernel-channel`` it trains the **non-blind** temporal network instead (3 input channels; default start
``models/model_temporal.pt``, default output ``models/model_kernel.pt``): a third, constant channel holds half the
width of each window's focal-spot kernel (:func:`monai_angio.phantoms.kernel_channel_value`), its first-layer weights
starting at zero, and the validation tells it the true kernel.

Usage:
    python scripts/train_temporal_deblur.py [--epochs 12] [--epoch-length 70] [--lr 3e-4] [--threads 2]
        [--out bundles/cerebral_dsa_deblurring/models/model_temporal.pt] [--loss l1|mse] [--photons 1e4 1e5]
        [--patch-size 40] [--num-blocks 10]
    python scripts/train_temporal_deblur.py --kernel-channel   # -> models/model_kernel.pt

The shipped ``models/model_temporal.pt`` (bundle 0.1.4) is two runs on the 2-core development CPU:
(1) the defaults (from the single-frame ``models/model.pt``; 12 epochs of 70 iterations, learning rate 3e-4 and 3e-3
for the first layer, divided by 10 after epoch 7; 34 min; validation 39.95 -> 40.16 dB, mean of 0.6/0.9/1.2 mm), then
(2) ``--pretrained <run 1> --epochs 10`` (27 min; best validation 40.26 dB at epoch 6, the weights shipped). Without
the faster first layer, 3 epochs moved the validation PSNR by less than 0.02 dB: the neighbour channel's weights stayed
near zero.

The shipped ``models/model_kernel.pt`` (bundle 0.1.5) is one run of ``--kernel-channel`` with the defaults from the
shipped ``model_temporal.pt`` (12 epochs of 70 iterations, 40 min on the 2-core CPU; best validation 40.43 dB at
epoch 10, from 40.26 dB). With the kernel channel dropped (set to "unknown") in 30 % of the windows, so that one
network would serve both cases, the told network reached only 40.30 dB in 9 epochs: two networks are shipped.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from ignite.engine import Events
from monai.engines import SupervisedTrainer
from monai.transforms import Compose, RandFlipd, RandRotate90d

REPO = Path(__file__).resolve().parents[1]
BUNDLE = REPO / "bundles" / "cerebral_dsa_deblurring"
sys.path.insert(0, str(REPO))

from monai_angio.data.deblur import (  # noqa: E402
    DeblurEvalDataset,
    FocalSpotDegradation,
    TemporalDeblurPatchDataset,
    load_frames,
    phantom_frames,
)
from monai_angio.inferers.deblur import OffsetInferer  # noqa: E402
from monai_angio.inferers.temporal_deblur import takes_kernel, temporal_anatomy  # noqa: E402
from monai_angio.metrics import psnr  # noqa: E402
from monai_angio.networks import RDNDeblur  # noqa: E402

ARCH = {"num_features": 32, "num_blocks": 6, "num_layers": 4, "growth_rate": 16}
GEOMETRY = {"profile": "gaussian", "sod_mm": 750.0, "sid_mm": 1100.0, "pixel_spacing_mm": 0.154}
INPUT_OFFSET = 0.6
LOSSES = {"l1": torch.nn.L1Loss, "mse": torch.nn.MSELoss}
DSA = REPO.parent / "shared" / "data" / "dsa" / "cerebral_lateral_2d"


def grow_state_dict(state: dict[str, torch.Tensor], target: RDNDeblur) -> dict[str, torch.Tensor]:
    """Weights for ``target``, an RDN with more input channels or more blocks than the one of ``state``, that compute
    the same function: each tensor of ``state`` fills the leading part of ``target``'s; the rest is zero (the first
    layer's weights of new input channels, the dense fusion's weights of new blocks' outputs, new blocks' local fusion,
    so that a new block is the identity) except the dense layers of new blocks, which keep ``target``'s initialisation.
    """
    grown = {}
    for key, init in target.state_dict().items():
        old = state.get(key)
        if old is None:
            grown[key] = torch.zeros_like(init) if key.startswith("blocks.") and ".fusion." in key else init
            continue
        if old.ndim != init.ndim or any(o > n for o, n in zip(old.shape, init.shape, strict=True)):
            raise ValueError(f"cannot grow {key} of shape {tuple(old.shape)} into {tuple(init.shape)}")
        grown[key] = torch.zeros_like(init)
        grown[key][tuple(slice(0, o) for o in old.shape)] = old
    return grown


def validation_psnr(net: torch.nn.Module, frames: list[np.ndarray], radius: int) -> dict[float, float]:
    """Mean PSNR of the temporal network on 256² crops of ``frames`` (one cine) per focal-spot size; a non-blind
    network (3 input channels) is told the true kernel."""
    out = {}
    for spot in (0.6, 0.9, 1.2):
        ds = DeblurEvalDataset(frames, [spot], 2.0e4, roi_size=256, seed=7, **GEOMETRY)
        items = [ds[i] for i in range(len(ds))]
        y = torch.stack([it["image"] for it in items])
        x = torch.stack([it["label"] for it in items])
        kernel = ds.degradation.kernel(spot) if takes_kernel(net) else None
        restored = temporal_anatomy(y, net, radius, kernel=kernel, progress=False, input_offset=INPUT_OFFSET)
        out[spot] = float(psnr(restored, x, 1.0).mean())
    return out


def _joined(scores: dict[float, float]) -> str:
    """``"a / b / c"``: the validation PSNR per focal-spot size, for the log."""
    return " / ".join(f"{v:.3f}" for v in scores.values())


def batch_loss(output) -> float:
    """The loss of a ``SupervisedTrainer`` iteration output (a dict, or a decollated list of dicts)."""
    return float((output[0] if isinstance(output, list) else output)["loss"])


def main(argv: list[str] | None = None) -> dict:
    """Train; returns the log written beside the weights (arguments, validation history, best epoch)."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, nargs="+", default=[DSA],
                    help="training cines (DICOM files, frame folders, videos); each is split in time")  # fmt: skip
    ap.add_argument(
        "--pretrained",
        type=Path,
        default=None,
        help="weights to start from, grown with no-op weights for new input channels or blocks (default: the "
        "single-frame models/model.pt; with --kernel-channel the temporal models/model_temporal.pt)",
    )
    ap.add_argument("--out", type=Path, default=None,
                    help="default models/model_temporal.pt; with --kernel-channel models/model_kernel.pt")  # fmt: skip
    ap.add_argument("--radius", type=int, default=2)
    ap.add_argument("--phantoms", type=int, default=8)
    ap.add_argument("--photons", type=float, nargs=2, default=[1.0e4, 1.0e5], metavar=("LOW", "HIGH"),
                    help="range of quanta per pixel (log-uniform) of the training noise")  # fmt: skip
    ap.add_argument("--drift-prob", type=float, default=0.25)
    ap.add_argument(
        "--kernel-channel",
        action="store_true",
        help="train the non-blind network: a third input channel tells it the kernel",
    )
    ap.add_argument("--num-blocks", type=int, default=None,
                    help="residual dense blocks (default: as --pretrained, or 6); more than --pretrained has appends "
                    "blocks that start as the identity")  # fmt: skip
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--epoch-length", type=int, default=70)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--patch-size", type=int, default=40, help="training patch side; patches every half side")
    ap.add_argument("--lr", type=float, default=3.0e-4)
    ap.add_argument("--loss", choices=sorted(LOSSES), default="l1", help="training loss")
    ap.add_argument("--first-lr-mult", type=float, default=10.0, help="learning-rate factor of the first layer")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if not 0 < args.photons[0] <= args.photons[1]:
        ap.error(f"--photons needs 0 < LOW <= HIGH, got {args.photons[0]:g} {args.photons[1]:g}")
    if args.num_blocks is not None and args.num_blocks < 1:
        ap.error(f"--num-blocks must be at least 1, got {args.num_blocks}")
    if args.patch_size < 2:
        ap.error(f"--patch-size must be at least 2, got {args.patch_size}")
    models = BUNDLE / "models"
    if args.pretrained is None:
        args.pretrained = models / ("model_temporal.pt" if args.kernel_channel else "model.pt")
    if args.out is None:
        args.out = models / ("model_kernel.pt" if args.kernel_channel else "model_temporal.pt")
    state = None
    if args.pretrained and args.pretrained.is_file():
        state = torch.load(args.pretrained, map_location="cpu", weights_only=True)
    given = RDNDeblur.num_blocks_in(state) if state is not None else None  # blocks of the --pretrained network
    blocks = args.num_blocks or given or ARCH["num_blocks"]
    if given is not None and blocks < given:
        ap.error(f"--num-blocks {blocks} is fewer than the {given} blocks of {args.pretrained}")
    for source in args.data:
        if not source.exists():
            raise SystemExit(f"error: training frames not found at {source} (give --data)")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    cines = [load_frames(source, part="train", val_frames=4) for source in args.data]
    filled = phantom_frames(args.phantoms, 256, frames_per_phantom=4) if args.phantoms else []
    cines += [filled[i : i + 4] for i in range(0, len(filled), 4)]
    val = load_frames(args.data[0], part="val", val_frames=4)  # the first cine's validation frames
    keys = ["image", "label"]
    transform = Compose([RandFlipd(keys, 0.5, 0), RandFlipd(keys, 0.5, 1), RandRotate90d(keys, 0.75)])
    degradation = FocalSpotDegradation((0.3, 1.5), tuple(args.photons), seed=args.seed, **GEOMETRY)
    dataset = TemporalDeblurPatchDataset(
        cines, args.radius, args.patch_size, args.patch_size // 2, degradation, transform, seed=args.seed,
        drift_prob=args.drift_prob, kernel_channel=args.kernel_channel, input_offset=INPUT_OFFSET,
    )  # fmt: skip
    in_channels = 3 if args.kernel_channel else 2
    sampler = torch.utils.data.RandomSampler(dataset, num_samples=args.epoch_length * args.batch_size)
    loader = torch.utils.data.DataLoader(dataset, args.batch_size, sampler=sampler, num_workers=1)

    net = RDNDeblur(in_channels=in_channels, out_channels=1, **{**ARCH, "num_blocks": blocks})
    if state is not None:
        grow = state["shallow1.weight"].shape[1] < in_channels or given < blocks
        net.load_state_dict(grow_state_dict(state, net))  # ValueError for fewer input channels than --pretrained
        print(f"started from {args.pretrained}" + (" (grown: new channels and blocks start as no-ops)" if grow else ""))
    # Adam moves a weight by about lr per step: the new channel's weights start at zero and must grow to the size
    # of the trained ones, so the first layer learns ``--first-lr-mult`` times faster
    first = list(net.shallow1.parameters())
    rest = [p for n, p in net.named_parameters() if not n.startswith("shallow1.")]
    optimizer = torch.optim.Adam(
        [{"params": first, "lr": args.lr * args.first_lr_mult}, {"params": rest, "lr": args.lr}], lr=args.lr
    )
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, [int(round(0.6 * args.epochs))], 0.1)
    trainer = SupervisedTrainer(
        device=torch.device("cpu"),
        max_epochs=args.epochs,
        train_data_loader=loader,
        network=net,
        optimizer=optimizer,
        loss_function=LOSSES[args.loss](),
        inferer=OffsetInferer(INPUT_OFFSET),
        epoch_length=args.epoch_length,
    )
    history: list[dict] = []
    best = {"psnr": -np.inf}
    start = time.time()

    def validate(engine) -> None:
        scheduler.step()
        scores = validation_psnr(net, val, args.radius)
        mean = float(np.mean(list(scores.values())))
        loss = batch_loss(engine.state.output)
        history.append({"epoch": engine.state.epoch, "val_psnr": scores, "val_mean": mean, "loss": loss,
                        "minutes": (time.time() - start) / 60})  # fmt: skip
        if mean > best["psnr"]:
            best.update(psnr=mean, epoch=engine.state.epoch)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            torch.save(net.state_dict(), args.out)
        print(f"epoch {engine.state.epoch}: val PSNR " + _joined(scores)
              + f" (mean {mean:.3f}, best {best['psnr']:.3f} at {best['epoch']}), {(time.time() - start) / 60:.1f} min",
              flush=True)  # fmt: skip

    def log_iteration(engine) -> None:
        if engine.state.iteration % 10 == 0:
            print(f"  it {engine.state.iteration}: loss {batch_loss(engine.state.output):.5f}", flush=True)

    trainer.add_event_handler(Events.EPOCH_COMPLETED, validate)
    trainer.add_event_handler(Events.ITERATION_COMPLETED, log_iteration)
    net.eval()
    initial = validation_psnr(net, val, args.radius)
    print("before training: val PSNR " + _joined(initial), flush=True)
    trainer.run()
    log = {"args": {k: str(v) for k, v in vars(args).items()}, "initial": initial, "history": history, "best": best}
    args.out.with_suffix(".json").write_text(json.dumps(log, indent=2))
    print(f"best val PSNR {best['psnr']:.3f} at epoch {best.get('epoch')}; weights {args.out}")
    return log


if __name__ == "__main__":
    main()
