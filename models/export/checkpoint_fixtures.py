#!/usr/bin/env python3
"""Writes small PyTorch checkpoints that test the C# checkpoint reader, real and hostile.

Usage: /usr/bin/python3 models/export/checkpoint_fixtures.py --out models/testdata/checkpoints

All are written by torch.save (torch 1.13) or, for the hostile ones, by hand in the same ZIP layout, and
all are a few kilobytes: the official architecture's 473 tensors are saved as views of one-element
storages (stride 0), which torch.save keeps as they are. Nothing here is ever loaded by Python: the
hostile pickles would run a command if it were.

  official.pt              the official Swin-T key listing, every float a stride-0 view of one value
  official-<defect>.pt     the same with one defect: missing-part, missing-key, unexpected-key,
                           wrong-shape, wrong-dtype, not-a-dict
  tiny.pt                  the tiny test architecture, the same way
  dtypes.pt                float32 (strided, with an offset), float64, float16, bfloat16, int64, int32,
                           int16, int8, uint8 and bool tensors with known values, saved as on 'cuda:0'
  archive-protocol4.pt     entries under 'archive/' with a 'byteorder' entry, as PyTorch 2.x writes
                           them, and pickle protocol 4
  legacy.pt                the format of torch.save before PyTorch 1.6
  evil-posix-system.pt     a pickle that calls posix.system('echo pwned')
  evil-builtins-eval.pt    a pickle that calls builtins.eval
  short-storage.pt         a storage entry with fewer bytes than its header says
  view-past-storage.pt     a tensor whose sizes and strides reach past its storage
  dtypes.json              the values of dtypes.pt, for the C# test
"""
from __future__ import annotations

import argparse
import collections
import io
import json
import os
import pickle
import sys
import tempfile
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
import torch.serialization  # noqa: E402

import checkpoint  # noqa: E402
from swinface import TINY, SwinFace, SwinFaceConfig  # noqa: E402


def flat(cfg: SwinFaceConfig) -> dict:
    """A checkpoint dict with the architecture's keys, shapes and dtypes, and almost no bytes."""
    model = SwinFace(cfg)
    one = torch.full((1,), 0.25)
    shared = {}  # equal integer buffers share one storage, as torch.save stores a storage once
    out = {}
    for part, key in checkpoint.PART_KEYS.items():
        sd = collections.OrderedDict()
        for name, t in getattr(model, part).state_dict().items():
            if t.is_floating_point():
                sd[name] = one.expand(t.shape) if t.dim() else one[0]
            else:
                # relative_position_index and num_batches_tracked keep their values
                sd[name] = shared.setdefault((tuple(t.shape), t.numpy().tobytes()), t.clone())
        out[key] = sd
    return out


def save(obj, path: str, **kw) -> None:
    torch.save(obj, path, **kw)


def write_zip(path: str, entries: dict) -> None:
    """A ZIP in the layout of torch.save, from {name: bytes}."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        for name, data in entries.items():
            z.writestr(zipfile.ZipInfo(name, date_time=(2023, 8, 22, 0, 0, 0)), data)


def read_zip(path: str) -> dict:
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i.filename) for i in z.infolist()}


class _Storage:
    """Pickles as a persistent id ('storage', FloatStorage, key, 'cpu', numel), like torch.save's."""

    def __init__(self, key: str, numel: int):
        self.key, self.numel = key, numel


class _Tensor:
    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, size, stride, False, collections.OrderedDict())

    def __reduce__(self):
        return torch._utils._rebuild_tensor_v2, self.args


class _Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, _Storage):
            return ("storage", torch.FloatStorage, obj.key, "cpu", obj.numel)
        return None


def hand_made(path: str, obj, storages: dict) -> None:
    """A checkpoint whose pickle is written by hand: tensors as _Tensor, storages as {key: bytes}."""
    buf = io.BytesIO()
    _Pickler(buf, protocol=2).dump(obj)
    stem = "hand"
    entries = {f"{stem}/data.pkl": buf.getvalue()}
    entries.update({f"{stem}/data/{k}": v for k, v in storages.items()})
    entries[f"{stem}/version"] = b"3\n"
    write_zip(path, entries)


