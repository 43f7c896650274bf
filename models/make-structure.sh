#!/usr/bin/env bash
# Writes the graph structure of the official SwinFace without weights, which the C# converter fills in
# (models/structure/swin_t-fp32.structure and its int8 form swin_t-int8.structure, embedded in the library). With --check, writes it to a
# temporary file and fails if a byte differs from the committed one: CI runs that.
# Needs Debian's python3-torch and python3-onnx (run as /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--check" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  /usr/bin/python3 models/export/structure.py --out "$tmp" >/dev/null
  for f in swin_t-fp32.structure swin_t-int8.structure; do
    if ! cmp -s "$tmp/$f" "models/structure/$f"; then
      echo "error: models/structure/$f differs from what models/export/structure.py writes now; run models/make-structure.sh and commit it" >&2
      exit 1
    fi
  done
  echo "ok: models/structure/ is up to date"
else
  /usr/bin/python3 models/export/structure.py --out models/structure
fi
