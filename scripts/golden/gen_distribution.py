#!/usr/bin/env python3
"""Golden vectors for the distribution-based losses of segloss.

Writes tests/golden/distribution.json: for each case the inputs (prediction,
target, mask, penalty map), the loss value and the gradient dL/d(pred), all
computed in float64 with torch autograd, using PyTorch / MONAI calls as the
reference wherever one exists (see scripts/golden/README.md for the formulas).

Run from the repository root with the venv made by scripts/setup-python.sh:

    python scripts/golden/gen_distribution.py

Everything is deterministic: each case draws its data from its own RNG, seeded
with crc32(case name), so adding or removing a case leaves the others unchanged.

Inputs are exactly representable in float32 (logits are multiples of 2^-5 --
2^-10 for topk, to avoid ties, and 2^-2 for the ~1e3-magnitude cases --;
probabilities multiples of 2^-12, soft targets multiples of 2^-8, penalties
multiples of 2^-6), so a Rust f32 test reads exactly the inputs used here, and
the JSON stays short.

Every case is computed twice (the library reference and an independent
formula written out by hand) and the two must agree to 1e-12 (relative to
max(1, |value|)), for the value and, where both paths are differentiable, the
gradient.  The focal and monai_focal cases are also compared with MONAI's
FocalLoss module, which computes in float32, to 1e-5.
"""
from __future__ import annotations

import json
import math
import sys
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from specs import spec_of  # noqa: E402  (the case's segloss spec)
import torch
import torch.nn.functional as F

import monai
from monai.losses import FocalLoss
# MONAI's FocalLoss.forward casts its input to float32 (`input.float()`), so the
# float64 reference uses the two module-level functions it calls, unchanged.
from monai.losses.focal_loss import sigmoid_focal_loss, softmax_focal_loss

torch.set_default_dtype(torch.float64)

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "tests" / "golden" / "distribution.json"
TOL = 1e-12

# Shapes (B, C, spatial...). Pixel counts are not multiples of 8/16/1024, and
# the innermost extent of the 1D shapes is > 16 so a SIMD main loop runs too.
S1B = (2, 3, 37)         # 1D, 74 pixels
S1 = (1, 3, 37)          # 1D, 37 pixels
S1S = (1, 3, 23)         # 1D, 23 pixels
S2B = (2, 4, 5, 7)       # 2D, 70 pixels
S2 = (1, 4, 5, 7)        # 2D, 35 pixels
S2S = (2, 3, 3, 7)       # 2D, 42 pixels
S3 = (1, 3, 3, 3, 5)     # 3D, 45 pixels
S3S = (1, 2, 2, 3, 5)    # 3D, 30 pixels
LARGE = (1, 2, 29, 37)   # 2D, 1073 pixels (one per loss)
C1 = (2, 1, 6, 7)        # one sigmoid channel, 84 pixels


# --------------------------------------------------------------------------
# Input generation
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


def gen_logits(rng, shape, scale=1.0, step=2.0**-5):
    """Random normal logits times `scale`, rounded to multiples of `step` (coarse
    steps keep the JSON small; topk cases use a finer step to avoid ties)."""
    return quantize(rng.standard_normal(shape) * scale, step)


def gen_probs(rng, shape):
    """'none' activation: softmax of random logits, strictly inside (0,1)."""
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
    g: torch.Tensor            # (B, C, sp...) target probabilities / one-hot (0 at invalid pixels)
    labels: torch.Tensor | None  # (B, sp...) raw labels (may hold the ignore index)
    ignore: int | None
    valid: torch.Tensor        # (B, sp...) bool
    penalty: torch.Tensor | None
    dense: bool

    @property
    def vf(self):  # valid as float, (B, 1, sp...)
        return self.valid.to(torch.float64).unsqueeze(1)

    @property
    def N(self):
        return self.valid.sum().to(torch.float64)

    def cview(self, w):  # per-class vector -> broadcastable (1, C, 1, ...)
        return w.view([1, -1] + [1] * (self.g.dim() - 2))

    def weight(self):
        w = self.params.get("weight")
        return None if w is None else torch.tensor(w, dtype=torch.float64)

    def safe_labels(self):
        return torch.where(self.valid, self.labels, torch.zeros_like(self.labels))

    def tgt_ignore(self):
        """Labels with every invalid pixel (ignored or masked) set to one ignore index."""
        ii = self.ignore if self.ignore is not None else -100
        return torch.where(self.valid, self.labels, torch.full_like(self.labels, ii)), ii


def reduce(total, denom, reduction):
    return total / denom if reduction == "mean" else total


class _ClampedLog(torch.autograd.Function):
    """PyTorch's BCELoss convention for the log of a probability: forward max(ln p, -100),
    backward 1 / max(p, 1e-12) (its EPSILON), so the gradient stays finite at p = 0."""

    @staticmethod
    def forward(ctx, p):
        ctx.save_for_backward(p)
        return torch.log(p).clamp(min=-100.0)

    @staticmethod
    def backward(ctx, grad):
        (p,) = ctx.saved_tensors
        return grad / p.clamp(min=1e-12)


def clamped_log(p):
    """max(ln p, -100) with PyTorch BCELoss's gradient 1 / max(p, 1e-12)."""
    return _ClampedLog.apply(p)


def bce_terms(c: Ctx, z, t):
    """-[t ln s + (1-t) ln(1-s)] with s = sigmoid(z), by hand (stable form)."""
    return -(t * F.logsigmoid(z) + (1 - t) * F.logsigmoid(-z))


# --------------------------------------------------------------------------
# Losses: `ref_*` is the reference (library call where one exists), `alt_*` an
# independent formula. Both return a scalar tensor (graph to z), or alt returns
# (value, differentiable) where the alternative path can't be differentiated.
# --------------------------------------------------------------------------

# ---- ce -------------------------------------------------------------------

