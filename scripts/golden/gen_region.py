#!/usr/bin/env python3
"""Golden vectors for the region-based and compound losses of segloss.

Writes tests/golden/region.json: for each case the inputs (prediction, target,
mask), the loss value and the gradient dL/d(pred), all computed in float64 with
torch autograd, using MONAI calls as the reference wherever one exists and
faithful copies of the nnU-Net / segmentation_models_pytorch / SegLoss code for
the presets (see scripts/golden/README.md for the formulas and conventions).

Run from the repository root with the venv made by scripts/setup-python.sh:

    python scripts/golden/gen_region.py

Everything is deterministic: each case draws its data from its own RNG, seeded
with crc32(case name), so adding or removing a case leaves the others unchanged.
The input conventions are those of gen_distribution.py (logits multiples of
2^-5 -- 2^-10 for dice_topk --, probabilities multiples of 2^-12, soft targets
multiples of 2^-8: all exactly representable in float32).

Every case is computed twice -- a reference (the library call where one exists)
and an independent formula written from the per-class statistics -- and the two
must agree to 1e-12 (relative to max(1, |value|), and to max(1, max|grad|) for
the gradient). Library paths that compute in float32 (MONAI's
GeneralizedDiceLoss weights, FocalLoss inside DiceFocalLoss) are compared too,
to 1e-6 / 1e-5.
"""
from __future__ import annotations

import json
import math
import sys
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from specs import spec_of  # noqa: E402  (the case's segloss spec)
import torch
import torch.nn.functional as F

import monai
from monai.losses import DiceCELoss, DiceFocalLoss, DiceLoss, GeneralizedDiceLoss, MCCLoss, TverskyLoss
# MONAI's FocalLoss.forward casts to float32; the float64 reference uses the two
# module-level functions it calls, unchanged (as gen_distribution.py does).
from monai.losses.focal_loss import sigmoid_focal_loss, softmax_focal_loss

torch.set_default_dtype(torch.float64)
warnings.filterwarnings("ignore", message=r".*(single channel prediction|scalar `alpha` ignored).*")

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "tests" / "golden" / "region.json"
TOL = 1e-12

# Shapes (B, C, spatial...). Pixel counts are not multiples of 8/16, and the
# innermost extent of the 1D shapes is > 16 so a SIMD main loop runs too. The
# basic case of the main families uses the larger "X" shapes; the variants use
# small ones to keep the JSON short.
X1B = (2, 3, 37)         # 1D, 74 pixels
X2B = (2, 4, 5, 7)       # 2D, 70 pixels
X3 = (1, 3, 3, 4, 5)     # 3D, 60 pixels
S1B = (2, 3, 17)         # 1D, 34 pixels
S1 = (1, 3, 29)          # 1D, 29 pixels
S2B = (2, 4, 3, 5)       # 2D, 30 pixels
S2 = (1, 4, 3, 7)        # 2D, 21 pixels
S2S = (2, 3, 3, 5)       # 2D, 30 pixels
S3 = (1, 3, 2, 3, 5)     # 3D, 30 pixels
S3B = (2, 3, 2, 2, 3)    # 3D, 24 pixels
C1 = (2, 1, 5, 7)        # one sigmoid channel, 70 pixels
# one per loss family (dice, gdice, dice_ce): 703 pixels, i.e. 2109 elements = 3
# tiles of 1024 elements at C = 3 (the last one partial)
LARGE = (1, 3, 19, 37)


# --------------------------------------------------------------------------
# Input generation (as gen_distribution.py)
# --------------------------------------------------------------------------

def f32_exact(x: np.ndarray) -> np.ndarray:
    """Round to float32 and back; assert nothing changed (inputs are built exact)."""
    x = np.asarray(x, dtype=np.float64)
    y = x.astype(np.float32).astype(np.float64)
    assert np.array_equal(x, y), "input not float32-representable"
    return y


def quantize(x: np.ndarray, step: float) -> np.ndarray:
    """Round to a multiple of `step` (a power of two): exact in f32, short in JSON."""
    return f32_exact(np.round(np.asarray(x) / step) * step + 0.0)  # + 0.0: no "-0.0"


def np_softmax(z: np.ndarray, axis: int = 1) -> np.ndarray:
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def simplex_quantized(p: np.ndarray, denom: int, min_count: int) -> np.ndarray:
    """Quantize per-pixel distributions (axis 1) to multiples of 1/denom that sum
    to exactly 1 (the largest entry absorbs the rounding)."""
    cnt = np.maximum(np.round(p * denom), min_count)
    diff = denom - cnt.sum(axis=1, keepdims=True)
    idx = cnt.argmax(axis=1)[:, None]
    np.put_along_axis(cnt, idx, np.take_along_axis(cnt, idx, 1) + diff, 1)
    assert (cnt >= min_count).all() and (cnt <= denom).all()
    return f32_exact(cnt / denom)


def gen_logits(rng, shape, step=2.0**-5):
    return quantize(rng.standard_normal(shape), step)


def gen_probs(rng, shape):
    """'none' activation: softmax of random logits, strictly inside (0,1), each
    pixel summing to exactly 1."""
    return simplex_quantized(np_softmax(rng.standard_normal(shape) * 1.5), 4096, 1)


def gen_labels(rng, pix_shape, classes, ignore, ignore_frac):
    lab = rng.choice(np.asarray(classes), size=pix_shape)
    if ignore is not None:
        lab[rng.random(pix_shape) < ignore_frac] = ignore
    return lab.astype(np.int64)


def to_layout(a_cf: np.ndarray, layout: str) -> np.ndarray:
    """(B, C, spatial...) -> stored layout."""
    return np.moveaxis(a_cf, 1, -1) if layout == "channel_last" else a_cf


# --------------------------------------------------------------------------
# Case context: channel-first float64 tensors
# --------------------------------------------------------------------------

@dataclass
class Ctx:
    act: str
    params: dict
    C: int
    g: torch.Tensor              # (B, C, sp...) one-hot / dense target, 0 at invalid pixels
    labels: torch.Tensor | None  # (B, sp...) raw labels (may hold the ignore index)
    ignore: int | None
    valid: torch.Tensor          # (B, sp...) bool
    has_mask: bool
    dense: bool

    @property
    def vf(self):  # valid as float, (B, 1, sp...)
        return self.valid.to(torch.float64).unsqueeze(1)

    @property
    def N(self):
        return self.valid.sum().to(torch.float64)

    @property
    def all_valid(self):
        return bool(self.valid.all())

    @property
    def first(self):
        """First included class: 1 without background, but never with one class (MONAI)."""
        return 1 if (not self.params["include_background"] and self.C > 1) else 0

    @property
    def Cinc(self):
        return self.C - self.first

    def cview(self, w):  # per-class vector -> broadcastable (1, C, 1, ...)
        return w.view([1, -1] + [1] * (self.g.dim() - 2))

    def weight_inc(self):
        """`weight` restricted to the included classes, or None."""
        w = self.params.get("weight")
        return None if w is None else torch.tensor(w[self.first:], dtype=torch.float64)

    def safe_labels(self):
        return torch.where(self.valid, self.labels, torch.zeros_like(self.labels))

    def tgt_ignore(self):
        """Labels with every invalid pixel (ignored or masked) set to one ignore index."""
        ii = self.ignore if self.ignore is not None else -100
        return torch.where(self.valid, self.labels, torch.full_like(self.labels, ii)), ii


def activate(c: Ctx, z):
    if c.act == "softmax":
        return torch.softmax(z, 1)
    if c.act == "sigmoid":
        return torch.sigmoid(z)
    return z


def clamped_log(p):
    """max(ln p, -100) (PyTorch's BCE convention); zero gradient where clamped."""
    ok = p > math.exp(-100.0)
    return torch.where(ok, torch.log(torch.where(ok, p, torch.ones_like(p))), torch.full_like(p, -100.0))


# --------------------------------------------------------------------------
# Per-class statistics, two independent ways. Every field is (G, C) with G = B
# (per sample) or 1 (batch = true); n is (G, 1).
# --------------------------------------------------------------------------

def _dims(c: Ctx, batch):
    sp = list(range(2, c.g.dim()))
    return ([0] + sp) if batch else sp


def _grp(x, batch):
    return x.unsqueeze(0) if batch else x


def stats_direct(c: Ctx, s, batch):
    """tp = Σ g s, sum_s = Σ s, ... over valid pixels (s multiplied by the valid mask)."""
    d, v, g = _dims(c, batch), c.vf, c.g
    sv = s * v
    st = SimpleNamespace(
        tp=(g * sv).sum(d), sum_s=sv.sum(d), sum_g=(g * v).sum(d), sum_ss=(sv * s).sum(d),
        sum_gg=(g * g * v).sum(d), sum_gss=(g * sv * s).sum(d), n=v.sum(d))
    st = SimpleNamespace(**{k: _grp(x, batch) for k, x in vars(st).items()})
    return st


def stats_confusion(c: Ctx, s, batch):
    """The same from the elementwise confusion terms: tp, fp = Σ s(1-g), fn = Σ (1-s) g,
    tn = Σ (1-s)(1-g); sum_s = tp + fp, sum_g = tp + fn, n = tp + fp + fn + tn."""
    d, v, g = _dims(c, batch), c.vf, c.g
    tp = (v * s * g).sum(d)
    fp = (v * s * (1 - g)).sum(d)
    fn = (v * (1 - s) * g).sum(d)
    tn = (v * (1 - s) * (1 - g)).sum(d)
    ssq_pos = (v * s * s * g).sum(d)
    ssq_neg = (v * s * s * (1 - g)).sum(d)
    st = SimpleNamespace(tp=tp, sum_s=tp + fp, sum_g=tp + fn, sum_ss=ssq_pos + ssq_neg,
                         sum_gg=(v * g.pow(2)).sum(d), sum_gss=ssq_pos, n=tp + fp + fn + tn)
    st = SimpleNamespace(**{k: _grp(x, batch) for k, x in vars(st).items()})
    st.n = st.n[:, :1]
    return st


def included(c: Ctx, st):
    f = c.first
    return SimpleNamespace(**{k: (x if k == "n" else x[:, f:]) for k, x in vars(st).items()})


def per_class_total(c: Ctx, f):
    """f: (G, C') per-class losses of the included classes -> weighted mean / sum."""
    w = c.weight_inc()
    if w is not None:
        f = f * w
    return f.mean() if c.params["reduction"] == "mean" else f.sum()


