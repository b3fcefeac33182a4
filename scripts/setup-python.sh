#!/usr/bin/env bash
# Creates (once) the Python environment used by the hand-run reference scripts
# (golden-vector generation, comparisons with MONAI/PyTorch, EDT benchmarks).
# It lives outside the repository; CI never needs it.
#   SEGLOSS_VENV  where to put it (default: $HOME/.cache/segloss-venv)
set -euo pipefail
venv="${SEGLOSS_VENV:-$HOME/.cache/segloss-venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --upgrade pip
"$venv/bin/pip" install --quiet numpy scipy torch monai edt
echo "$venv"
