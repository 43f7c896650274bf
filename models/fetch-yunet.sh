#!/usr/bin/env bash
# Fetches YuNet (libfacedetection.train, Apache-2.0), the default face detector, into models/yunet/ and
# verifies the SHA-256 of every file. It takes the copy in ../shared/models/yunet/ (beside the
# repository) when it is there and its checksums match, and the pinned GitHub commit otherwise.
# YUNET_SHARED_DIR names another local copy (relative to models/). Never committed: the build and CI run
# this script. Does nothing when the files are already there.
set -euo pipefail
cd "$(dirname "$0")"
dest=yunet
shared=${YUNET_SHARED_DIR:-../../shared/models/yunet}
commit=0047ac24afb1a50a0c6105001c89d1b5b805dbf1
base=https://raw.githubusercontent.com/ShiqiYu/libfacedetection.train/$commit
# file -> SHA-256 and its path in the repository at $commit
declare -A sums=(
  [yunet_s_dynamic.onnx]=daede24002cc8590f457998cc5e6c9e8b82f45f6bd969506a8913cd4ed10a2d3
  [yunet_n_dynamic.onnx]=104ee26c71d5c270ce79a6b3dced91c91013260d29a6bf18f9296c5b8c4c2b12
  [LICENSE]=d096f0e4f790316e1df89675682a51c68ca64745a611689ccd37bd246835440e
)
declare -A paths=(
  [yunet_s_dynamic.onnx]=onnx/yunet_s_dynamic.onnx
  [yunet_n_dynamic.onnx]=onnx/yunet_n_dynamic.onnx
  [LICENSE]=LICENSE
)
matches() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }
mkdir -p "$dest"
for f in "${!sums[@]}"; do
  if matches "$dest/$f" "${sums[$f]}"; then
    continue
  fi
  if matches "$shared/$f" "${sums[$f]}"; then
    cp "$shared/$f" "$dest/$f.tmp"
    from="$shared"
  else
    command -v curl >/dev/null || { echo "error: curl is needed to fetch YuNet (apt-get install -y curl)" >&2; exit 1; }
    curl -fsSL --retry 3 -o "$dest/$f.tmp" "$base/${paths[$f]}" || {
      rm -f "$dest/$f.tmp"
      echo "error: could not download $base/${paths[$f]}, and $shared holds no copy of $f with SHA-256 ${sums[$f]}" >&2
      exit 1
    }
    from="GitHub ShiqiYu/libfacedetection.train@$commit"
  fi
  actual=$(sha256sum "$dest/$f.tmp" | cut -d' ' -f1)
  if [ "$actual" != "${sums[$f]}" ]; then
    rm -f "$dest/$f.tmp"
    echo "error: $f has SHA-256 $actual, expected ${sums[$f]}" >&2
    exit 1
  fi
  chmod 644 "$dest/$f.tmp"
  mv -f "$dest/$f.tmp" "$dest/$f"
  echo "fetched models/$dest/$f from $from"
done
