#!/usr/bin/env bash
# Instructions per element of a fused forward+backward, counted by callgrind: a measure of
# the kernels that does not move with the load of a shared machine.
#   scripts/instructions_per_element.sh [SPEC] [SHAPE] [ISA]
# Runs `segloss bench loss` under valgrind at 1 and 5 timed iterations and prints
# (Ir(5) - Ir(1)) / 4 / elements (which includes a share of the bench's streaming-read
# baseline, well under one instruction per element). ISA is portable or avx2 (valgrind has
# no AVX-512).
set -euo pipefail
cd "$(dirname "$0")/.."
spec="${1:-dice_ce}"
shape="${2:-1,4,32,32,32}"
isa="${3:-avx2}"
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
cargo build --release --bin segloss >&2
elements=$(python3 -c 'import math,sys; print(math.prod(int(x) for x in sys.argv[1].split(",")))' "$shape")
count() {
  local log
  log=$(mktemp)
  valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/segloss bench loss \
    --loss "$spec" --shape "$shape" --threads 1 --iters "$1" --isa "$isa" >/dev/null 2>"$log"
  grep -o 'Collected : [0-9]*' "$log" | awk '{print $3}'
  rm -f "$log"
}
one=$(count 1)
five=$(count 5)
python3 -c 'import sys; a,b,n=map(int,sys.argv[1:4]); print("%s %s %s: %.1f instructions per element" % (sys.argv[4], sys.argv[5], sys.argv[6], (b-a)/4/n))' \
  "$one" "$five" "$elements" "$spec" "$shape" "$isa"
