#!/usr/bin/env python3
"""Golden vectors for the exact EDT, the distance maps and the boundary-based losses.

Writes
  tests/golden/edt.json       EDT (scipy), signed maps (one_hot2dist), DPCE penalty maps
  tests/golden/boundary.json  boundary, Hausdorff and log-Hausdorff losses, Dice + boundary / HD
                              compounds (value, gradient), schedules

Run from the repository root with the venv made by scripts/setup-python.sh:

    ~/.cache/segloss-venv/bin/python scripts/golden/gen_boundary.py

Everything is computed in float64. Each case draws from its own RNG seeded with
crc32(case name), so adding a case leaves the others unchanged, and running the
script twice gives byte-identical files. Every golden value comes from one path
and is checked against a second one before it is written (see
scripts/golden/README.md, section "gen_boundary.py").
"""
from __future__ import annotations

import json
import sys
import math
import warnings
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from specs import spec_of  # noqa: E402  (the case's segloss spec)
import scipy
import scipy.ndimage as ndi
import torch
import torch.nn.functional as F

import edt as seunglab_edt
import monai
from monai.losses import DiceLoss, HausdorffDTLoss, LogHausdorffDTLoss

torch.set_default_dtype(torch.float64)

REPO = Path(__file__).resolve().parents[2]
OUT_EDT = REPO / "tests" / "golden" / "edt.json"
OUT_LOSS = REPO / "tests" / "golden" / "boundary.json"
TOL = 1e-12


def rng_for(name: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(name.encode()))


def short(x) -> list:
    """Floats with 15 significant digits (exact to 1e-14 relative, shorter JSON)."""
    return [float(f"{v:.15g}") for v in np.asarray(x, dtype=np.float64).ravel()]


def ints(x) -> list:
    return [int(v) for v in np.asarray(x).ravel()]


def quantize(x, step):
    """Multiples of a power of two: exact in float32."""
    y = np.round(np.asarray(x) / step) * step + 0.0
    assert np.array_equal(y.astype(np.float32).astype(np.float64), y)
    return y


def close(a, b, tol, what):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    scale = np.maximum(1.0, np.abs(b))
    err = np.max(np.abs(a - b) / scale) if a.size else 0.0
    assert err <= tol, f"{what}: disagreement {err:.3g} > {tol}"


# --------------------------------------------------------------------------
# Distances
# --------------------------------------------------------------------------

def scipy_edt(mask, spacing):
    """scipy's EDT: nonzero voxels get their distance to the nearest zero voxel."""
    return ndi.distance_transform_edt(mask, sampling=spacing)


def brute_sq(mask_sites, spacing):
    """Squared distance of every voxel to the nearest site (brute force), inf if none."""
    shape = mask_sites.shape
    idx = np.indices(shape).reshape(len(shape), -1).T.astype(np.float64) * np.asarray(spacing)
    sites = idx[mask_sites.ravel()]
    if len(sites) == 0:
        return np.full(shape, np.inf)
    d2 = ((idx[:, None, :] - sites[None, :, :]) ** 2).sum(-1).min(1)
    return d2.reshape(shape)


def scipy_no_zero(shape, spacing):
    """What scipy returns for a mask with no zero voxel: the distance to the virtual voxel
    (-1, 0, ..., 0) (scipy's feature transform reports index (-1, 0, ...))."""
    idx = np.indices(shape).astype(np.float64)
    idx[0] += 1
    return np.sqrt(sum((idx[a] * spacing[a]) ** 2 for a in range(len(shape))))


def one_hot2dist(seg, spacing):
    """Kervadec et al.'s one_hot2dist (LIVIAETS/boundary-loss utils.py), on a one-hot
    (K, spatial...) array: edt(neg)*neg - (edt(pos) - 1)*pos per class, 0 if absent."""
    res = np.zeros(seg.shape, dtype=np.float64)
    for k in range(len(seg)):
        pos = seg[k].astype(bool)
        if pos.any():
            neg = ~pos
            res[k] = scipy_edt(neg, spacing) * neg - (scipy_edt(pos, spacing) - 1) * pos
    return res


def one_hot2dist_brute(seg, spacing):
    res = np.zeros(seg.shape, dtype=np.float64)
    for k in range(len(seg)):
        pos = seg[k].astype(bool)
        if pos.any():
            inside = (np.sqrt(brute_sq(~pos, spacing)) if (~pos).any()
                      else scipy_no_zero(pos.shape, spacing))
            res[k] = np.where(pos, -(inside - 1), np.sqrt(brute_sq(pos, spacing)))
    return res


