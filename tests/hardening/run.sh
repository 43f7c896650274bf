#!/usr/bin/env bash
# The hardening checks in their short CI forms (FUZZING.md and BENCHMARKS.md give the long ones):
#   tests/hardening/run.sh corpus      the hostile corpus through AnalyzePhoto, per-file time and peak-RSS bounds
#   tests/hardening/run.sh soak [N]    N photo analyses in one process (default 2,000, half of them warm-up): RSS, heap and handles flat
#   tests/hardening/run.sh kill [N]    N SIGKILLs of a saving process (default 60): the gallery is always whole
#   tests/hardening/run.sh disk-full   saving a gallery onto a full 8 MB tmpfs (needs root for the mount)
#   tests/hardening/run.sh fuzz [S]    every fuzz target for S seconds (default 20)
# Expects the solution built in Release (test.sh's dotnet test does it).
set -euo pipefail
cd "$(dirname "$0")/../.."
stress=tests/SwinFace.Stress/bin/Release/net10.0/SwinFace.Stress
model=models/testdata/swinface-tiny.swinface
[ -x "$stress" ] || dotnet build tests/SwinFace.Stress -c Release >/dev/null

corpus() {
  if ! /usr/bin/python3 -c 'import PIL.WebPImagePlugin, PIL.features; assert PIL.features.check("webp")' 2>/dev/null; then
    echo "installing python3-pil ..."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pil >/dev/null
  fi
  /usr/bin/python3 tests/hardening/make-corpus.py artifacts/corpus --photo ../shared/testdata/photos/three-faces.jpg
}

case "${1:-}" in
  corpus)
    corpus
    # 2 GB: a 100-megapixel PNG (the default MaxImagePixels) took 1.44 GB. The corpus's, 80 bytes, is now refused
    # for its density (FUZZING.md), and its largest decoded files are of 64 MP (843 MB), but a real one may come.
    "$stress" corpus --model "$model" --dir artifacts/corpus --seconds-per-file 20 --max-rss-mb 2048
    ;;
  soak)
    [ -f artifacts/corpus/corpus.json ] || corpus
    # The pools need about 1,000 analyses to settle: with 200 of warm-up RSS still grew by 6 MB over the next 800.
    "$stress" soak --model "$model" --analyses "${2:-2000}" --warmup "$(( ${2:-2000} / 2 ))" --samples 16 \
      ../shared/testdata/photos/three-faces.jpg ../shared/testdata/photos/one-face-turned.jpg models/testimages/astronaut.png \
      artifacts/corpus/jpeg-baseline-cut50.jpg artifacts/corpus/text.jpg artifacts/corpus/png-interlaced.png
    ;;
  kill)
    rm -rf artifacts/gallery-kill
    "$stress" gallery-kill --dir artifacts/gallery-kill --kills "${2:-60}"
    ;;
  disk-full)
    dir=artifacts/disk-full
    mkdir -p "$dir"
    mountpoint -q "$dir" && umount "$dir"
    if ! mount -t tmpfs -o size=8m tmpfs "$dir"; then
      echo "error: cannot mount a tmpfs on $dir (the full-disk check needs root)" >&2
      exit 1
    fi
    trap 'umount "$dir"' EXIT
    "$stress" gallery-disk-full --dir "$dir"
    ;;
  fuzz)
    tests/fuzz/fuzz.sh --ci "${2:-20}"
    ;;
  *)
    echo "usage: $0 corpus|soak [N]|kill [N]|disk-full|fuzz [SECONDS]" >&2
    exit 2
    ;;
esac
