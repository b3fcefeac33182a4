#!/usr/bin/env python3
"""Times segloss's exact EDT against the seung-lab `edt` package and scipy.

Generates a 128^3 mask of random balls (seeded), writes it to a temporary file, then on the
same mask and in the same run:

  * segloss: `cargo run --release -p segloss-std --example bench_edt -- --mask FILE ...`
    (median of K runs, measured inside the Rust process), f32 and f64 outputs;
  * edt:     `edt.edt(mask, anisotropy=spacing, parallel=N)` (float32), median of K runs;
  * scipy:   `scipy.ndimage.distance_transform_edt(mask, sampling=spacing)` (float64, one
    thread: scipy has no threads).

With `--threads N` (default 1) segloss splits rows and lines across N threads
(`segloss_std::edt::run`) and `edt` gets `parallel=N`.

for unit spacing and an anisotropic spacing, checks segloss's output against scipy, and
prints a table with the ratios to segloss f32.

    ~/.cache/segloss-venv/bin/python scripts/bench_edt.py [--size 128] [--runs 11] [--threads 1]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from importlib import metadata
from pathlib import Path

import numpy as np
import scipy
import scipy.ndimage as ndi

import edt

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "target" / "release" / "examples" / "bench_edt"


def balls(n: int, seed: int = 7) -> np.ndarray:
    """Random balls covering about a fifth of an n^3 grid."""
    rng = np.random.default_rng(seed)
    z, y, x = np.ogrid[:n, :n, :n]
    mask = np.zeros((n, n, n), bool)
    for _ in range(20):
        c = rng.uniform(0, n, 3)
        r = n * rng.uniform(0.04, 0.24)
        mask |= (z - c[0]) ** 2 + (y - c[1]) ** 2 + (x - c[2]) ** 2 < r * r
    return mask


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def segloss(mask_file: Path, dims, spacing, runs: int, ty: str, out: Path,
            threads: int) -> float:
    cmd = [str(EXAMPLE), "--mask", str(mask_file), "--dims", ",".join(map(str, dims)),
           "--spacing", ",".join(map(repr, spacing)), "--runs", str(runs), "--type", ty,
           "--out", str(out), "--threads", str(threads)]
    res = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    return res["median_s"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--scipy-runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()

    subprocess.run(["cargo", "build", "--release", "-q", "-p", "segloss-std", "--example",
                    "bench_edt"], check=True, cwd=REPO)
    n = args.size
    mask = balls(n)
    print(f"mask: {n}^3 random balls, {mask.mean():.1%} nonzero; {args.threads} thread(s) "
          f"(scipy: one); "
          f"median of {args.runs} runs (scipy: {args.scipy_runs})")
    print(f"edt {metadata.version('edt')}, "
          f"scipy {scipy.__version__}, numpy {np.__version__}\n")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        mask_file = Path(tmp) / "mask.raw"
        mask.astype(np.uint8).tofile(mask_file)
        for spacing in ((1.0, 1.0, 1.0), (2.5, 0.8, 0.8)):
            out = {ty: Path(tmp) / f"out_{ty}.raw" for ty in ("f32", "f64")}
            t32 = segloss(mask_file, mask.shape, spacing, args.runs, "f32", out["f32"],
                          args.threads)
            t64 = segloss(mask_file, mask.shape, spacing, args.runs, "f64", out["f64"],
                          args.threads)
            t_edt = median_time(lambda: edt.edt(mask, anisotropy=spacing, parallel=args.threads),
                                args.runs)
            t_sp = median_time(lambda: ndi.distance_transform_edt(mask, sampling=spacing),
                               args.scipy_runs)
            ref = ndi.distance_transform_edt(mask, sampling=spacing)
            d32 = np.fromfile(out["f32"], np.float32).reshape(mask.shape)
            d64 = np.fromfile(out["f64"], np.float64).reshape(mask.shape)
            d_edt = edt.edt(mask, anisotropy=spacing, parallel=args.threads)
            err = {
                "segloss f32": np.max(np.abs(d32 - ref) / np.maximum(ref, 1.0)),
                "segloss f64": np.max(np.abs(d64 - ref) / np.maximum(ref, 1.0)),
                "edt (f32)": np.max(np.abs(d_edt - ref) / np.maximum(ref, 1.0)),
            }
            assert err["segloss f64"] < 1e-12 and err["segloss f32"] < 1e-6, err
            for name, t in (("segloss f32", t32), ("segloss f64", t64), ("edt (f32)", t_edt),
                            ("scipy (f64)", t_sp)):
                rows.append((spacing, name, t, t / t32, err.get(name, 0.0)))
    print(f"{'spacing':<16} {'implementation':<14} {'median ms':>10} {'x segloss f32':>14} "
          f"{'max rel err vs scipy':>21}")
    for spacing, name, t, ratio, e in rows:
        sp = ",".join(f"{s:g}" for s in spacing)
        print(f"{sp:<16} {name:<14} {t * 1e3:>10.2f} {ratio:>14.2f} {e:>21.2e}")


if __name__ == "__main__":
    main()
