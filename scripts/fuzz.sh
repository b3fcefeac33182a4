#!/usr/bin/env bash
# Runs a cargo-fuzz target (nightly): scripts/fuzz.sh [TARGET] [SECONDS]
# Installs cargo-fuzz on first use. Targets: see fuzz/Cargo.toml ([[bin]] names).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-distribution_losses}"
seconds="${2:-60}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
cd fuzz
cargo +nightly fuzz run "$target" -- -max_total_time="$seconds"
