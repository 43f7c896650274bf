#!/usr/bin/env python3
"""Runs the sample CLI on golden faces and compares its JSON with the PyTorch outputs in golden.json.

Usage: /usr/bin/python3 models/export/check_cli.py --model MODEL --golden DIR [--cli EXE --path PATH]

By default it runs the sample CLI with `dotnet run`. With --cli it runs that executable instead (the
installed `swinface` tool), with PATH set to --path and nothing else of this environment, so a check
can prove that the tool needs no Python.

Tolerances: probabilities, age and the unit embedding within 1e-4 absolute; embedding cosine at
least 0.99999; embeddingNorm within 1e-4 relative. Exits 1 on the first face that is out of bounds.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from export import CELEBA_NAMES, output_name  # noqa: E402
from swinface import EXPRESSIONS, HEADS  # noqa: E402

TOL = 1e-4


def softmax(v):
    m = max(v)
    e = [math.exp(x - m) for x in v]
    s = sum(e)
    return [x / s for x in e]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--golden", required=True)
    p.add_argument("--cli", help="an installed swinface executable to run instead of `dotnet run`")
    p.add_argument("--path", help="with --cli: the PATH it runs with")
    args = p.parse_args(argv)
    golden = json.load(open(os.path.join(args.golden, "golden.json")))
    images = [os.path.join(args.golden, f["image"]) for f in golden["faces"]]
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    analyze = ["analyze", "--aligned", "--model", args.model, "--json", *images]
    if args.cli:
        env = {"PATH": args.path or "", "HOME": os.environ.get("HOME", "/tmp")}
        env.update({k: v for k, v in os.environ.items() if k.startswith("DOTNET_")})
        out = subprocess.run([args.cli, *analyze], check=True, stdout=subprocess.PIPE, env=env).stdout
    else:
        cmd = ["dotnet", "run", "--project", os.path.join(root, "samples", "SwinFace.Cli"), "-c", "Release", "--", *analyze]
        out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE).stdout
    doc = json.loads(out)
    worst = 0.0
    for face, image in zip(golden["faces"], doc["images"]):
        got = image["faces"][0]
        where = face["image"]

        def close(expected, actual, what):
            nonlocal worst
            d = abs(expected - actual)
            worst = max(worst, d)
            if not d <= TOL:
                raise SystemExit(f"FAIL {where} {what}: PyTorch {expected}, CLI {actual}, |diff| {d}")

        raw = face["embedding"]
        norm = math.sqrt(sum(x * x for x in raw))
        emb = got["embedding"]
        if len(emb) != 512:
            raise SystemExit(f"FAIL {where}: embedding has {len(emb)} values")
        for i, (r, e) in enumerate(zip(raw, emb)):
            close(r / norm, e, f"embedding[{i}]")
        cosine = sum(r * e for r, e in zip(raw, emb)) / norm
        if cosine < 0.99999:
            raise SystemExit(f"FAIL {where}: embedding cosine {cosine}")
        if abs(got["embeddingNorm"] - norm) > TOL * norm:
            raise SystemExit(f"FAIL {where}: embeddingNorm {got['embeddingNorm']} vs {norm}")
        close(face["logits"]["age"][0], got["age"], "age")
        expr = softmax(face["logits"]["expression"])
        for name, prob in zip(EXPRESSIONS, expr):
            close(prob, got["expression"]["scores"][name], f"expression {name}")
        if got["expression"]["label"] != EXPRESSIONS[expr.index(max(expr))]:
            raise SystemExit(f"FAIL {where}: expression label {got['expression']['label']}")
        close(softmax(face["logits"]["gender"])[1], got["male"], "male")
        binary = [h for branch in HEADS for h, size in branch if size == 2]
        if len(got["attributes"]) != 40:
            raise SystemExit(f"FAIL {where}: {len(got['attributes'])} attributes")
        for head in binary:
            celeba = CELEBA_NAMES.get(head, head.replace(" ", "_"))
            close(softmax(face["logits"][output_name(head)])[1], got["attributes"][celeba], celeba)
    print(f"CLI matches PyTorch on {len(golden['faces'])} faces x 43 outputs; largest difference {worst:.2e} (tolerance {TOL})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
