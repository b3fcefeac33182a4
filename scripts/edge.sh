#!/usr/bin/env bash
# The core on edge targets (docs/edge.md), run by hand; needs root for apt on a fresh machine.
#  1. installs the Debian cross toolchain (scripts/edge-setup.sh);
#  2. golden cases on a Cortex-M4F: writes canaries/cortex-m/src/cases.rs from
#     tests/golden (scripts/edge/cases.py), runs them in f64 and f32 on thumbv7em-none-eabihf
#     under qemu-system-arm, runs the same runner on the host with the same core build
#     (canaries/cortex-m-host) and compares the two line by line (value bits, gradient
#     checksum, agreement with the reference);
#  3. flash and stack per loss: canaries/cortex-m's `size` binary built once per loss of
#     the catalogue (and once with none), with the no-panic link check, for thumbv7em (run
#     under QEMU for the painted stack) and riscv32imac (built for its flash); prints the
#     markdown table of docs/edge.md;
#  4. a training run on the emulated Cortex-M4F (canaries/cortex-m's `train`): the loss of a
#     1x1 convolution head trained with Dice + CE, and the instructions per step (-icount).
# The last line: `edge: N/N golden cases agree on thumbv7em-none-eabihf (qemu); dice_ce
# text=T bytes stack=S bytes`. Options: --golden-only (skips 3), EDGE_SKIP_SETUP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
golden_only=false
[ "${1:-}" = "--golden-only" ] && golden_only=true

[ "${EDGE_SKIP_SETUP:-0}" = 1 ] || bash scripts/edge-setup.sh

# Debian's toolchain for the device builds: rustc-web with its library source, build-std.
export RUSTC_BOOTSTRAP=1
xcargo() { RUSTC=/usr/bin/rustc /usr/bin/cargo "$@"; }
qemu_m4() {
  timeout 600 qemu-system-arm -M mps2-an386 -cpu cortex-m4 -nographic \
    -semihosting-config enable=on,target=native -kernel "$1"
}
text_of() { llvm-size-22 "$1" | awk 'NR == 2 { print $1 }'; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== golden cases: thumbv7em-none-eabihf under QEMU vs the host" >&2
cargo build --release --quiet -p segloss-std --bin segloss
python3 scripts/edge/cases.py target/release/segloss > canaries/cortex-m/src/cases.rs
(cd canaries/cortex-m && xcargo build --release --quiet --bin golden)
qemu_m4 canaries/cortex-m/target/thumbv7em-none-eabihf/release/golden > "$work/device.txt" || true
cargo run --release --quiet --manifest-path canaries/cortex-m-host/Cargo.toml > "$work/host.txt" || true
total=$(grep -c '^golden .* f[36][24] ' "$work/host.txt")
agree=$(grep -Fxf "$work/host.txt" "$work/device.txt" | grep -c ' ok$' || true)
if ! diff -q "$work/host.txt" "$work/device.txt" > /dev/null; then
  echo "device and host differ:" >&2
  diff "$work/host.txt" "$work/device.txt" | head -20 >&2
fi
grep ' FAIL$' "$work/device.txt" >&2 || true
echo "golden: $agree/$total agree with the reference and bit for bit with the host" >&2

echo "== a training step on the device: a 1x1 head trained with Dice + CE" >&2
(cd canaries/cortex-m && xcargo build --release --quiet --bin train)
train_ok=false
if timeout 600 qemu-system-arm -M mps2-an386 -cpu cortex-m4 -nographic -icount shift=0 \
    -semihosting-config enable=on,target=native \
    -kernel canaries/cortex-m/target/thumbv7em-none-eabihf/release/train > "$work/train.txt"; then
  train_ok=true
fi
grep -E '^step (0|9|19|29|39) ' "$work/train.txt" >&2 || true
grep '^train: ' "$work/train.txt" || echo "train: the run failed or the loss did not halve"

dice_ce="text=? bytes stack=? bytes"
if ! $golden_only; then
  echo "== flash and stack per loss (f32, 1x3x16x16, u8 labels; .text over the baseline)" >&2
  size_build() { # target loss -> ELF path (empty if the no-panic link failed)
    local target=$1 loss=$2 out="$work/size-$1-$2"
    if (cd canaries/cortex-m && SEGLOSS_FW_LOSS=$loss xcargo build --release --quiet \
          --bin size --features no-panic --target "$target" 2> "$out.log"); then
      cp "canaries/cortex-m/target/$target/release/size" "$out"
      echo "$out"
    fi
  }
  (cd canaries/cortex-m && SEGLOSS_FW_LOSS=list xcargo build --release --quiet --bin size)
  names=$(qemu_m4 canaries/cortex-m/target/thumbv7em-none-eabihf/release/size | sed -n 's/^names: //p')
  m4_base=$(text_of "$(size_build thumbv7em-none-eabihf baseline)")
  rv_base=$(text_of "$(size_build riscv32imac-unknown-none-elf baseline)")
  echo "| loss | thumbv7em .text | thumbv7em stack | riscv32imac .text | no panic path |"
  echo "|---|---:|---:|---:|---|"
  for loss in $names; do
    m4=$(size_build thumbv7em-none-eabihf "$loss")
    rv=$(size_build riscv32imac-unknown-none-elf "$loss")
    if [ -z "$m4" ] || [ -z "$rv" ]; then
      echo "| $loss | - | - | - | no (link check failed) |"
      continue
    fi
    m4_text=$(( $(text_of "$m4") - m4_base ))
    rv_text=$(( $(text_of "$rv") - rv_base ))
    stack=$(qemu_m4 "$m4" | sed -n 's/.* stack=\([0-9]*\).*/\1/p')
    echo "| $loss | $m4_text | $stack | $rv_text | yes |"
    if [ "$loss" = dice_ce ]; then
      dice_ce="text=$m4_text bytes stack=$stack bytes"
    fi
  done
  echo "(baseline firmware: thumbv7em .text $m4_base bytes, riscv32imac $rv_base bytes)"
fi
echo "edge: $agree/$total golden cases agree on thumbv7em-none-eabihf (qemu); dice_ce $dice_ce"
[ "$agree" = "$total" ] && $train_ok