def coupled_total(c: Ctx, v):
    """v: (G,) one value per sample (or one pooled) -> mean / sum."""
    return v.mean() if c.params["reduction"] == "mean" else v.sum()


# --------------------------------------------------------------------------
# Hand formulas on the statistics (the `alt` path; the `ref` path for losses
# no library implements)
# --------------------------------------------------------------------------

def f_dice(p, st):
    den = (st.sum_ss + st.sum_gg) if p["squared_pred"] else (st.sum_s + st.sum_g)
    if p["jaccard"]:
        den = 2 * (den - st.tp)
    r = (2 * st.tp + p["smooth_nr"]) / (den + p["smooth_dr"])
    return -torch.log(r) if p.get("log_dice") else 1 - r


def f_iou(p, st):
    return 1 - (st.tp + p["smooth_nr"]) / (st.sum_s + st.sum_g - st.tp + p["smooth_dr"])


def f_log_cosh_dice(p, st):
    d = 1 - (2 * st.tp + p["smooth_nr"]) / (st.sum_s + st.sum_g + p["smooth_dr"])
    return torch.log((torch.exp(d) + torch.exp(-d)) / 2)


def tversky_index(p, st, alpha, beta):
    fp, fn = st.sum_s - st.tp, st.sum_g - st.tp
    return (st.tp + p["smooth_nr"]) / (st.tp + alpha * fp + beta * fn + p["smooth_dr"])


def f_tversky(p, st):
    return 1 - tversky_index(p, st, p["alpha"], p["beta"])


def f_focal_tversky(p, st):
    return (1 - tversky_index(p, st, p["alpha"], p["beta"])) ** (1.0 / p["gamma"])


def v_focal_tversky_mean(p, st):
    return (1 - tversky_index(p, st, p["alpha"], p["beta"]).mean(1)) ** (1.0 / p["gamma"])


def asym_w(p):
    return p["beta"] ** 2 / (1 + p["beta"] ** 2)


def f_asym(p, st):
    w = asym_w(p)
    fp, fn = st.sum_s - st.tp, st.sum_g - st.tp
    return 1 - (st.tp + p["smooth_nr"]) / (st.tp + w * fn + (1 - w) * fp + p["smooth_dr"])


def gdice_weights(p, sum_g):
    """1/x², 1/x or 1 of the (constant) target volumes; an infinite weight (absent
    class) becomes the largest finite weight of its group (0 if there is none)."""
    x = sum_g.detach()
    wt = p["w_type"]
    w = 1 / (x * x) if wt == "square" else (1 / x if wt == "simple" else torch.ones_like(x))
    inf = torch.isinf(w)
    w = torch.where(inf, torch.zeros_like(w), w)
    mx = w.max(1, keepdim=True).values
    return torch.where(inf, mx.expand_as(w), w)


def v_gdice(p, st):
    w = gdice_weights(p, st.sum_g)
    num = 2 * (w * st.tp).sum(1) + p["smooth_nr"]
    den = (w * (st.sum_s + st.sum_g)).sum(1) + p["smooth_dr"]
    return 1 - num / den


def v_pgdice(p, st):
    gd = v_gdice(p, st)
    return gd / (1 + p["k"] * (1 - gd))


def f_ss(p, st):
    w, dr = p["w"], p["smooth_dr"]
    return (w * (st.sum_g - 2 * st.tp + st.sum_gss) / (st.sum_g + dr)
            + (1 - w) * (st.sum_ss - st.sum_gss) / (st.n - st.sum_g + dr))


def f_mcc(p, st):
    tp = st.tp
    fp, fn = st.sum_s - tp, st.sum_g - tp
    tn = st.n - st.sum_s - st.sum_g + tp
    return 1 - (tp * tn - fp * fn) / torch.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn) + p["smooth_dr"])


PER_CLASS = {"dice": f_dice, "iou": f_iou, "tversky": f_tversky, "focal_tversky": f_focal_tversky,
             "asym": f_asym, "ss": f_ss, "mcc": f_mcc, "log_cosh_dice": f_log_cosh_dice}
COUPLED = {"focal_tversky_mean": v_focal_tversky_mean, "gdice": v_gdice, "pgdice": v_pgdice}


def hand_region(c: Ctx, z, loss, stats=stats_confusion):
    st = included(c, stats(c, activate(c, z), c.params["batch"]))
    if loss in PER_CLASS:
        return per_class_total(c, PER_CLASS[loss](c.params, st))
    return coupled_total(c, COUPLED[loss](c.params, st))


def dice_opts(p):
    """The `dice` parameters of a compound loss."""
    return {"smooth_nr": p["smooth_nr"], "smooth_dr": p["smooth_dr"], "squared_pred": p["squared_pred"],
            "jaccard": p["jaccard"], "log_dice": False}


def hand_dice(c: Ctx, s, stats=stats_confusion):
    st = included(c, stats(c, s, c.params["batch"]))
    return per_class_total(c, f_dice(dice_opts(c.params), st))


# ---- cross entropy / focal / topk pieces (hand) ----------------------------

def hand_ce(c: Ctx, z, weight):
    """softmax CE: labels Σ_valid w_y (-ln s_y) / Σ_valid w_y; dense Σ_valid Σ_c -w_c t_c ln s_c / N."""
    logs = F.log_softmax(z, 1)
    wv = c.cview(torch.tensor(weight)) if weight is not None else 1.0
    total = -(wv * c.g * logs * c.vf).sum()
    if c.dense or weight is None:
        return total / c.N
    return total / (torch.tensor(weight)[c.safe_labels()] * c.valid).sum()


def focal_terms_hand(c: Ctx, z):
    """Elementwise focal terms (B, C, sp...): softmax -α_c (1-s)^γ g ln s; sigmoid
    BCE · sigmoid(-z(2g-1))^γ · (α g + (1-α)(1-g))."""
    p = c.params
    gamma, alpha = p["gamma"], p["alpha"]
    if c.act == "softmax":
        logs, s = F.log_softmax(z, 1), torch.softmax(z, 1)
        a = 1.0
        if isinstance(alpha, list):
            a = c.cview(torch.tensor(alpha))
        elif alpha is not None:
            a = c.cview(torch.tensor([1 - alpha] + [alpha] * (c.C - 1)))
        return -a * (1 - s) ** gamma * c.g * logs
    t = c.g
    bce = -(t * F.logsigmoid(z) + (1 - t) * F.logsigmoid(-z))
    # 1 - p_t = s(1-t) + (1-s)t for binary t; for soft t MONAI's form sigmoid(-z(2t-1))
    # (as in distribution.json)
    one_minus_pt = torch.sigmoid(-z * (2 * t - 1))
    a = 1.0 if alpha is None else alpha * t + (1 - alpha) * (1 - t)
    return a * one_minus_pt ** gamma * bce


def focal_elementmean(c: Ctx, terms):
    """Σ over included classes and valid pixels of w_c · terms, / (N · C')."""
    t = terms[:, c.first:] * c.vf
    w = c.weight_inc()
    if w is not None:
        t = t * w.view([1, -1] + [1] * (t.dim() - 2))
    return t.sum() / (c.N * c.Cinc)


def pixel_ce(c: Ctx, z):
    return -(c.g * F.log_softmax(z, 1)).sum(1)


def topk_count(c: Ctx):
    return max(1, math.floor(int(c.valid.sum()) * c.params["k"] / 100))


def topk_torch(c: Ctx, per):
    return torch.topk(per[c.valid], topk_count(c)).values.mean()


def topk_numpy_select(c: Ctx, per):
    per = per[c.valid]
    order = np.argsort(-per.detach().numpy(), kind="stable")[: topk_count(c)]
    return per[torch.from_numpy(order.copy())].mean()


class TooClose(Exception):
    """A topk selection boundary is too tight for an f32 implementation."""


def check_topk_gap(c: Ctx, z):
    per = np.sort(pixel_ce(c, z)[c.valid].detach().numpy())[::-1]
    k = topk_count(c)
    if k < len(per) and not per[k - 1] - per[k] > 1e-4 * max(1.0, per[k - 1]):
        raise TooClose


# --------------------------------------------------------------------------
# MONAI calls
# --------------------------------------------------------------------------

def monai_io(c: Ctx, s, squared=False):
    """(input, target, to_onehot_y) for a MONAI region loss given activated s.
    Label targets without invalid pixels go through MONAI's own one-hot
    (to_onehot_y, labels as (B, 1, ...)); otherwise input and target are zeroed
    at the invalid pixels (equivalent to leaving them out of every sum).
    MONAI's one_hot is float32, and with squared_pred its L2-norm path then
    computes |g|² in float32: squared_pred always gets the float64 one-hot."""
    if not c.dense and c.C > 1 and c.all_valid and not squared:
        return s, c.labels.unsqueeze(1), True
    return s * c.vf, c.g, False


def as_groups(c: Ctx, f):
    """MONAI reduction='none' output -> (G, C')."""
    return f.reshape(1 if c.params["batch"] else c.g.shape[0], -1)


def monai_dice_module(c: Ctx, p, *, reduction=None, weight=True, **kw):
    w = c.weight_inc() if weight else None
    return DiceLoss(include_background=c.params["include_background"], to_onehot_y=kw.pop("to_onehot_y"),
                    squared_pred=p["squared_pred"], jaccard=p["jaccard"], smooth_nr=p["smooth_nr"],
                    smooth_dr=p["smooth_dr"], batch=c.params["batch"], weight=w,
                    reduction=reduction or c.params["reduction"], **kw)


def monai_dice(c: Ctx, s, p=None, **kw):
    p = p or c.params
    x, t, oh = monai_io(c, s, p["squared_pred"])
    return monai_dice_module(c, p, to_onehot_y=oh, **kw)(x, t)


def monai_tversky_none(c: Ctx, s, alpha, beta):
    """(G, C') Tversky losses 1 - T from MONAI."""
    p = c.params
    x, t, oh = monai_io(c, s)
    m = TverskyLoss(include_background=p["include_background"], to_onehot_y=oh, alpha=alpha, beta=beta,
                    smooth_nr=p["smooth_nr"], smooth_dr=p["smooth_dr"], batch=p["batch"], reduction="none")
    return as_groups(c, m(x, t))


