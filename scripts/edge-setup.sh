#!/usr/bin/env bash
# Installs the cross toolchain of the edge builds from Debian's packages (no downloaded
# toolchain): rustc-web/cargo-web 1.96 with the standard library's source (build-std),
# lld-22 (rust-lld), QEMU for Cortex-M (system) and user-mode runs, binutils for sizes,
# the aarch64 cross linker and libc. Idempotent; needs root (apt). docs/edge.md says why.
set -euo pipefail
packages=(
  "rustc-web=1.96.0+dfsg1-1~deb12u2" "cargo-web=1.96.0+dfsg1-1~deb12u2"
  "rust-web-src=1.96.0+dfsg1-1~deb12u2" "rust-web-llvm=1.96.0+dfsg1-1~deb12u2"
  lld-22 llvm-22 qemu-system-arm qemu-user binutils-arm-none-eabi gcc-arm-none-eabi
  libnewlib-arm-none-eabi gcc-aarch64-linux-gnu libc6-dev-arm64-cross
)
missing=()
for p in "${packages[@]}"; do
  name="${p%%=*}"
  want="${p#*=}"
  have=$(dpkg-query -W -f='${Version}' "$name" 2>/dev/null || true)
  if [ -z "$have" ] || { [ "$want" != "$p" ] && [ "$have" != "$want" ]; }; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "edge-setup: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
echo "edge-setup: $(/usr/bin/rustc --version), $(qemu-system-arm --version | head -1)" >&2
