#!/usr/bin/env python3
"""Converts a SwinFace checkpoint in the authors' format into one SwinFace model file.

Usage:
  /usr/bin/python3 models/export/export.py --checkpoint CKPT --out MODEL
  /usr/bin/python3 models/export/export.py --random-init SEED [--tiny] --checkpoint CKPT [--out MODEL]

The model file is a ZIP archive (entries stored, not compressed) holding:
  backbone.onnx   image -> embedding (not normalised), features (the FAM input)
  branchNN.onnx   features -> the logits of branch NN's heads (11 branches)
  manifest.json   format version, model name and version, precision, input size and normalisation,
                  every graph with its SHA-256, every head with its labels, and the output order
Splitting the graphs lets the runtime run only the backbone for identity, and only the branches
whose tasks were asked for: ONNX Runtime evaluates every node of a graph it runs. The manifest comes
last because it holds the graphs' SHA-256, which a writer that streams the graphs knows only at the end.

The C# converter (src/SwinFace/Inference/Conversion) writes the same file, byte for byte, from the same
checkpoint: it fills the weights into the graph structure that structure.py derives from this exporter.
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import io
import json
import os
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import onnx  # noqa: E402
import torch  # noqa: E402

import checkpoint  # noqa: E402
from swinface import EXPRESSIONS, BackboneGraph, BranchGraph, SwinFace  # noqa: E402

FORMAT = "swinface-model"
FORMAT_VERSION = 2
PRECISION = "fp32"
OPSET = 17
# CelebA's spelling of the two-class heads whose names differ from the authors' task names.
CELEBA_NAMES = {"Gender": "Male", "Five O'Clock Shadow": "5_o_Clock_Shadow"}
MANIFEST = "manifest.json"
ZIP_DATE = (2023, 8, 22, 0, 0, 0)


def output_name(head: str) -> str:
    return head.lower().replace("'", "").replace(" ", "_")


def head_entry(name: str, size: int) -> dict:
    entry = {"name": name, "output": output_name(name), "size": size}
    if name == "Age":
        entry["kind"] = "regression"
        entry["unit"] = "years"
    elif name == "Expression":
        entry["kind"] = "classes"
        entry["labels"] = EXPRESSIONS
    else:
        entry["kind"] = "binary"
        entry["attribute"] = CELEBA_NAMES.get(name, name.replace(" ", "_"))
    return entry


def manifest(model: SwinFace, source: str) -> dict:
    cfg = model.cfg
    return {
        "format": FORMAT,
        "formatVersion": FORMAT_VERSION,
        "name": "SwinFace",
        "version": "swin_t-1" if cfg == type(cfg)() else "custom-1",
        "source": source,
        "precision": PRECISION,
        "architecture": {
            "embedDim": cfg.embed_dim, "depths": list(cfg.depths), "heads": list(cfg.num_heads),
            "window": cfg.window_size, "famDim": cfg.fam_dim, "famSplit": list(cfg.fam_split),
        },
        "input": {
            "name": "image", "layout": "NCHW", "channels": "RGB",
            "width": cfg.img_size, "height": cfg.img_size,
            # value = (pixel / 255 - 0.5) / 0.5 = (pixel - mean) / std, in 0..255 pixel units
            "mean": [127.5, 127.5, 127.5], "std": [127.5, 127.5, 127.5],
            "alignment": "arcface-112",
        },
        "backbone": {
            "graph": "backbone.onnx", "sha256": None,
            "embedding": {"output": "embedding", "size": cfg.embedding_size},
            "features": {"output": "features",
                         "shape": [sum(cfg.feature_channels), cfg.feature_grid, cfg.feature_grid]},
        },
        "branches": [
            {"graph": f"branch{i:02d}.onnx", "sha256": None, "input": "features",
             "heads": [head_entry(name, size) for name, size in branch]}
            for i, branch in enumerate(cfg.heads)
        ],
    }


def onnx_model(module: torch.nn.Module, example: torch.Tensor, inputs, outputs, shapes) -> onnx.ModelProto:
    """Exports one graph with a dynamic batch, and states every other output dimension.

    The tracer leaves reshaped outputs fully symbolic; `shapes` gives each output's per-face shape so
    that the runtime can check the graph's interface when it loads the model.
    """
    buf = io.BytesIO()
    dynamic = {name: {0: "batch"} for name in inputs + outputs}
    with torch.no_grad():
        torch.onnx.export(module, (example,), buf, input_names=inputs, output_names=outputs,
                          dynamic_axes=dynamic, opset_version=OPSET, do_constant_folding=True)
    graph = onnx.load_from_string(buf.getvalue())
    for value in graph.graph.output:
        dims = value.type.tensor_type.shape.dim
        want = ["batch"] + list(shapes[value.name])
        del dims[:]
        for d in want:
            dim = dims.add()
            if isinstance(d, str):
                dim.dim_param = d
            else:
                dim.dim_value = d
    onnx.checker.check_model(graph)
    return graph


def graphs(model: SwinFace) -> dict:
    """The model's graphs, backbone first, as ONNX ModelProtos keyed by their entry names."""
    cfg = model.cfg
    man = manifest(model, "")
    image = torch.zeros(1, 3, cfg.img_size, cfg.img_size)
    features = torch.zeros(1, *man["backbone"]["features"]["shape"])
    protos = {"backbone.onnx": onnx_model(
        BackboneGraph(model), image, ["image"], ["embedding", "features"],
        {"embedding": [cfg.embedding_size], "features": man["backbone"]["features"]["shape"]})}
    for i, branch in enumerate(man["branches"]):
        protos[branch["graph"]] = onnx_model(
            BranchGraph(model, i), features, ["features"], [h["output"] for h in branch["heads"]],
            {h["output"]: [h["size"]] for h in branch["heads"]})
    return protos