class GeneralizedDiceLoss64(GeneralizedDiceLoss):
    """MONAI's GeneralizedDiceLoss, unchanged except that its class weights are
    computed in float64 (forward calls w_func(ground_o.float()), i.e. float32)."""

    def __init__(self, *a, target64=None, **kw):
        super().__init__(*a, **kw)
        self.target64 = target64

    def w_func(self, grnd):
        g = self.target64  # the float64 volumes, handed over by the caller
        # forward passed them rounded to float32; they are exact there (integer / dyadic sums)
        assert torch.equal(grnd.double(), g), "target volumes not float32-exact"
        return super().w_func(g)


def gdice_volumes(c: Ctx):
    """The target volumes MONAI's forward computes, in float64."""
    p = c.params
    st = included(c, stats_direct(c, c.g, p["batch"]))  # s := g only to reuse the sums
    vol = st.sum_g
    return vol[0] if p["batch"] else vol


def monai_gdice(c: Ctx, s, *, f64=True, reduction=None):
    p = c.params
    x, t, oh = monai_io(c, s)
    kw = dict(include_background=p["include_background"], to_onehot_y=oh, w_type=p["w_type"],
              smooth_nr=p["smooth_nr"], smooth_dr=p["smooth_dr"], batch=p["batch"],
              reduction=reduction or p["reduction"])
    m = GeneralizedDiceLoss64(target64=gdice_volumes(c), **kw) if f64 else GeneralizedDiceLoss(**kw)
    return m(x, t)


# --------------------------------------------------------------------------
# Losses: ref(c, z) -> scalar tensor; alt(c, z) -> scalar tensor (hand formula)
# --------------------------------------------------------------------------

def ref_dice(c, z):
    s = activate(c, z)
    if c.params["log_dice"]:  # not in MONAI: -ln(1 - f) of MONAI's per-class f
        f = as_groups(c, monai_dice(c, s, reduction="none", weight=False))
        return per_class_total(c, -torch.log(1 - f))
    return monai_dice(c, s)


def ref_iou(c, z):
    # MONAI's Jaccard form is 1 - (2tp + nr)/(2(tp+fp+fn) + dr): doubled smoothing gives ours
    p = dict(c.params, squared_pred=False, jaccard=True, smooth_nr=2 * c.params["smooth_nr"],
             smooth_dr=2 * c.params["smooth_dr"])
    return monai_dice(c, activate(c, z), p=p)


def ref_log_cosh_dice(c, z):
    # Jadon's log-cosh Dice: ln cosh of MONAI's per-class Dice loss (reduction none)
    p = dict(c.params, squared_pred=False, jaccard=False)
    f = as_groups(c, monai_dice(c, activate(c, z), p=p, reduction="none", weight=False))
    return per_class_total(c, torch.log(torch.cosh(f)))


def ref_tversky(c, z):
    return per_class_total(c, monai_tversky_none(c, activate(c, z), c.params["alpha"], c.params["beta"]))


def ref_focal_tversky(c, z):
    f = monai_tversky_none(c, activate(c, z), c.params["alpha"], c.params["beta"])
    return per_class_total(c, f ** (1.0 / c.params["gamma"]))


def ref_focal_tversky_mean(c, z):
    t = 1 - monai_tversky_none(c, activate(c, z), c.params["alpha"], c.params["beta"])
    return coupled_total(c, (1 - t.mean(1)) ** (1.0 / c.params["gamma"]))


def ref_asym(c, z):
    # Tversky with alpha (fp) = 1 - w, beta (fn) = w
    w = asym_w(c.params)
    return per_class_total(c, monai_tversky_none(c, activate(c, z), 1 - w, w))


def ref_gdice(c, z):
    return monai_gdice(c, activate(c, z))


def ref_pgdice(c, z):
    gd = monai_gdice(c, activate(c, z), reduction="none").reshape(-1)
    return coupled_total(c, gd / (1 + c.params["k"] * (1 - gd)))


def ref_ss(c, z):
    """w Σ(g-s)² g / Σ g + (1-w) Σ(g-s)² (1-g) / Σ(1-g), elementwise over valid pixels."""
    p = c.params
    s, v, g = activate(c, z), c.vf, c.g
    d = _dims(c, p["batch"])
    se = (g - s) ** 2
    a = (se * g * v).sum(d) / ((g * v).sum(d) + p["smooth_dr"])
    b = (se * (1 - g) * v).sum(d) / (((1 - g) * v).sum(d) + p["smooth_dr"])
    f = _grp(p["w"] * a + (1 - p["w"]) * b, p["batch"])
    return per_class_total(c, f[:, c.first:])


def ref_mcc(c, z):
    """MONAI MCCLoss on the valid pixels only (gathered per sample, or pooled)."""
    p = c.params
    s = activate(c, z)
    B = s.shape[0]
    sf, gf, vf = s.reshape(B, c.C, -1), c.g.reshape(B, c.C, -1), c.valid.reshape(B, -1)
    if p["batch"]:
        groups = [(torch.cat([sf[b][:, vf[b]] for b in range(B)], 1), torch.cat([gf[b][:, vf[b]] for b in range(B)], 1))]
    else:
        groups = [(sf[b][:, vf[b]], gf[b][:, vf[b]]) for b in range(B)]
    m = MCCLoss(include_background=p["include_background"], smooth_nr=0.0, smooth_dr=p["smooth_dr"],
                batch=False, reduction="none")
    f = torch.cat([m(x[None], t[None]).reshape(1, -1) for x, t in groups], 0)
    return per_class_total(c, f)


def alt_region(loss):
    return lambda c, z: hand_region(c, z, loss)


def alt_region_direct(loss):
    return lambda c, z: hand_region(c, z, loss, stats=stats_direct)


# ---- compounds ------------------------------------------------------------

def ref_dice_ce(c, z):
    p = c.params
    if c.all_valid and p["ce_weight"] == p["weight"] and not (p["squared_pred"] and not c.dense):
        # MONAI DiceCELoss itself: one `weight` for both parts (the Dice part gets
        # weight[1:] without background), logits in, softmax inside
        w = None if p["ce_weight"] is None else torch.tensor(p["ce_weight"])
        m = DiceCELoss(include_background=p["include_background"], to_onehot_y=not c.dense, softmax=True,
                       squared_pred=p["squared_pred"], jaccard=p["jaccard"], smooth_nr=p["smooth_nr"],
                       smooth_dr=p["smooth_dr"], batch=p["batch"], weight=w, lambda_dice=p["lambda_dice"],
                       lambda_ce=p["lambda_ce"])
        return m(z, c.g if c.dense else c.labels.unsqueeze(1))
    # invalid pixels (DiceCELoss has no ignore_index) or separate weights: its two parts
    dice = monai_dice(c, torch.softmax(z, 1))
    w = None if p["ce_weight"] is None else torch.tensor(p["ce_weight"])
    if c.dense:
        ce = (F.cross_entropy(z, c.g, weight=w, reduction="none") * c.valid).sum() / c.N
    else:
        tgt, ii = c.tgt_ignore()
        ce = F.cross_entropy(z, tgt, weight=w, ignore_index=ii)
    return p["lambda_dice"] * dice + p["lambda_ce"] * ce


def alt_dice_ce(c, z):
    p = c.params
    return p["lambda_dice"] * hand_dice(c, torch.softmax(z, 1)) + p["lambda_ce"] * hand_ce(c, z, p["ce_weight"])


def monai_focal_terms(c, z):
    """MONAI's elementwise focal functions in float64 on the full (B, C) logits."""
    p = c.params
    alpha = p["alpha"]
    if c.act == "softmax":
        a = None if alpha is None else (torch.tensor(alpha) if isinstance(alpha, list) else float(alpha))
        return softmax_focal_loss(z, c.g, p["gamma"], a)
    assert not isinstance(alpha, list)
    return sigmoid_focal_loss(z, c.g, p["gamma"], None if alpha is None else float(alpha))


def ref_dice_focal(c, z):
    p = c.params
    dice = monai_dice(c, activate(c, z))
    return p["lambda_dice"] * dice + p["lambda_focal"] * focal_elementmean(c, monai_focal_terms(c, z))


def alt_dice_focal(c, z):
    p = c.params
    return (p["lambda_dice"] * hand_dice(c, activate(c, z))
            + p["lambda_focal"] * focal_elementmean(c, focal_terms_hand(c, z)))


def ref_dice_topk(c, z):
    p = c.params
    dice = monai_dice(c, torch.softmax(z, 1))
    tgt, ii = c.tgt_ignore()
    per = F.cross_entropy(z, tgt, ignore_index=ii, reduction="none")
    return p["lambda_dice"] * dice + p["lambda_topk"] * topk_torch(c, per)


def alt_dice_topk(c, z):
    p = c.params
    return p["lambda_dice"] * hand_dice(c, torch.softmax(z, 1)) + p["lambda_topk"] * topk_numpy_select(c, pixel_ce(c, z))


def ref_combo(c, z):
    """alpha · mbce + (1 - alpha) · dice; mbce from PyTorch's BCE on the softmax
    probabilities (which clamps its logs at -100): -ln s = BCE(s, 1), -ln(1-s) = BCE(s, 0)."""
    p = c.params
    s = torch.softmax(z, 1)
    neg_ln_s = F.binary_cross_entropy(s, torch.ones_like(s), reduction="none")
    neg_ln_1ms = F.binary_cross_entropy(s, torch.zeros_like(s), reduction="none")
    mbce = ((p["beta"] * c.g * neg_ln_s + (1 - p["beta"]) * (1 - c.g) * neg_ln_1ms) * c.vf).sum() / c.N
    return p["alpha"] * mbce + (1 - p["alpha"]) * monai_dice(c, s)


def alt_combo(c, z):
    p = c.params
    s = torch.softmax(z, 1)
    # ln(1 - s_c) = ln Σ_{j≠c} s_j, via logsumexp of the other logits
    C = c.C
    ln1m = torch.stack([torch.logsumexp(torch.cat([z[:, :k], z[:, k + 1:]], 1), 1) for k in range(C)], 1) \
        - torch.logsumexp(z, 1, keepdim=True)
    mbce = -((p["beta"] * c.g * F.log_softmax(z, 1) + (1 - p["beta"]) * (1 - c.g) * ln1m) * c.vf).sum() / c.N
    return p["alpha"] * mbce + (1 - p["alpha"]) * hand_dice(c, s)


def ell_ce(c, z, gamma):
    """(1/N) Σ_valid Σ_c g (-ln s)^γ, only where g > 0."""
    nls = -F.log_softmax(z, 1)
    pos = (c.g > 0) & c.valid.unsqueeze(1)
    term = torch.where(pos, torch.where(pos, nls, torch.ones_like(nls)) ** gamma, torch.zeros_like(nls))
    return (c.g * term).sum() / c.N