def ce_categorical_hand(c: Ctx, logp):
    """per pixel sum_c -w_c t'_c logp_c, t' = (1-eps) g + eps/C; D = sum_valid w_label or N."""
    eps, red = c.params["label_smoothing"], c.params["reduction"]
    w = c.weight()
    wv = c.cview(w) if w is not None else 1.0
    ts = (1 - eps) * c.g + eps / c.C
    total = (-(wv * ts * logp).sum(1, keepdim=True) * c.vf).sum()
    if c.dense or w is None:
        denom = c.N
    else:
        denom = (w[c.safe_labels()] * c.valid).sum()
    return reduce(total, denom, red)


def ref_ce(c: Ctx, z):
    eps, red = c.params["label_smoothing"], c.params["reduction"]
    w = c.weight()
    if c.act == "softmax":
        if not c.dense:
            tgt, ii = c.tgt_ignore()
            return F.cross_entropy(z, tgt, weight=w, ignore_index=ii, label_smoothing=eps, reduction=red)
        if bool(c.valid.all()):
            return F.cross_entropy(z, c.g, weight=w, label_smoothing=eps, reduction=red)
        return ce_categorical_hand(c, F.log_softmax(z, 1))  # dense + mask: no library call
    if c.act == "sigmoid":
        ts = c.g * (1 - eps) + (1 - c.g) * eps
        wb = c.cview(w).expand_as(z) if w is not None else None
        elt = F.binary_cross_entropy_with_logits(z, ts, weight=wb, reduction="none")
        return reduce((elt * c.vf).sum(), c.N, red)
    return ce_categorical_hand(c, clamped_log(z))  # "none": z holds probabilities


def alt_ce(c: Ctx, z):
    eps, red = c.params["label_smoothing"], c.params["reduction"]
    w = c.weight()
    if c.act == "softmax":
        return ce_categorical_hand(c, F.log_softmax(z, 1))
    if c.act == "sigmoid":
        ts = c.g * (1 - eps) + (1 - c.g) * eps
        wv = c.cview(w) if w is not None else 1.0
        return reduce((wv * bce_terms(c, z, ts) * c.vf).sum(), c.N, red)
    # none: PyTorch on the clamped log-probabilities (value only: log(0) has no gradient)
    logp = torch.log(z.detach()).clamp(min=-100.0)
    if not c.dense:
        tgt, ii = c.tgt_ignore()
        if eps == 0:
            v = F.nll_loss(logp, tgt, weight=w, ignore_index=ii, reduction=red)
        else:  # log_softmax(log p) == log p because every pixel of p sums to exactly 1
            v = F.cross_entropy(logp, tgt, weight=w, ignore_index=ii, label_smoothing=eps, reduction=red)
        return v, False
    if bool(c.valid.all()):
        return F.cross_entropy(logp, c.g, weight=w, label_smoothing=eps, reduction=red), False
    ts = (1 - eps) * c.g + eps / c.C
    wv = c.cview(w) if w is not None else 1.0
    per = -(wv * ts * logp).sum(1)
    return reduce(per[c.valid].sum(), c.N, red), False


# ---- wce ------------------------------------------------------------------

def wce_weights(c: Ctx):
    w = c.params["weight"]
    if w == "inverse_frequency":
        dims = [0] + list(range(2, c.g.dim()))
        n = (c.g * c.vf).sum(dims)
        return torch.where(n > 0, c.N / (c.C * n.clamp(min=1e-300)), torch.zeros_like(n))
    return torch.tensor(w, dtype=torch.float64)


def ref_wce(c: Ctx, z):
    red = c.params["reduction"]
    w = wce_weights(c)
    if c.act == "softmax" and not c.dense:
        tgt, ii = c.tgt_ignore()
        return reduce(F.cross_entropy(z, tgt, weight=w, ignore_index=ii, reduction="sum"), c.N, red)
    if c.act == "softmax" and bool(c.valid.all()):
        return reduce(F.cross_entropy(z, c.g, weight=w, reduction="sum"), c.N, red)
    if c.act == "sigmoid":
        elt = F.binary_cross_entropy_with_logits(z, c.g, weight=c.cview(w).expand_as(z), reduction="none")
        return reduce((elt * c.vf).sum(), c.N, red)
    return alt_wce(c, z)  # dense+mask softmax, and "none": the formula itself


def alt_wce(c: Ctx, z):
    red = c.params["reduction"]
    wv = c.cview(wce_weights(c))
    if c.act == "sigmoid":
        return reduce((wv * bce_terms(c, z, c.g) * c.vf).sum(), c.N, red)
    logs = F.log_softmax(z, 1) if c.act == "softmax" else clamped_log(z)
    return reduce(-(wv * c.g * logs * c.vf).sum(), c.N, red)


def alt_wce_none(c: Ctx, z):
    """'none' cross-check through nll_loss (labels) - value only."""
    tgt, ii = c.tgt_ignore()
    v = F.nll_loss(torch.log(z.detach()), tgt, weight=wce_weights(c), ignore_index=ii, reduction="sum")
    return reduce(v, c.N, c.params["reduction"]), False


# ---- topk -----------------------------------------------------------------

def topk_pixel_losses(c: Ctx, z):
    if c.act == "softmax":
        return -(c.g * F.log_softmax(z, 1)).sum(1)
    return bce_terms(c, z, c.g).sum(1)  # sigmoid: BCE summed over classes


def topk_count(c: Ctx):
    n = int(c.valid.sum())
    return max(1, math.floor(n * c.params["k"] / 100))


def ref_topk(c: Ctx, z):
    per = topk_pixel_losses(c, z)[c.valid]
    top = torch.topk(per, topk_count(c)).values
    return top.mean() if c.params["reduction"] == "mean" else top.sum()


def alt_topk(c: Ctx, z):
    # pixel losses through the library calls, sorted with numpy, then averaged
    if c.act == "softmax":
        per = F.cross_entropy(z, c.g, reduction="none")  # probability-target form
    else:
        per = F.binary_cross_entropy_with_logits(z, c.g, reduction="none").sum(1)
    per = per[c.valid]
    order = np.argsort(-per.detach().numpy(), kind="stable")[: topk_count(c)]
    sel = per[torch.from_numpy(order.copy())]
    return sel.mean() if c.params["reduction"] == "mean" else sel.sum()