def evil(path: str, module: str, name: str, arg: str) -> None:
    """A torch.save-shaped ZIP whose data.pkl calls module.name(arg). Never load it in Python."""
    text = arg.encode()
    pkl = (b"\x80\x02c" + module.encode() + b"\n" + name.encode() + b"\nq\x00X" + len(text).to_bytes(4, "little")
           + text + b"q\x01\x85q\x02Rq\x03.")
    write_zip(path, {"evil/data.pkl": pkl, "evil/version": b"3\n"})


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    out = args.out
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        os.remove(os.path.join(out, f))

    official = flat(SwinFaceConfig())
    save(official, os.path.join(out, "official.pt"))
    defects = {
        "missing-part": lambda c: c.pop("state_dict_om"),
        "missing-key": lambda c: c["state_dict_fam"].pop("nets.3.norm.running_var"),
        "unexpected-key": lambda c: c["state_dict_om"].__setitem__("output_fcs.42.weight", torch.zeros(2, 512)),
        "wrong-shape": lambda c: c["state_dict_tss"].__setitem__("nets.0.feature.0.bias", torch.zeros(511)),
        "wrong-dtype": lambda c: c["state_dict_backbone"].__setitem__("norm.weight", torch.zeros(768, dtype=torch.float64)),
    }
    for name, defect in defects.items():
        c = flat(SwinFaceConfig())
        defect(c)
        save(c, os.path.join(out, f"official-{name}.pt"))
    save([official["state_dict_om"]], os.path.join(out, "official-not-a-dict.pt"))
    save(flat(TINY), os.path.join(out, "tiny.pt"))

    base = torch.arange(24, dtype=torch.float32) * 0.5 - 3
    values = {
        "f32_strided": base[2:14].view(3, 4).t(),  # offset 2, strides (1, 4)
        "f64": torch.tensor([1.5, -2.25, 1e-3], dtype=torch.float64),
        "f16": torch.tensor([0.5, -1.0, 65504.0, 6e-5], dtype=torch.float16),
        "bf16": torch.tensor([1.0, -3.140625, 1e30], dtype=torch.bfloat16),
        "i64": torch.tensor([[0, -1], [2 ** 40, 7]], dtype=torch.int64),
        "i32": torch.tensor([-5, 2 ** 30], dtype=torch.int32),
        "i16": torch.tensor([-300, 300], dtype=torch.int16),
        "i8": torch.tensor([-128, 127], dtype=torch.int8),
        "u8": torch.tensor([0, 255], dtype=torch.uint8),
        "bool": torch.tensor([True, False]),
        "scalar": torch.tensor(42.0),
    }
    tag = torch.serialization.location_tag
    torch.serialization.location_tag = lambda storage: "cuda:0"
    try:
        save(collections.OrderedDict(values), os.path.join(out, "dtypes.pt"))
    finally:
        torch.serialization.location_tag = tag
    with open(os.path.join(out, "dtypes.json"), "w") as f:
        json.dump({k: {"shape": list(v.shape), "values": v.float().flatten().tolist() if v.is_floating_point()
                       else v.long().flatten().tolist()} for k, v in values.items()}, f, indent=1)

    with tempfile.TemporaryDirectory() as d:
        archive = os.path.join(d, "archive.pt")  # torch 1.13 names the entries after the file's stem
        save(collections.OrderedDict(values), archive, pickle_protocol=4)
        entries = read_zip(archive)
        entries["archive/byteorder"] = b"little"
        write_zip(os.path.join(out, "archive-protocol4.pt"), entries)

    save(collections.OrderedDict(values), os.path.join(out, "legacy.pt"), _use_new_zipfile_serialization=False)
    evil(os.path.join(out, "evil-posix-system.pt"), "posix", "system", "echo pwned")
    evil(os.path.join(out, "evil-builtins-eval.pt"), "builtins", "eval", "__import__('os').system('echo pwned')")

    data = torch.arange(6, dtype=torch.float32).numpy().tobytes()
    hand_made(os.path.join(out, "short-storage.pt"), {"x": _Tensor(_Storage("0", 8), 0, (8,), (1,))}, {"0": data})
    hand_made(os.path.join(out, "view-past-storage.pt"), {"x": _Tensor(_Storage("0", 6), 1, (2, 3), (3, 1))}, {"0": data})
    for f in sorted(os.listdir(out)):
        print(f"{f:28s} {os.path.getsize(os.path.join(out, f)):8d} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
