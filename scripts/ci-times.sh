#!/usr/bin/env bash
# Times each command of .ci/run in a checkout (default: a fresh clone of HEAD in a temporary
# directory, so nothing is cached) and prints one line per step. Run by hand; the table in
# docs/validation.md ("CI time") came from it.
#   scripts/ci-times.sh            # clone HEAD to a temporary directory and time it there
#   scripts/ci-times.sh DIR        # time an existing checkout
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-}
if [ -z "$dir" ]; then
  dir=$(mktemp -d)/segloss
  git clone --quiet "$repo" "$dir"
fi
cd "$dir"
total=0
while read -r line; do
  start=$(date +%s.%N)
  bash -c "$line" >/tmp/ci-step.log 2>&1
  rc=$?
  secs=$(echo "$(date +%s.%N) - $start" | bc)
  total=$(echo "$total + $secs" | bc)
  printf '%8.1f s  rc=%d  %s\n' "$secs" "$rc" "$line"
done < <(grep -v -e '^\s*#' -e '^set ' -e '^cd ' -e '^\s*$' .ci/run)
printf '%8.1f s  total\n' "$total"
