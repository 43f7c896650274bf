#!/usr/bin/env python3
"""Tests of the PyTorch side: the key listing, strict checkpoint loading, and the exported file.

Run: /usr/bin/python3 -m unittest discover -s models/export -p 'test_*.py'
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

import bench_torch  # noqa: E402
import checkpoint  # noqa: E402
import export  # noqa: E402
from swinface import SwinFace  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KEYS = os.path.join(ROOT, "..", "shared", "reference", "swinface-checkpoint-keys.tsv")


class KeyListingTest(unittest.TestCase):
    def test_state_dicts_equal_the_reference_listing(self):
        with open(KEYS) as f:
            rows = [line.rstrip("\n").split("\t") for line in f][1:]
        model = SwinFace()
        mine = [[f"state_dict_{part}", key, str(list(value.shape)), str(value.dtype).replace("torch.", "")]
                for part in SwinFace.PARTS for key, value in getattr(model, part).state_dict().items()]
        self.assertEqual(473, len(rows))
        self.assertEqual(rows, mine)


class FormulationTest(unittest.TestCase):
    def test_gathered_windows_equal_the_textbook_roll_and_partition(self):
        torch.manual_seed(0)
        model = checkpoint.random_init(3, tiny=True).eval()
        x = torch.randn(3, 3, 112, 112)
        with torch.no_grad():
            ours = model(x)
            with bench_torch.textbook_formulation():
                textbook = model(x)
            again = model(x)
        for a, b, c in zip([ours[0], *ours[1]], [textbook[0], *textbook[1]], [again[0], *again[1]]):
            self.assertLessEqual((a - b).abs().max().item(), 1e-6)
            self.assertTrue(torch.equal(a, c))  # the context restored swinface.py's own forward
        self.assertGreater(ours[0].abs().max().item(), 0)


class StrictLoadingTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "tiny.pt")
        checkpoint.save(checkpoint.random_init(1, tiny=True), self.path)

    def tearDown(self):
        self.dir.cleanup()

    def edit(self, change):
        raw = torch.load(self.path)
        change(raw)
        torch.save(raw, self.path)

    def assert_error(self, text):
        with self.assertRaises(checkpoint.CheckpointError) as caught:
            checkpoint.load_strict(self.path)
        self.assertIn(text, str(caught.exception))

    def test_loads_a_valid_checkpoint_and_infers_the_tiny_architecture(self):
        model = checkpoint.load_strict(self.path)
        self.assertEqual(8, model.cfg.embed_dim)
        self.assertEqual((2, 2, 2, 2), model.cfg.depths)

    def test_missing_key_is_named(self):
        self.edit(lambda raw: raw["state_dict_fam"].pop("nets.3.norm.running_var"))
        self.assert_error("state_dict_fam: missing key 'nets.3.norm.running_var'")

    def test_unexpected_key_is_named(self):
        self.edit(lambda raw: raw["state_dict_om"].__setitem__("output_fcs.42.weight", torch.zeros(2, 32)))
        self.assert_error("state_dict_om: unexpected key 'output_fcs.42.weight'")

    def test_wrong_shape_is_named(self):
        self.edit(lambda raw: raw["state_dict_tss"].__setitem__("nets.0.feature.0.bias", torch.zeros(31)))
        self.assert_error("'nets.0.feature.0.bias' is [31] torch.float32, expected [32] torch.float32")

    def test_missing_part_is_named(self):
        self.edit(lambda raw: raw.pop("state_dict_tss"))
        self.assert_error("missing top-level key 'state_dict_tss'")

    def test_a_file_that_is_not_a_checkpoint_is_an_error(self):
        with open(self.path, "wb") as f:
            f.write(b"not a checkpoint")
        self.assert_error("not a readable torch checkpoint")


class ExportTest(unittest.TestCase):
    def test_model_file_holds_manifest_and_all_graphs(self):
        with tempfile.TemporaryDirectory() as d:
            ckpt, out = os.path.join(d, "t.pt"), os.path.join(d, "t.swinface")
            self.assertEqual(0, export.main(["--random-init", "3", "--tiny", "--checkpoint", ckpt, "--out", out]))
            with zipfile.ZipFile(out) as z:
                names = z.namelist()
                manifest = json.loads(z.read("manifest.json"))
                self.assertTrue(all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist()))
            self.assertEqual(["backbone.onnx"] + [f"branch{i:02d}.onnx" for i in range(11)] + ["manifest.json"], names)
            with zipfile.ZipFile(out) as z:
                digests = [manifest["backbone"]["sha256"]] + [b["sha256"] for b in manifest["branches"]]
                self.assertEqual([hashlib.sha256(z.read(n)).hexdigest() for n in names[:-1]], digests)
            self.assertEqual("fp32", manifest["precision"])
            self.assertEqual(42, sum(len(b["heads"]) for b in manifest["branches"]))
            self.assertEqual("random-init seed 3", manifest["source"])
            self.assertEqual("Male", manifest["branches"][0]["heads"][0]["attribute"])

    def test_export_refuses_a_bad_checkpoint_with_exit_code_2(self):
        with tempfile.TemporaryDirectory() as d:
            ckpt = os.path.join(d, "bad.pt")
            torch.save({"state_dict_backbone": {}}, ckpt)
            self.assertEqual(2, export.main(["--checkpoint", ckpt, "--out", os.path.join(d, "x.swinface")]))


if __name__ == "__main__":
    unittest.main()