def ref_ell(c, z):
    p = c.params
    s = torch.softmax(z, 1)
    dp = dict(smooth_nr=p["smooth_nr"], smooth_dr=p["smooth_dr"], squared_pred=False, jaccard=False)
    dice_bc = 1 - as_groups(c, monai_dice(c, s, p=dp, reduction="none", weight=False))
    ld = (-torch.log(dice_bc)) ** p["gamma_dice"]
    return p["w_dice"] * per_class_total(c, ld) + p["w_ce"] * ell_ce(c, z, p["gamma_ce"])


def alt_ell(c, z):
    p = c.params
    st = included(c, stats_confusion(c, torch.softmax(z, 1), p["batch"]))
    dice_bc = (2 * st.tp + p["smooth_nr"]) / (st.sum_s + st.sum_g + p["smooth_dr"])
    ld = torch.exp(p["gamma_dice"] * torch.log(-torch.log(dice_bc)))
    # the CE part pixel by pixel: the labelled class's -ln s (hard labels)
    lab = c.safe_labels()
    nls = -torch.gather(F.log_softmax(z, 1), 1, lab.unsqueeze(1)).squeeze(1)
    ce = (torch.exp(p["gamma_ce"] * torch.log(torch.where(c.valid, nls, torch.ones_like(nls)))) * c.valid).sum() / c.N
    return p["w_dice"] * per_class_total(c, ld) + p["w_ce"] * ce


# ---- presets: copies of the original code ---------------------------------

def nnunet_get_tp_fp_fn_tn(net_output, gt, axes, mask):
    """nnunetv2/training/loss/dice.py get_tp_fp_fn_tn (square=False), gt a label map."""
    shp_x = net_output.shape
    with torch.no_grad():
        if len(shp_x) != len(gt.shape):
            gt = gt.view((gt.shape[0], 1, *gt.shape[1:]))
        y_onehot = torch.zeros(shp_x, device=net_output.device)
        y_onehot.scatter_(1, gt.long(), 1)
    tp = net_output * y_onehot
    fp = net_output * (1 - y_onehot)
    fn = (1 - net_output) * y_onehot
    tn = (1 - net_output) * (1 - y_onehot)
    if mask is not None:
        with torch.no_grad():
            mask_here = torch.tile(mask, (1, tp.shape[1], *[1 for _ in range(2, len(tp.shape))]))
        tp, fp, fn, tn = tp * mask_here, fp * mask_here, fn * mask_here, tn * mask_here
    return tp.sum(dim=axes), fp.sum(dim=axes), fn.sum(dim=axes), tn.sum(dim=axes)


def nnunet_soft_dice(x, y, loss_mask, batch_dice, do_bg, smooth):
    """nnunetv2 SoftDiceLoss.forward with apply_nonlin=softmax_helper_dim1, ddp=False, clip_tp=None."""
    shp_x = x.shape
    axes = [0] + list(range(2, len(shp_x))) if batch_dice else list(range(2, len(shp_x)))
    x = torch.softmax(x, 1)
    tp, fp, fn, _ = nnunet_get_tp_fp_fn_tn(x, y, axes, loss_mask)
    nominator = 2 * tp
    denominator = 2 * tp + fp + fn
    dc = (nominator + smooth) / (torch.clip(denominator + smooth, 1e-8))
    if not do_bg:
        dc = dc[1:] if batch_dice else dc[:, 1:]
    return -dc.mean()


def nnunet_me_soft_dice(x, y, loss_mask, batch_dice, do_bg, smooth):
    """nnunetv2 MemoryEfficientSoftDiceLoss.forward (the trainer's default dice_class), ddp=False."""
    shp_x, shp_y = x.shape, y.shape
    x = torch.softmax(x, 1)
    if not do_bg:
        x = x[:, 1:]
    axes = list(range(2, len(shp_x)))
    with torch.no_grad():
        if len(shp_x) != len(shp_y):
            y = y.view((shp_y[0], 1, *shp_y[1:]))
        y_onehot = torch.zeros(shp_x, device=x.device, dtype=torch.bool)
        y_onehot.scatter_(1, y.long(), 1)
        if not do_bg:
            y_onehot = y_onehot[:, 1:]
        sum_gt = y_onehot.sum(axes) if loss_mask is None else (y_onehot * loss_mask).sum(axes)
    intersect = (x * y_onehot).sum(axes) if loss_mask is None else (x * y_onehot * loss_mask).sum(axes)
    sum_pred = x.sum(axes) if loss_mask is None else (x * loss_mask).sum(axes)
    if batch_dice:
        intersect, sum_pred, sum_gt = intersect.sum(0), sum_pred.sum(0), sum_gt.sum(0)
    dc = (2 * intersect + smooth) / (torch.clip(sum_gt + sum_pred + smooth, 1e-8))
    return -dc.mean()


def nnunet_inputs(c: Ctx):
    """DC_and_CE_loss's handling of the ignore label: the dice target gets label 0 at
    ignored pixels and the loss mask removes them (a segloss mask is treated alike)."""
    if c.all_valid:
        return c.labels.unsqueeze(1), None
    return c.safe_labels().unsqueeze(1), c.vf


def ref_nnunet_dice(c, z, impl=nnunet_soft_dice):
    p = c.params
    y, mask = nnunet_inputs(c)
    return impl(z, y, mask, p["batch"], p["include_background"], p["smooth"])


def alt_nnunet_dice(c, z):
    p = c.params
    st = included(c, stats_confusion(c, torch.softmax(z, 1), p["batch"]))
    dc = (2 * st.tp + p["smooth"]) / (st.sum_s + st.sum_g + p["smooth"])
    return -dc.mean()


def ref_nnunet_dice_ce(c, z):
    """DC_and_CE_loss: weight_ce · RobustCrossEntropyLoss(ignore_index) + weight_dice · SoftDiceLoss."""
    p = c.params
    tgt, ii = c.tgt_ignore()
    ce = F.cross_entropy(z, tgt, ignore_index=ii) if c.N > 0 else 0
    return p["weight_ce"] * ce + p["weight_dice"] * ref_nnunet_dice(c, z)


def alt_nnunet_dice_ce(c, z):
    p = c.params
    return p["weight_ce"] * hand_ce(c, z, None) + p["weight_dice"] * alt_nnunet_dice(c, z)


def smp_soft_dice_score(output, target, smooth=0.0, eps=1e-7, dims=None):
    intersection = torch.sum(output * target, dim=dims)
    cardinality = torch.sum(output + target, dim=dims)
    return (2.0 * intersection + smooth) / (cardinality + smooth).clamp_min(eps)


def ref_smp_dice(c, z):
    """segmentation_models_pytorch DiceLoss(mode='multiclass', from_logits=True, log_loss=False).forward."""
    p = c.params
    ignore_index = c.ignore
    y_true = c.labels
    y_pred = z.log_softmax(dim=1).exp()
    bs, num_classes = y_true.size(0), y_pred.size(1)
    dims = (0, 2)
    y_true = y_true.reshape(bs, -1)
    y_pred = y_pred.reshape(bs, num_classes, -1)
    if ignore_index is not None:
        mask = y_true != ignore_index
        y_pred = y_pred * mask.unsqueeze(1)
        y_true = F.one_hot((y_true * mask).to(torch.long), num_classes)
        y_true = y_true.permute(0, 2, 1) * mask.unsqueeze(1)
    else:
        y_true = F.one_hot(y_true, num_classes).permute(0, 2, 1)
    scores = smp_soft_dice_score(y_pred, y_true.type_as(y_pred), smooth=p["smooth"], eps=p["eps"], dims=dims)
    loss = 1.0 - scores
    mask = y_true.sum(dims) > 0
    loss = loss * mask.to(loss.dtype)
    return loss.mean()


def alt_smp_dice(c, z):
    p = c.params
    st = stats_confusion(c, torch.softmax(z, 1), True)
    score = (2 * st.tp + p["smooth"]) / torch.clamp(st.sum_s + st.sum_g + p["smooth"], min=p["eps"])
    return ((1 - score) * (st.sum_g > 0)).mean()


def ref_paper_dice(c, z):
    """JunMa11/SegLoss losses_pytorch/dice_loss.py SoftDiceLoss (square=False), apply_nonlin=softmax_helper."""
    p = c.params
    x = torch.softmax(z, 1)
    shp_x = x.shape
    axes = [0] + list(range(2, len(shp_x))) if p["batch"] else list(range(2, len(shp_x)))
    gt, mask = nnunet_inputs(c)
    y_onehot = torch.zeros(shp_x)
    y_onehot.scatter_(1, gt.long(), 1)
    tp = x * y_onehot
    fp = x * (1 - y_onehot)
    fn = (1 - x) * y_onehot
    if mask is not None:
        tp = torch.stack(tuple(x_i * mask[:, 0] for x_i in torch.unbind(tp, dim=1)), dim=1)
        fp = torch.stack(tuple(x_i * mask[:, 0] for x_i in torch.unbind(fp, dim=1)), dim=1)
        fn = torch.stack(tuple(x_i * mask[:, 0] for x_i in torch.unbind(fn, dim=1)), dim=1)
    tp, fp, fn = tp.sum(axes), fp.sum(axes), fn.sum(axes)
    dc = (2 * tp + p["smooth"]) / (2 * tp + fp + fn + p["smooth"])
    if not p["include_background"]:
        dc = dc[1:] if p["batch"] else dc[:, 1:]
    return -dc.mean()


def paper_tp_fp_fn(x, gt, axes, mask):
    """SegLoss losses_pytorch/dice_loss.py get_tp_fp_fn (square=False): y_onehot by scatter,
    tp/fp/fn multiplied by the loss mask (unbind/stack as in the code), summed over axes."""
    y_onehot = torch.zeros(x.shape)
    y_onehot.scatter_(1, gt.long(), 1)
    tp = x * y_onehot
    fp = x * (1 - y_onehot)
    fn = (1 - x) * y_onehot
    if mask is not None:
        tp = torch.stack(tuple(x_i * mask[:, 0] for x_i in torch.unbind(tp, dim=1)), dim=1)
        fp = torch.stack(tuple(x_i * mask[:, 0] for x_i in torch.unbind(fp, dim=1)), dim=1)
        fn = torch.stack(tuple(x_i * mask[:, 0] for x_i in torch.unbind(fn, dim=1)), dim=1)
    return tp.sum(axes), fp.sum(axes), fn.sum(axes)


