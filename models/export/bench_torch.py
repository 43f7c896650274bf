#!/usr/bin/env python3
"""Times this project's PyTorch definition of SwinFace and the C# library side by side, in one run.

Usage: /usr/bin/python3 models/export/bench_torch.py --checkpoint CKPT --model MODEL [--int8-model MODEL]
                                                    [--batch 8] [--repeats 5] [--rounds 3]

Both sides get the same seeded weights (MODEL is CKPT exported), the same batch of seeded random
112 x 112 faces, full analysis (embedding and all 42 heads) and 2 threads. PyTorch needs OpenBLAS:
Debian's default reference BLAS is several times slower (apt-get install libopenblas0-pthread).
Prints both medians in faces per second and their ratio, and one JSON line for BENCHMARKS.md.

swinface.py gathers tokens with precomputed index lists. The script also times the same weights with
the textbook Swin formulation (torch.roll, window partition and reverse, the bias table looked up on
every call, slice-and-concatenate patch merging), after checking that both give the same outputs, so
the reader can see that the reference is not slowed down by its formulation.

With --int8-model it also times PyTorch's own int8, torch.ao.quantization.quantize_dynamic on the Linear
layers (FBGEMM where the build has it; Debian's torch 1.13 has oneDNN, which uses VNNI too), in both formulations, and the C# int8 model. Every contender is timed
once per round, in turns, and the medians over the rounds are printed.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

import checkpoint  # noqa: E402
import swinface  # noqa: E402
from golden import to_input  # noqa: E402

THREADS = 2


def _reverse(windows: torch.Tensor, w: int, grid: int) -> torch.Tensor:
    """(B * windows, w * w, C) -> (B, H, W, C): the inverse of swinface._window_partition."""
    c = windows.shape[-1]
    x = windows.view(-1, grid // w, grid // w, w, w, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, grid, grid, c)


def _textbook_attention(self, x, mask=None):
    b_, n, c = x.shape
    qkv = self.qkv(x).reshape(b_, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0] * self.scale, qkv[1], qkv[2]
    attn = q @ k.transpose(-2, -1)
    bias = self.relative_position_bias_table[self.relative_position_index.view(-1)].view(n, n, -1)
    attn = attn + bias.permute(2, 0, 1).unsqueeze(0)
    if mask is not None:
        nw = mask.shape[0]
        attn = (attn.view(b_ // nw, nw, self.heads, n, n) + mask.unsqueeze(1).unsqueeze(0)).view(b_, self.heads, n, n)
    x = (attn.softmax(dim=-1) @ v).transpose(1, 2).reshape(b_, n, c)
    return self.proj(x)


def _textbook_block(self, x):
    b, l, c = x.shape
    shortcut = x
    x = self.norm1(x).view(b, self.grid, self.grid, c)
    if self.shift:
        x = torch.roll(x, shifts=(-self.shift, -self.shift), dims=(1, 2))
    x = _reverse(self.attn(swinface._window_partition(x, self.window), self.attn_mask), self.window, self.grid)
    if self.shift:
        x = torch.roll(x, shifts=(self.shift, self.shift), dims=(1, 2))
    x = shortcut + x.reshape(b, l, c)
    return x + self.mlp(self.norm2(x))


def _textbook_merging(self, x):
    b, l, c = x.shape
    x = x.view(b, self.grid, self.grid, c)
    x = torch.cat([x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]], -1)
    return self.reduction(self.norm(x.view(b, -1, 4 * c)))


@contextlib.contextmanager
def textbook_formulation():
    """Runs swinface.py's modules the way the Swin paper's code does, for as long as the context lasts."""
    patched = [(swinface.WindowAttention, _textbook_attention), (swinface.SwinBlock, _textbook_block),
               (swinface.PatchMerging, _textbook_merging)]
    saved = [(cls, cls.forward) for cls, _ in patched]
    try:
        for cls, forward in patched:
            cls.forward = forward
        yield
    finally:
        for cls, forward in saved:
            cls.forward = forward


def _faces(batch: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(42)
    faces = torch.randint(0, 256, (batch, 112, 112, 3), generator=gen, dtype=torch.uint8)
    return torch.cat([to_input(f) for f in faces])


def _median_seconds(model, x, repeats: int) -> float:
    times = []
    with torch.no_grad():
        model(x)  # warm-up
        for _ in range(repeats):
            start = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def load_models(ckpt: str, int8: bool):
    """The fp32 model and, if asked, PyTorch's dynamic int8 quantization of its Linear layers (fbgemm)."""
    torch.set_num_threads(THREADS)
    model = checkpoint.load_strict(ckpt)
    quantized = None
    if int8:
        import copy
        # Debian's torch 1.13 is built without FBGEMM; oneDNN is its x86 int8 engine, and it uses VNNI too.
        engines = torch.backends.quantized.supported_engines
        torch.backends.quantized.engine = next(e for e in ("fbgemm", "x86", "onednn", "qnnpack") if e in engines)
        quantized = torch.ao.quantization.quantize_dynamic(copy.deepcopy(model), {torch.nn.Linear}, dtype=torch.qint8).eval()
    return model, quantized


