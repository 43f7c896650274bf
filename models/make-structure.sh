#!/usr/bin/env bash
# Writes the graph structure of the official SwinFace without weights, which the C# converter fills in
# (models/structure/swin_t-fp32.structure, embedded in the library). With --check, writes it to a
# temporary file and fails if a byte differs from the committed one: CI runs that.
# Needs Debian's python3-torch and python3-onnx (run as /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/.."
committed=models/structure/swin_t-fp32.structure
if [ "${1:-}" = "--check" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  /usr/bin/python3 models/export/structure.py --out "$tmp/swin_t-fp32.structure" >/dev/null
  if ! cmp -s "$tmp/swin_t-fp32.structure" "$committed"; then
    echo "error: $committed differs from what models/export/structure.py writes now; run models/make-structure.sh and commit it" >&2
    exit 1
  fi
  echo "ok: $committed is up to date"
else
  mkdir -p models/structure
  /usr/bin/python3 models/export/structure.py --out "$committed"
fi
