#!/usr/bin/env python3
"""Times this project's PyTorch definition of SwinFace and the C# library side by side, in one run.

Usage: /usr/bin/python3 models/export/bench_torch.py --checkpoint CKPT --model MODEL [--batch 8] [--repeats 5]

Both sides get the same seeded weights (MODEL is CKPT exported), the same batch of seeded random
112 x 112 faces, full analysis (embedding and all 42 heads) and 2 threads. PyTorch needs OpenBLAS:
Debian's default reference BLAS is several times slower (apt-get install libopenblas0-pthread).
Prints both medians in faces per second and their ratio, and one JSON line for BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

import checkpoint  # noqa: E402
from golden import to_input  # noqa: E402

THREADS = 2


def torch_faces_per_second(ckpt: str, batch: int, repeats: int) -> float:
    torch.set_num_threads(THREADS)
    model = checkpoint.load_strict(ckpt)
    gen = torch.Generator().manual_seed(42)
    faces = torch.randint(0, 256, (batch, 112, 112, 3), generator=gen, dtype=torch.uint8)
    x = torch.cat([to_input(f) for f in faces])
    times = []
    with torch.no_grad():
        model(x)  # warm-up
        for _ in range(repeats):
            start = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - start)
    return batch / statistics.median(times)


def openblas_loaded() -> bool:
    """Whether the BLAS that PyTorch runs on in this process is OpenBLAS (Linux: the mapped libraries)."""
    with open("/proc/self/maps") as maps:
        return "openblas" in maps.read().lower()


def csharp_faces_per_second(model: str, batch: int, repeats: int) -> float:
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    cmd = ["dotnet", "run", "--project", os.path.join(root, "samples", "SwinFace.Cli"), "-c", "Release", "--",
           "bench", "--model", model, "--batch", str(batch), "--repeats", str(repeats),
           "--threads", str(THREADS), "--full-only", "--json"]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    return json.loads(out)["fullFacesPerSecond"][f"batch{batch}"]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args(argv)
    pt = torch_faces_per_second(args.checkpoint, args.batch, args.repeats)
    cs = csharp_faces_per_second(args.model, args.batch, args.repeats)
    print(f"PyTorch {torch.__version__} ({THREADS} threads): {pt:.2f} faces/s at batch {args.batch}")
    print(f"C# / ONNX Runtime ({THREADS} threads):  {cs:.2f} faces/s at batch {args.batch}")
    print(f"ratio: {cs / pt:.2f}x")
    print(json.dumps({"batch": args.batch, "threads": THREADS, "torchFacesPerSecond": pt,
                      "csharpFacesPerSecond": cs, "ratio": cs / pt,
                      "openblas": openblas_loaded()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