def manifest_bytes(man: dict) -> bytes:
    """The manifest as the model file stores it: JSON indented by one space, UTF-8, no final newline."""
    return json.dumps(man, indent=1, ensure_ascii=False).encode("utf-8")


def write_model_file(out: str, man: dict, graph_bytes: dict) -> None:
    """Writes the ZIP archive: the graphs in order, then the manifest with every graph's SHA-256."""
    man = copy.deepcopy(man)
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in graph_bytes.items()}
    man["backbone"]["sha256"] = digests[man["backbone"]["graph"]]
    for branch in man["branches"]:
        branch["sha256"] = digests[branch["graph"]]
    tmp = out + ".tmp"
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as z:
        def put(name, data):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)  # reproducible bytes
            z.writestr(info, data)
        for name, data in graph_bytes.items():
            put(name, data)
        put(MANIFEST, manifest_bytes(man))
    os.replace(tmp, out)


def export(model: SwinFace, out: str, source: str) -> None:
    protos = graphs(model)
    write_model_file(out, manifest(model, source), {name: p.SerializeToString() for name, p in protos.items()})


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", required=True, help="the authors' .pt file (read, or written with --random-init)")
    p.add_argument("--out", help="the SwinFace model file to write")
    p.add_argument("--random-init", type=int, metavar="SEED",
                   help="write a seeded random checkpoint in the official format to --checkpoint first")
    p.add_argument("--tiny", action="store_true", help="with --random-init: the tiny test architecture")
    args = p.parse_args(argv)
    if args.tiny and args.random_init is None:
        p.error("--tiny needs --random-init")
    if args.random_init is None and not args.out:
        p.error("--out is required unless --random-init is given")
    torch.manual_seed(0)
    if args.random_init is not None:
        checkpoint.save(checkpoint.random_init(args.random_init, args.tiny), args.checkpoint)
        print(f"wrote {args.checkpoint} (random init, seed {args.random_init}{', tiny' if args.tiny else ''})")
    if args.out:
        try:
            model = checkpoint.load_strict(args.checkpoint)
        except checkpoint.CheckpointError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        source = (f"random-init seed {args.random_init}" if args.random_init is not None
                  else f"checkpoint sha256 {sha256(args.checkpoint)}")
        export(model, args.out, source)
        print(f"wrote {args.out} ({os.path.getsize(args.out) / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
