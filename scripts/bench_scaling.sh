#!/usr/bin/env bash
# Scalar-core vs SIMD speed-up and 1 vs 2 threads scaling of a fused loss, in one run:
#   scripts/bench_scaling.sh [SPEC] [SHAPE] [ITERS]
# Prints one line per (instruction set, threads) with the median time, the fraction of the
# one-pass bandwidth limit, and the speed-up over the portable single-thread run.
set -euo pipefail
cd "$(dirname "$0")/.."
spec="${1:-dice_ce}"
shape="${2:-2,4,96,96,96}"
iters="${3:-10}"
cargo build --release --bin segloss >&2
base=""
printf '%-9s %-8s %10s %10s %9s\n' isa threads median_ms of_limit speed-up
for isa in portable avx2 avx512; do
  for threads in 1 2; do
    json=$(target/release/segloss bench loss --loss "$spec" --shape "$shape" --iters "$iters" \
      --isa "$isa" --threads "$threads" 2>/dev/null | tail -n 1)
    median=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["median_s"])' "$json")
    frac=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["fraction_of_bandwidth"])' "$json")
    base=${base:-$median}
    python3 -c 'import sys; m,f,b=map(float,sys.argv[3:6]); print("%-9s %-8s %10.2f %9.1f%% %8.2fx" % (sys.argv[1], sys.argv[2], m*1e3, f*100, b/m))' \
      "$isa" "$threads" "$median" "$frac" "$base"
  done
done
