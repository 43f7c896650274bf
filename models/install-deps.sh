#!/usr/bin/env bash
# Installs what the exporter and the parity tests need, from Debian's packages, when missing:
# PyTorch and ONNX for the exporter, OpenCV for the authors' resize in the golden data.
set -euo pipefail
py=/usr/bin/python3
if [ -x "$py" ] && "$py" -c 'import torch, onnx, cv2' 2>/dev/null; then
  exit 0
fi
pkgs="python3-torch python3-onnx python3-opencv libopenblas0-pthread"
if [ "$(id -u)" -ne 0 ]; then
  echo "error: missing Python packages for $py; run as root: apt-get install -y $pkgs" >&2
  exit 1
fi
echo "installing $pkgs ..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq $pkgs >/dev/null
"$py" -c 'import torch, onnx, cv2'