def monai_field(fg, spacing):
    """MONAI HausdorffDTLoss.distance_field of one mask, in float64 and with spacing:
    edt(fg) + edt(bg), or 0 when the mask is all or nothing."""
    if fg.any() and not fg.all():
        return scipy_edt(fg, spacing) + scipy_edt(~fg, spacing)
    return np.zeros(fg.shape)


def penalty_code(pos):
    """compute_edts_forPenalizedLoss of JunMa11/SegLossOdyssey (losses_pytorch/
    boundary_loss.py) for one sample, literally (NaN where it divides by zero)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        neg = ~pos
        pos_edt = ndi.distance_transform_edt(pos)
        pos_edt = (np.max(pos_edt) - pos_edt) * pos
        neg_edt = ndi.distance_transform_edt(neg)
        neg_edt = (np.max(neg_edt) - neg_edt) * neg
        return pos_edt / np.max(pos_edt) + neg_edt / np.max(neg_edt)


def penalty_defined(pos, spacing):
    """The same map with segloss's values where the code divides by zero: 0 for a sample
    with no boundary, 1 on a side whose voxels all lie at the same distance."""
    if not pos.any() or pos.all():
        return np.zeros(pos.shape)
    out = np.zeros(pos.shape)
    for side in (pos, ~pos):
        d = scipy_edt(side, spacing)
        dm = d[side]
        hi, lo = dm.max(), dm.min()
        out[side] = (hi - d[side]) / (hi - lo) if hi > lo else 1.0
    return out


# --------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------

def blob_labels(rng, batch, spatial, classes, sigma=1.2):
    """Contiguous regions: argmax over classes of smoothed noise."""
    noise = rng.standard_normal((batch, classes, *spatial))
    sm = np.stack([np.stack([ndi.gaussian_filter(noise[b, c], sigma, mode="nearest")
                             for c in range(classes)]) for b in range(batch)])
    return sm.argmax(1).astype(np.int64)


def one_hot(labels, classes, ignore=None):
    """(B, sp...) -> (B, C, sp...); ignored labels belong to no class."""
    oh = np.zeros((labels.shape[0], classes, *labels.shape[1:]))
    for c in range(classes):
        oh[:, c] = (labels == c)
    return oh


def gen_logits(rng, g, act):
    """Logits that agree with the target more often than not, multiples of 2^-5."""
    z = 1.6 * (2 * g - 1) + 1.3 * rng.standard_normal(g.shape)
    return quantize(z, 2.0 ** -5)


def activate(z, act):
    if act == "softmax":
        return torch.softmax(z, 1)
    if act == "sigmoid":
        return torch.sigmoid(z)
    return z


def probs_away_from_half(s, margin=1e-3):
    return bool(np.all(np.abs(np.asarray(s) - 0.5) > margin))


# --------------------------------------------------------------------------
# EDT, signed maps, penalty maps
# --------------------------------------------------------------------------

EDT_CASES, SIGNED_CASES, PENALTY_CASES = [], [], []


def edt_case(name, dims, spacing, density):
    rng = rng_for(name)
    if density >= 1.0:
        mask = np.ones(dims, bool)
    elif density <= 0.0:
        mask = np.zeros(dims, bool)
    else:
        mask = rng.random(dims) < density
    d = scipy_edt(mask, spacing)
    if mask.all():
        close(d, scipy_no_zero(dims, spacing), TOL, name + " (no zero voxel)")
    else:
        close(d, np.sqrt(brute_sq(~mask, spacing)), TOL, name + " (brute force)")
        if len(dims) > 1:  # the seung-lab edt package, float32
            e = seunglab_edt.edt(mask.astype(np.uint8), anisotropy=spacing, black_border=False)
            close(e, d, 1e-5, name + " (edt package)")
    EDT_CASES.append({"name": name, "dims": list(dims), "spacing": list(spacing),
                      "mask": ints(mask), "dist": short(d)})


def signed_case(name, batch, classes, spatial, spacing, full_sample=False, absent=None):
    rng = rng_for(name)
    labels = blob_labels(rng, batch, spatial, classes)
    if full_sample:
        labels[-1] = 1  # class 1 fills the last sample
    if absent is not None:
        labels[labels == absent] = 0
    oh = one_hot(labels, classes)
    maps = np.stack([one_hot2dist(oh[b], spacing) for b in range(batch)])
    close(maps, np.stack([one_hot2dist_brute(oh[b], spacing) for b in range(batch)]), TOL, name)
    SIGNED_CASES.append({"name": name, "shape": [batch, classes, *spatial], "spacing": list(spacing),
                         "labels": ints(labels), "maps": short(maps)})


def penalty_case(name, batch, spatial, spacing, classes=2, degenerate=False):
    rng = rng_for(name)
    labels = blob_labels(rng, batch, spatial, classes, sigma=1.5)
    if degenerate:
        labels[0] = 0                      # no boundary: all background
        labels[-1] = 0
        labels[-1].reshape(-1)[::7] = 1    # isolated foreground voxels: every fg voxel at d = 1
    out = []
    for b in range(batch):
        pos = labels[b] > 0
        ours = penalty_defined(pos, spacing)
        if all(s == 1.0 for s in spacing):
            code = penalty_code(pos)
            ok = np.isfinite(code)
            if ok.all():
                close(ours, code, TOL, name)
            else:  # the code divides by zero here; the definition above replaces NaN
                print(f"  note: {name} sample {b}: the paper's code gives NaN on "
                      f"{(~ok).sum()} voxels (defined values used)")
        out.append(ours)
    PENALTY_CASES.append({"name": name, "spatial": list(spatial), "spacing": list(spacing),
                          "labels": ints(labels), "penalty": short(np.stack(out))})


def gen_maps():
    edt_case("edt_1d_unit", (37,), (1.0,), 0.6)
    edt_case("edt_1d_aniso", (29,), (0.7,), 0.85)
    edt_case("edt_2d_unit", (13, 17), (1.0, 1.0), 0.8)
    edt_case("edt_2d_aniso", (11, 19), (2.5, 0.75), 0.9)
    edt_case("edt_2d_sparse_zeros", (16, 16), (1.0, 1.3), 0.98)
    edt_case("edt_3d_unit", (6, 7, 9), (1.0, 1.0, 1.0), 0.85)
    edt_case("edt_3d_aniso", (7, 6, 8), (3.0, 0.8, 1.1), 0.9)
    edt_case("edt_3d_aniso_dense", (5, 9, 7), (0.6, 1.7, 1.0), 0.5)
    edt_case("edt_2d_no_zero", (5, 6), (1.5, 0.5), 1.0)
    edt_case("edt_3d_no_zero", (3, 4, 5), (2.0, 1.0, 0.5), 1.0)
    edt_case("edt_1d_no_zero", (7,), (1.25,), 1.0)
    edt_case("edt_2d_all_zero", (4, 5), (1.0, 2.0), 0.0)
    edt_case("edt_3d_all_zero", (2, 3, 4), (1.0, 1.0, 1.0), 0.0)

    signed_case("signed_1d", 2, 3, (31,), (1.0,))
    signed_case("signed_2d_unit", 2, 3, (9, 11), (1.0, 1.0), absent=2)
    signed_case("signed_2d_aniso", 2, 3, (10, 8), (0.75, 1.5))
    signed_case("signed_2d_full_class", 2, 2, (7, 8), (1.0, 2.0), full_sample=True)
    signed_case("signed_3d_aniso", 1, 3, (5, 6, 7), (2.5, 0.75, 1.25))

    penalty_case("penalty_2d", 2, (12, 13), (1.0, 1.0))
    penalty_case("penalty_3d", 1, (6, 7, 8), (1.0, 1.0, 1.0))
    penalty_case("penalty_2d_multiclass", 2, (10, 11), (1.0, 1.0), classes=3)
    penalty_case("penalty_2d_aniso", 1, (9, 12), (2.0, 0.5))
    penalty_case("penalty_2d_degenerate", 2, (8, 9), (1.0, 1.0), degenerate=True)


# --------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------

LOSS_CASES = []
MEMBER_CHECKS: dict[str, int] = {}  # compound cross-check -> number of cases


def loss_inputs(name, shape, act, ignore, full_sample=False, empty_sample=False):
    """Labels, logits/probabilities and one-hot target; probabilities kept > 1e-3 away from
    the threshold 0.5 so that an f32 implementation thresholds them the same way.
    `full_sample`: class 1 fills the last sample; `empty_sample`: the last sample is all
    background (label 0 everywhere: no foreground voxel)."""
    rng = rng_for(name)
    B, C, *sp = shape
    classes = 2 if (act == "sigmoid" and C == 1) else C
    for _ in range(100):
        labels = blob_labels(rng, B, sp, classes)
        if full_sample:
            labels[-1] = 1
        if empty_sample:
            labels[-1] = 0
        g = one_hot(labels, classes)
        g = g[:, 1:2] if classes != C else g     # single sigmoid channel: g = label
        if act == "none":
            z = rng.standard_normal(shape) * 1.5 + 2.0 * g
            e = np.exp(z - z.max(1, keepdims=True))
            p = e / e.sum(1, keepdims=True)
            cnt = np.maximum(np.round(p * 4096), 1)
            cnt[:, :1] += 4096 - cnt.sum(1, keepdims=True)
            pred = cnt / 4096
            assert (pred > 0).all()
        else:
            pred = gen_logits(rng, g, act)
        s = activate(torch.tensor(pred), act).numpy()
        if probs_away_from_half(s):
            break
    else:
        raise RuntimeError(name + ": could not draw probabilities away from 0.5")
    valid = np.ones(labels.shape, bool)
    if ignore is not None:
        valid = rng.random(labels.shape) >= 0.1
        labels = np.where(valid, labels, ignore)
        g = g * valid[:, None]
    return labels, pred, g, valid


def first_class(C, include_background):
    return 0 if (include_background or C == 1) else 1


def boundary_leaf(name, pred, g, valid, act, spacing, include_background):
    """The boundary loss (value, dL/dpred, the target's maps), checked: the maps against a
    brute-force one_hot2dist, the value against the authors' SurfaceLoss (no invalid pixel)."""
    B, C = pred.shape[:2]
    first = first_class(C, include_background)
    # the target's maps: labels one-hot (ignored labels in no class); binary channel: label == 1
    maps = np.stack([one_hot2dist(g[b] > 0.5, spacing) for b in range(B)])
    close(maps, np.stack([one_hot2dist_brute(g[b] > 0.5, spacing) for b in range(B)]), TOL,
          name + " (maps, brute force)")
    z = torch.tensor(pred, requires_grad=True)
    s = activate(z, act)
    phi = torch.tensor(maps)
    v = torch.tensor(valid, dtype=torch.float64).unsqueeze(1)
    idc = list(range(first, C))
    value = (s[:, idc] * phi[:, idc] * v).sum() / (len(idc) * v.sum())
    value.backward()
    # second path: the authors' SurfaceLoss, einsum then mean, in its float32 (no ignore)
    if valid.all():
        with torch.no_grad():
            pc, dc = s[:, idc].float(), phi[:, idc].float()
            theirs = torch.einsum("bk...,bk...->bk...", pc, dc).mean()
            close(theirs.item(), value.item(), 1e-5, name + " (SurfaceLoss, float32)")
            mean64 = (s[:, idc] * phi[:, idc]).mean()
            close(mean64.item(), value.item(), TOL, name + " (mean over b, k, pixels)")
    return value.item(), z.grad.numpy().copy(), maps


def check_absent_classes_blank(name, g, maps=None, fields=None):
    """A class absent from a sample (e.g. every foreground class of an empty sample) has a
    zero signed map (one_hot2dist leaves it blank) and a zero MONAI field (all background)."""
    B, C = g.shape[:2]
    hits = 0
    for b in range(B):
        for c in range(C):
            if not (g[b, c] > 0.5).any():
                hits += 1
                if maps is not None:
                    assert (maps[b, c] == 0).all(), f"{name}: map of absent class {c} in sample {b}"
                if fields is not None:
                    assert (fields[b, c] == 0).all(), f"{name}: field of absent class {c} in sample {b}"
    assert hits > 0, name


def boundary_case(name, shape, act="softmax", spacing=None, include_background=False,
                  ignore=None, precomputed=False, full_sample=False, empty_sample=False):
    B, C, *sp = shape
    spacing = tuple(spacing or [1.0] * len(sp))
    labels, pred, g, valid = loss_inputs(name, shape, act, ignore, full_sample, empty_sample)
    value, grad, maps = boundary_leaf(name, pred, g, valid, act, spacing, include_background)
    if empty_sample:
        assert not (labels[-1] > 0).any()
        check_absent_classes_blank(name, g, maps=maps)
    LOSS_CASES.append({
        "name": name, "loss": "boundary", "activation": act, "shape": list(shape),
        "params": {"spacing": list(spacing), "include_background": include_background,
                   "ignore_index": ignore, "precomputed": precomputed},
        "pred": short(pred), "labels": ints(labels),
        "maps": short(maps) if precomputed else None,
        "value": value, "grad": short(grad),
    })


def monai_field_brute(fg, spacing):
    """MONAI's distance field by brute force: the distance of each voxel to the nearest voxel
    of the other side; 0 everywhere when the mask is all or nothing."""
    if not fg.any() or fg.all():
        return np.zeros(fg.shape)
    return np.where(fg, np.sqrt(brute_sq(~fg, spacing)), np.sqrt(brute_sq(fg, spacing)))


def hd_leaf(name, pred, g, valid, act, spacing, include_background, alpha, log, monai_check):
    """The Hausdorff DT loss (value, dL/dpred, the target's fields), checked: the fields
    against a brute force, and, with `monai_check`, value and gradient against MONAI's module."""
    B, C = pred.shape[:2]
    first = first_class(C, include_background)
    z = torch.tensor(pred, requires_grad=True)
    s = activate(z, act)
    sn = s.detach().numpy()
    dist = np.zeros(pred.shape)
    fields = np.zeros(pred.shape)
    for b in range(B):
        for c in range(first, C):
            fs, fg = monai_field(sn[b, c] > 0.5, spacing), monai_field(g[b, c] > 0.5, spacing)
            close(fs, monai_field_brute(sn[b, c] > 0.5, spacing), TOL, name + " (prediction field)")
            close(fg, monai_field_brute(g[b, c] > 0.5, spacing), TOL, name + " (target field)")
            fields[b, c] = fg
            dist[b, c] = fs ** alpha + fg ** alpha
    gt = torch.tensor(g)
    v = torch.tensor(valid, dtype=torch.float64).unsqueeze(1)
    idc = list(range(first, C))
    err = (s[:, idc] - gt[:, idc]) ** 2
    value = (err * torch.tensor(dist[:, idc]) * v).sum() / (len(idc) * v.sum())
    if log:
        value = torch.log(value + 1)
    value.backward()
    grad = z.grad.numpy().copy()
    if monai_check:
        # second path: MONAI's module (its distance fields are cast to float32)
        cls = LogHausdorffDTLoss if log else HausdorffDTLoss
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loss = cls(alpha=alpha, include_background=include_background,
                       softmax=act == "softmax", sigmoid=act == "sigmoid", reduction="mean")
            zm = torch.tensor(pred, requires_grad=True)
            vm = loss(zm, torch.tensor(g))
            vm.backward()
        close(vm.item(), value.item(), 1e-6, name + " (MONAI value)")
        close(zm.grad.numpy(), grad, 1e-6, name + " (MONAI gradient)")
    return value.item(), grad, fields


def hd_case(name, shape, act="softmax", spacing=None, include_background=False, alpha=2.0,
            log=False, ignore=None, empty_sample=False, loss="hausdorff"):
    """A `hausdorff` case, or (loss="log_hausdorff") a case of the preset, whose params are
    hausdorff's without `log` (the preset sets it)."""
    B, C, *sp = shape
    unit = spacing is None
    spacing = tuple(spacing or [1.0] * len(sp))
    log = log or loss == "log_hausdorff"
    labels, pred, g, valid = loss_inputs(name, shape, act, ignore, empty_sample=empty_sample)
    monai_checked = unit and ignore is None and len(sp) in (2, 3)
    value, grad, fields = hd_leaf(name, pred, g, valid, act, spacing, include_background, alpha, log,
                                  monai_checked)
    if empty_sample:
        assert not (labels[-1] > 0).any()
        check_absent_classes_blank(name, g[:, first_class(C, include_background):],
                                   fields=fields[:, first_class(C, include_background):])
    params = {"spacing": list(spacing), "include_background": include_background,
              "alpha": alpha, "log": log, "ignore_index": ignore, "monai_checked": monai_checked}
    if loss == "log_hausdorff":
        del params["log"]
    LOSS_CASES.append({
        "name": name, "loss": loss, "activation": act, "shape": list(shape),
        "params": params,
        "pred": short(pred), "labels": ints(labels), "maps": None,
        "value": value, "grad": short(grad),
    })


# ---- Dice + boundary / Hausdorff compounds -------------------------------------

# the Dice member: segloss `dice` = MONAI DiceLoss with these options (and softmax / sigmoid)
DICE_MEMBER = {"include_background": True, "batch": False, "reduction": "mean",
               "smooth_nr": 1e-5, "smooth_dr": 1e-5, "squared_pred": False, "jaccard": False}


def monai_dice_member(z, g, act):
    """MONAI DiceLoss(include_background, softmax / sigmoid, smooth 1e-5, batch False, mean) on
    the logits and the one-hot (single sigmoid channel: label) target, float64."""
    p = DICE_MEMBER
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = DiceLoss(include_background=p["include_background"], to_onehot_y=False,
                     sigmoid=act == "sigmoid", softmax=act == "softmax",
                     squared_pred=p["squared_pred"], jaccard=p["jaccard"], smooth_nr=p["smooth_nr"],
                     smooth_dr=p["smooth_dr"], batch=p["batch"], reduction=p["reduction"])
        return m(z, torch.tensor(g))


def hand_dice_member(z, g, act):
    """The same Dice by hand: mean over (b, c) of 1 - (2 tp + nr) / (sum_s + sum_g + dr)."""
    p = DICE_MEMBER
    s, gt = activate(z, act), torch.tensor(g)
    d = list(range(2, s.dim()))
    tp, ss, sg = (s * gt).sum(d), s.sum(d), gt.sum(d)
    return (1 - (2 * tp + p["smooth_nr"]) / (ss + sg + p["smooth_dr"])).mean()


def schedule_replay(key, epochs):
    """(region, boundary) weights at epochs 0 .. epochs-1, replayed one epoch at a time as the
    reference loops run: JunMa11/SegWithDistMap train_LA_BD.py / train_LA_HD.py (after each
    epoch alpha -= step; if alpha <= step: alpha = step; weights (alpha, 1 - alpha)) and
    LIVIAETS/boundary-loss scheduler.StealWeight(to_steal=0.01) from isles.make's (1, 0.01)."""
    seq = []
    if key in ("boundary", "hausdorff"):
        step = {"boundary": 0.01, "hausdorff": 0.001}[key]
        alpha = 1.0
        for _ in range(epochs):
            seq.append((alpha, 1.0 - alpha))
            alpha -= step
            if alpha <= step:
                alpha = step
    else:
        assert key == "kervadec", key
        w = [1.0, 0.01]
        for _ in range(epochs):
            seq.append(tuple(w))
            w = [max(0.1, w[0] - 0.01), w[1] + 0.01]
    return seq


def compound_case(name, loss, shape, act="softmax", spacing=None, schedule=None, epoch=None,
                  lambda_dice=None, lambda_member=None, alpha=2.0):
    """`dice_boundary` / `dice_hausdorff`: w_region * Dice + w_boundary * (boundary | HD), the
    weights the schedule's at the epoch unless given (`schedule` / `epoch` None: the
    compound's defaults, boundary | hausdorff and 0). Golden: one autograd graph (MONAI
    DiceLoss + the member's formula); checked against w_r * (the Dice by hand) + w_b * (the
    leaf reference, boundary_leaf / hd_leaf, with its own checks), to 1e-12."""
    B, C, *sp = shape
    bd = loss == "dice_boundary"
    unit = spacing is None
    spacing = tuple(spacing or [1.0] * len(sp))
    key = schedule or ("boundary" if bd else "hausdorff")
    e = epoch or 0
    w_r, w_b = schedule_replay(key, e + 1)[e]
    if lambda_dice is not None:
        w_r = lambda_dice
    if lambda_member is not None:
        w_b = lambda_member
    labels, pred, g, valid = loss_inputs(name, shape, act, None)
    first = first_class(C, False)  # the member's include_background: false
    idc = list(range(first, C))

    # golden: one graph
    z = torch.tensor(pred, requires_grad=True)
    s = activate(z, act)
    dice = monai_dice_member(z, g, act)
    if bd:
        phi = torch.tensor(np.stack([one_hot2dist(g[b] > 0.5, spacing) for b in range(B)]))
        member = (s[:, idc] * phi[:, idc]).sum() / (len(idc) * B * math.prod(sp))
    else:
        sn = s.detach().numpy()
        dist = np.zeros(shape)
        for b in range(B):
            for c in idc:
                dist[b, c] = (monai_field(sn[b, c] > 0.5, spacing) ** alpha
                              + monai_field(g[b, c] > 0.5, spacing) ** alpha)
        gt = torch.tensor(g)
        member = ((s[:, idc] - gt[:, idc]) ** 2 * torch.tensor(dist[:, idc])).mean()
    value = w_r * dice + w_b * member
    value.backward()
    grad = z.grad.numpy().copy()

    # second path: the Dice by hand and the leaf reference, separately
    zd = torch.tensor(pred, requires_grad=True)
    vd = hand_dice_member(zd, g, act)
    vd.backward()
    zm = torch.tensor(pred, requires_grad=True)
    vmd = monai_dice_member(zm, g, act)
    vmd.backward()
    close(vmd.item(), vd.item(), TOL, name + " (MONAI DiceLoss vs hand Dice)")
    close(zm.grad.numpy(), zd.grad.numpy(), TOL, name + " (MONAI DiceLoss vs hand Dice, gradient)")
    if bd:
        vb, gb, _ = boundary_leaf(name, pred, g, valid, act, spacing, False)
        what = "boundary_leaf"
    else:
        monai_check = unit and len(sp) in (2, 3)
        vb, gb, _ = hd_leaf(name, pred, g, valid, act, spacing, False, alpha, False, monai_check)
        what = "hd_leaf" + (" + MONAI HausdorffDTLoss" if monai_check else "")
    close(w_r * vd.item() + w_b * vb, value.item(), TOL, name + " (w_r Dice + w_b leaf)")
    close(w_r * zd.grad.numpy() + w_b * gb, grad, TOL, name + " (w_r Dice + w_b leaf, gradient)")
    MEMBER_CHECKS[f"{loss}: MONAI DiceLoss = hand Dice, w_r Dice + w_b {what}"] = \
        MEMBER_CHECKS.get(f"{loss}: MONAI DiceLoss = hand Dice, w_r Dice + w_b {what}", 0) + 1

    m = "boundary" if bd else "hd"
    params = {"schedule": schedule, "epoch": epoch, "lambda_dice": lambda_dice,
              ("lambda_boundary" if bd else "lambda_hd"): lambda_member,
              **DICE_MEMBER, f"{m}_spacing": list(spacing), f"{m}_include_background": False}
    if not bd:
        params["hd_alpha"] = alpha
    LOSS_CASES.append({
        "name": name, "loss": loss, "activation": act, "shape": list(shape),
        "params": params, "weights": [w_r, w_b],
        "pred": short(pred), "labels": ints(labels), "maps": None,
        "value": value.item(), "grad": short(grad),
    })


def gen_losses():
    boundary_case("boundary_softmax_2d", (2, 3, 7, 9))
    boundary_case("boundary_softmax_2d_precomputed", (2, 3, 7, 9), precomputed=True)
    boundary_case("boundary_softmax_2d_aniso_bg", (2, 3, 7, 9), spacing=(0.75, 1.5),
                  include_background=True)
    boundary_case("boundary_softmax_2d_full_class", (2, 2, 6, 8), spacing=(1.0, 2.0),
                  full_sample=True)
    boundary_case("boundary_softmax_3d_aniso", (1, 3, 4, 5, 6), spacing=(2.5, 0.75, 1.25))
    boundary_case("boundary_softmax_1d", (2, 2, 23))
    boundary_case("boundary_sigmoid_2d_binary", (2, 1, 8, 8), act="sigmoid")
    boundary_case("boundary_sigmoid_2d_multilabel", (1, 3, 6, 7), act="sigmoid")
    boundary_case("boundary_none_2d", (1, 3, 6, 7), act="none")
    boundary_case("boundary_softmax_2d_ignore", (2, 3, 6, 7), ignore=255)

    hd_case("hd_softmax_2d", (2, 3, 7, 9))
    hd_case("hd_softmax_2d_bg", (2, 3, 7, 9), include_background=True)
    hd_case("hd_softmax_3d", (1, 3, 4, 5, 6))
    hd_case("hd_sigmoid_2d_binary", (2, 1, 8, 8), act="sigmoid")
    hd_case("hd_none_2d", (2, 3, 6, 7), act="none")
    hd_case("hd_log_softmax_2d", (2, 3, 7, 9), log=True)
    hd_case("hd_alpha1_softmax_2d", (2, 3, 6, 7), alpha=1.0)
    hd_case("hd_alpha3_log_3d", (1, 2, 4, 5, 6), alpha=3.0, log=True)
    hd_case("hd_softmax_3d_aniso", (1, 3, 4, 5, 6), spacing=(2.5, 0.75, 1.25))
    hd_case("hd_softmax_1d", (2, 3, 29))
    hd_case("hd_softmax_2d_ignore", (2, 3, 6, 7), ignore=255)

    # an empty sample (no foreground voxel): blank maps (one_hot2dist), zero fields (MONAI)
    boundary_case("boundary_softmax_2d_aniso_empty_sample", (2, 3, 7, 9), spacing=(1.5, 0.5),
                  empty_sample=True)
    boundary_case("boundary_sigmoid_2d_binary_aniso_empty_sample", (2, 1, 8, 8), act="sigmoid",
                  spacing=(1.5, 0.5), empty_sample=True)
    hd_case("hd_softmax_2d_empty_sample", (2, 3, 7, 9), empty_sample=True)
    hd_case("hd_softmax_3d_aniso_empty_sample", (2, 3, 4, 5, 6), spacing=(2.5, 0.75, 1.25),
            empty_sample=True)

    # the log_hausdorff preset (MONAI LogHausdorffDTLoss)
    hd_case("log_hausdorff_softmax_2d", (2, 3, 7, 9), loss="log_hausdorff")
    hd_case("log_hausdorff_sigmoid_2d_bg_alpha1", (1, 3, 6, 7), act="sigmoid", include_background=True,
            alpha=1.0, loss="log_hausdorff")
    hd_case("log_hausdorff_softmax_3d_aniso", (1, 3, 4, 5, 6), spacing=(2.5, 0.75, 1.25),
            loss="log_hausdorff")

    # Dice + boundary / Hausdorff, weighted by a schedule at an epoch
    compound_case("dice_boundary_softmax_2d_epoch30", "dice_boundary", (2, 3, 7, 9), epoch=30)
    compound_case("dice_boundary_softmax_3d_aniso_kervadec_epoch5", "dice_boundary", (1, 3, 4, 5, 6),
                  spacing=(2.5, 0.75, 1.25), schedule="kervadec", epoch=5)
    compound_case("dice_boundary_sigmoid_2d_aniso_epoch120_lambda_boundary", "dice_boundary", (2, 1, 8, 8),
                  act="sigmoid", spacing=(1.5, 0.5), schedule="boundary", epoch=120, lambda_member=2.0)
    compound_case("dice_boundary_softmax_2d_lambdas", "dice_boundary", (2, 3, 6, 7),
                  lambda_dice=0.75, lambda_member=0.25)
    compound_case("dice_hausdorff_softmax_2d_epoch500", "dice_hausdorff", (2, 3, 7, 9), epoch=500)
    compound_case("dice_hausdorff_softmax_3d_aniso_boundary_epoch40", "dice_hausdorff", (1, 3, 4, 5, 6),
                  spacing=(2.5, 0.75, 1.25), schedule="boundary", epoch=40)
    compound_case("dice_hausdorff_sigmoid_2d_kervadec_lambdas_alpha1", "dice_hausdorff", (2, 1, 8, 8),
                  act="sigmoid", schedule="kervadec", epoch=3, lambda_dice=1.0, lambda_member=0.25,
                  alpha=1.0)


def gen_schedules():
    """Replays of the reference loops, one epoch at a time, as the Python code runs them."""
    epochs = list(range(0, 12)) + [50, 97, 98, 99, 100, 101, 150, 500, 997, 998, 999, 1000, 1001, 1500]
    out = {}
    for key in ("boundary", "hausdorff", "kervadec"):
        seq = schedule_replay(key, max(epochs) + 1)
        out[key] = [[e, seq[e][0], seq[e][1]] for e in epochs]
    return out


# --------------------------------------------------------------------------

def write(path, head, sections):
    parts = []
    for key, rows in sections.items():
        if isinstance(rows, list):
            body = ",\n".join(json.dumps(r, separators=(",", ":")) for r in rows)
            parts.append(f'"{key}":[\n{body}\n]')
        else:
            parts.append(f'"{key}":' + json.dumps(rows, separators=(",", ":")))
    text = json.dumps(head, separators=(",", ":"))[:-1] + "," + ",\n".join(parts) + "}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    print(f"wrote {path.relative_to(REPO)} ({len(text) // 1024} KiB)")


def main():
    versions = {"generator": "scripts/golden/gen_boundary.py", "numpy": np.__version__,
                "scipy": scipy.__version__, "torch": torch.__version__, "monai": monai.__version__}
    gen_maps()
    write(OUT_EDT, versions, {"edt": EDT_CASES, "signed": SIGNED_CASES, "penalty": PENALTY_CASES})
    gen_losses()
    for c in LOSS_CASES:
        c["spec"] = spec_of(c)
    write(OUT_LOSS, versions, {"losses": LOSS_CASES, "schedule": gen_schedules()})
    for path in (OUT_EDT, OUT_LOSS):  # re-read and check the files
        data = json.loads(path.read_text())
        for rows in data.values():
            if isinstance(rows, list):
                assert len({r["name"] for r in rows}) == len(rows)
    for c in LOSS_CASES:
        assert math.isfinite(c["value"]) and len(c["grad"]) == math.prod(c["shape"]), c["name"]
        print(f"  {c['name']}: {c['value']:.10g}")
    for what, n in MEMBER_CHECKS.items():
        print(f"  cross-check {what}: {n} cases")


if __name__ == "__main__":
    main()