def check_topk_gap(c: Ctx, z):
    """The count-th and (count+1)-th pixel losses must be clearly apart so an f32
    implementation selects the same pixels."""
    per = np.sort(topk_pixel_losses(c, z)[c.valid].detach().numpy())[::-1]
    k = topk_count(c)
    if k < len(per):
        gap = per[k - 1] - per[k]
        if not gap > 1e-4 * max(1.0, per[k - 1]):
            raise TooClose


# ---- topk_threshold -------------------------------------------------------

def thr_probs(c: Ctx, z):
    return torch.softmax(z, 1) if c.act == "softmax" else torch.sigmoid(z)


def thr_logs(c: Ctx, z):
    return F.log_softmax(z, 1) if c.act == "softmax" else F.logsigmoid(z)


def thr_selection(c: Ctx, s, comp):
    """(weight of ln s, weight of ln(1-s)) per element, held constant.
    Categorical: g where g > 0 and s < t. Sigmoid (binary form): additionally
    (1-g) where g < 1 and 1-s < t, i.e. the negatives the model is unsure about."""
    t = c.params["t"]
    v = c.valid.unsqueeze(1)
    pos = torch.where((c.g > 0) & (s < t) & v, c.g, torch.zeros_like(c.g))
    if c.act != "sigmoid":
        return pos, torch.zeros_like(pos)
    neg = torch.where((c.g < 1) & (comp < t) & v, 1 - c.g, torch.zeros_like(c.g))
    return pos, neg


def ref_topk_threshold(c: Ctx, z):
    red = c.params["reduction"]
    with torch.no_grad():
        pos, neg = thr_selection(c, thr_probs(c, z), torch.sigmoid(-z))
    lneg = F.logsigmoid(-z) if c.act == "sigmoid" else torch.zeros_like(z)
    num = -(pos * thr_logs(c, z) + neg * lneg).sum()
    den = (pos + neg).sum()
    if float(den) == 0:
        return (z * 0).sum()
    return num / den if red == "mean" else num


def alt_topk_threshold(c: Ctx, z):
    # NumPy, element by element
    t, red = c.params["t"], c.params["reduction"]
    zn = z.detach().numpy()
    g = c.g.numpy()
    v = np.broadcast_to(c.valid.numpy()[:, None], g.shape)
    if c.act == "softmax":
        s = np_softmax(zn)
        sel = (g > 0) & (s < t) & v
        num = -(g[sel] * np.log(s[sel])).sum()
        den = g[sel].sum()
    else:
        s, comp = 1 / (1 + np.exp(-zn)), 1 / (1 + np.exp(zn))
        ps = (g > 0) & (s < t) & v
        ns = (g < 1) & (comp < t) & v
        num = -(g[ps] * np.log(s[ps])).sum() - ((1 - g[ns]) * np.log(comp[ns])).sum()
        den = g[ps].sum() + (1 - g[ns]).sum()
    val = 0.0 if den == 0 else (num / den if red == "mean" else num)
    return torch.tensor(val), False


def check_thr_gap(c: Ctx, z):
    """No candidate probability within 1e-4 of t, so an f32 implementation selects
    the same elements."""
    t = c.params["t"]
    s = thr_probs(c, z).detach().numpy()
    v = np.broadcast_to(c.valid.numpy()[:, None], s.shape)
    g = c.g.numpy()
    gaps = [np.abs(s[(g > 0) & v] - t)]
    if c.act == "sigmoid":
        gaps.append(np.abs((1 - s)[(g < 1) & v] - t))
    gap = np.concatenate(gaps).min()
    if not gap > 1e-4:
        raise TooClose


# ---- focal ----------------------------------------------------------------

def monai_alpha(alpha):
    if alpha is None:
        return None
    return float(alpha) if isinstance(alpha, (int, float)) else torch.tensor(alpha, dtype=torch.float64)


def focal_sigmoid_alpha_factor(c: Ctx, alpha, t):
    """alpha_c t + (1 - alpha_c)(1 - t) (scalar alpha: the same for all classes)."""
    a = torch.tensor(alpha, dtype=torch.float64)
    if a.dim() > 0:
        a = c.cview(a)
    return a * t + (1 - a) * (1 - t)


def focal_elementwise_ref(c: Ctx, z):
    gamma, alpha = c.params["gamma"], c.params["alpha"]
    if c.act == "softmax":
        return softmax_focal_loss(z, c.g, gamma, monai_alpha(alpha))
    if c.act == "sigmoid":
        if isinstance(alpha, list):
            # MONAI >= 1.5 accepts a list for sigmoid but weights positives by
            # alpha_c and negatives by 1; our convention is alpha_c t + (1-alpha_c)(1-t),
            # so: MONAI's unweighted terms times our factor.
            return sigmoid_focal_loss(z, c.g, gamma, None) * focal_sigmoid_alpha_factor(c, alpha, c.g)
        return sigmoid_focal_loss(z, c.g, gamma, monai_alpha(alpha))
    return focal_categorical_hand(c, z)  # "none"


def categorical_alpha(c: Ctx, alpha):
    if alpha is None:
        return 1.0
    if isinstance(alpha, list):
        return c.cview(torch.tensor(alpha, dtype=torch.float64))
    return c.cview(torch.tensor([1 - alpha] + [alpha] * (c.C - 1), dtype=torch.float64))


def focal_categorical_hand(c: Ctx, z):
    """-alpha_c (1-s_c)^gamma g_c ln s_c."""
    gamma, alpha = c.params["gamma"], c.params["alpha"]
    if c.act == "softmax":
        logs = F.log_softmax(z, 1)
        s = torch.softmax(z, 1)
    else:
        logs, s = clamped_log(z), z
    mod = (1 - s) ** gamma if gamma != 0 else torch.ones_like(s)
    return -categorical_alpha(c, alpha) * mod * c.g * logs


