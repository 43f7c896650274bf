#!/usr/bin/env bash
# Regenerates models/testdata/: the tiny seeded SwinFace model and its golden PyTorch outputs.
# Needs Debian's python3-torch, python3-onnx and python3-opencv (run as /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 models/export/export.py --random-init 20230822 --tiny \
  --checkpoint "$tmp/tiny.pt" --out models/testdata/swinface-tiny.swinface
rm -rf models/testdata/golden-tiny
/usr/bin/python3 models/export/golden.py --checkpoint "$tmp/tiny.pt" --out models/testdata/golden-tiny --count 4
# Small real and hostile PyTorch checkpoints for the C# checkpoint reader's tests.
/usr/bin/python3 models/export/checkpoint_fixtures.py --out models/testdata/checkpoints
