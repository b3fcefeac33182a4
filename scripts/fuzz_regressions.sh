#!/usr/bin/env bash
# Replays every committed fuzz finding through its target's oracles (nightly, ASan):
#   scripts/fuzz_regressions.sh [TARGET...]
# fuzz/regressions/TARGET-* belong to TARGET; crash-* predate the split of targets and
# belong to typed_losses. Each target is built once (a few minutes each) and runs its
# inputs once; the script fails on the first target whose oracle fails. Run by hand: the
# nightly ASan builds are too slow for .ci/run. FUZZ_SANITIZER=none builds without ASan,
# as for scripts/fuzz.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  mapfile -t targets < <(scripts/fuzz.sh --list)
fi
cd fuzz
for target in "${targets[@]}"; do
  inputs=(regressions/"$target"-*)
  if [[ "$target" == typed_losses ]]; then
    inputs+=(regressions/crash-*)
  fi
  if [[ ! -e "${inputs[0]}" ]]; then
    echo "$target: no regression inputs"
    continue
  fi
  echo "$target: ${#inputs[@]} inputs"
  log="$(mktemp)"
  if ! cargo +nightly fuzz run -s "${FUZZ_SANITIZER:-address}" "$target" "${inputs[@]}" -- -runs=1 >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "$target: a regression input fails (full log: $log)"
    exit 1
  fi
  grep -c '^Executed' "$log" | sed "s/^/$target: executed /"
  rm -f "$log"
done
echo "every regression input passes its target's oracles"
