# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Train the MoSt-DSA weights on CPU or CUDA: real cines (first 70 % of each) + 2D and 3D angiography phantoms.

Each batch holds tuples with one number of target frames N (cycling 1, 2, 3), drawn from the real DSA cine at full
and half resolution, from further real cines (``--extra-cines``, by default the shared real coronary cine; the last
30 % of each is never read), from 2D phantom cines (coronary and DSA modes with cardiac motion) and from runs of the
3D phantom (rotational sweeps, fixed views with table pans and patient drift, beating and breathing coronary trees;
:func:`~monai_angio.data.phantom3d_cines`), with random crops, synthetic camera motion
(:class:`~monai_angio.engines.RandTupleMotiond`: translation, rotation, zoom and a smooth deformation, linear over
the tuple), flips, rot90, temporal reversal, a mild gamma and varied frame gaps (frame-rate changes).

Flow prior (``--flow-prior``): early in training an L1 loss pulls the network's flows from time t to both frames
towards DIS optical flow computed from the true intermediate frame to each frame (the teacher), weighted by
``--flow-prior`` and fading linearly to 0 over the first ``--flow-prior-fraction`` of the steps.

Resumable: every validation writes ``WORK_DIR/checkpoint.pt`` (weights, EMA, optimiser, schedule, step, history);
``--resume`` continues from it (the same arguments otherwise), so a long run can span several sessions.
The schedule is AdamW with linear warm-up and cosine decay; an exponential moving average (EMA) of the weights is
kept. Validation: the PSNR gain over the linear blend on the last ``--val-frames`` frames of the training span of the
real cine (whole frames, never trained on) and on two phantom cines of other seeds; the raw or EMA weights with the
best mean gain (after ``--select-after`` steps) are written as a plain state dict. The last 30 % of the real cine is
never read here (it is the benchmark's test span).

Run ``python scripts/train_interpolation.py --help`` for the options; ``scripts/train_cerebral_dsa_interpolation.sh``
holds the settings of the shipped weights.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
from monai.data import DataLoader
from monai.optimizers import WarmupCosineSchedule
from monai.transforms import (
    CenterSpatialCropd,
    Compose,
    RandAdjustContrastd,
    RandFlipd,
    RandRotate90d,
    RandSpatialCropd,
)

from monai_angio.baselines.dis_flow import dis_optical_flow
from monai_angio.data import (
    CineTupleDataset,
    cine_eval_tuples,
    phantom3d_cines,
    phantom_cines,
    prepare_cine,
    split_frames,
)
from monai_angio.engines import (
    MixedTupleDataset,
    PrepareInterpolationBatch,
    RandTupleMotiond,
    RandTupleNoised,
)
from monai_angio.engines.workflows import InterpolationInferer
from monai_angio.io.atomic import atomic_output
from monai_angio.losses import MoStDSALoss
from monai_angio.metrics import psnr
from monai_angio.networks import MoStDSA
from monai_angio.transforms import RandTemporalReversed

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CINE = REPO.parent / "shared" / "data" / "dsa" / "cerebral_lateral_2d"
DEFAULT_EXTRA = REPO.parent / "shared" / "data" / "xa_coronary" / "coronary_rca_xa_96f.dcm"
KEYS = ["frame0", "frame1", "target"]


def build_transform(crop: int, margin: int, motion_prob: float, max_translation: float, noise: bool = False) -> Compose:
    """Crop with a margin, add synthetic motion, crop the centre, then flips, rot90, temporal reversal, gamma and
    (for noise-free phantoms) shared + independent noise."""
    extra = [RandTupleNoised(prob=1.0, shared_std=(0.0, 0.012), independent_std=(0.0, 0.01))] if noise else []
    return Compose(
        [
            RandSpatialCropd(KEYS, roi_size=crop + 2 * margin, random_size=False),
            RandTupleMotiond(prob=motion_prob, max_translation=max_translation, max_rotation=3.0, max_deformation=3.0),
            CenterSpatialCropd(KEYS, roi_size=crop),
            RandFlipd(KEYS, prob=0.5, spatial_axis=0),
            RandFlipd(KEYS, prob=0.5, spatial_axis=1),
            RandRotate90d(KEYS, prob=0.5, max_k=3),
            RandTemporalReversed(prob=0.5),
            RandAdjustContrastd(KEYS, prob=0.3, gamma=(0.7, 1.4)),
            *extra,
        ]
    )


def downscale(cine: torch.Tensor, factor: float) -> torch.Tensor:
    """``(C, T, H, W)`` cine resized by ``factor`` (area interpolation)."""
    x = torch.as_tensor(cine).float().permute(1, 0, 2, 3)
    size = (int(round(x.shape[-2] * factor)), int(round(x.shape[-1] * factor)))
    return torch.nn.functional.interpolate(x, size=size, mode="area").permute(1, 0, 2, 3).contiguous()


def make_phantoms(count: int, seed: int, size: int, num_frames: int, noise: bool = True) -> list[np.ndarray]:
    """Phantom cines alternating coronary (strong cardiac motion) and DSA mode (moderate motion), varied rates."""
    cines = []
    rates = (7.5, 10.0, 15.0)
    for i in range(count):
        mode = "coronary" if i % 2 == 0 else "dsa"
        kw = {
            "size": (size, size),
            "num_frames": num_frames,
            "frame_rate": rates[i % 3],
            "mode": mode,
            "heart_rate_bpm": 60.0 + 10.0 * (i % 5),
            "noise": noise,
        }
        if mode == "dsa":
            kw["motion_amplitude"] = 0.015 + 0.01 * (i % 3)
        cines += phantom_cines(1, seed=seed + i, **kw)
    return cines


def validation_tuples(parts: dict[str, list]) -> dict[str, list[dict]]:
    """Fixed validation tuples (N = 1, 2, 3) of every part (name -> cines): whole phantom cines (seeds not trained on)
    and the validation frames of the real cines (the end of each training span, excluded from the training
    tuples)."""
    out: dict[str, list[dict]] = {name: [] for name in parts}
    for n in (1, 2, 3):
        for name, cines in parts.items():
            for cine in cines:
                if cine.shape[-3] > n + 1:
                    ds = cine_eval_tuples(cine, n, gap=1, stride=n + 1)
                    out[name] += [ds[j] for j in range(len(ds))]
    return {name: tuples for name, tuples in out.items() if tuples}


def teacher_flows(frame0: torch.Tensor, frame1: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """DIS flows from each true intermediate frame to both frames: ``(B, N, 4, H, W)`` (channels 0-1 to frame 0,
    2-3 to frame 1, the network's convention: ``target(p) ~ frame0(p + flow(p))``)."""
    b, n = target.shape[:2]
    targets = target.flatten(0, 1)
    to0, _ = dis_optical_flow(targets, frame0.repeat_interleave(n, 0))
    to1, _ = dis_optical_flow(targets, frame1.repeat_interleave(n, 0))
    return torch.cat([to0, to1], 1).reshape(b, n, 4, *target.shape[-2:])


@torch.no_grad()
def validate(
    net: torch.nn.Module, tuples: list[dict], prepare: PrepareInterpolationBatch, device: torch.device | None = None
) -> tuple[float, float]:
    """Mean PSNR of the network and of the linear blend over the validation tuples (``nan`` when there are none)."""
    if not tuples:
        return float("nan"), float("nan")
    was = net.training
    net.eval()
    p_net, p_lin = [], []
    for item in tuples:
        batch = {
            k: (v.unsqueeze(0) if isinstance(v, torch.Tensor) else v) for k, v in item.items() if k in KEYS + ["time"]
        }
        f0, target, (f1, t), _ = prepare(batch)
        if device is not None:
            f0, target, f1, t = f0.to(device), target.to(device), f1.to(device), t.to(device)
        pred = InterpolationInferer()(f0, net, f1, t)
        lin = (1 - t)[..., None, None, None] * f0.unsqueeze(1) + t[..., None, None, None] * f1.unsqueeze(1)
        p_net.append(psnr(pred.flatten(0, 1), target.flatten(0, 1), 1.0).mean().item())
        p_lin.append(psnr(lin.flatten(0, 1), target.flatten(0, 1), 1.0).mean().item())
    net.train(was)
    return float(np.mean(p_net)), float(np.mean(p_lin))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="small", choices=["small", "paper"])
    ap.add_argument("--cine", default=str(DEFAULT_CINE), help="real cine (folder, DICOM, video)")
    ap.add_argument("--holdout", type=float, default=0.3, help="fraction of the real cine kept out (its end)")
    ap.add_argument("--steps", type=int, default=6000)
    ap.add_argument("--minutes", type=float, default=0.0, help="stop after this wall time (0: no limit)")
    ap.add_argument("--batch", type=int, default=6)
    ap.add_argument("--crop", type=int, default=128)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--end-lr", type=float, default=2e-5)
    ap.add_argument("--weight-decay", type=float, default=1e-4)
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--phantoms", type=int, default=16)
    ap.add_argument("--phantom-size", type=int, default=256)
    ap.add_argument("--phantoms3d", type=int, default=0, help="3D phantom runs (rotational, fixed, coronary)")
    ap.add_argument("--phantom3d-size", type=int, default=256)
    ap.add_argument(
        "--extra-cines",
        nargs="*",
        default=[],
        help=f"further real cines, e.g. {DEFAULT_EXTRA.name} (their first 70 %% trains, the end of it validates)",
    )
    ap.add_argument(
        "--weights",
        default="0.3,0.3,0.4,0.4,0.15",
        help="sampling weights: real full res, real x0.5, 2D phantoms, 3D phantoms, extra real cines (the last two "
        "only when there are such sources)",
    )
    ap.add_argument("--flow-prior", type=float, default=0.0, help="weight of the DIS-flow prior at step 0 (0: off)")
    ap.add_argument("--flow-prior-fraction", type=float, default=0.3, help="fraction of the steps it fades over")
    ap.add_argument("--resume", action="store_true", help="continue from WORK_DIR/checkpoint.pt")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--motion-prob", type=float, default=0.5)
    ap.add_argument("--max-translation", type=float, default=10.0)
    ap.add_argument("--max-gap", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--val-every", type=int, default=500)
    ap.add_argument("--out", default=str(REPO / "bundles" / "cerebral_dsa_interpolation" / "models" / "model.pt"))
    ap.add_argument("--work-dir", default="/tmp/most_dsa_train")
    ap.add_argument("--init", default=None, help="start from these weights (state dict)")
    ap.add_argument("--val-frames", type=int, default=8, help="frames at the end of the training span that validate")
    ap.add_argument("--phantom-noise-aug", action="store_true", help="noise-free phantoms + shared/independent noise")
    ap.add_argument("--select-after", type=int, default=0, help="first step whose checkpoint may be selected")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)

    # ---- data
    def train_and_val(path: str) -> tuple[torch.Tensor, torch.Tensor | None, str]:
        cine = prepare_cine(path)  # (1, T, H, W) float in [0, 1]
        (t0, t1), test = split_frames(int(cine.shape[1]), args.holdout)
        tv = t1 - args.val_frames  # the end of the training span validates (never trained on)
        train = cine.as_tensor()[:, t0:tv].contiguous()
        val = cine.as_tensor()[:, tv:t1].contiguous() if args.val_frames > 0 else None
        return train, val, (f"{Path(path).name} {tuple(cine.shape)}: training frames {t0}..{tv - 1}, validation "
                            f"{tv}..{t1 - 1}, held out (never read) {test[0]}..{test[1] - 1}")  # fmt: skip

    real_train, real_val, said = train_and_val(args.cine)
    print(said, flush=True)
    real_half = downscale(real_train, 0.5)
    extra_train, extra_val = [], []
    for path in args.extra_cines:
        train, val, said = train_and_val(path)
        print(said, flush=True)
        extra_train.append(train)
        extra_val += [] if val is None else [val]
    tic = time.perf_counter()
    phantoms = make_phantoms(
        args.phantoms,
        seed=args.seed * 1000 + 1,
        size=args.phantom_size,
        num_frames=40,
        noise=not args.phantom_noise_aug,
    )
    seed3d = args.seed * 1000 + 100
    if args.phantoms3d and not (seed3d + args.phantoms3d <= 900 or seed3d >= 1000):
        raise SystemExit("3D phantom seeds 900-999 are the validation runs of the generalization study: change --seed")
    phantoms3d = phantom3d_cines(args.phantoms3d, seed=seed3d, size=args.phantom3d_size) if args.phantoms3d else []
    val_phantoms = make_phantoms(2, seed=700, size=192, num_frames=17)
    # seeds 800-802: never trained on
    val_phantoms3d = [c[:17] for c in phantom3d_cines(3, seed=800, size=192)] if args.phantoms3d else []
    print(f"{len(phantoms)} 2D and {len(phantoms3d)} 3D phantom cines in {time.perf_counter() - tic:.1f} s", flush=True)

    given = [float(w) for w in args.weights.split(",")]
    used = [True, True, True, bool(phantoms3d), bool(extra_train)]
    if len(given) < max(i + 1 for i, u in enumerate(used) if u):
        raise SystemExit(f"--weights needs a weight for each source in use, got {args.weights!r}")
    weights = [w for w, u in zip(given, used, strict=False) if u]
    margin = int(math.ceil(args.max_translation)) + 8
    groups = []
    for n in (1, 2, 3):
        tf = build_transform(args.crop, margin, args.motion_prob, args.max_translation)
        tfp = build_transform(args.crop, margin, args.motion_prob, args.max_translation, noise=args.phantom_noise_aug)
        sources = [
            CineTupleDataset([real_train], n, 10**6, transform=tf, max_gap=args.max_gap, seed=None),
            CineTupleDataset([real_half], n, 10**6, transform=tf, max_gap=args.max_gap, seed=None),
            CineTupleDataset(phantoms, n, 10**6, transform=tfp, max_gap=args.max_gap, seed=None),
        ]
        if phantoms3d:
            sources.append(CineTupleDataset(phantoms3d, n, 10**6, transform=tf, max_gap=args.max_gap, seed=None))
        if extra_train:
            sources.append(CineTupleDataset(extra_train, n, 10**6, transform=tf, max_gap=args.max_gap, seed=None))
        groups.append(sources)
    steps = args.steps
    dataset = MixedTupleDataset(groups, args.batch, steps * args.batch, weights=weights, seed=args.seed)
    loader = DataLoader(dataset, batch_size=args.batch, shuffle=False, num_workers=0, drop_last=True)
    val = validation_tuples(
        {"real": [] if real_val is None else [real_val], "phantom": val_phantoms, "phantom3d": val_phantoms3d,
         "extra": extra_val}
    )  # fmt: skip
    prepare = PrepareInterpolationBatch()
    device = torch.device(args.device)

    # ---- model, loss, optimiser
    net = MoStDSA(args.config)
    if args.init:
        net.load_state_dict(torch.load(args.init, map_location="cpu", weights_only=True))
    net.to(device)
    ema = copy.deepcopy(net).eval()
    for p in ema.parameters():
        p.requires_grad_(False)
    print(f"MoStDSA({args.config!r}): {net.num_parameters()} parameters on {device}", flush=True)
    loss_fn = MoStDSALoss(perceptual_weight=0.0, style_weight=0.0)  # no VGG19 weights here: Laplacian l1 only
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    if args.minutes > 0:
        # wall-time budget on shared CPUs: the cosine follows max(step / steps, elapsed / minutes)
        clock = {"start": None, "before": 0.0}

        def progress(step: int) -> float:
            if clock["start"] is None:
                return step / steps
            elapsed = clock["before"] + time.perf_counter() - clock["start"]
            return max(step / steps, elapsed / (60 * args.minutes))

        def factor(step: int) -> float:
            if step < args.warmup:
                return step / max(1, args.warmup)
            p = min(1.0, progress(step))
            end = args.end_lr / args.lr
            return end + (1 - end) * 0.5 * (1 + math.cos(math.pi * p))

        sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    else:
        clock = {"start": None, "before": 0.0}
        sched = WarmupCosineSchedule(opt, warmup_steps=args.warmup, t_total=steps, end_lr=args.end_lr)

    def score(model: torch.nn.Module) -> dict[str, float]:
        """Validation: PSNR gain over the linear blend on every part; the score is their mean."""
        out = {}
        for part, tuples in val.items():
            v, lin = validate(model, tuples, prepare, device)
            out[part] = v - lin
        out["score"] = float(np.nanmean(list(out.values())))
        return out

    history: list[dict] = []
    best: dict = {"score": -1e9}
    step = 0
    checkpoint = work / "checkpoint.pt"
    if args.resume and checkpoint.exists():
        state = torch.load(checkpoint, map_location=device, weights_only=False)
        net.load_state_dict(state["net"])
        ema.load_state_dict(state["ema"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        step, best, history, clock["before"] = state["step"], state["best"], state["history"], state["seconds"]
        print(f"resumed from {checkpoint} at step {step} ({clock['before'] / 60:.1f} min done)", flush=True)
    else:
        s0 = score(net)
        print(f"step 0: val gain over linear {s0}", flush=True)

    # ---- train
    net.train()
    start = time.perf_counter()
    clock["start"] = start
    running, seen = 0.0, 0
    first = step
    for batch in loader:
        if step >= steps:
            break
        f0, target, (f1, t), _ = prepare(batch)
        f0, target, f1, t = f0.to(device), target.to(device), f1.to(device), t.to(device)
        prior = args.flow_prior * max(0.0, 1.0 - step / max(1.0, args.flow_prior_fraction * steps))
        if prior > 0:
            structure, motion = net.encode(f0, f1)
            pred, extra = net.decode(f0, f1, structure, motion, t, return_intermediates=True)
            teacher = teacher_flows(f0.cpu(), f1.cpu(), target.cpu()).to(device)
            loss = loss_fn(pred, target) + prior * (extra["flow"] - teacher).abs().mean()
        else:
            pred = net(f0, f1, t)
            loss = loss_fn(pred, target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        sched.step()
        step += 1
        with torch.no_grad():
            decay = min(args.ema, (1 + step) / (10 + step))
            for pe, pn in zip(ema.parameters(), net.parameters(), strict=True):
                pe.mul_(decay).add_(pn.detach(), alpha=1 - decay)
            for be, bn in zip(ema.buffers(), net.buffers(), strict=True):
                be.copy_(bn)
        running += loss.item()
        seen += 1
        elapsed = time.perf_counter() - start
        total = clock["before"] + elapsed
        if step % args.log_every == 0:
            per = elapsed / (step - first)
            print(
                f"step {step}/{steps} N={t.shape[1]} loss {running / seen:.5f} prior {prior:.4f} "
                f"lr {sched.get_last_lr()[0]:.2e} {per:.2f} s/step, elapsed {total / 60:.1f} min, "
                f"eta {per * (steps - step) / 60:.1f} min",
                flush=True,
            )
            running, seen = 0.0, 0
        stop = step >= steps or (args.minutes > 0 and total > args.minutes * 60)
        if step % args.val_every == 0 or stop:
            s_net, s_ema = score(net), score(ema)
            history.append({"step": step, "net": s_net, "ema": s_ema})
            print(f"step {step}: val gain over linear (dB) net {s_net}, ema {s_ema}", flush=True)
            if step >= args.select_after:
                for which, model, sc in (("net", net, s_net), ("ema", ema, s_ema)):
                    if sc["score"] > best["score"]:
                        best = {**sc, "step": step, "which": which}
                        with atomic_output(work / "best.pt", overwrite=True) as tmp:
                            torch.save({k: v.detach().cpu().clone() for k, v in model.state_dict().items()}, tmp)
            state = {"net": net.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(),
                     "sched": sched.state_dict(), "step": step, "best": best, "history": history, "seconds": total}
            with atomic_output(checkpoint, overwrite=True) as tmp:  # fmt: skip
                torch.save(state, tmp)
        if stop:
            break

    # ---- write the chosen weights
    state = torch.load(work / "best.pt", map_location="cpu", weights_only=True)
    out = Path(args.out)
    with atomic_output(out, overwrite=True, parents=True) as tmp:
        torch.save(state, tmp)
    summary = {
        "config": args.config,
        "args": vars(args),
        "steps_done": step,
        "minutes": (clock["before"] + time.perf_counter() - start) / 60,
        "best": best,
        "history": history,
        "parameters": net.num_parameters(),
    }
    (work / "summary.json").write_text(json.dumps(summary, indent=2))
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB) from {best}", flush=True)


if __name__ == "__main__":
    main()