def paper_focal_tversky_code(z, gt, mask):
    """SegLoss losses_pytorch/dice_loss.py FocalTversky_loss(tversky_kwargs={apply_nonlin:
    softmax_helper, batch_dice: False, do_bg: True, smooth: 1.}, gamma=0.75).forward: its
    TverskyLoss (alpha = 0.3 on fp, beta = 0.7 on fn) returns -mean(T) over (b, c), and
    FocalTversky_loss returns (1 + that) ** 0.75. FocalTversky_loss.forward passes no loss
    mask; invalid pixels go to its TverskyLoss's `loss_mask` (as for paper_dice)."""
    smooth, alpha, beta, gamma = 1.0, 0.3, 0.7, 0.75
    x = torch.softmax(z, 1)
    axes = list(range(2, x.dim()))  # batch_dice=False
    tp, fp, fn = paper_tp_fp_fn(x, gt, axes, mask)
    tversky = (tp + smooth) / (tp + alpha * fp + beta * fn + smooth)
    tversky_loss = 1 + (-tversky.mean())
    return torch.pow(tversky_loss, gamma)


def ref_paper_focal_tversky(c, z):
    """The paper's code on each sample alone, then the mean over the samples (segloss's
    per-sample form; the code itself takes one mean over (b, c): equal for B = 1)."""
    gt, mask = nnunet_inputs(c)  # ignored/masked pixels: label 0 and loss mask 0
    vals = [paper_focal_tversky_code(z[b:b + 1], gt[b:b + 1], None if mask is None else mask[b:b + 1])
            for b in range(z.shape[0])]
    return torch.stack(vals).mean()


LOSSES = {
    "dice": (ref_dice, alt_region("dice")),
    "iou": (ref_iou, alt_region("iou")),
    "log_cosh_dice": (ref_log_cosh_dice, alt_region("log_cosh_dice")),
    "tversky": (ref_tversky, alt_region("tversky")),
    "focal_tversky": (ref_focal_tversky, alt_region("focal_tversky")),
    "focal_tversky_mean": (ref_focal_tversky_mean, alt_region("focal_tversky_mean")),
    "asym": (ref_asym, alt_region("asym")),
    "gdice": (ref_gdice, alt_region("gdice")),
    "pgdice": (ref_pgdice, alt_region("pgdice")),
    "ss": (ref_ss, alt_region_direct("ss")),  # the statistics form of the README
    "mcc": (ref_mcc, alt_region("mcc")),
    "dice_ce": (ref_dice_ce, alt_dice_ce),
    "dice_focal": (ref_dice_focal, alt_dice_focal),
    "dice_topk": (ref_dice_topk, alt_dice_topk),
    "combo": (ref_combo, alt_combo),
    "ell": (ref_ell, alt_ell),
    "nnunet_dice": (ref_nnunet_dice, alt_nnunet_dice),
    "nnunet_dice_ce": (ref_nnunet_dice_ce, alt_nnunet_dice_ce),
    "smp_dice": (ref_smp_dice, alt_smp_dice),
    "paper_dice": (ref_paper_dice, alt_nnunet_dice),  # same formula, smooth 1
    # = focal_tversky_mean(alpha 0.3, beta 0.7, gamma 4/3, smooth 1): the hand formula of that
    "paper_focal_tversky": (ref_paper_focal_tversky, alt_region("focal_tversky_mean")),
}


# --------------------------------------------------------------------------
# Extra checks (other library paths), each (c, z_detached, value, grad)
# --------------------------------------------------------------------------

def value_grad(fn, c, z0):
    z = z0.clone().requires_grad_(True)
    v = fn(c, z)
    v.backward()
    return v.item(), z.grad.numpy().copy()


def assert_close(name, what, v1, g1, v2, g2, tol):
    CHECKS[what] = CHECKS.get(what, 0) + 1
    assert abs(v1 - v2) <= tol * max(1.0, abs(v2)), (name, what, v1, v2)
    gd = np.abs(g1 - g2).max()
    assert gd <= tol * max(1.0, np.abs(g2).max()), (name, what, gd)


def extra_monai_ignore_index(c, z0, value, grad, name):
    """Label targets with an ignore index and no mask: MONAI's own ignore_index
    path (DiceLoss / TverskyLoss(to_onehot_y, ignore_index)) must agree too."""
    if c.dense or c.has_mask or c.ignore is None or c.C == 1 or c.valid.all():
        return
    loss, p = LOSS_OF[name], c.params
    if loss not in ("dice", "iou", "tversky", "asym") or p.get("log_dice"):
        return

    def f(c, z):
        s = activate(c, z)
        lab = c.labels.unsqueeze(1)
        if loss in ("dice", "iou"):
            q = dict(p)
            if loss == "iou":
                q.update(squared_pred=False, jaccard=True, smooth_nr=2 * p["smooth_nr"], smooth_dr=2 * p["smooth_dr"])
            return monai_dice_module(c, q, to_onehot_y=True, ignore_index=c.ignore)(s, lab)
        a, b = (p["alpha"], p["beta"]) if loss == "tversky" else (1 - asym_w(p), asym_w(p))
        m = TverskyLoss(include_background=p["include_background"], to_onehot_y=True, alpha=a, beta=b,
                        smooth_nr=p["smooth_nr"], smooth_dr=p["smooth_dr"], batch=p["batch"], reduction="none",
                        ignore_index=c.ignore)
        return per_class_total(c, as_groups(c, m(s, lab)))

    v, g = value_grad(f, c, z0)
    assert_close(name, "MONAI ignore_index", v, g, value, grad, TOL)


def extra_monai_onehot32(c, z0, value, grad, name):
    """squared_pred with labels: MONAI's own to_onehot_y path (float32 one-hot, so
    |g|² in float32) agrees to 1e-6."""
    p = c.params
    if c.dense or c.C == 1 or not c.all_valid or not p.get("squared_pred") or p.get("log_dice"):
        return
    v, g = value_grad(lambda c, z: monai_dice_module(c, p, to_onehot_y=True)(activate(c, z), c.labels.unsqueeze(1)), c, z0)
    assert_close(name, "MONAI to_onehot_y (float32 one-hot)", v, g, value, grad, 1e-6)
    print(f"note: {name}: MONAI DiceLoss(to_onehot_y=True, squared_pred=True) differs by {abs(v - value):.2e} "
          f"(float32 one-hot)", file=sys.stderr)


def extra_gdice_f32(c, z0, value, grad, name):
    """Stock GeneralizedDiceLoss (class weights in float32) agrees to 1e-6."""
    if LOSS_OF[name] == "gdice":
        v, g = value_grad(lambda c, z: monai_gdice(c, activate(c, z), f64=False), c, z0)
    else:
        def f(c, z):
            gd = monai_gdice(c, activate(c, z), f64=False, reduction="none").reshape(-1)
            return coupled_total(c, gd / (1 + c.params["k"] * (1 - gd)))
        v, g = value_grad(f, c, z0)
    assert_close(name, "stock MONAI GeneralizedDiceLoss (f32 weights)", v, g, value, grad, 1e-6)
    GDICE_F32_DIFF.append(abs(v - value) / max(1.0, abs(value)))


def extra_dice_focal_module(c, z0, value, grad, name):
    """MONAI's DiceFocalLoss module (its FocalLoss works in float32). For softmax its
    focal part is switched to MONAI's softmax focal (use_softmax=True): stock
    DiceFocalLoss(softmax=True) in MONAI 1.6.1 uses the *sigmoid* focal form on the
    logits (printed as a note)."""
    p = c.params
    if not c.all_valid or (c.act == "softmax" and not p["include_background"]):
        return
    w = c.weight_inc()
    one_hot = (not c.dense) and c.C > 1

    def module(use_softmax):
        m = DiceFocalLoss(include_background=p["include_background"], to_onehot_y=one_hot,
                          sigmoid=c.act == "sigmoid", softmax=c.act == "softmax", squared_pred=p["squared_pred"],
                          jaccard=p["jaccard"], smooth_nr=p["smooth_nr"], smooth_dr=p["smooth_dr"], batch=p["batch"],
                          gamma=p["gamma"], weight=w, lambda_dice=p["lambda_dice"], lambda_focal=p["lambda_focal"],
                          alpha=p["alpha"] if not isinstance(p["alpha"], list) else torch.tensor(p["alpha"]))
        m.focal.use_softmax = use_softmax
        return m

    tgt = c.labels.unsqueeze(1) if one_hot else c.g
    v, g = value_grad(lambda c, z: module(c.act == "softmax")(z, tgt), c, z0)
    assert_close(name, "MONAI DiceFocalLoss module", v, g, value, grad, 1e-5)
    if c.act == "softmax":
        stock = module(False)(z0, tgt).item()
        print(f"note: {name}: stock MONAI {monai.__version__} DiceFocalLoss(softmax=True) "
              f"(sigmoid focal on the logits) gives {stock:.12g}; golden (softmax focal) {value:.12g}",
              file=sys.stderr)


def extra_dice_focal_nobg_note(c, z0, value, grad, name):
    """softmax + include_background=False: MONAI's FocalLoss drops the background
    *logit* before its softmax; we keep softmax over all C (printed as a note)."""
    p = c.params
    if c.act != "softmax" or p["include_background"] or not c.all_valid:
        return
    a = None if p["alpha"] is None else (torch.tensor(p["alpha"][1:]) if isinstance(p["alpha"], list) else None)
    terms = softmax_focal_loss(z0[:, 1:], c.g[:, 1:], p["gamma"], a)
    w = c.weight_inc()
    if w is not None:
        terms = terms * c.cview(w)
    monai_focal = terms.mean().item()
    dice = monai_dice(c, torch.softmax(z0, 1)).item()
    print(f"note: {name}: MONAI FocalLoss(use_softmax=True, include_background=False) renormalises the softmax "
          f"over classes 1..C-1: total {p['lambda_dice'] * dice + p['lambda_focal'] * monai_focal:.12g}; "
          f"golden (softmax over all C) {value:.12g}", file=sys.stderr)


