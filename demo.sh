#!/usr/bin/env bash
# A first run: fetches a public sample photo (the NASA astronaut portrait, from Debian's python3-skimage),
# finds and analyses its face with the committed tiny test model, and writes report.html.
# The tiny model has untrained random weights: its results mean nothing (the terminal and the report say
# so). README.md explains how to convert the authors' trained checkpoint and rerun with it.
set -euo pipefail
cd "$(dirname "$0")"
models/fetch-testimages.sh
dotnet run --project samples/SwinFace.Cli -c Release -- analyze \
  --model "${SWINFACE_MODEL:-models/testdata/swinface-tiny.swinface}" --report report.html models/testimages/astronaut.png
echo "open report.html in a browser"
