#!/usr/bin/env python3
"""Dice+CE (and focal) forward+backward: segloss vs MONAI on the same machine, same run.

Usage (from the repository root; the venv comes from scripts/setup-python.sh):
    cargo build --release --bin segloss
    $VENV/bin/python scripts/bench_vs_monai.py [--shape 2,4,96,96,96] [--threads 2] [--iters 10] [--rounds 3]

For each loss it runs `segloss bench loss` (random f32 logits and u8 labels of that shape,
median over --iters after a warm-up, with a streaming-read bandwidth measured in the same
process), then times MONAI's loss forward+backward on a tensor of the same shape with
torch limited to the same number of threads (median over --iters after a warm-up). The
two alternate --rounds times, so that a burst of load from other tenants of a shared
machine lands in one round rather than on one side; each round's ratio is printed, and
the table gives the medians over rounds with the lowest and highest round's ratio.
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
    return statistics.median(times), float(value.detach())


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
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    shape = [int(s) for s in args.shape.split(",")]
    torch.set_num_threads(args.threads)
    cases = [
        ("dice_ce", DiceCELoss(softmax=True, to_onehot_y=True)),
        ("monai_focal(2)", FocalLoss(gamma=2.0, use_softmax=True, to_onehot_y=True)),
    ]
    print(f"shape {shape}, f32, {args.threads} threads, median of {args.iters}, {args.rounds} rounds")
    rows = []
    for spec, monai_loss in cases:
        runs = []
        for r in range(args.rounds):
            s = run_segloss(spec, shape, args.threads, args.iters)
            m, _ = time_monai(monai_loss, shape, args.iters)
            runs.append((s, m))
            print(f"  {spec} round {r + 1}: segloss {s['median_s'] * 1e3:.2f} ms, "
                  f"MONAI {m * 1e3:.2f} ms, {m / s['median_s']:.1f}x")
        rows.append((spec, runs))
    print(f"{'loss':<16} {'segloss ms':>11} {'MONAI ms':>10} {'speed-up':>9} {'range':>12} "
          f"{'GB/s':>7} {'read GB/s':>10} {'of limit':>9} {'floor':>7}")
    for spec, runs in rows:
        ours = statistics.median(s['median_s'] for s, _ in runs)
        theirs = statistics.median(m for _, m in runs)
        ratios = [m / s['median_s'] for s, m in runs]
        bw = statistics.median(s['read_bandwidth_bytes_per_s'] for s, _ in runs)
        rate = statistics.median(s['bytes_per_s'] for s, _ in runs)
        frac = statistics.median(s['fraction_of_bandwidth'] for s, _ in runs)
        # what the same memory traffic reaches with no arithmetic (two_pass_floor_s)
        floor = statistics.median(s['floor_fraction_of_bandwidth'] for s, _ in runs)
        spread = f"{min(ratios):.1f}-{max(ratios):.1f}x"
        print(f"{spec:<16} {ours * 1e3:>11.2f} {theirs * 1e3:>10.2f} {statistics.median(ratios):>8.1f}x "
              f"{spread:>12} {rate / 1e9:>7.2f} {bw / 1e9:>10.2f} {frac * 100:>8.1f}% {floor * 100:>6.1f}%")


if __name__ == "__main__":
    main()
