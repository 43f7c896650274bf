"""Reading and writing checkpoints in the authors' four-part format, strictly."""
from __future__ import annotations

import re
from typing import Dict

import torch

from swinface import SwinFace, SwinFaceConfig, TINY

PART_KEYS = {part: f"state_dict_{part}" for part in SwinFace.PARTS}


class CheckpointError(Exception):
    """The file is not a SwinFace checkpoint in the authors' format."""


def _require(sd: Dict[str, torch.Tensor], key: str, part: str) -> torch.Tensor:
    if key not in sd:
        raise CheckpointError(f"{PART_KEYS[part]}: missing key '{key}'")
    return sd[key]


def infer_config(parts: Dict[str, Dict[str, torch.Tensor]]) -> SwinFaceConfig:
    """Reads the architecture from tensor shapes, so the official and the tiny test models both load."""
    bb = parts["backbone"]
    proj = _require(bb, "patch_embed.proj.weight", "backbone")
    embed_dim, patch = proj.shape[0], proj.shape[-1]
    depths, heads, windows = [], [], []
    stage = 0
    while f"layers.{stage}.blocks.0.norm1.weight" in bb:
        block = 0
        while f"layers.{stage}.blocks.{block}.norm1.weight" in bb:
            block += 1
        table = _require(bb, f"layers.{stage}.blocks.0.attn.relative_position_bias_table", "backbone")
        depths.append(block)
        heads.append(table.shape[1])
        windows.append((int(round(table.shape[0] ** 0.5)) + 1) // 2)
        stage += 1
    if not depths:
        raise CheckpointError("state_dict_backbone: no 'layers.0.blocks.0' keys; not a Swin backbone")
    fc1 = _require(bb, "layers.0.blocks.0.mlp.fc1.weight", "backbone")
    embedding = _require(bb, "feature.3.weight", "backbone").shape[0]
    fam = parts["fam"]
    split = []
    while f"nets.0.conv.convs.{len(split)}.weight" in fam:
        split.append(fam[f"nets.0.conv.convs.{len(split)}.weight"].shape[0])
    fam_dim = sum(split)
    hidden = _require(fam, "nets.0.channel_attention.mlp.1.weight", "fam").shape[0]
    # Stage 0 is 56 x 56 for a 112 x 112 image with patch 2; the first stage window decides the rest.
    return SwinFaceConfig(
        img_size=112, patch_size=patch, embed_dim=embed_dim, depths=tuple(depths),
        num_heads=tuple(heads), window_size=windows[0], mlp_ratio=fc1.shape[0] / embed_dim,
        embedding_size=embedding, fam_dim=fam_dim, fam_split=tuple(split),
        cbam_reduction=max(1, fam_dim // hidden))


def load_strict(path: str) -> SwinFace:
    """Loads a four-part checkpoint. Any missing, unexpected or misshapen entry is an error that names it."""
    try:
        raw = torch.load(path, map_location="cpu")
    except Exception as e:  # torch raises many types for a file that is not a checkpoint
        raise CheckpointError(f"{path}: not a readable torch checkpoint ({e})") from e
    if not isinstance(raw, dict):
        raise CheckpointError(f"{path}: expected a dict of four state dicts, found {type(raw).__name__}")
    extra = sorted(set(raw) - set(PART_KEYS.values()))
    if extra:
        raise CheckpointError(f"{path}: unexpected top-level key '{extra[0]}'")
    parts = {}
    for part, key in PART_KEYS.items():
        if key not in raw:
            raise CheckpointError(f"{path}: missing top-level key '{key}'")
        parts[part] = raw[key]
    model = SwinFace(infer_config(parts))
    for part, key in PART_KEYS.items():
        expected = getattr(model, part).state_dict()
        given = parts[part]
        for name in expected:
            if name not in given:
                raise CheckpointError(f"{key}: missing key '{name}'")
        for name, tensor in given.items():
            if name not in expected:
                raise CheckpointError(f"{key}: unexpected key '{name}'")
            want = expected[name]
            if tuple(tensor.shape) != tuple(want.shape) or tensor.dtype != want.dtype:
                raise CheckpointError(
                    f"{key}: '{name}' is {list(tensor.shape)} {tensor.dtype}, "
                    f"expected {list(want.shape)} {want.dtype}")
        getattr(model, part).load_state_dict(given, strict=True)
    model.eval()
    return model


def random_init(seed: int, tiny: bool) -> SwinFace:
    """A seeded model whose outputs are far from zero, so parity checks compare meaningful values."""
    cfg = TINY if tiny else SwinFaceConfig()
    gen = torch.Generator().manual_seed(seed)
    model = SwinFace(cfg)

    def normal(t, std, mean=0.0):
        t.copy_(torch.randn(t.shape, generator=gen) * std + mean)

    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("relative_position_bias_table"):
                normal(p, 0.5)
            elif p.dim() >= 2:
                normal(p, p[0].numel() ** -0.5)  # unit-variance activations: 1/sqrt(fan_in)
            elif re.search(r"(norm\d?|feature\.[13]|\.norm)\.weight$", name):
                normal(p, 0.1, 1.0)
            else:
                normal(p, 0.1)
        for name, b in model.named_buffers():
            if name.endswith("running_mean"):
                normal(b, 0.1)
            elif name.endswith("running_var"):
                b.copy_(torch.rand(b.shape, generator=gen) * 1.5 + 0.5)
            elif name.endswith("num_batches_tracked"):
                b.fill_(80000)
    model.eval()
    return model


def save(model: SwinFace, path: str) -> None:
    """Writes the authors' format: a dict of the four state dicts."""
    torch.save({key: getattr(model, part).state_dict() for part, key in PART_KEYS.items()}, path)
