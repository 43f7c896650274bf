#!/usr/bin/env bash
# Fetches public test images that are not committed, into models/testimages/, verifying SHA-256:
#   astronaut.png  NASA portrait (public domain), from Debian's python3-skimage package.
set -euo pipefail
cd "$(dirname "$0")"
dest=testimages
want=88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5
if [ -f "$dest/astronaut.png" ] && [ "$(sha256sum "$dest/astronaut.png" | cut -d' ' -f1)" = "$want" ]; then
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download python3-skimage >/dev/null 2>&1 || { apt-get update -qq && apt-get download python3-skimage >/dev/null; })
dpkg-deb -x "$tmp"/python3-skimage_*.deb "$tmp/x"
src=$(find "$tmp/x" -name astronaut.png | head -n 1)
actual=$(sha256sum "$src" | cut -d' ' -f1)
if [ "$actual" != "$want" ]; then
  echo "error: astronaut.png has SHA-256 $actual, expected $want" >&2
  exit 1
fi
mkdir -p "$dest"
cp "$src" "$dest/astronaut.png"
echo "fetched models/$dest/astronaut.png"
