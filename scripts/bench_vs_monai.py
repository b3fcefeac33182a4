#!/usr/bin/env python3
"""Dice+CE (and focal) forward+backward: segloss vs MONAI on the same machine, same run.

Usage (from the repository root; the venv comes from scripts/setup-python.sh):
    cargo build --release --bin segloss
    $VENV/bin/python scripts/bench_vs_monai.py [--shape 2,4,96,96,96] [--threads 2] [--iters 10]

For each loss it runs `segloss bench loss` (random f32 logits and u8 labels of that shape,
median over --iters after a warm-up, with a streaming-read bandwidth measured in the same
process), then times MONAI's loss forward+backward on a tensor of the same shape with
torch limited to the same number of threads (median over --iters after a warm-up), and
prints one table with the ratio. Both run back to back, so machine noise hits both.
"""
import argparse
import json
import statistics
import subprocess
import time

import torch
from monai.losses import DiceCELoss, FocalLoss


def time_monai(loss, shape, iters, seed=1):
    g = torch.Generator().manual_seed(seed)
    b, c, *sp = shape
    logits = torch.randn(shape, generator=g, dtype=torch.float32)
    labels = torch.randint(0, c, (b, 1, *sp), generator=g)
    times = []
    for i in range(iters + 1):
        x = logits.clone().requires_grad_(True)
        t = time.perf_counter()
        value = loss(x, labels)
        value.backward()
        dt = time.perf_counter() - t
        if i > 0:
            times.append(dt)
    return statistics.median(times), float(value)


def run_segloss(spec, shape, threads, iters):
    cmd = ["target/release/segloss", "bench", "loss", "--loss", spec,
           "--shape", ",".join(map(str, shape)), "--threads", str(threads), "--iters", str(iters)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shape", default="2,4,96,96,96")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iters", type=int, default=10)
    args = ap.parse_args()
    shape = [int(s) for s in args.shape.split(",")]
    torch.set_num_threads(args.threads)
    cases = [
        ("dice_ce", DiceCELoss(softmax=True, to_onehot_y=True)),
        ("monai_focal(2)", FocalLoss(gamma=2.0, use_softmax=True, to_onehot_y=True)),
    ]
    print(f"shape {shape}, f32, {args.threads} threads, median of {args.iters}")
    print(f"{'loss':<16} {'segloss ms':>11} {'MONAI ms':>10} {'speed-up':>9} {'GB/s':>7} {'read GB/s':>10} {'of limit':>9}")
    for spec, monai_loss in cases:
        s = run_segloss(spec, shape, args.threads, args.iters)
        m, _ = time_monai(monai_loss, shape, args.iters)
        print(f"{spec:<16} {s['median_s'] * 1e3:>11.2f} {m * 1e3:>10.2f} {m / s['median_s']:>8.1f}x "
              f"{s['bytes_per_s'] / 1e9:>7.2f} {s['read_bandwidth_bytes_per_s'] / 1e9:>10.2f} "
              f"{s['fraction_of_bandwidth'] * 100:>8.1f}%")


if __name__ == "__main__":
    main()
