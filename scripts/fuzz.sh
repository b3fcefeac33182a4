#!/usr/bin/env bash
# Runs one cargo-fuzz target (nightly), one process, from its committed seeds:
#   scripts/fuzz.sh TARGET [SECONDS] [more libFuzzer flags...]
#   scripts/fuzz.sh --list
# FUZZ_SANITIZER=none builds without AddressSanitizer (cargo fuzz's -s; default address):
# for a nightly whose ASan breaks thread creation (docs/validation.md, "Runs").
# Installs cargo-fuzz (and the nightly toolchain) on first use. The corpus grows in
# fuzz/corpus/TARGET (not committed); fuzz/seeds/TARGET is read, never written; crashes land
# in fuzz/artifacts/TARGET. Run one fuzzer at a time on a shared machine. See
# docs/validation.md for the targets and their oracles.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${1:-}" == "--list" ]]; then
  sed -n 's/^name = "\(.*\)"/\1/p' fuzz/Cargo.toml | grep -v '^segloss'
  exit 0
fi
target="${1:-typed_losses}"
seconds="${2:-60}"
shift $(( $# > 2 ? 2 : $# ))
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
mkdir -p "fuzz/corpus/$target" "fuzz/seeds/$target"
cd fuzz
exec cargo +nightly fuzz run -s "${FUZZ_SANITIZER:-address}" "$target" "corpus/$target" "seeds/$target" -- \
  -max_total_time="$seconds" -rss_limit_mb=4096 -malloc_limit_mb=2048 -timeout=30 \
  -print_final_stats=1 "$@"
