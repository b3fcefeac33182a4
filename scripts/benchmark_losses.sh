#!/usr/bin/env bash
# The loss benchmark of README.md: trains the example network (std-adapter/examples/train.rs)
# once per loss of the paper, on the same generated images from the same initial weights,
# and prints a Markdown table of held-out Dice, NSD and HD95 per loss. Every row is a full
# training run (15 epochs by default); about 5 minutes on 2 free cores.
#
#   scripts/benchmark_losses.sh                  # every loss
#   scripts/benchmark_losses.sh --only dice,ce   # some rows
#   scripts/benchmark_losses.sh --epochs 30      # longer runs
#
# Extra arguments go to the example (`--seed`, `--lr`, `--threads`, ...). The rows are
# printed to stderr as they finish and the whole table to stdout at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --example train
time target/release/examples/train --benchmark "$@"
