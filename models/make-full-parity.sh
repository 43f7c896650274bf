#!/usr/bin/env bash
# Writes a seeded full-size SwinFace checkpoint in the authors' format, exports it, and writes its
# golden PyTorch outputs: what the full-size parity tests compare C# with. Generated files stay out
# of git (artifacts/ is ignored). Skipped when OUT already holds the output of the same exporter code.
# Usage: models/make-full-parity.sh [OUT]   (default artifacts/full)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-artifacts/full}
stamp=$(cat models/export/*.py models/make-full-parity.sh | sha256sum | cut -c1-16)
if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$stamp" ]; then
  echo "full-size parity data is up to date in $out"
  exit 0
fi
rm -rf "$out"
mkdir -p "$out"
# Written first, then exported from the file, so the manifest's source is the checkpoint's SHA-256: the
# C# converter's output for the same file is then compared with this model file byte for byte.
/usr/bin/python3 models/export/export.py --random-init 7 --checkpoint "$out/checkpoint.pt"
/usr/bin/python3 models/export/export.py --checkpoint "$out/checkpoint.pt" --out "$out/swinface-full.swinface"
/usr/bin/python3 models/export/golden.py --checkpoint "$out/checkpoint.pt" --out "$out/golden" --count 3
echo "$stamp" > "$out/stamp"
