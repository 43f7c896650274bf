#!/usr/bin/env bash
# Installs what the exporter and the parity tests need, from Debian's packages, when missing:
# PyTorch and ONNX for the exporter, OpenCV for the authors' resize and JPEG decoding in the golden
# data, OpenBLAS for PyTorch timings, and libjpeg-turbo's TurboJPEG for the library's JPEG decoding.
set -euo pipefail
py=/usr/bin/python3
if [ -x "$py" ] && "$py" -c 'import torch, onnx, cv2, PIL' 2>/dev/null && ldconfig -p | grep -q libturbojpeg.so.0 && command -v afl-fuzz >/dev/null; then
  exit 0
fi
# libturbojpeg0: the library decodes JPEGs with libjpeg-turbo, as OpenCV does, when it is installed.
# python3-pil and afl++: the hostile image corpus and the fuzzers (tests/hardening, tests/fuzz).
pkgs="python3-torch python3-onnx python3-opencv python3-pil afl++ libopenblas0-pthread libturbojpeg0"
if [ "$(id -u)" -ne 0 ]; then
  echo "error: missing Python packages for $py; run as root: apt-get install -y $pkgs" >&2
  exit 1
fi
echo "installing $pkgs ..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq $pkgs >/dev/null
"$py" -c 'import torch, onnx, cv2'
