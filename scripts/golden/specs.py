#!/usr/bin/env python3
"""The segloss run-time spec of a golden case: the same loss and options as the reference.

Every generator (gen_distribution.py, gen_region.py, gen_boundary.py) writes a case's
reference options as "params" in its own words; `spec_of(case)` turns them into the spec
text that `segloss eval --loss` and `segloss_std::spec::Spec::parse` take, and the
generators store it as the case's "spec". The Rust golden tests build every case from that
text (and every leaf case also from its params through the catalogue), so they need no
code per loss: a new loss needs its generator case and nothing else.

Run as a script, it adds (or refreshes) the "spec" of every case of the committed JSON
files without touching any number:

    python3 scripts/golden/specs.py        # no third-party package needed
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Parameters of the golden files that are not loss parameters (the target, the data).
NOT_PARAMS = {"ignore_index", "precomputed", "monai_checked", "eps"}

# The Dice options a compound's golden params carry for its Dice member.
DICE_KEYS = ["include_background", "batch", "weight", "reduction", "smooth_nr", "smooth_dr",
             "squared_pred", "jaccard", "log_dice"]


def value(v) -> str:
    """A parameter value as the spec writes it."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(float(v)) if isinstance(v, float) else str(v)
    if isinstance(v, list):
        return "[" + ", ".join(value(x) for x in v) + "]"
    return str(v)


def call(name: str, args: list[tuple[str, object]]) -> str:
    """`name(k=v, ...)`, leaving out unset (None) values."""
    parts = [f"{k}={value(v) if not isinstance(v, Raw) else v.text}" for k, v in args if v is not None]
    return f"{name}({', '.join(parts)})" if parts else name


class Raw:
    """Spec text inserted as is (a member call)."""

    def __init__(self, text: str):
        self.text = text


def pick(params: dict, keys: list[str]) -> list[tuple[str, object]]:
    return [(k, params[k]) for k in keys if k in params]


def dice_member(p: dict, name: str = "dice") -> Raw:
    return Raw(call(name, pick(p, DICE_KEYS)))


def spec_of(case: dict) -> str | None:
    """The spec of `case`, or None when the case needs data a spec cannot carry."""
    loss, p = case["loss"], case.get("params", {})
    if p.get("precomputed"):
        return None  # precomputed boundary maps: the Rust API only
    if loss == "dice_ce":
        ce = Raw(call("ce", [("weight", p.get("ce_weight"))]))
        return call("dice_ce", pick(p, ["lambda_dice", "lambda_ce"])
                    + [("dice", dice_member(p)), ("ce", ce)])
    if loss == "dice_focal":
        focal = Raw(call("focal", [("gamma", p["gamma"]), ("alpha", p.get("alpha")),
                                   ("include_background", p.get("include_background")),
                                   ("weight", p.get("weight")), ("reduction", "element_mean")]))
        return call("dice_focal", pick(p, ["lambda_dice", "lambda_focal"])
                    + [("dice", dice_member(p)), ("focal", focal)])
    if loss == "dice_topk":
        topk = Raw(call("topk", [("k", p["k"])]))
        return call("dice_topk", pick(p, ["lambda_dice", "lambda_topk"])
                    + [("dice", dice_member(p)), ("topk", topk)])
    if loss == "combo":
        return call("combo", pick(p, ["alpha", "beta"]) + [("dice", dice_member(p))])
    if loss == "ell":
        dice = Raw(call("exp_log_dice", pick(p, ["include_background", "batch", "weight",
                                                 "reduction", "smooth_nr", "smooth_dr"])))
        return call("ell", pick(p, ["w_dice", "w_ce", "gamma_dice", "gamma_ce"]) + [("dice", dice)])
    if loss in ("nnunet_dice", "nnunet_soft_dice"):
        return call("nnunet_soft_dice", [("batch_dice", p["batch"]),
                                         ("do_bg", p["include_background"]),
                                         ("smooth", p.get("smooth"))])
    if loss in ("nnunet_dice_ce", "nnunet_dc_and_ce"):
        return call("nnunet_dc_and_ce", [("batch_dice", p["batch"]),
                                         ("do_bg", p["include_background"])]
                    + pick(p, ["weight_dice", "weight_ce", "smooth"]))
    if loss in ("smp_dice", "paper_dice", "paper_soft_dice"):
        name = "paper_soft_dice" if loss.startswith("paper") else loss
        return call(name, pick(p, ["smooth"]))
    # Presets: their fixed constants are in the params (what the reference used), not in the spec.
    if loss == "paper_focal_tversky":
        return "paper_focal_tversky"
    if loss == "monai_focal":
        return call("monai_focal", [("gamma", p["gamma"])])
    if loss in ("log_hausdorff", "log_hd", "log_hausdorff_dt"):
        # hausdorff's parameters, forwarded; `log` is the preset's own setting
        return call("log_hausdorff", [(k, v) for k, v in p.items() if k not in NOT_PARAMS and k != "log"])
    if loss in ("dice_boundary", "dice_hausdorff"):
        member = "boundary" if loss == "dice_boundary" else "hd"
        inner = "boundary" if loss == "dice_boundary" else "hausdorff"
        lam = "lambda_boundary" if loss == "dice_boundary" else "lambda_hd"
        own = {k[len(member) + 1:]: v for k, v in p.items() if k.startswith(member + "_")}
        return call(loss, pick(p, ["schedule", "epoch", "lambda_dice", lam])
                    + [("dice", dice_member(p)), (member, Raw(call(inner, list(own.items()))))])
    # A leaf: its params are its parameters (null: unset).
    args = [(k, v) for k, v in p.items() if k not in NOT_PARAMS]
    return call(loss, args)


def dumps(doc: dict) -> str:
    """The layout the generators write: top-level keys in order, one case per line."""
    parts = []
    for k, v in doc.items():
        if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            rows = ",\n".join(json.dumps(x, separators=(",", ":")) for x in v)
            parts.append(f"{json.dumps(k)}:[\n{rows}\n]")
        else:
            parts.append(f"{json.dumps(k)}:{json.dumps(v, separators=(',', ':'))}")
    return "{" + ",".join(parts) + "}\n"


def annotate(path: Path) -> int:
    doc = json.loads(path.read_text())
    key = "cases" if "cases" in doc else "losses"
    for case in doc[key]:
        case["spec"] = spec_of(case)
    path.write_text(dumps(doc))
    return len(doc[key])


if __name__ == "__main__":
    files = sys.argv[1:] or ["distribution.json", "region.json", "boundary.json"]
    for f in files:
        n = annotate(REPO / "tests" / "golden" / f)
        print(f"{f}: {n} cases annotated")
