#!/usr/bin/env python3
"""Compare a segloss loss with the PyTorch / MONAI loss you train with, on the same .npy files.

Runs `segloss eval` (as a subprocess) and the PyTorch or MONAI loss (with autograd) on the
same prediction and target, and prints both values side by side with their difference and
the largest difference of the gradients d loss / d prediction.

Usage (from the repository root, with the venv made by scripts/setup-python.sh):

    cargo build --release --bin segloss
    venv=$(scripts/setup-python.sh)

    # a generated case: random logits (B, C, spatial...) and integer labels (B, spatial...)
    $venv/bin/python scripts/compare_pytorch.py --make-case /tmp/case --shape 2,3,32,32

    # your files against a MONAI loss ...
    $venv/bin/python scripts/compare_pytorch.py --input /tmp/case/pred.npy \\
        --target /tmp/case/target.npy \\
        --monai "DiceCELoss(softmax=True, to_onehot_y=True)" --spec "dice_ce"

    # ... or against any PyTorch callable
    $venv/bin/python scripts/compare_pytorch.py --input /tmp/case/pred.npy \\
        --target /tmp/case/target.npy --torch "torch.nn.CrossEntropyLoss()" --spec "ce"

The expression after --monai / --torch is evaluated with `torch`, `F`
(torch.nn.functional), `nn` and every class of `monai.losses` in scope, and called as
`loss(prediction, target)`. The target is handed over in the form the library expects:

    --target-form monai   (default with --monai)  labels as float (B, 1, spatial...)
    --target-form index   (default with --torch)  labels as int64 (B, spatial...)
    --target-form onehot                          float one-hot (B, C, spatial...)

A float target file (a one-hot or soft map of the prediction's shape) is passed unchanged.
PyTorch runs in float64 on the prediction's values (float32 files are widened exactly);
segloss runs in the file's dtype, so a float32 case differs by float32 rounding (~1e-7
relative). Options after `--segloss-arg` go to `segloss eval` unchanged (e.g.
`--segloss-arg=--activation=sigmoid`).

Convention notes (see docs/design.md): segloss's `focal` sums over classes and averages over
pixels (C times MONAI's FocalLoss); `monai_focal(gamma)` is MONAI's convention. segloss's
`ce` under a sigmoid is C times BCEWithLogitsLoss's mean (`ce(reduction=element_mean)` is
PyTorch's). MONAI's FocalLoss computes in float32 whatever the input dtype (differences
of ~1e-8). MONAI 1.6's DiceFocalLoss(softmax=True) applies the *sigmoid* focal form to the
logits (its FocalLoss gets no use_softmax); segloss's dice_focal uses one activation for
both members, so compare against
    --monai "(lambda m: (setattr(m.focal, 'use_softmax', True), m)[1])(DiceFocalLoss(softmax=True, to_onehot_y=True))"
MONAI's include_background also drops the background from the focal part; segloss's Focal
has no such option (`dice_focal(include_background=false)` only configures the Dice member).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def find_segloss(explicit: str | None) -> str:
    if explicit:
        return explicit
    for candidate in (REPO / "target" / "release" / "segloss", REPO / "target" / "debug" / "segloss"):
        if candidate.exists():
            return str(candidate)
    found = shutil.which("segloss")
    if found:
        return found
    sys.exit("segloss binary not found: run `cargo build --release --bin segloss` or pass --segloss PATH")


def make_case(out: Path, shape: list[int], seed: int, dtype: str) -> None:
    """Random logits and labels: pred.npy (B, C, spatial...), target.npy (B, spatial...)."""
    rng = np.random.default_rng(seed)
    b, c, spatial = shape[0], shape[1], shape[2:]
    out.mkdir(parents=True, exist_ok=True)
    pred = rng.normal(scale=2.0, size=shape).astype(dtype)
    labels = rng.integers(0, max(c, 2), size=[b, *spatial]).astype(np.int64)
    np.save(out / "pred.npy", pred)
    np.save(out / "target.npy", labels)
    print(f"wrote {out / 'pred.npy'} {tuple(pred.shape)} {pred.dtype} and "
          f"{out / 'target.npy'} {tuple(labels.shape)} int64")


def run_segloss(binary: str, pred: str, target: str, spec: str, extra: list[str]) -> tuple[dict, np.ndarray]:
    with tempfile.TemporaryDirectory() as tmp:
        grad_path = os.path.join(tmp, "grad.npy")
        cmd = [binary, "eval", "--input", pred, "--target", target, "--loss", spec,
               "--grad-out", grad_path, *extra]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"segloss failed (exit {done.returncode}):\n{done.stderr}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        return result, np.load(grad_path)


def torch_target(target: np.ndarray, pred_shape: tuple, form: str):
    import torch

    if target.dtype.kind == "f":
        return torch.from_numpy(target.astype(np.float64))
    labels = target.astype(np.int64)
    b, c, spatial = pred_shape[0], pred_shape[1], tuple(pred_shape[2:])
    if labels.shape == (b, 1, *spatial):
        labels = labels[:, 0]
    if labels.shape != (b, *spatial):
        sys.exit(f"target shape {target.shape} does not match the prediction {pred_shape}")
    t = torch.from_numpy(labels)
    if form == "index":
        return t
    if form == "monai":
        return t[:, None].to(torch.float64)
    onehot = torch.nn.functional.one_hot(t, num_classes=c).movedim(-1, 1)
    return onehot.to(torch.float64)


def run_torch(expr: str, pred: np.ndarray, target: np.ndarray, form: str) -> tuple[float, np.ndarray]:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    scope = {"torch": torch, "nn": nn, "F": F}
    try:
        import monai.losses

        scope.update({k: getattr(monai.losses, k) for k in dir(monai.losses) if not k.startswith("_")})
    except ImportError:
        pass
    loss_fn = eval(expr, scope)  # noqa: S307 - the user's own expression
    x = torch.from_numpy(pred.astype(np.float64)).requires_grad_(True)
    y = torch_target(target, tuple(pred.shape), form)
    value = loss_fn(x, y)
    if value.numel() != 1:
        sys.exit(f"{expr} returned a tensor of shape {tuple(value.shape)}; use a reducing loss")
    value.backward()
    return float(value.item()), x.grad.numpy()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--make-case", metavar="DIR", help="write a random pred.npy/target.npy into DIR and exit")
    ap.add_argument("--shape", default="2,3,32,32", help="shape of a generated case (B,C,S...)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dtype", default="float64", choices=["float32", "float64"], help="of a generated case")
    ap.add_argument("--input", help="PRED.npy")
    ap.add_argument("--target", help="TARGET.npy")
    ap.add_argument("--spec", help="the segloss loss spec, e.g. dice_ce")
    ref = ap.add_mutually_exclusive_group()
    ref.add_argument("--monai", help='a MONAI loss, e.g. "DiceCELoss(softmax=True, to_onehot_y=True)"')
    ref.add_argument("--torch", help='a PyTorch loss, e.g. "torch.nn.CrossEntropyLoss()"')
    ap.add_argument("--target-form", choices=["monai", "index", "onehot"])
    ap.add_argument("--segloss", help="path of the segloss binary (default: target/release/segloss)")
    ap.add_argument("--segloss-arg", action="append", default=[], help="extra argument for segloss eval")
    args = ap.parse_args()

    if args.make_case:
        make_case(Path(args.make_case), [int(s) for s in args.shape.split(",")], args.seed, args.dtype)
        return
    if not (args.input and args.target and args.spec and (args.monai or args.torch)):
        ap.error("--input, --target, --spec and one of --monai / --torch are required (or --make-case)")
    form = args.target_form or ("monai" if args.monai else "index")
    expr = args.monai or args.torch
    library = "MONAI" if args.monai else "PyTorch"

    pred = np.load(args.input)
    target = np.load(args.target)
    ours, our_grad = run_segloss(find_segloss(args.segloss), args.input, args.target, args.spec, args.segloss_arg)
    theirs, their_grad = run_torch(expr, pred, target, form)

    v_ours = ours["loss"]
    diff = abs(v_ours - theirs)
    gmax = float(np.max(np.abs(their_grad))) if their_grad.size else 0.0
    gdiff = float(np.max(np.abs(our_grad.astype(np.float64) - their_grad))) if their_grad.size else 0.0
    left, right = f"segloss {args.spec}", f"{library} {expr}"
    width = max(len(left), 24)
    print(f"case       {args.input} {tuple(pred.shape)} {pred.dtype}, {args.target} {tuple(target.shape)} {target.dtype}")
    print(f"{'':10} {left:<{width}}  {right}")
    print(f"{'value':10} {v_ours!r:<{width}}  {theirs!r}")
    print(f"{'|diff|':10} {diff:.3e} (relative {diff / max(abs(theirs), 1e-300):.3e})")
    print(f"{'max |grad|':10} {float(np.max(np.abs(our_grad))):<{width}.6e}  {gmax:.6e}")
    print(f"{'max |dgrad|':10} {gdiff:.3e} (relative to max |grad| {gdiff / max(gmax, 1e-300):.3e})")
    members = ", ".join(f"{m['weight']:g}*{m['name']}={m['value']:.12g}" for m in ours["members"])
    print(f"{'members':10} {members}")


if __name__ == "__main__":
    main()
