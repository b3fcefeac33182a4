#!/usr/bin/env python3
"""Golden values of the evaluation metrics (segloss::metrics) from MONAI.

Writes tests/golden/metrics.json: per case two label maps (B, spatial...) of C classes, a
spacing, and MONAI's per-(sample, class) values, include_background=True:

  dice, dice_keep_empty   monai.metrics.compute_dice(ignore_empty=True / False)
  iou, iou_keep_empty     monai.metrics.compute_iou(ignore_empty=True / False)
  hd, hd95                monai.metrics.compute_hausdorff_distance(percentile=None / 95, spacing)
  nsd[tau]                monai.metrics.compute_surface_dice(class_thresholds=[tau] * C, spacing)

Run from the repository root with the venv of scripts/setup-python.sh:

    ~/.cache/segloss-venv/bin/python scripts/golden/gen_metrics.py

Each case seeds its own RNG with crc32(case name); two runs give identical files. Every
MONAI value is checked against an independent NumPy brute force (boundaries by face
neighbours, all pairwise distances, numpy's linear quantile) before it is written: 1e-5
relative (MONAI's distances are float32). JSON has no NaN or infinity: NaN is written
null and +inf the string "inf".
"""
from __future__ import annotations

import json
import warnings
import zlib
from pathlib import Path

import numpy as np
import scipy
import torch

import monai
from monai.metrics import (
    compute_dice,
    compute_hausdorff_distance,
    compute_iou,
    compute_surface_dice,
)

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "tests" / "golden" / "metrics.json"
TAUS = [0.0, 1.0, 1.5, 2.5]
TOL = 1e-5


def rng_for(name: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(name.encode()))


# --------------------------------------------------------------------------------------
# Label maps
# --------------------------------------------------------------------------------------


def blobs(rng, spatial, classes, count):
    """A label map with `count` random boxes and balls of classes 1..C-1 (later ones win)."""
    lab = np.zeros(spatial, dtype=np.int64)
    grids = np.meshgrid(*[np.arange(n) for n in spatial], indexing="ij")
    for _ in range(count):
        c = int(rng.integers(1, classes))
        centre = [rng.uniform(-1, n) for n in spatial]
        radius = [rng.uniform(0.6, max(1.0, n / 3)) for n in spatial]
        if rng.random() < 0.5:
            inside = np.all([np.abs(g - m) <= r for g, m, r in zip(grids, centre, radius)], axis=0)
        else:
            inside = sum(((g - m) / r) ** 2 for g, m, r in zip(grids, centre, radius)) <= 1.0
        lab[inside] = c
    return lab


def perturb(rng, lab, classes, flips):
    """The labels with a random shift of one class and `flips` random voxels relabelled."""
    out = lab.copy()
    c = int(rng.integers(1, classes))
    axis = int(rng.integers(0, lab.ndim))
    shifted = np.roll(lab == c, int(rng.choice([-1, 1])), axis=axis)
    out[(lab == c) & ~shifted] = 0
    out[shifted] = c
    flat = out.reshape(-1)
    idx = rng.choice(flat.size, size=min(flips, flat.size), replace=False)
    flat[idx] = rng.integers(0, classes, size=idx.size)
    return out


# --------------------------------------------------------------------------------------
# Brute force (independent of MONAI)
# --------------------------------------------------------------------------------------


def edges(mask):
    """Voxels of the mask with a face neighbour outside the mask or the image."""
    padded = np.pad(mask, 1, constant_values=False)
    interior = mask.copy()
    for axis in range(mask.ndim):
        for step in (-1, 1):
            nb = np.roll(padded, step, axis=axis)[tuple(slice(1, -1) for _ in range(mask.ndim))]
            interior &= nb
    return mask & ~interior


def directed(a, b, spacing):
    """Distances from each voxel of edge set a to the nearest voxel of edge set b."""
    pa = np.argwhere(a).astype(np.float64) * spacing
    pb = np.argwhere(b).astype(np.float64) * spacing
    if len(pa) == 0:
        return np.zeros(0)
    d = np.sqrt(((pa[:, None, :] - pb[None, :, :]) ** 2).sum(-1))
    return d.min(axis=1)


def brute(pred, truth, spacing, c):
    p, t = pred == c, truth == c
    out = {}
    tp, np_, nt = int((p & t).sum()), int(p.sum()), int(t.sum())
    out["dice"] = 2 * tp / (np_ + nt) if nt else np.nan
    out["dice_keep_empty"] = 2 * tp / (np_ + nt) if nt else (1.0 if np_ == 0 else 0.0)
    out["iou"] = tp / (np_ + nt - tp) if nt else np.nan
    out["iou_keep_empty"] = tp / (np_ + nt - tp) if nt else (1.0 if np_ == 0 else 0.0)
    if not p.any() and not t.any():
        out["hd"] = out["hd95"] = np.nan
        out.update({f"nsd{tau}": np.nan for tau in TAUS})
    elif not (p.any() and t.any()):
        out["hd"], out["hd95"] = np.inf, np.nan
        out.update({f"nsd{tau}": 0.0 for tau in TAUS})
    else:
        ep, et = edges(p), edges(t)
        dpt, dtp = directed(ep, et, spacing), directed(et, ep, spacing)
        out["hd"] = max(dpt.max(), dtp.max())
        out["hd95"] = max(np.quantile(dpt, 0.95), np.quantile(dtp, 0.95))
        for tau in TAUS:
            good = (dpt <= tau).sum() + (dtp <= tau).sum()
            out[f"nsd{tau}"] = good / (len(dpt) + len(dtp))
    return out


# --------------------------------------------------------------------------------------
# MONAI
# --------------------------------------------------------------------------------------


