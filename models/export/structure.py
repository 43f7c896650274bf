#!/usr/bin/env python3
"""Writes the graph structure of the official SwinFace (Swin-T) model without its weights.

Usage: /usr/bin/python3 models/export/structure.py --out models/structure

Writes swin_t-fp32.structure and, derived from it by quantize.py, swin_t-int8.structure.

The C# converter (src/SwinFace/Inference/Conversion) turns the authors' checkpoint into a model file
without Python: it takes these graphs and fills in every weight. For that it must know, for each
initializer of each graph, how this exporter made it from the checkpoint. torch.onnx names many of
them `onnx::MatMul_1127` and computes some by constant folding, so the map is found here and written
down, never guessed:

1. The model is exported twice, from two random checkpoints. An initializer or Constant that is the
   same in both does not depend on the weights: it stays in the structure as it is (gather orders,
   shapes, scalars).
2. Every other initializer must equal exactly one recipe applied to the first checkpoint, and the
   same recipe applied to the second checkpoint must give the second export's bytes. The recipes:
   - `copy`: a checkpoint tensor as it is;
   - `transpose`: a 2-D checkpoint tensor transposed (the Linear layers exported as MatMul);
   - `relative_position_bias`: the folded attention bias of a Swin block,
     table[index] as (1, heads, n, n), plus the block's shift mask as (windows, 1, n, n) if it has one.
   Anything else stops this script, so a new constant-folded form cannot slip through.
3. The weight-dependent initializers keep their name, dims and type but lose their data.

The file is a stored ZIP: `structure.json` (format, the manifest template, the checkpoint's expected
keys, shapes and dtypes, and every graph's recipes) and the stripped graphs. It is committed; CI makes
it again and fails if a byte differs.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import onnx  # noqa: E402
import torch  # noqa: E402
from onnx import numpy_helper  # noqa: E402

import checkpoint  # noqa: E402
import export  # noqa: E402
import quantize  # noqa: E402
from swinface import SwinFace  # noqa: E402

FORMAT = "swinface-structure"
FORMAT_VERSION = 1
ENTRY = "structure.json"
SEEDS = (101, 202)


class StructureError(Exception):
    """The export contains an initializer that no recipe explains."""


def _bytes(t: torch.Tensor) -> bytes:
    return t.detach().contiguous().numpy().tobytes()


def _key(data: bytes, dims) -> tuple:
    return hashlib.sha256(data).hexdigest(), tuple(int(d) for d in dims)


def relative_position_bias(table: torch.Tensor, index: torch.Tensor, mask) -> torch.Tensor:
    """The attention bias exactly as WindowAttention.forward computes it before constant folding."""
    n = int(round(index.numel() ** 0.5))
    bias = table[index.view(-1)].view(n, n, -1).permute(2, 0, 1).unsqueeze(0)
    return bias + mask.unsqueeze(1) if mask is not None else bias


def recipes(parts: dict) -> dict:
    """Every candidate recipe, keyed by the SHA-256 and dims of the tensor it makes.

    Buffers that do not depend on the weights (the shift masks) repeat across blocks, so a key may
    have several recipes; an initializer that matches more than one is an error.
    """
    found = {}

    def add(recipe: dict, tensor: torch.Tensor):
        found.setdefault(_key(_bytes(tensor), tensor.shape), []).append(recipe)

    for part, sd in parts.items():
        for key, t in sd.items():
            if not t.is_floating_point():
                continue
            add({"op": "copy", "part": part, "key": key}, t)
            if t.dim() == 2:
                add({"op": "transpose", "part": part, "key": key}, t.t())
            if key.endswith(".attn.relative_position_bias_table"):
                block = key[: -len(".attn.relative_position_bias_table")]
                index_key = f"{block}.attn.relative_position_index"
                mask_key = f"{block}.attn_mask"
                recipe = {"op": "relative_position_bias", "part": part, "key": key, "index": index_key,
                          "mask": mask_key if mask_key in sd else None}
                add(recipe, relative_position_bias(t, sd[index_key], sd.get(mask_key)))
    return found


def apply(recipe: dict, parts: dict) -> torch.Tensor:
    sd = parts[recipe["part"]]
    t = sd[recipe["key"]]
    if recipe["op"] == "copy":
        return t
    if recipe["op"] == "transpose":
        return t.t()
    mask = sd[recipe["mask"]] if recipe["mask"] else None
    return relative_position_bias(t, sd[recipe["index"]], mask)


def state_dicts(model: SwinFace) -> dict:
    return {checkpoint.PART_KEYS[p]: getattr(model, p).state_dict() for p in SwinFace.PARTS}


def build() -> tuple:
    """Returns (structure.json as a dict, the stripped graphs as ModelProtos keyed by entry name)."""
    models = [checkpoint.random_init(seed, tiny=False) for seed in SEEDS]
    exports = [export.graphs(m) for m in models]
    parts = [state_dicts(m) for m in models]
    found = recipes(parts[0])
    graphs, stripped = {}, {}
    for name, proto in exports[0].items():
        other = exports[1][name]
        a_nodes = [n for n in proto.graph.node if n.op_type == "Constant"]
        b_nodes = [n for n in other.graph.node if n.op_type == "Constant"]
        if [n.SerializeToString() for n in a_nodes] != [n.SerializeToString() for n in b_nodes]:
            raise StructureError(f"{name}: a Constant node depends on the weights")
        b_inits = {t.name: t for t in other.graph.initializer}
        made = []
        for t in proto.graph.initializer:
            u = b_inits.get(t.name)
            if u is None:
                raise StructureError(f"{name}: initializer '{t.name}' is missing from the second export")
            if t.SerializeToString() == u.SerializeToString():
                continue  # independent of the weights: stays in the structure
            if not t.HasField("raw_data") or t.data_type != onnx.TensorProto.FLOAT:
                raise StructureError(f"{name}: '{t.name}' is not float32 raw data")
            candidates = found.get(_key(t.raw_data, t.dims), [])
            if len(candidates) != 1:
                raise StructureError(f"{name}: {len(candidates)} recipes make initializer '{t.name}' {list(t.dims)}")
            recipe = candidates[0]
            again = apply(recipe, parts[1])
            if _bytes(again) != u.raw_data or list(again.shape) != list(u.dims):
                raise StructureError(f"{name}: recipe {recipe} does not reproduce '{t.name}' of the second export")
            part = recipe["part"][len("state_dict_"):]
            own_names = {f"backbone.{recipe['key']}", f"model.{part}.{recipe['key']}"}
            if not t.name.startswith("onnx::") and (recipe["op"] != "copy" or t.name not in own_names):
                raise StructureError(f"{name}: '{t.name}' matched {recipe}, which its name contradicts")
            made.append({"name": t.name, **recipe})
            t.ClearField("raw_data")
        graphs[name] = made
        stripped[name] = proto
    model = SwinFace()
    structure = {
        "format": FORMAT,
        "formatVersion": FORMAT_VERSION,
        "precision": export.PRECISION,
        "manifest": export.manifest(model, ""),
        "checkpoint": {key: [[k, list(v.shape), str(v.dtype).replace("torch.", "")] for k, v in sd.items()]
                       for key, sd in state_dicts(model).items()},
        "graphs": graphs,
    }
    return structure, stripped


def int8(structure: dict, stripped: dict) -> tuple:
    """The int8 structure (quantize.py): int8 graphs, and the fp32 calibration graphs with their statistics."""
    manifest = json.loads(json.dumps(structure["manifest"]))
    manifest["precision"] = "int8"
    manifest["quantization"] = None  # the converter records its calibration and fidelity here
    graphs, calibration, entries = {}, {}, {}
    stats, smoothing = [], []
    for name, proto in stripped.items():
        fp32 = {r["name"]: {k: v for k, v in r.items() if k != "name"} for r in structure["graphs"][name]}
        model, recipes_int8, calib, graph_stats, groups = quantize.derive(name, proto, fp32)
        graphs[name] = recipes_int8
        calibration[f"calibration/{name}"] = structure["graphs"][name]
        entries[name] = model.SerializeToString()
        entries[f"calibration/{name}"] = calib.SerializeToString()
        stats += [{**s, "graph": f"calibration/{name}"} for s in graph_stats]
        smoothing += groups
    int8_structure = {
        "format": FORMAT,
        "formatVersion": FORMAT_VERSION,
        "precision": "int8",
        "manifest": manifest,
        "checkpoint": structure["checkpoint"],
        "graphs": graphs,
        "calibration": {"graphs": calibration, "statistics": stats, "smoothing": smoothing},
    }
    return int8_structure, entries


def _write(out: str, structure: dict, entries: dict) -> None:
    tmp = out + ".tmp"
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as z:
        def put(name, data):
            z.writestr(zipfile.ZipInfo(name, date_time=export.ZIP_DATE), data)
        put(ENTRY, json.dumps(structure, indent=1, ensure_ascii=False).encode("utf-8"))
        for name, data in entries.items():
            put(name, data)
    os.replace(tmp, out)


def write(out_dir: str) -> list:
    """Writes swin_t-fp32.structure and swin_t-int8.structure into a folder; returns their paths."""
    structure, stripped = build()
    int8_structure, int8_entries = int8(structure, stripped)
    fp32_path = os.path.join(out_dir, "swin_t-fp32.structure")
    int8_path = os.path.join(out_dir, "swin_t-int8.structure")
    _write(fp32_path, structure, {name: p.SerializeToString() for name, p in stripped.items()})
    _write(int8_path, int8_structure, int8_entries)
    return [fp32_path, int8_path]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="the folder to write the structure files into")
    args = p.parse_args(argv)
    torch.manual_seed(0)
    os.makedirs(args.out, exist_ok=True)
    try:
        paths = write(args.out)
    except (StructureError, quantize.QuantizeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for path in paths:
        print(f"wrote {path} ({os.path.getsize(path) / 1e3:.0f} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
