#!/usr/bin/env python3
"""Writes golden inputs and PyTorch outputs for a checkpoint: the reference the C# tests compare with.

Usage: /usr/bin/python3 models/export/golden.py --checkpoint CKPT --out DIR [--count N] [--seed S]

DIR receives face_NN.png (RGB, 8 bit) and golden.json with, for every face, the raw embedding and
the logits of all 42 heads, computed one face at a time by the PyTorch definition in swinface.py.
The first COUNT faces are 112 x 112. Three more have other sizes: for them the model input is what
the authors' inference does, cv2.resize(img, (112, 112)), and that resized crop is saved too as
face_NN.cv2.png, so a port can check its resize pixel for pixel. The last face is a 112 x 112 JPEG, and
the model input is what cv2.imread decodes from it, saved as face_NN.cv2.png: JPEG decoders differ,
and this pins down libjpeg-turbo's pixels.
"""
from __future__ import annotations

import argparse
import json
import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cv2  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import checkpoint  # noqa: E402
from export import output_name  # noqa: E402


def write_png(path: str, rgb: torch.Tensor) -> None:
    """Minimal PNG encoder (8-bit RGB, filter 0), so no imaging package is needed."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + bytes(rgb[y].flatten().tolist()) for y in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
        f.write(chunk(b"IEND", b""))


# Sizes (width, height) of the extra faces: a bilinear downscale, OpenCV's exact-2x box path, an upscale.
RESIZED = [(150, 130), (224, 224), (90, 100)]



def synthetic_face(gen: torch.Generator, width: int, height: int) -> torch.Tensor:
    """A smooth random image with fine noise: varied inputs that exercise every pixel path."""
    coarse = torch.rand(1, 3, 6, 6, generator=gen)
    img = F.interpolate(coarse, size=(height, width), mode="bilinear", align_corners=False)[0]
    img = img * 200 + torch.rand(3, height, width, generator=gen) * 55
    return img.clamp(0, 255).round().to(torch.uint8).permute(1, 2, 0).contiguous()


def to_input(rgb: torch.Tensor) -> torch.Tensor:
    """The authors' preprocessing: HWC uint8 RGB -> NCHW float, (v / 255 - 0.5) / 0.5."""
    x = rgb.permute(2, 0, 1).unsqueeze(0).float()
    return x.div(255).sub(0.5).div(0.5)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--count", type=int, default=4)
    p.add_argument("--seed", type=int, default=2023)
    args = p.parse_args(argv)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    model = checkpoint.load_strict(args.checkpoint)
    size = model.cfg.img_size
    gen = torch.Generator().manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    faces = []
    with torch.no_grad():
        sizes = [(size, size, False)] * args.count + [(w, h, False) for w, h in RESIZED] + [(size, size, True)]
        for i, (w, h, jpeg) in enumerate(sizes):
            rgb = synthetic_face(gen, w, h)
            if jpeg:
                # A JPEG face: the model sees what cv2.imread decodes, saved too as face_NN.cv2.png.
                name = f"face_{i:02d}.jpg"
                ok, data = cv2.imencode(".jpg", rgb.numpy()[:, :, ::-1].copy(), [cv2.IMWRITE_JPEG_QUALITY, 90])
                assert ok
                data.tofile(os.path.join(args.out, name))
                rgb = torch.from_numpy(cv2.imread(os.path.join(args.out, name))[:, :, ::-1].copy())
                entry = {"image": name, "width": w, "height": h, "decoded": f"face_{i:02d}.cv2.png"}
                write_png(os.path.join(args.out, entry["decoded"]), rgb)
            else:
                name = f"face_{i:02d}.png"
                write_png(os.path.join(args.out, name), rgb)
                entry = {"image": name, "width": w, "height": h}
            if (w, h) != (size, size):
                rgb = torch.from_numpy(cv2.resize(rgb.numpy(), (size, size)))
                entry["resized"] = f"face_{i:02d}.cv2.png"
                write_png(os.path.join(args.out, entry["resized"]), rgb)
            embedding, logits = model(to_input(rgb))
            heads = [h for branch in model.cfg.heads for h, _ in branch]
            faces.append({
                **entry,
                "embedding": embedding[0].tolist(),
                "logits": {output_name(h): v[0].tolist() for h, v in zip(heads, logits)},
            })
    doc = {"checkpoint": os.path.basename(args.checkpoint), "seed": args.seed, "faces": faces}
    with open(os.path.join(args.out, "golden.json"), "w") as f:
        json.dump(doc, f, indent=1)
    print(f"wrote {len(faces)} golden faces to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