def extra_nnunet_me(c, z0, value, grad, name):
    """MemoryEfficientSoftDiceLoss (nnU-Net's default dice_class) agrees with SoftDiceLoss."""
    if LOSS_OF[name] == "nnunet_dice":
        v, g = value_grad(lambda c, z: ref_nnunet_dice(c, z, impl=nnunet_me_soft_dice), c, z0)
    else:
        def f(c, z):
            tgt, ii = c.tgt_ignore()
            p = c.params
            return p["weight_ce"] * F.cross_entropy(z, tgt, ignore_index=ii) + \
                p["weight_dice"] * ref_nnunet_dice(c, z, impl=nnunet_me_soft_dice)
        v, g = value_grad(f, c, z0)
    assert_close(name, "nnU-Net MemoryEfficientSoftDiceLoss", v, g, value, grad, TOL)


def extra_stats_direct(c, z0, value, grad, name):
    """The hand formula on the other form of the statistics agrees as well."""
    loss = LOSS_OF[name]
    stats = stats_confusion if loss == "ss" else stats_direct  # ss's alt already uses stats_direct
    v, g = value_grad(lambda c, z: hand_region(c, z, loss, stats=stats), c, z0)
    assert_close(name, stats.__name__, v, g, value, grad, TOL)


def extra_paper_focal_tversky(c, z0, value, grad, name):
    """paper_focal_tversky = focal_tversky_mean with the code's constants: MONAI's TverskyLoss
    path of focal_tversky_mean and the hand formula on the directly summed statistics agree;
    the code run on the whole batch at once is the same for B = 1 (a note otherwise)."""
    v, g = value_grad(ref_focal_tversky_mean, c, z0)
    assert_close(name, "paper_focal_tversky: MONAI TverskyLoss (focal_tversky_mean)", v, g, value, grad, TOL)
    v, g = value_grad(lambda c, z: hand_region(c, z, "focal_tversky_mean", stats=stats_direct), c, z0)
    assert_close(name, "stats_direct", v, g, value, grad, TOL)

    def whole(c, z):
        gt, mask = nnunet_inputs(c)
        return paper_focal_tversky_code(z, gt, mask)
    v, g = value_grad(whole, c, z0)
    if c.g.shape[0] == 1:
        assert_close(name, "paper FocalTversky_loss on the whole batch (B = 1)", v, g, value, grad, TOL)
    else:
        print(f"note: {name}: the paper's FocalTversky_loss on the whole batch (one mean over samples and "
              f"classes) gives {v:.12g}; golden (per sample, then the mean) {value:.12g}", file=sys.stderr)


EXTRAS = {
    "paper_focal_tversky": [extra_paper_focal_tversky],
    "dice": [extra_monai_ignore_index, extra_monai_onehot32, extra_stats_direct],
    "iou": [extra_monai_ignore_index, extra_stats_direct],
    "tversky": [extra_monai_ignore_index, extra_stats_direct],
    "focal_tversky": [extra_stats_direct],
    "focal_tversky_mean": [extra_stats_direct],
    "asym": [extra_monai_ignore_index, extra_stats_direct],
    "gdice": [extra_gdice_f32, extra_stats_direct],
    "pgdice": [extra_gdice_f32, extra_stats_direct],
    "ss": [extra_stats_direct],
    "mcc": [extra_stats_direct],
    "dice_focal": [extra_dice_focal_module, extra_dice_focal_nobg_note],
    "nnunet_dice": [extra_nnunet_me],
    "nnunet_dice_ce": [extra_nnunet_me],
}
LOSS_OF: dict[str, str] = {}
CHECKS: dict[str, int] = {}  # cross-check -> number of cases it ran on
GDICE_F32_DIFF: list[float] = []


# --------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------

SM = {"smooth_nr": 1e-5, "smooth_dr": 1e-5}
DICE_OPTS = {"squared_pred": False, "jaccard": False, **SM}
DEFAULTS = {
    "dice": {**DICE_OPTS, "log_dice": False},
    "iou": {**SM},
    "log_cosh_dice": {**SM},
    "tversky": {"alpha": 0.5, "beta": 0.5, **SM},
    "focal_tversky": {"alpha": 0.5, "beta": 0.5, "gamma": 4.0 / 3.0, **SM},
    "focal_tversky_mean": {"alpha": 0.5, "beta": 0.5, "gamma": 4.0 / 3.0, **SM},
    "asym": {"beta": 1.5, **SM},
    "gdice": {"w_type": "square", **SM},
    "pgdice": {"w_type": "square", "k": 2.5, **SM},
    "ss": {"w": 0.1, "smooth_dr": 1e-5},
    "mcc": {"smooth_dr": 1e-5},
    "dice_ce": {"lambda_dice": 1.0, "lambda_ce": 1.0, **DICE_OPTS, "ce_weight": None},
    "dice_focal": {"lambda_dice": 1.0, "lambda_focal": 1.0, "gamma": 2.0, "alpha": None, **DICE_OPTS},
    "dice_topk": {"lambda_dice": 1.0, "lambda_topk": 1.0, "k": 10.0, **DICE_OPTS},
    "combo": {"alpha": 0.5, "beta": 0.5, **DICE_OPTS},
    "ell": {"w_dice": 0.8, "w_ce": 0.2, "gamma_dice": 0.3, "gamma_ce": 0.3, **SM},
    "nnunet_dice": {"smooth": 1e-5},
    "nnunet_dice_ce": {"smooth": 1e-5, "weight_ce": 1.0, "weight_dice": 1.0},
    "smp_dice": {"smooth": 0.0, "eps": 1e-7},
    "paper_dice": {"smooth": 1.0},
    # the paper's code's constants (its exponent 0.75 = 1/gamma), as focal_tversky_mean's parameters
    "paper_focal_tversky": {"alpha": 0.3, "beta": 0.7, "gamma": 4.0 / 3.0, "smooth_nr": 1.0, "smooth_dr": 1.0},
}
COUPLED_LOSSES = {"focal_tversky_mean", "gdice", "pgdice", "paper_focal_tversky"}


def make_params(loss, over):
    p = {"include_background": True, "batch": False, "weight": None, "reduction": "mean"}
    p.update(DEFAULTS[loss])
    for k in over:
        assert k in p, (loss, k)
    p.update(over)
    if loss in COUPLED_LOSSES:
        assert p["weight"] is None
    return p


# --------------------------------------------------------------------------
# Case builder
# --------------------------------------------------------------------------

CASES: list[dict] = []


def draw(name, attempt, act, shape, *, logit_step, target, ignore, ignore_frac, mask, absent, build):
    """Draw the inputs of one case, from an RNG seeded with crc32(name) ("#attempt"
    appended on redraws)."""
    seed = name if attempt == 0 else f"{name}#{attempt}"
    rng = np.random.default_rng(zlib.crc32(seed.encode()))
    B, C, *sp = shape
    pix = (B, *sp)
    pred = gen_probs(rng, shape) if act == "none" else gen_logits(rng, shape, logit_step)
    labels = dense = None
    if target == "labels":
        classes = [0, 1] if (act == "sigmoid" and C == 1) else [k for k in range(C) if k != absent]
        labels = gen_labels(rng, pix, classes, ignore, ignore_frac)
    elif act == "sigmoid":
        dense = f32_exact(rng.integers(0, 257, size=shape) / 256.0)
    else:
        dense = simplex_quantized(np.moveaxis(rng.dirichlet(np.ones(C), size=pix), -1, 1), 256, 0)
    m = (rng.random(pix) > 0.25).astype(np.int64) if mask else None
    if build is not None:
        pred, labels = build(rng, pred, labels)
        pred = f32_exact(pred)
    return pred, labels, dense, m


def case(name, loss, act, shape, over=None, *, layout="channel_first", target="labels", dtype="i64",
         ignore=None, ignore_frac=0.15, mask=False, absent=None, build=None):
    """Generate and check one case. `over`: parameters differing from the defaults."""
    assert name not in LOSS_OF, name
    LOSS_OF[name] = loss
    params = make_params(loss, over or {})
    for attempt in range(50):
        try:
            inputs = draw(name, attempt, act, shape, logit_step=2.0**-10 if loss == "dice_topk" else 2.0**-5,
                          target=target, ignore=ignore, ignore_frac=ignore_frac, mask=mask, absent=absent,
                          build=build)
            entry = compute(name, loss, act, shape, params, layout, dtype, ignore, *inputs)
            break
        except TooClose:
            print(f"note: {name}: topk selection boundary too tight, redrawing", file=sys.stderr)
    else:
        raise RuntimeError(f"{name}: no draw with a clear selection boundary")
    CASES.append(entry)


def compute(name, loss, act, shape, params, layout, dtype, ignore, pred, labels, dense, m):
    B, C, *sp = shape
    pix = (B, *sp)
    valid = np.ones(pix, dtype=bool)
    if labels is not None and ignore is not None:
        valid &= labels != ignore
    if m is not None:
        valid &= m != 0
    assert valid.any()
    if labels is not None:
        assert ((labels[valid] >= 0) & (labels[valid] < max(C, 2))).all()
        safe = np.where(valid, labels, 0)
        g = safe[:, None].astype(np.float64) if (act == "sigmoid" and C == 1) else np.moveaxis(np.eye(C)[safe], -1, 1)
    else:
        g = dense.copy()
    g = g * valid[:, None]

    c = Ctx(act=act, params=params, C=C, g=torch.from_numpy(g),
            labels=None if labels is None else torch.from_numpy(labels), ignore=ignore,
            valid=torch.from_numpy(valid), has_mask=m is not None, dense=labels is None)
    if loss == "dice_topk":
        check_topk_gap(c, torch.from_numpy(pred))

    ref, alt = LOSSES[loss]
    z = torch.tensor(pred, requires_grad=True)
    val = ref(c, z)
    val.backward()
    grad = z.grad.detach().numpy().copy()
    value = val.item()

    # ---- checks
    assert math.isfinite(value) and np.isfinite(grad).all(), name
    assert (grad * ~valid[:, None] == 0).all(), f"{name}: gradient leaks into invalid pixels"
    v2, g2 = value_grad(alt, c, torch.from_numpy(pred))
    assert_close(name, "alt", v2, g2, value, grad, TOL)
    for extra in EXTRAS.get(loss, []):
        extra(c, torch.from_numpy(pred), value, grad, name)

    if labels is not None:
        tjson = {"kind": "labels", "dtype": dtype, "values": labels.reshape(-1).tolist(), "ignore_index": ignore}
    else:
        tjson = {"kind": "dense", "values": to_layout(dense, layout).reshape(-1).tolist()}
    return {
        "name": name, "loss": loss, "params": params, "activation": act, "layout": layout,
        "shape": list(shape),
        "pred": to_layout(pred, layout).reshape(-1).tolist(),
        "target": tjson,
        "mask": None if m is None else m.reshape(-1).tolist(),
        "penalty": None,
        "value": value,
        "grad": to_layout(grad, layout).reshape(-1).tolist(),
    }


