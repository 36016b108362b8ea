# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Pictures of the 3D angiography phantom beside real frames of the same kind (docs/phantoms/).

* ``cerebral_dsa.png``: a fixed-view (lateral) cerebral DSA run of the phantom in its arterial, capillary and venous
  phases above the real lateral cerebral DSA cine of ``../shared/data/dsa/cerebral_lateral_2d`` in the same phases;
* ``rotational_dsa.png``: a rotational 3D-DSA sweep of the phantom at five angles, with an aneurysm;
* ``coronary_xa.png``: the coronary mode over one heartbeat above the real coronary cine
  ``../shared/data/xa_coronary/coronary_rca_xa_96f.dcm`` at the same cardiac-cycle fractions;
* ``ct_background.png``: a rotational DSA sweep with the real head CT ``../shared/data/head/ct_head_ge`` as the
  background, unsubtracted (the CT's projection) and subtracted.

Real panels are skipped (and said so) when ``../shared/data`` is absent. Usage::

    python scripts/phantom_figures.py [--out docs/phantoms] [--data ../shared/data] [--size 384]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from monai_angio.io import read_cine  # noqa: E402
from monai_angio.io.atomic import atomic_output  # noqa: E402
from monai_angio.phantoms import Angiography3DPhantom  # noqa: E402


def _grid(path: Path, rows: list[list[np.ndarray]], titles: list[list[str]], panel: float = 2.6) -> None:
    n_rows, n_cols = len(rows), max(len(r) for r in rows)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(panel * n_cols, panel * n_rows + 0.3 * n_rows), squeeze=False)
    for i in range(n_rows):
        for j in range(n_cols):
            ax = axes[i][j]
            ax.axis("off")
            if j < len(rows[i]):
                ax.imshow(rows[i][j], cmap="gray", vmin=0.0, vmax=1.0, interpolation="lanczos")
                ax.set_title(titles[i][j], fontsize=8)
    fig.tight_layout()
    with atomic_output(path, overwrite=True, parents=True) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    print(f"wrote {path}")


def _real(path: Path) -> np.ndarray | None:
    if not path.exists():
        print(f"{path} is absent: its row is left out")
        return None
    frames, _ = read_cine(path)
    return frames[:, 0].numpy()


def cerebral(out: Path, data: Path, size: int) -> None:
    p = Angiography3DPhantom("fixed", size=size, seed=4, primary_deg=90.0, secondary_deg=0.0)
    times = {"arterial": 2.0, "late arterial": 2.8, "capillary": 3.6, "venous": 5.8}
    rows = [list(p.render_unit(list(times.values())))]
    titles = [[f"phantom {k} ({t:.1f} s)" for k, t in times.items()]]
    real = _real(data / "dsa" / "cerebral_lateral_2d")
    if real is not None:
        picks = {"arterial": 14, "late arterial": 22, "capillary": 34, "venous": 52}
        rows.append([real[i] for i in picks.values()])
        titles.append([f"real lateral DSA {k} (frame {i})" for k, i in picks.items()])
    _grid(out / "cerebral_dsa.png", rows, titles)


def rotational(out: Path, size: int) -> None:
    p = Angiography3DPhantom("rotational", size=size, seed=2, aneurysm=True)
    t = np.linspace(0.0, p.duration_s, 5)
    frames = p.render_unit(t)
    angles = [g.primary_deg for g in p.trajectory(t).geometries]
    _grid(out / "rotational_dsa.png", [list(frames)], [[f"rotational DSA {a:+.0f} deg" for a in angles]])


def coronary(out: Path, data: Path, size: int) -> None:
    p = Angiography3DPhantom("coronary", size=size, seed=1, heart_rate_bpm=72.0)
    period = 60.0 / p.heart_rate_bpm
    fractions = [0.0, 0.2, 0.4, 0.6, 0.8]
    t0 = 1.6
    rows = [list(p.render_unit([t0 + f * period for f in fractions]))]
    titles = [[f"phantom, beat +{f:.1f}" for f in fractions]]
    real = _real(data / "xa_coronary" / "coronary_rca_xa_96f.dcm")
    if real is not None:
        start, beat = 40, 25  # frames at 30 fps, about 72 beats/min
        rows.append([real[start + round(f * beat)] for f in fractions])
        titles.append([f"real RCA cine, frame {start + round(f * beat)}" for f in fractions])
    _grid(out / "coronary_xa.png", rows, titles)


def ct_background(out: Path, data: Path, size: int) -> None:
    ct = data / "head" / "ct_head_ge"
    if not ct.exists():
        print(f"{ct} is absent: ct_background.png is not made")
        return
    dsa = Angiography3DPhantom("rotational", size=size, seed=5, background=ct)
    xa = Angiography3DPhantom("rotational", size=size, seed=5, background=ct, subtract=False)
    t = [0.0, 1.125, 2.25]
    angles = [g.primary_deg for g in dsa.trajectory(t).geometries]
    rows = [list(xa.render_unit(t)), list(dsa.render_unit(t))]
    titles = [[f"head CT + vessels, XA {a:+.0f} deg" for a in angles], [f"DSA {a:+.0f} deg" for a in angles]]
    _grid(out / "ct_background.png", rows, titles)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("docs/phantoms"))
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--size", type=int, default=384)
    args = parser.parse_args()
    cerebral(args.out, args.data, args.size)
    rotational(args.out, args.size)
    coronary(args.out, args.data, args.size)
    ct_background(args.out, args.data, args.size)


if __name__ == "__main__":
    main()