def focal_sigmoid_hand(c: Ctx, z):
    """BCE(z, t) * (1 - p_t)^gamma * alpha factor, with 1 - p_t = s(1-t) + (1-s)t for
    binary t (written here in MONAI's form sigmoid(-z(2t-1)) for soft t)."""
    gamma, alpha = c.params["gamma"], c.params["alpha"]
    t = c.g
    mod = torch.sigmoid(-z * (2 * t - 1)) ** gamma
    a = 1.0 if alpha is None else focal_sigmoid_alpha_factor(c, alpha, t)
    return a * mod * bce_terms(c, z, t)


def ref_focal(c: Ctx, z):
    elt = focal_elementwise_ref(c, z)
    return reduce((elt * c.vf).sum(), c.N, c.params["reduction"])


def alt_focal(c: Ctx, z):
    if c.act == "sigmoid":
        elt = focal_sigmoid_hand(c, z)
    elif c.act == "softmax":
        elt = focal_categorical_hand(c, z)
    else:  # none: MONAI's softmax form on log p (log_softmax(log p) == log p: sums are exactly 1)
        elt = softmax_focal_loss(torch.log(z.detach()), c.g, c.params["gamma"], monai_alpha(c.params["alpha"]))
        return reduce((elt * c.vf).sum(), c.N, c.params["reduction"]), False
    return reduce((elt * c.vf).sum(), c.N, c.params["reduction"])