# --------------------------------------------------------------------------
# Special inputs
# --------------------------------------------------------------------------

def absent_near_zero(k):
    """Class k absent from the target and its logits pushed down by 24 (s_k ~ 1e-11):
    MONAI's smoothed Dice of that class is then ~ sum_s / smooth_dr, close to 0."""
    def build(rng, pred, labels):
        p = pred.copy()
        p[:, k] -= 24.0
        return p, labels
    return build


def absent_in_sample(b, k):
    """Class k absent from sample b only (relabelled to the other classes)."""
    def build(rng, pred, labels):
        lab = labels.copy()
        hit = lab[b] == k
        others = [j for j in range(pred.shape[1]) if j != k]
        lab[b][hit] = rng.choice(others, size=int(hit.sum()))
        return pred, lab
    return build


def build_cases():
    W4 = [0.5, 1.0, 2.0, 1.5]
    W3 = [1.5, 0.5, 2.0]

    # ---------------- dice (MONAI DiceLoss)
    case("dice_softmax_1d", "dice", "softmax", X1B, dtype="u8")
    case("dice_softmax_2d_ignore_i64", "dice", "softmax", X2B, dtype="i64", ignore=-1)
    case("dice_softmax_3d_u16", "dice", "softmax", X3, dtype="u16")
    case("dice_softmax_2d_nobg_weight_sum_ignore_u8", "dice", "softmax", S2B,
         {"include_background": False, "weight": W4, "reduction": "sum"}, dtype="u8", ignore=255)
    case("dice_softmax_1d_batch_nobg", "dice", "softmax", S1B, {"batch": True, "include_background": False}, dtype="i32")
    case("dice_softmax_2d_squared_jaccard", "dice", "softmax", S2S, {"squared_pred": True, "jaccard": True}, dtype="u8")
    case("dice_softmax_3d_batch_jaccard_weight", "dice", "softmax", S3B, {"batch": True, "jaccard": True, "weight": W3}, dtype="u8")
    case("dice_softmax_2d_log_dice_ignore", "dice", "softmax", S2S, {"log_dice": True}, dtype="i64", ignore=-100)
    case("dice_softmax_1d_log_dice_batch_nobg_weight", "dice", "softmax", S1B,
         {"log_dice": True, "batch": True, "include_background": False, "weight": W3}, dtype="u8")
    case("dice_softmax_2d_channel_last_mask", "dice", "softmax", S2B, layout="channel_last", dtype="u32", mask=True)
    case("dice_softmax_2d_dense", "dice", "softmax", S2S, target="dense")
    case("dice_softmax_3d_dense_squared_batch_mask", "dice", "softmax", S3B, {"squared_pred": True, "batch": True},
         target="dense", mask=True)
    case("dice_softmax_2d_absent_class", "dice", "softmax", S2, dtype="u8", absent=2)
    case("dice_softmax_2d_absent_near_zero", "dice", "softmax", S2, dtype="u8", absent=2, build=absent_near_zero(2))
    case("dice_softmax_2d_large_ignore_u8", "dice", "softmax", LARGE, dtype="u8", ignore=255, ignore_frac=0.05)
    case("dice_sigmoid_1d", "dice", "sigmoid", S1B, dtype="u8")
    case("dice_sigmoid_2d_dense_mask_squared", "dice", "sigmoid", S2S, {"squared_pred": True}, target="dense", mask=True)
    case("dice_sigmoid_3d_nobg_weight_channel_last", "dice", "sigmoid", S3,
         {"include_background": False, "weight": W3}, layout="channel_last", dtype="u16")
    case("dice_sigmoid_c1_nobg_ignore_u8", "dice", "sigmoid", C1, {"include_background": False}, dtype="u8", ignore=255)
    case("dice_none_2d", "dice", "none", S2, dtype="u8")
    case("dice_none_3d_dense_weight_sum", "dice", "none", S3, {"weight": W3, "reduction": "sum"}, target="dense")

    # ---------------- iou
    case("iou_softmax_1d", "iou", "softmax", S1B, dtype="u8")
    case("iou_softmax_2d_ignore_batch_i64", "iou", "softmax", S2B, {"batch": True}, dtype="i64", ignore=-1)
    case("iou_softmax_3d_nobg_weight_sum", "iou", "softmax", S3, {"include_background": False, "weight": W3, "reduction": "sum"}, dtype="u16")
    case("iou_sigmoid_2d_mask", "iou", "sigmoid", S2S, dtype="u8", mask=True)
    case("iou_sigmoid_1d_dense_smooth1", "iou", "sigmoid", S1, {"smooth_nr": 1.0, "smooth_dr": 1.0}, target="dense")
    case("log_cosh_dice_softmax_1d", "log_cosh_dice", "softmax", S1B, dtype="u8")
    case("log_cosh_dice_softmax_2d_ignore_batch", "log_cosh_dice", "softmax", S2B, {"batch": True}, dtype="i64", ignore=-1)
    case("log_cosh_dice_sigmoid_3d_nobg_weight_sum", "log_cosh_dice", "sigmoid", S3,
         {"include_background": False, "weight": W3, "reduction": "sum"}, dtype="u16")

    # ---------------- tversky (alpha weighs fp, beta fn)
    T37 = {"alpha": 0.3, "beta": 0.7}
    case("tversky_softmax_1d_a03_b07", "tversky", "softmax", S1B, T37, dtype="u8")
    case("tversky_softmax_2d_channel_last_ignore_i64", "tversky", "softmax", S2B, T37, layout="channel_last", dtype="i64", ignore=-1)
    case("tversky_softmax_3d_dense", "tversky", "softmax", S3, {"alpha": 0.7, "beta": 0.3}, target="dense")
    case("tversky_softmax_2d_nobg_weight_sum_batch", "tversky", "softmax", S2S,
         {**T37, "include_background": False, "weight": W3, "reduction": "sum", "batch": True}, dtype="u8")
    case("tversky_sigmoid_1d", "tversky", "sigmoid", S1B, T37, dtype="u8")
    case("tversky_sigmoid_2d_dense_mask", "tversky", "sigmoid", S2S, T37, target="dense", mask=True)

    # ---------------- focal tversky (per class) and the coupled mean variant
    case("focal_tversky_softmax_1d", "focal_tversky", "softmax", S1B, T37, dtype="u8")
    case("focal_tversky_softmax_2d_ignore_batch", "focal_tversky", "softmax", S2B, {**T37, "batch": True}, dtype="i64", ignore=-1)
    case("focal_tversky_softmax_3d_nobg_weight_g2", "focal_tversky", "softmax", S3,
         {**T37, "gamma": 2.0, "include_background": False, "weight": W3}, dtype="u16")
    case("focal_tversky_mean_softmax_1d", "focal_tversky_mean", "softmax", S1B, T37, dtype="u8")
    case("focal_tversky_mean_softmax_2d_ignore_nobg", "focal_tversky_mean", "softmax", S2B,
         {**T37, "include_background": False}, dtype="u8", ignore=255)
    case("focal_tversky_mean_softmax_3d_batch_sum_mask", "focal_tversky_mean", "softmax", S3B,
         {"batch": True, "reduction": "sum"}, dtype="u8", mask=True)

    # ---------------- asymmetric similarity
    case("asym_softmax_1d", "asym", "softmax", S1B, dtype="u8")
    case("asym_softmax_2d_mask_nobg", "asym", "softmax", S2B, {"include_background": False}, dtype="u8", mask=True)
    case("asym_softmax_3d_batch_weight_sum_ignore", "asym", "softmax", S3B,
         {"batch": True, "weight": W3, "reduction": "sum"}, dtype="i64", ignore=-1)

    # ---------------- generalized dice (MONAI GeneralizedDiceLoss)
    case("gdice_softmax_1d_square", "gdice", "softmax", X1B, dtype="u8")
    case("gdice_softmax_1d_simple", "gdice", "softmax", S1B, {"w_type": "simple"}, dtype="u8")
    case("gdice_softmax_1d_uniform_batch", "gdice", "softmax", S1B, {"w_type": "uniform", "batch": True}, dtype="u8")
    case("gdice_softmax_2d_square_batch_ignore_i64", "gdice", "softmax", S2B, {"batch": True}, dtype="i64", ignore=-1)
    case("gdice_softmax_2d_square_absent_in_sample0", "gdice", "softmax", S2B, dtype="u8", build=absent_in_sample(0, 2))
    case("gdice_softmax_2d_simple_absent_in_sample0_batch", "gdice", "softmax", S2B, {"w_type": "simple", "batch": True},
         dtype="u8", build=absent_in_sample(0, 1))
    case("gdice_softmax_2d_square_absent_batch", "gdice", "softmax", S2S, {"batch": True}, dtype="u8", absent=1)
    case("gdice_softmax_1d_simple_absent_nobg_sum", "gdice", "softmax", S1B,
         {"w_type": "simple", "include_background": False, "reduction": "sum"}, dtype="u8", absent=2)
    case("gdice_softmax_3d_channel_last_square_mask", "gdice", "softmax", S3B, layout="channel_last", dtype="u16", mask=True)
    case("gdice_softmax_2d_large_square", "gdice", "softmax", LARGE, dtype="u8", ignore=255, ignore_frac=0.05)
    case("gdice_sigmoid_2d_square", "gdice", "sigmoid", S2S, dtype="u8")
    case("gdice_sigmoid_1d_uniform_mask", "gdice", "sigmoid", S1B, {"w_type": "uniform"}, dtype="u8", mask=True)
    case("gdice_sigmoid_3d_simple_dense_batch", "gdice", "sigmoid", S3B, {"w_type": "simple", "batch": True}, target="dense")
    case("gdice_none_2d_square", "gdice", "none", S2, dtype="u8")
    case("gdice_none_1d_simple_absent", "gdice", "none", S1, {"w_type": "simple"}, dtype="u8", absent=1)

    # ---------------- penalty generalized dice
    case("pgdice_softmax_1d_square", "pgdice", "softmax", S1B, dtype="u8")
    case("pgdice_softmax_2d_simple_ignore_batch", "pgdice", "softmax", S2B, {"w_type": "simple", "batch": True}, dtype="i64", ignore=-1)
    case("pgdice_softmax_3d_uniform_absent_nobg_sum", "pgdice", "softmax", S3B,
         {"w_type": "uniform", "include_background": False, "reduction": "sum"}, dtype="u8", absent=1)
    case("pgdice_softmax_2d_square_absent_in_sample1_k1", "pgdice", "softmax", S2S, {"k": 1.0}, dtype="u8",
         build=absent_in_sample(1, 0))

    # ---------------- sensitivity-specificity (hard labels only)
    case("ss_softmax_1d", "ss", "softmax", S1B, dtype="u8")
    case("ss_softmax_2d_ignore_nobg", "ss", "softmax", S2B, {"include_background": False}, dtype="u8", ignore=255)
    case("ss_softmax_3d_batch_mask_w05", "ss", "softmax", S3B, {"batch": True, "w": 0.5}, dtype="u16", mask=True)
    case("ss_softmax_2d_absent_weight_sum", "ss", "softmax", S2, {"weight": W4, "reduction": "sum"}, dtype="u8", absent=3)

    # ---------------- Matthews correlation
    case("mcc_softmax_1d", "mcc", "softmax", S1B, dtype="u8")
    case("mcc_softmax_2d_ignore_batch", "mcc", "softmax", S2B, {"batch": True}, dtype="i64", ignore=-1)
    case("mcc_softmax_3d_nobg_weight_sum", "mcc", "softmax", S3, {"include_background": False, "weight": W3, "reduction": "sum"}, dtype="u16")
    case("mcc_softmax_2d_channel_last_mask", "mcc", "softmax", S2S, layout="channel_last", dtype="u8", mask=True)

    # ---------------- dice + cross entropy (MONAI DiceCELoss)
    case("dice_ce_softmax_1d", "dice_ce", "softmax", X1B, dtype="u8")
    case("dice_ce_softmax_2d_ignore_i64", "dice_ce", "softmax", S2B, dtype="i64", ignore=-1)
    case("dice_ce_softmax_2d_nobg_weight", "dice_ce", "softmax", S2B,
         {"include_background": False, "weight": W4, "ce_weight": W4}, dtype="u8")
    case("dice_ce_softmax_1d_ce_weight_only_lambdas", "dice_ce", "softmax", S1B,
         {"ce_weight": W3, "lambda_dice": 0.75, "lambda_ce": 0.5}, dtype="u8")
    case("dice_ce_softmax_3d_batch_squared_mask", "dice_ce", "softmax", S3B, {"batch": True, "squared_pred": True}, dtype="u16", mask=True)
    case("dice_ce_softmax_2d_dense_channel_last", "dice_ce", "softmax", S2S, target="dense", layout="channel_last")
    case("dice_ce_softmax_2d_large_ignore_u8", "dice_ce", "softmax", LARGE, dtype="u8", ignore=255, ignore_frac=0.05)

    # ---------------- dice + focal (MONAI DiceFocalLoss; focal as an element mean)
    case("dice_focal_softmax_1d", "dice_focal", "softmax", S1B, dtype="u8")
    case("dice_focal_softmax_2d_alist_weight", "dice_focal", "softmax", S2B,
         {"alpha": [0.25, 0.5, 1.0, 0.75], "weight": W4}, dtype="u8")
    case("dice_focal_softmax_3d_nobg_ignore", "dice_focal", "softmax", S3, {"include_background": False}, dtype="i64", ignore=-1)
    case("dice_focal_softmax_1d_nobg_g1", "dice_focal", "softmax", S1B, {"include_background": False, "gamma": 1.0}, dtype="u8")
    case("dice_focal_sigmoid_1d_a025", "dice_focal", "sigmoid", S1B, {"alpha": 0.25}, dtype="u8")
    case("dice_focal_sigmoid_2d_dense_mask_batch", "dice_focal", "sigmoid", S2S, {"batch": True, "lambda_focal": 2.0}, target="dense", mask=True)
    case("dice_focal_sigmoid_2d_nobg_weight_dense", "dice_focal", "sigmoid", S2S,
         {"include_background": False, "weight": W3, "alpha": 0.75}, target="dense")
    case("dice_focal_sigmoid_c1", "dice_focal", "sigmoid", C1, dtype="u8")

    # ---------------- dice + topk
    case("dice_topk_softmax_1d_k10", "dice_topk", "softmax", S1B, dtype="u8")
    case("dice_topk_softmax_2d_k30_ignore_batch", "dice_topk", "softmax", S2B, {"k": 30.0, "batch": True}, dtype="i64", ignore=-1)
    case("dice_topk_softmax_3d_k30_nobg_mask", "dice_topk", "softmax", S3, {"k": 30.0, "include_background": False}, dtype="u16", mask=True)

    # ---------------- combo
    case("combo_softmax_1d", "combo", "softmax", S1B, dtype="u8")
    case("combo_softmax_2d_ignore_a03_b07", "combo", "softmax", S2B, {"alpha": 0.3, "beta": 0.7}, dtype="i64", ignore=-1)
    case("combo_softmax_3d_mask_nobg_batch", "combo", "softmax", S3B, {"include_background": False, "batch": True}, dtype="u8", mask=True)

    # ---------------- exponential logarithmic
    case("ell_softmax_1d", "ell", "softmax", S1B, dtype="u8")
    case("ell_softmax_2d_ignore_nobg", "ell", "softmax", S2B, {"include_background": False}, dtype="u8", ignore=255)
    case("ell_softmax_3d_batch_mask_g05", "ell", "softmax", S3B, {"batch": True, "gamma_dice": 0.5, "gamma_ce": 0.5}, dtype="u16", mask=True)

    # ---------------- presets
    NN = lambda bd, bg, **kw: {"batch": bd, "include_background": bg, **kw}  # noqa: E731
    case("nnunet_dice_softmax_1d", "nnunet_dice", "softmax", S1B, NN(False, True), dtype="u8")
    case("nnunet_dice_softmax_2d_batch_nobg_ignore", "nnunet_dice", "softmax", S2B, NN(True, False), dtype="u8", ignore=255)
    case("nnunet_dice_ce_softmax_1d", "nnunet_dice_ce", "softmax", S1B, NN(False, True), dtype="u8")
    case("nnunet_dice_ce_softmax_2d_batch_nobg_ignore", "nnunet_dice_ce", "softmax", S2B, NN(True, False), dtype="i64", ignore=-1)
    case("nnunet_dice_ce_softmax_3d_nobg_mask_weights", "nnunet_dice_ce", "softmax", S3B,
         NN(False, False, weight_ce=0.5, weight_dice=2.0), dtype="u8", mask=True)
    SMP = {"batch": True}
    case("smp_dice_softmax_1d", "smp_dice", "softmax", S1B, SMP, dtype="i64")
    case("smp_dice_softmax_2d_ignore_absent", "smp_dice", "softmax", S2B, SMP, dtype="i64", ignore=-1, absent=3)
    case("smp_dice_softmax_3d_smooth1", "smp_dice", "softmax", S3, {**SMP, "smooth": 1.0}, dtype="i64")
    case("paper_dice_softmax_1d", "paper_dice", "softmax", S1B, dtype="u8")
    case("paper_dice_softmax_2d_mask_ignore", "paper_dice", "softmax", S2B, dtype="u8", ignore=255, mask=True)
    case("paper_dice_softmax_3d", "paper_dice", "softmax", S3, dtype="u16")
    case("paper_focal_tversky_softmax_2d", "paper_focal_tversky", "softmax", S2, dtype="u8")
    case("paper_focal_tversky_softmax_1d_batch2", "paper_focal_tversky", "softmax", S1B, dtype="u8")
    case("paper_focal_tversky_softmax_3d_mask_ignore", "paper_focal_tversky", "softmax", S3, dtype="u8",
         ignore=255, mask=True)