def formulation_difference(model, x) -> float:
    with torch.no_grad():
        ours = model(x)
        with textbook_formulation():
            textbook = model(x)
    return max((a - b).abs().max().item() for a, b in zip([ours[0], *ours[1]], [textbook[0], *textbook[1]]))


def torch_round(model, quantized, x, repeats: int) -> dict:
    """Faces per second of one round: swinface.py, the textbook formulation, and the int8 model in both."""
    batch = x.shape[0]
    out = {"torch": batch / _median_seconds(model, x, repeats)}
    with textbook_formulation():
        out["textbook"] = batch / _median_seconds(model, x, repeats)
    if quantized is not None:
        out["torchInt8"] = batch / _median_seconds(quantized, x, repeats)
        with textbook_formulation():
            out["torchInt8Textbook"] = batch / _median_seconds(quantized, x, repeats)
    return out


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
    p.add_argument("--int8-model", help="also time this C# int8 model, and PyTorch's dynamic int8")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args(argv)
    model, quantized = load_models(args.checkpoint, args.int8_model is not None)
    x = _faces(args.batch)
    diff = formulation_difference(model, x)
    if diff > 1e-4:
        print(f"the textbook formulation differs from swinface.py by {diff:.3g}", file=sys.stderr)
        return 1
    rounds = []
    for _ in range(args.rounds):
        r = torch_round(model, quantized, x, args.repeats)
        r["csharp"] = csharp_faces_per_second(args.model, args.batch, args.repeats)
        if args.int8_model:
            r["csharpInt8"] = csharp_faces_per_second(args.int8_model, args.batch, args.repeats)
        rounds.append(r)
    med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    pt, textbook, cs = med["torch"], med["textbook"], med["csharp"]
    print(f"{args.rounds} rounds in turns, medians, batch {args.batch}, {THREADS} threads")
    print(f"PyTorch {torch.__version__}: {pt:.2f} faces/s")
    same = "identical outputs" if diff == 0 else f"outputs within {diff:.1g}"
    print(f"  textbook formulation, same weights:  {textbook:.2f} faces/s ({same})")
    print(f"C# / ONNX Runtime fp32:  {cs:.2f} faces/s: {cs / pt:.2f}x ({cs / textbook:.2f}x against the textbook formulation)")
    if args.int8_model:
        ti = max(med["torchInt8"], med["torchInt8Textbook"])
        ci = med["csharpInt8"]
        print(f"PyTorch dynamic int8 (Linear layers, {torch.backends.quantized.engine}): {med['torchInt8']:.2f} faces/s, textbook formulation {med['torchInt8Textbook']:.2f}")
        print(f"C# / ONNX Runtime int8:  {ci:.2f} faces/s: {ci / textbook:.2f}x the textbook fp32 formulation, {ci / pt:.2f}x swinface.py, {ci / ti:.2f}x PyTorch's int8")
    print(json.dumps({"batch": args.batch, "threads": THREADS, "rounds": rounds, "medians": med,
                      "quantizedEngine": torch.backends.quantized.engine if args.int8_model else None,
                      "textbookMaxDifference": diff, "openblas": openblas_loaded()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
