#!/usr/bin/env python3
"""Writes the seeds of the `model` fuzz target: small SwinFace model files (a few KB each).

Usage: /usr/bin/python3 tests/fuzz/make-model-seeds.py tests/SwinFace.Fuzz/seeds/model

Each is a stored ZIP archive in the layout of models/export/export.py (zipfile, ZIP_STORED, fixed date)
whose graphs are a few dummy bytes and whose manifest records their SHA-256, so the model reader accepts
it up to the point where ONNX Runtime would parse the graphs. The manifest is the tiny model's, cut to
the fields the reader checks and written without indentation, to keep the seeds small.
"""
import hashlib
import json
import os
import sys
import zipfile

HEADS = [  # per branch: (output, size), as ModelHeads.All lists them
    [("gender", 2)],
    [("age", 1), ("young", 2)],
    [("expression", 7), ("smiling", 2)],
    [("attractive", 2), ("blurry", 2), ("chubby", 2), ("heavy_makeup", 2), ("oval_face", 2), ("pale_skin", 2)],
    [("bald", 2), ("bangs", 2), ("black_hair", 2), ("blond_hair", 2), ("brown_hair", 2), ("gray_hair", 2),
     ("receding_hairline", 2), ("straight_hair", 2), ("wavy_hair", 2), ("wearing_hat", 2)],
    [("arched_eyebrows", 2), ("bags_under_eyes", 2), ("bushy_eyebrows", 2), ("eyeglasses", 2), ("narrow_eyes", 2)],
    [("big_nose", 2), ("pointy_nose", 2)],
    [("high_cheekbones", 2), ("rosy_cheeks", 2), ("wearing_earrings", 2), ("sideburns", 2)],
    [("five_oclock_shadow", 2), ("big_lips", 2), ("mouth_slightly_open", 2), ("mustache", 2),
     ("wearing_lipstick", 2), ("no_beard", 2)],
    [("double_chin", 2), ("goatee", 2)],
    [("wearing_necklace", 2), ("wearing_necktie", 2)],
]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest(graphs: dict, branch_names: list, precision: str = "fp32") -> dict:
    m = {
        "format": "swinface-model", "formatVersion": 2, "name": "SwinFace", "version": "seed", "source": "fuzz seed",
        "precision": precision,
        "input": {"name": "image", "width": 112, "height": 112, "mean": [127.5, 127.5, 127.5], "std": [127.5, 127.5, 127.5]},
        "backbone": {"graph": "b.onnx", "sha256": sha(graphs["b.onnx"]),
                     "embedding": {"output": "embedding", "size": 512},
                     "features": {"output": "features", "shape": [176, 7, 7]}},
        "branches": [{"graph": g, "sha256": sha(graphs[g]), "input": "features",
                      "heads": [{"output": o, "size": s} for o, s in heads]}
                     for g, heads in zip(branch_names, HEADS)],
    }
    if precision == "int8":
        m["quantization"] = {"fidelity": {"faces": 12, "embeddingCosineMin": 0.99, "embeddingCosineMedian": 0.998,
                                          "expressionAgreement": 1.0, "ageDifferenceMedian": 0.2,
                                          "ageDifferenceMax": 0.9, "attributeAgreement": 0.99}}
    return m


def write(path: str, graphs: dict, m: dict) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        for name, data in graphs.items():
            z.writestr(zipfile.ZipInfo(name, date_time=(2023, 8, 22, 0, 0, 0)), data)
        z.writestr(zipfile.ZipInfo("manifest.json", date_time=(2023, 8, 22, 0, 0, 0)),
                   json.dumps(m, separators=(",", ":")).encode())


def main() -> int:
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    names = [f"{i}.onnx" for i in range(11)]
    graphs = {"b.onnx": b"backbone"} | {n: f"branch {n}".encode() for n in names}
    write(os.path.join(out, "fp32.swinface"), graphs, manifest(graphs, names))
    write(os.path.join(out, "int8.swinface"), graphs, manifest(graphs, names, "int8"))
    # Every branch names one graph: the manifest's digests must agree for each use of it.
    shared = {"b.onnx": b"", "h.onnx": b"\x08\x07"}
    write(os.path.join(out, "shared-graph.swinface"), shared, manifest(shared, ["h.onnx"] * 11))
    for f in sorted(os.listdir(out)):
        print(f"{f:24s} {os.path.getsize(os.path.join(out, f)):6d} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
