#!/usr/bin/env bash
# The no_std / no-panic canaries (run by .ci/run):
#  1. the core linked alone into a #![no_std] cdylib (own workspace and lockfile, so no
#     feature unification with the std adapter): its undefined symbols are only the memory
#     functions the compiler emits, i.e. no std, alloc or libc symbol;
#  2. release + fat LTO with a panic handler that calls an undefined symbol, over the entry
#     points listed in PANIC_FREE: it must not reference that symbol (no panic path left);
#  3. the same over every entry point: a report of which core functions keep a panic path
#     (informational; an entry of PANIC_FREE that regains one fails step 2).
set -euo pipefail
cd "$(dirname "$0")"
# Entry points (features) with no panic path today; see docs/validation.md. `catalogue` is
# every leaf loss of the core's catalogue behind one entry point.
PANIC_FREE="ce wce topk topk_threshold focal dpce balanced_bce dice iou tversky gdice mcc dice_ce dice_focal combo boundary hausdorff edt validate schedule catalogue"
lib=target/release/libsegloss_canary_no_std.so

echo "== no_std canary: the core alone, all entry points"
cargo build --release --quiet
undefined=$(nm -u "$lib" | awk '$1 == "U" { print $2 }' | sort -u | tr '\n' ' ')
echo "undefined symbols: $undefined"
for s in $undefined; do
  case "$s" in
    memcpy|memset|memmove|memcmp|bcmp) ;;
    *) echo "FAIL: $s is not a compiler memory builtin: std, alloc or libc crept into the core"; exit 1 ;;
  esac
done
if cargo tree --quiet -e normal,no-proc-macro --prefix none | grep -vE '^(segloss|libm|num-traits|segloss-canary-no-std) ' ; then
  echo "FAIL: a dependency other than libm and num-traits"; exit 1
fi
echo "ok: no std, no alloc, no libc"

echo "== no-panic link check over: $PANIC_FREE"
features="no-panic"
for f in $PANIC_FREE; do features="$features,$f"; done
cargo build --release --quiet --no-default-features --features "$features"
if nm -u "$lib" | grep -q segloss_panic_path_remains; then
  echo "FAIL: a panic path remains in $PANIC_FREE"
  python3 panic_paths.py "$lib"
  exit 1
fi
echo "ok: no panic path in $PANIC_FREE"

echo "== panic paths of every entry point (report)"
cargo build --release --quiet --features no-panic
python3 panic_paths.py "$lib" --expect-free $PANIC_FREE
