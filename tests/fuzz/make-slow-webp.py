#!/usr/bin/env python3
"""Writes the photo regression of the slow lossy WebP (FUZZING.md, finding 4), deterministically.

Usage: /usr/bin/python3 tests/fuzz/make-slow-webp.py tests/SwinFace.Fuzz/regressions/photo/lossy-webp-62mp-in-76-bytes.webp

The photo seed lossy.webp (76 bytes, 16 x 16) with its VP8 frame header changed to declare 11,747 x 5,268 pixels,
the size of the files the fuzzer found: under the default limit of 100 megapixels, and decoded in seconds by
ImageSharp's VP8 decoder (the bitstream ends at once, and every macroblock is reconstructed from nothing).
"""
import os
import struct
import sys

seed = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "SwinFace.Fuzz", "seeds", "photo", "lossy.webp")
data = bytearray(open(seed, "rb").read())
start = data.index(b"\x9d\x01\x2a")  # the key frame's start code, then 14-bit width and height
struct.pack_into("<HH", data, start + 3, 11747, 5268)
with open(sys.argv[1], "wb") as f:
    f.write(data)