def check_focal_module(c: Ctx, z):
    """MONAI's FocalLoss module (float32 inside) must give the same elementwise terms."""
    alpha = c.params["alpha"]
    if c.act == "sigmoid" and isinstance(alpha, list):
        # Informational: MONAI's own list-alpha rule (alpha_c on t == 1, 1 elsewhere).
        theirs = sigmoid_focal_loss(z, c.g, c.params["gamma"], torch.tensor(alpha, dtype=torch.float64))
        ours = focal_elementwise_ref(c, z)
        red = c.params["reduction"]
        print(f"note: {c.params} sigmoid list alpha: ours {reduce((ours * c.vf).sum(), c.N, red).item():.12g}, "
              f"MONAI {monai.__version__} rule {reduce((theirs * c.vf).sum(), c.N, red).item():.12g}", file=sys.stderr)
        return
    if c.act == "none":
        return
    one_hot = (not c.dense) and c.C > 1
    target = c.safe_labels().unsqueeze(1) if one_hot else c.g
    mod = FocalLoss(to_onehot_y=one_hot, gamma=c.params["gamma"], alpha=alpha,
                    reduction="none", use_softmax=(c.act == "softmax"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = mod(z.detach(), target).to(torch.float64)
    want = focal_elementwise_ref(c, z.detach()) * c.vf
    got = got * c.vf
    assert torch.allclose(got, want, rtol=1e-5, atol=1e-5), float((got - want).abs().max())


# ---- monai_focal: MONAI's FocalLoss(gamma), its "mean" over B * C * pixels ------

def monai_focal_target(c: Ctx):
    """What FocalLoss takes: labels (B, 1, ...) with to_onehot_y for softmax, else the target."""
    one_hot = (not c.dense) and c.C > 1 and c.act == "softmax"
    return (c.labels.unsqueeze(1) if one_hot else c.g), one_hot


def ref_monai_focal(c: Ctx, z):
    """MONAI's softmax_focal_loss / sigmoid_focal_loss (what FocalLoss.forward calls, with
    alpha = None), then FocalLoss's reduction "mean": the mean over all B * C * pixels."""
    assert bool(c.valid.all()), "monai_focal cases have no invalid pixels (MONAI's mean is over all)"
    f = softmax_focal_loss if c.act == "softmax" else sigmoid_focal_loss
    return f(z, c.g, c.params["gamma"], None).mean()


def alt_monai_focal(c: Ctx, z):
    """The hand focal terms (focal with alpha = None) summed and divided by N * C."""
    c0 = Ctx(**{**vars(c), "params": {**c.params, "alpha": None}})
    elt = focal_sigmoid_hand(c0, z) if c.act == "sigmoid" else focal_categorical_hand(c0, z)
    return (elt * c.vf).sum() / (c.N * c.C)


def check_monai_focal_module(c: Ctx, z):
    """MONAI's FocalLoss(gamma, reduction="mean") module itself (float32 inside): value and
    gradient to 1e-5."""
    target, one_hot = monai_focal_target(c)
    mod = FocalLoss(to_onehot_y=one_hot, gamma=c.params["gamma"], reduction="mean",
                    use_softmax=(c.act == "softmax"))
    zm = z.detach().clone().requires_grad_(True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = mod(zm, target)
    got.backward()
    z2 = z.detach().clone().requires_grad_(True)
    want = ref_monai_focal(c, z2)
    want.backward()
    assert abs(got.item() - want.item()) <= 1e-5 * max(1.0, abs(want.item())), (got.item(), want.item())
    gd = (zm.grad - z2.grad).abs().max().item()
    assert gd <= 1e-5 * max(1.0, z2.grad.abs().max().item()), gd
    MONAI_FOCAL_CHECKS.append(abs(got.item() - want.item()))


MONAI_FOCAL_CHECKS: list[float] = []


# ---- dpce -----------------------------------------------------------------

def ref_dpce(c: Ctx, z):
    red = c.params["reduction"]
    wpix = (1 + c.penalty) * c.valid
    if c.act == "softmax" and not c.dense:
        tgt, ii = c.tgt_ignore()
        per = F.cross_entropy(z, tgt, ignore_index=ii, reduction="none")
        return reduce((wpix * per).sum(), c.N, red)
    if c.act == "softmax":
        per = F.cross_entropy(z, c.g, reduction="none")  # probability targets
        return reduce((wpix * per).sum(), c.N, red)
    per = F.binary_cross_entropy_with_logits(z, c.g, reduction="none").sum(1)
    return reduce((wpix * per).sum(), c.N, red)


def alt_dpce(c: Ctx, z):
    red = c.params["reduction"]
    if c.act == "softmax":
        per = -(c.g * F.log_softmax(z, 1)).sum(1)
    else:
        per = bce_terms(c, z, c.g).sum(1)
    return reduce(((1 + c.penalty) * per * c.valid).sum(), c.N, red)


LOSSES = {
    "ce": (ref_ce, alt_ce),
    "wce": (ref_wce, alt_wce),
    "topk": (ref_topk, alt_topk),
    "topk_threshold": (ref_topk_threshold, alt_topk_threshold),
    "focal": (ref_focal, alt_focal),
    "dpce": (ref_dpce, alt_dpce),
    "monai_focal": (ref_monai_focal, alt_monai_focal),
}


# --------------------------------------------------------------------------
# Case builder
# --------------------------------------------------------------------------

CASES: list[dict] = []
NAMES: set[str] = set()


class TooClose(Exception):
    """A topk / threshold selection boundary is too tight for an f32 implementation."""


def draw(name, attempt, act, shape, *, logit_step, target, ignore, ignore_frac, mask, absent, scale, penalty, build):
    """Draw the inputs of one case. The RNG is seeded with crc32(name) (with
    "#attempt" appended on redraws), so every case is reproducible on its own."""
    seed = name if attempt == 0 else f"{name}#{attempt}"
    rng = np.random.default_rng(zlib.crc32(seed.encode()))
    B, C, *sp = shape
    pix = (B, *sp)

    if act == "none":
        pred = gen_probs(rng, shape)
    else:
        pred = gen_logits(rng, shape, scale, step=2.0**-2 if scale > 100 else logit_step)

    labels = dense = None
    if target == "labels":
        classes = [0, 1] if (act == "sigmoid" and C == 1) else [k for k in range(C) if k != absent]
        labels = gen_labels(rng, pix, classes, ignore, ignore_frac)
    elif act == "sigmoid":
        dense = f32_exact(rng.integers(0, 257, size=shape) / 256.0)  # uniform [0,1]
    else:
        dense = simplex_quantized(np.moveaxis(rng.dirichlet(np.ones(C), size=pix), -1, 1), 256, 0)
        assert dense.shape == shape

    m = None
    if mask:
        m = (rng.random(pix) > 0.25).astype(np.int64)
    pen = None
    if penalty:  # D >= 0, about 30% exact zeros
        pen = quantize(rng.exponential(1.5, size=pix) * (rng.random(pix) > 0.3), 2.0**-6)

    if build is not None:
        pred, labels = build(rng, pred, labels)
        pred = f32_exact(pred)
    return pred, labels, dense, m, pen


def case(name, loss, act, shape, params, *, layout="channel_first", target="labels",
         dtype="i64", ignore=None, ignore_frac=0.15, mask=False, absent=None,
         scale=1.0, penalty=False, build=None):
    """Generate and check one case. `target`: "labels" or "dense". `absent`: a class
    never drawn. `build(rng, pred_cf, labels)` may edit the inputs (special cases)."""
    assert name not in NAMES, name
    NAMES.add(name)
    params = dict(params)
    params.setdefault("reduction", "mean")
    for attempt in range(50):
        try:
            inputs = draw(name, attempt, act, shape, logit_step=2.0**-10 if loss == "topk" else 2.0**-5,
                          target=target, ignore=ignore, ignore_frac=ignore_frac,
                          mask=mask, absent=absent, scale=scale, penalty=penalty, build=build)
            entry = compute(name, loss, act, shape, params, layout, dtype, ignore, *inputs)
            break
        except TooClose:
            print(f"note: {name}: selection boundary too tight, redrawing", file=sys.stderr)
            continue
    else:
        raise RuntimeError(f"{name}: no draw with a clear selection boundary")
    CASES.append(entry)


def compute(name, loss, act, shape, params, layout, dtype, ignore, pred, labels, dense, m, pen):
    B, C, *sp = shape
    pix = (B, *sp)
    # validity and channel-first target probabilities g
    valid = np.ones(pix, dtype=bool)
    if labels is not None and ignore is not None:
        valid &= labels != ignore
    if m is not None:
        valid &= m != 0
    assert valid.any()
    if labels is not None:
        assert ((labels[valid] >= 0) & (labels[valid] < max(C, 2))).all()
        safe = np.where(valid, labels, 0)
        if act == "sigmoid" and C == 1:
            g = safe[:, None].astype(np.float64)  # g = label
        else:
            g = np.moveaxis(np.eye(C)[safe], -1, 1)  # one_hot(label, C)
    else:
        g = dense.copy()
    g = g * valid[:, None]  # nothing from invalid pixels

    c = Ctx(act=act, params=params, C=C, g=torch.from_numpy(g),
            labels=None if labels is None else torch.from_numpy(labels),
            ignore=ignore, valid=torch.from_numpy(valid),
            penalty=None if pen is None else torch.from_numpy(pen), dense=labels is None)
    if loss == "topk":
        check_topk_gap(c, torch.from_numpy(pred))
    if loss == "topk_threshold":
        check_thr_gap(c, torch.from_numpy(pred))

    ref, alt = LOSSES[loss]
    if loss == "wce" and act == "none" and labels is not None:
        alt = alt_wce_none
    z = torch.tensor(pred, requires_grad=True)
    val = ref(c, z)
    val.backward()
    grad = z.grad.detach().numpy().copy()
    value = val.item()

    # ---- checks
    assert math.isfinite(value) and np.isfinite(grad).all(), name
    assert (grad * ~valid[:, None] == 0).all(), "gradient leaks into invalid pixels"
    scale_v = max(1.0, abs(value))
    z2 = torch.tensor(pred, requires_grad=True)
    out = alt(c, z2)
    differentiable = True
    if isinstance(out, tuple):
        out, differentiable = out
    assert abs(out.item() - value) <= TOL * scale_v, (name, out.item(), value)
    if differentiable and out.requires_grad:
        out.backward()
        gdiff = np.abs(z2.grad.numpy() - grad).max()
        assert gdiff <= TOL * max(1.0, np.abs(grad).max()), (name, gdiff)
    if loss == "focal":
        check_focal_module(c, z.detach())
    if loss == "monai_focal":
        check_monai_focal_module(c, z.detach())

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
        "penalty": None if pen is None else pen.reshape(-1).tolist(),
        "value": value,
        "grad": to_layout(grad, layout).reshape(-1).tolist(),
    }


# --------------------------------------------------------------------------
# The cases
# --------------------------------------------------------------------------

def ce(ls=0.0, weight=None, reduction="mean"):
    return {"weight": weight, "label_smoothing": ls, "reduction": reduction}


def zero_some_probs(rng, pred, labels):
    """Set some probabilities (including some at the labelled class) to exactly 0,
    so max(ln p, -100) clamps."""
    p = pred.copy()
    B, C = p.shape[:2]
    hit = rng.random((B, *p.shape[2:])) < 0.2
    lab_mask = np.moveaxis(np.eye(C)[labels], -1, 1).astype(bool) & hit[:, None]
    p[lab_mask] = 0.0
    p[:, 0][rng.random(hit.shape) < 0.2] = 0.0
    return f32_exact(p), labels


def confident(rng, pred, labels):
    """Logits strongly favour the labelled class: no p_label < 0.3 -> nothing selected."""
    C = pred.shape[1]
    return pred * 0.25 + 4.0 * np.moveaxis(np.eye(C)[labels], -1, 1), labels


def build_cases():
    # ---------------- ce / softmax
    case("ce_softmax_1d", "ce", "softmax", S1B, ce(), dtype="u8")
    case("ce_softmax_2d_ignore_i64", "ce", "softmax", S2B, ce(), dtype="i64", ignore=-1)
    case("ce_softmax_3d_u16", "ce", "softmax", S3, ce(), dtype="u16")
    case("ce_softmax_2d_large_ignore_u8", "ce", "softmax", LARGE, ce(), dtype="u8", ignore=255, ignore_frac=0.05)
    case("ce_softmax_2d_channel_last_u32", "ce", "softmax", S2, ce(), layout="channel_last", dtype="u32")
    case("ce_softmax_2d_weight_ls_ignore_u8", "ce", "softmax", S2, ce(0.1, [0.5, 1.0, 2.0, 1.5]), dtype="u8", ignore=255)
    case("ce_softmax_1d_sum_weight", "ce", "softmax", S1S, ce(0.0, [1.0, 2.0, 0.5], "sum"), dtype="i32")
    case("ce_softmax_2d_mask_ignore_i32", "ce", "softmax", S2S, ce(), dtype="i32", ignore=-100, mask=True)
    case("ce_softmax_2d_absent_class_weight", "ce", "softmax", S2, ce(0.0, [1.0, 0.75, 3.0, 1.25]), dtype="u8", absent=2)
    case("ce_softmax_2d_dense", "ce", "softmax", S2S, ce(), target="dense")
    case("ce_softmax_3d_dense_channel_last_weight_ls", "ce", "softmax", S3, ce(0.1, [0.25, 1.0, 2.0]), target="dense", layout="channel_last")
    case("ce_softmax_2d_dense_mask_weight_ls", "ce", "softmax", S2S, ce(0.1, [2.0, 0.5, 1.0]), target="dense", mask=True)
    case("ce_softmax_1d_large_logits", "ce", "softmax", S1, ce(), dtype="u8", ignore=255, scale=1000.0)

    # ---------------- ce / sigmoid
    case("ce_sigmoid_1d", "ce", "sigmoid", S1B, ce(), dtype="u8")
    case("ce_sigmoid_2d_ignore_i64", "ce", "sigmoid", S2, ce(), dtype="i64", ignore=-1)
    case("ce_sigmoid_3d_u16", "ce", "sigmoid", S3, ce(), dtype="u16")
    case("ce_sigmoid_c1_ignore_u8", "ce", "sigmoid", C1, ce(), dtype="u8", ignore=255)
    case("ce_sigmoid_2d_dense_weight_ls", "ce", "sigmoid", S2S, ce(0.1, [0.5, 2.0, 1.0]), target="dense")
    case("ce_sigmoid_2d_channel_last_mask", "ce", "sigmoid", S2, ce(), layout="channel_last", dtype="u32", mask=True)
    case("ce_sigmoid_1d_large_logits", "ce", "sigmoid", S1S, ce(), dtype="u8", scale=1000.0)
    case("ce_sigmoid_2d_sum_weight_ls_absent", "ce", "sigmoid", S2S, ce(0.1, [1.5, 1.0, 0.25], "sum"), dtype="i32", absent=1)

    # ---------------- ce / none (probabilities)
    case("ce_none_1d", "ce", "none", S1, ce(), dtype="u8")
    case("ce_none_2d_weight_ls_ignore_u8", "ce", "none", S2, ce(0.1, [0.5, 1.0, 2.0, 1.5]), dtype="u8", ignore=255)
    case("ce_none_3d_dense", "ce", "none", S3, ce(), target="dense")
    case("ce_none_2d_mask_sum_channel_last", "ce", "none", S2S, ce(0.0, None, "sum"), layout="channel_last", dtype="i64", mask=True)
    case("ce_none_2d_dense_mask_weight_ls", "ce", "none", S2S, ce(0.1, [2.0, 0.5, 1.0]), target="dense", mask=True)
    case("ce_none_1d_clamp_zero_probs", "ce", "none", S1S, ce(), dtype="u8", build=zero_some_probs)

    # ---------------- wce
    IF = "inverse_frequency"
    case("wce_softmax_1d_list", "wce", "softmax", S1, {"weight": [0.5, 1.0, 2.0]}, dtype="u8")
    case("wce_softmax_2d_invfreq_ignore_i64", "wce", "softmax", S2, {"weight": IF}, dtype="i64", ignore=-1)
    case("wce_softmax_3d_invfreq", "wce", "softmax", S3, {"weight": IF}, dtype="u16")
    case("wce_softmax_2d_large_invfreq", "wce", "softmax", LARGE, {"weight": IF}, dtype="u8")
    case("wce_softmax_2d_channel_last_list", "wce", "softmax", S2, {"weight": [1.0, 0.25, 2.0, 1.5]}, layout="channel_last", dtype="u32")
    case("wce_softmax_2d_absent_mask_invfreq", "wce", "softmax", S2, {"weight": IF}, dtype="u8", absent=3, mask=True)
    case("wce_softmax_1d_sum_invfreq", "wce", "softmax", S1S, {"weight": IF, "reduction": "sum"}, dtype="i64")
    case("wce_softmax_2d_dense_invfreq", "wce", "softmax", S2S, {"weight": IF}, target="dense")
    case("wce_sigmoid_1d_list", "wce", "sigmoid", S1, {"weight": [0.5, 1.0, 2.0]}, dtype="u8")
    case("wce_sigmoid_2d_invfreq_ignore_i64", "wce", "sigmoid", S2, {"weight": IF}, dtype="i64", ignore=-1)
    case("wce_sigmoid_3d_invfreq", "wce", "sigmoid", S3S, {"weight": IF}, dtype="u16")
    case("wce_sigmoid_c1_invfreq", "wce", "sigmoid", C1, {"weight": IF}, dtype="u8", ignore=255)
    case("wce_sigmoid_2d_dense_channel_last_list_sum", "wce", "sigmoid", S2S, {"weight": [2.0, 1.0, 0.5], "reduction": "sum"}, target="dense", layout="channel_last")
    case("wce_none_1d_invfreq", "wce", "none", S1, {"weight": IF}, dtype="u8")
    case("wce_none_2d_list_ignore_u8", "wce", "none", S2, {"weight": [0.5, 1.0, 2.0, 1.5]}, dtype="u8", ignore=255)
    case("wce_none_2d_dense_mask_invfreq", "wce", "none", S2S, {"weight": IF}, target="dense", mask=True)

    # ---------------- topk
    case("topk_softmax_1d_k10", "topk", "softmax", S1, {"k": 10.0}, dtype="u8")
    case("topk_softmax_2d_k30_ignore_i64", "topk", "softmax", S2, {"k": 30.0}, dtype="i64", ignore=-1)
    case("topk_softmax_3d_k100", "topk", "softmax", S3, {"k": 100.0}, dtype="u16")
    case("topk_softmax_2d_large_k10", "topk", "softmax", LARGE, {"k": 10.0}, dtype="u8", ignore=255, ignore_frac=0.05)
    case("topk_softmax_2d_channel_last_k30_mask", "topk", "softmax", S2, {"k": 30.0}, layout="channel_last", dtype="u32", mask=True)
    case("topk_softmax_2d_dense_k30_sum", "topk", "softmax", S2S, {"k": 30.0, "reduction": "sum"}, target="dense")
    case("topk_sigmoid_1d_k10", "topk", "sigmoid", S1, {"k": 10.0}, dtype="u8")
    case("topk_sigmoid_2d_k30_ignore_i64", "topk", "sigmoid", S2, {"k": 30.0}, dtype="i64", ignore=-1)
    case("topk_sigmoid_3d_k100", "topk", "sigmoid", S3S, {"k": 100.0}, dtype="u16")
    case("topk_sigmoid_c1_k30", "topk", "sigmoid", C1, {"k": 30.0}, dtype="u8", ignore=255)

    # ---------------- topk_threshold
    case("topk_threshold_softmax_1d_t03", "topk_threshold", "softmax", S1, {"t": 0.3}, dtype="u8")
    case("topk_threshold_softmax_2d_t07_ignore_i64", "topk_threshold", "softmax", S2, {"t": 0.7}, dtype="i64", ignore=-1)
    case("topk_threshold_softmax_3d_t07", "topk_threshold", "softmax", S3, {"t": 0.7}, dtype="u16")
    case("topk_threshold_softmax_2d_large_t03", "topk_threshold", "softmax", LARGE, {"t": 0.3}, dtype="u8")
    case("topk_threshold_softmax_2d_channel_last_t03_mask", "topk_threshold", "softmax", S2, {"t": 0.3}, layout="channel_last", dtype="u32", mask=True)
    case("topk_threshold_softmax_2d_dense_t07_sum", "topk_threshold", "softmax", S2S, {"t": 0.7, "reduction": "sum"}, target="dense")
    case("topk_threshold_softmax_1d_none_selected", "topk_threshold", "softmax", S1S, {"t": 0.3}, dtype="u8", build=confident)
    case("topk_threshold_sigmoid_1d_t03", "topk_threshold", "sigmoid", S1, {"t": 0.3}, dtype="u8")
    case("topk_threshold_sigmoid_2d_t07_ignore_i64", "topk_threshold", "sigmoid", S2, {"t": 0.7}, dtype="i64", ignore=-1)
    case("topk_threshold_sigmoid_3d_t07_dense", "topk_threshold", "sigmoid", S3S, {"t": 0.7}, target="dense")
    case("topk_threshold_sigmoid_c1_t07", "topk_threshold", "sigmoid", C1, {"t": 0.7}, dtype="u8", ignore=255)

    # ---------------- focal
    def fp(gamma, alpha=None, reduction="mean"):
        return {"gamma": gamma, "alpha": alpha, "reduction": reduction}
    case("focal_softmax_1d_g2", "focal", "softmax", S1, fp(2.0), dtype="u8")
    case("focal_softmax_2d_g0_a025_ignore_i64", "focal", "softmax", S2, fp(0.0, 0.25), dtype="i64", ignore=-1)
    case("focal_softmax_3d_g05_alist", "focal", "softmax", S3, fp(0.5, [0.25, 0.5, 1.0]), dtype="u16")
    case("focal_softmax_2d_large_g2_a025", "focal", "softmax", LARGE, fp(2.0, 0.25), dtype="u8", ignore=255, ignore_frac=0.05)
    case("focal_softmax_2d_channel_last_g2_alist_mask", "focal", "softmax", S2B, fp(2.0, [0.25, 0.75, 1.0, 0.5]), layout="channel_last", dtype="u32", mask=True)
    case("focal_softmax_1d_g05_sum", "focal", "softmax", S1S, fp(0.5, None, "sum"), dtype="i32")
    case("focal_softmax_2d_dense_g2_a025", "focal", "softmax", S2S, fp(2.0, 0.25), target="dense")
    case("focal_softmax_1d_large_logits_g2", "focal", "softmax", S1, fp(2.0), dtype="u8", ignore=255, scale=1000.0)
    case("focal_sigmoid_1d_g2", "focal", "sigmoid", S1, fp(2.0), dtype="u8")
    case("focal_sigmoid_2d_g0_a025_ignore_i64", "focal", "sigmoid", S2, fp(0.0, 0.25), dtype="i64", ignore=-1)
    case("focal_sigmoid_3d_g05_alist", "focal", "sigmoid", S3, fp(0.5, [0.25, 0.5, 1.0]), dtype="u16")
    case("focal_sigmoid_c1_g2_a025", "focal", "sigmoid", C1, fp(2.0, 0.25), dtype="u8", ignore=255)
    case("focal_sigmoid_2d_dense_channel_last_g2_a025_mask", "focal", "sigmoid", S2S, fp(2.0, 0.25), target="dense", layout="channel_last", mask=True)
    case("focal_sigmoid_1d_g2_alist_sum", "focal", "sigmoid", S1S, fp(2.0, [0.75, 0.25, 0.5], "sum"), dtype="i32")
    case("focal_none_1d_g2", "focal", "none", S1, fp(2.0), dtype="u8")
    case("focal_none_2d_g05_alist_ignore_u8", "focal", "none", S2, fp(0.5, [0.25, 0.5, 1.0, 0.75]), dtype="u8", ignore=255)
    case("focal_none_3d_g0_a025_sum", "focal", "none", S3, fp(0.0, 0.25, "sum"), dtype="u16")

    # ---------------- dpce
    R = {"reduction": "mean"}
    case("dpce_softmax_1d", "dpce", "softmax", S1B, R, dtype="u8", penalty=True)
    case("dpce_softmax_2d_ignore_i64", "dpce", "softmax", S2, R, dtype="i64", ignore=-1, penalty=True)
    case("dpce_softmax_3d_channel_last", "dpce", "softmax", S3, R, layout="channel_last", dtype="u16", penalty=True)
    case("dpce_softmax_2d_large", "dpce", "softmax", LARGE, R, dtype="u8", ignore=255, ignore_frac=0.05, penalty=True)
    case("dpce_softmax_2d_dense_mask_sum", "dpce", "softmax", S2S, {"reduction": "sum"}, target="dense", mask=True, penalty=True)
    case("dpce_softmax_1d_mask_i32", "dpce", "softmax", S1S, R, dtype="i32", mask=True, penalty=True)
    case("dpce_sigmoid_1d", "dpce", "sigmoid", S1, R, dtype="u8", penalty=True)
    case("dpce_sigmoid_2d_ignore_i64", "dpce", "sigmoid", S2, R, dtype="i64", ignore=-1, penalty=True)
    case("dpce_sigmoid_c1_dense", "dpce", "sigmoid", C1, R, target="dense", penalty=True)

    # ---------------- monai_focal (preset: FocalLoss(gamma), the mean over B * C * pixels)
    MF = lambda gamma: {"gamma": gamma, "reduction": "element_mean"}  # noqa: E731
    case("monai_focal_softmax_2d_g2", "monai_focal", "softmax", S2B, MF(2.0), dtype="u8")
    case("monai_focal_sigmoid_1d_g2", "monai_focal", "sigmoid", S1, MF(2.0), dtype="u8")
    case("monai_focal_sigmoid_c1_g05", "monai_focal", "sigmoid", C1, MF(0.5), dtype="u8")


def write_json():
    head = {"generator": "scripts/golden/gen_distribution.py", "torch": torch.__version__, "monai": monai.__version__}
    # one case per line: compact, but diffs stay readable
    for cs in CASES:
        cs["spec"] = spec_of(cs)
    body = ",\n".join(json.dumps(cs, separators=(",", ":")) for cs in CASES)
    text = json.dumps(head, separators=(",", ":"))[:-1] + ',"cases":[\n' + body + "\n]}\n"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)


def reload_and_summarize():
    data = json.loads(OUT.read_text())
    assert len({cs["name"] for cs in data["cases"]}) == len(data["cases"])
    for cs in data["cases"]:
        B, C, *sp = cs["shape"]
        n = B * C * math.prod(sp)
        assert len(cs["pred"]) == n and len(cs["grad"]) == n, cs["name"]
        assert math.isfinite(cs["value"]) and all(math.isfinite(v) for v in cs["grad"]), cs["name"]
        assert all(math.isfinite(v) for v in cs["pred"])
        t = cs["target"]
        assert len(t["values"]) == (n if t["kind"] == "dense" else n // C)
        tk = t["kind"] if t["kind"] == "dense" else f"{t['dtype']}/ign={t['ignore_index']}"
        print(f"{cs['name']:<52} {cs['loss']:<15} {cs['activation']:<8} {cs['layout']:<13} "
              f"{str(tuple(cs['shape'])):<18} {tk:<12} value={cs['value']:.12g} "
              f"|grad|max={max(abs(v) for v in cs['grad']):.3e}")
    if MONAI_FOCAL_CHECKS:
        print(f"monai_focal: MONAI FocalLoss module (float32) agrees on {len(MONAI_FOCAL_CHECKS)} cases, "
              f"max value diff {max(MONAI_FOCAL_CHECKS):.2e}", file=sys.stderr)
    print(f"{len(data['cases'])} cases, {OUT.stat().st_size} bytes -> {OUT.relative_to(REPO)} "
          f"(torch {data['torch']}, monai {data['monai']})")


if __name__ == "__main__":
    build_cases()
    write_json()
    reload_and_summarize()
