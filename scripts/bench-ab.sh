#!/usr/bin/env bash
# Compares two builds of the `segloss` command on the same machine in one run: each loss's
# `bench loss` median on 2x4x96^3 f32 (2 threads), the two binaries alternating three times,
# then the median of each and after/before. Usage:
#   git worktree add /tmp/before <commit> && (cd /tmp/before && cargo build --release -p segloss-std --bin segloss)
#   cargo build --release -p segloss-std --bin segloss
#   bash scripts/bench-ab.sh /tmp/before/target/release/segloss target/release/segloss
set -euo pipefail
before=$1
after=$2
runs=$(mktemp)
trap 'rm -f "$runs"' EXIT
cases=("dice_ce" "dice_ce --isa portable" "dice(squared_pred=true)" "topk" "focal(gamma=0.5)")
for case in "${cases[@]}"; do
  read -r spec extra <<< "$case"
  for _ in 1 2 3; do
    for which in before after; do
      bin=$before
      [ "$which" = after ] && bin=$after
      # shellcheck disable=SC2086
      median=$("$bin" bench loss --loss "$spec" $extra --shape 2,4,96,96,96 --iters 10 \
        --threads 2 2> /dev/null | tail -1 | python3 -c 'import json, sys; print(json.load(sys.stdin)["median_s"])')
      echo "$case|$which|$median" >> "$runs"
    done
  done
done
python3 - "$runs" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    case, which, median = line.strip().split("|")
    runs.setdefault(case, {}).setdefault(which, []).append(float(median))
for case, r in runs.items():
    b, a = statistics.median(r["before"]), statistics.median(r["after"])
    print(f"{case:28s} before {b * 1e3:7.2f} ms  after {a * 1e3:7.2f} ms  after/before {a / b:.3f}")
PY