def write_json():
    head = {"generator": "scripts/golden/gen_region.py", "torch": torch.__version__, "monai": monai.__version__}
    for cs in CASES:
        cs["spec"] = spec_of(cs)
    body = ",\n".join(json.dumps(cs, separators=(",", ":")) for cs in CASES)
    text = json.dumps(head, separators=(",", ":"))[:-1] + ',"cases":[\n' + body + "\n]}\n"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)


def reload_and_summarize():
    data = json.loads(OUT.read_text())
    assert len({cs["name"] for cs in data["cases"]}) == len(data["cases"])
    keys = ["name", "loss", "params", "activation", "layout", "shape", "pred", "target", "mask", "penalty", "value", "grad", "spec"]
    for cs in data["cases"]:
        assert list(cs) == keys, cs["name"]
        p = cs["params"]
        assert {"include_background", "batch", "weight", "reduction"} <= set(p), cs["name"]
        B, C, *sp = cs["shape"]
        n = B * C * math.prod(sp)
        assert len(cs["pred"]) == n and len(cs["grad"]) == n, cs["name"]
        assert math.isfinite(cs["value"]) and all(math.isfinite(v) for v in cs["grad"]), cs["name"]
        assert all(math.isfinite(v) for v in cs["pred"])
        assert p["weight"] is None or len(p["weight"]) == C
        t = cs["target"]
        assert len(t["values"]) == (n if t["kind"] == "dense" else n // C)
        assert cs["mask"] is None or len(cs["mask"]) == n // C
        tk = t["kind"] if t["kind"] == "dense" else f"{t['dtype']}/ign={t['ignore_index']}"
        print(f"{cs['name']:<50} {cs['loss']:<18} {cs['activation']:<7} {cs['layout']:<13} "
              f"{str(tuple(cs['shape'])):<16} {tk:<12} value={cs['value']:.12g} "
              f"|grad|max={max(abs(v) for v in cs['grad']):.3e}")
    if GDICE_F32_DIFF:
        print(f"stock MONAI GeneralizedDiceLoss (float32 weights) vs float64: max rel. value diff "
              f"{max(GDICE_F32_DIFF):.2e}", file=sys.stderr)
    print("cross-checks run: " + ", ".join(f"{k} x{v}" for k, v in CHECKS.items()), file=sys.stderr)
    print(f"{len(data['cases'])} cases, {OUT.stat().st_size} bytes -> {OUT.relative_to(REPO)} "
          f"(torch {data['torch']}, monai {data['monai']})")


if __name__ == "__main__":
    build_cases()
    write_json()
    reload_and_summarize()