def onehot(lab, classes):
    t = torch.as_tensor(lab)
    return torch.nn.functional.one_hot(t, classes).movedim(-1, 1).float()


def monai_values(pred, truth, classes, spacing):
    yp, y = onehot(pred, classes), onehot(truth, classes)
    sp = None if spacing is None else list(spacing)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = {
            "dice": compute_dice(yp, y, include_background=True, ignore_empty=True),
            "dice_keep_empty": compute_dice(yp, y, include_background=True, ignore_empty=False),
            "iou": compute_iou(yp, y, include_background=True, ignore_empty=True),
            "iou_keep_empty": compute_iou(yp, y, include_background=True, ignore_empty=False),
            "hd": compute_hausdorff_distance(yp, y, include_background=True, spacing=sp),
            "hd95": compute_hausdorff_distance(
                yp, y, include_background=True, percentile=95, spacing=sp
            ),
        }
        for tau in TAUS:
            out[f"nsd{tau}"] = compute_surface_dice(
                yp, y, [tau] * classes, include_background=True, spacing=sp
            )
    return {k: v.double().numpy() for k, v in out.items()}


def same(a, b):
    if np.isnan(a) or np.isnan(b):
        return np.isnan(a) and np.isnan(b)
    if np.isinf(a) or np.isinf(b):
        return a == b
    return abs(a - b) <= TOL * max(1.0, abs(b))


def encode(v):
    if np.isnan(v):
        return None
    if np.isinf(v):
        assert v > 0
        return "inf"
    return float(np.float64(v))


# --------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------


def case(name, batch, classes, spatial, spacing=None, count=4, flips=3, edit=None):
    rng = rng_for(name)
    truth = np.stack([blobs(rng, spatial, classes, count) for _ in range(batch)])
    pred = np.stack([perturb(rng, t, classes, flips) for t in truth])
    if edit is not None:
        edit(rng, pred, truth)
    sp = np.ones(len(spatial)) if spacing is None else np.asarray(spacing, dtype=np.float64)
    ref = monai_values(pred, truth, classes, spacing)
    for b in range(batch):
        for c in range(classes):
            want = brute(pred[b], truth[b], sp, c)
            for key, v in want.items():
                got = ref[key][b, c]
                if not same(got, v):
                    raise SystemExit(f"{name} b={b} c={c} {key}: MONAI {got} brute force {v}")
    out = {
        "name": name,
        "shape": [batch, classes, *spatial],
        "spacing": [] if spacing is None else [float(s) for s in spacing],
        "pred": [int(x) for x in pred.ravel()],
        "truth": [int(x) for x in truth.ravel()],
    }
    for key in ["dice", "dice_keep_empty", "iou", "iou_keep_empty", "hd", "hd95"]:
        out[key] = [encode(v) for v in ref[key].ravel()]
    out["nsd"] = [
        {"tau": tau, "values": [encode(v) for v in ref[f"nsd{tau}"].ravel()]} for tau in TAUS
    ]
    kinds = sum(1 for v in out["hd95"] if v is None)
    print(f"{name:<34} shape {out['shape']} spacing {out['spacing']} ({kinds} NaN HD95 entries)")
    return out


def absent_class(rng, pred, truth):
    """Class 3 absent from both maps of sample 0; only from the truth of sample 1 and only
    from the prediction of sample 2 (as far as the batch has samples)."""
    pred[0][pred[0] == 3] = 0
    truth[0][truth[0] == 3] = 0
    if len(pred) > 1:
        truth[1][truth[1] == 3] = 0
        pred[1][tuple(s // 2 for s in pred[1].shape)] = 3
    if len(pred) > 2:
        pred[2][pred[2] == 3] = 0
        truth[2][tuple(s // 3 for s in truth[2].shape)] = 3


def full_and_single(rng, pred, truth):
    """Sample 0: class 1 fills the whole truth, the prediction misses a corner; sample 1: a
    single voxel of class 2 in each map, a few voxels apart."""
    truth[0][...] = 1
    pred[0][...] = 1
    pred[0][tuple(slice(0, 2) for _ in pred[0].shape)] = 2
    truth[1][...] = 0
    pred[1][...] = 0
    truth[1][tuple(1 for _ in truth[1].shape)] = 2
    pred[1][tuple(min(4, s - 1) for s in pred[1].shape)] = 2


def main():
    cases = [
        case("2d_unit", 2, 4, [12, 15]),
        case("2d_spacing", 2, 3, [11, 9], spacing=[0.5, 1.25]),
        case("2d_many_objects", 1, 4, [24, 20], count=12, flips=10),
        case("2d_absent", 3, 4, [10, 12], edit=absent_class),
        case("2d_full_single", 2, 3, [7, 9], spacing=[1.5, 1.0], edit=full_and_single),
        case("2d_thin", 1, 3, [1, 17], count=3),
        case("3d_unit", 1, 3, [6, 7, 8]),
        case("3d_spacing", 2, 3, [5, 6, 7], spacing=[2.0, 0.75, 1.0]),
        case("3d_absent", 3, 4, [5, 5, 6], spacing=[1.0, 1.0, 2.5], edit=absent_class),
    ]
    doc = {
        "generator": "scripts/golden/gen_metrics.py",
        "monai": monai.__version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "taus": TAUS,
        "cases": cases,
    }
    text = "{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in doc.items() if k != "cases")
    text += ', "cases": [\n' + ",\n".join(json.dumps(c) for c in cases) + "\n]}\n"
    OUT.write_text(text)
    again = json.loads(OUT.read_text())
    assert len(again["cases"]) == len(cases)
    print(f"wrote {OUT.relative_to(REPO)} ({len(text) // 1024} KiB, {len(cases)} cases)")


if __name__ == "__main__":
    main()
