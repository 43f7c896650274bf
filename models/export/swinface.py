"""A PyTorch definition of SwinFace whose state dicts match the authors' checkpoint format.

The module tree mirrors the four parts of the official checkpoint (`backbone`, `fam`, `tss`, `om`),
so every key, shape and dtype of `checkpoint_step_79999_gpu_0.pt` loads strictly. The arithmetic
follows the published architecture (see shared/SPEC.md): Swin-T on 112 x 112 faces, multi-level
features, 11 MLCA branches and 42 output heads. Only inference is modelled (no dropout, no
stochastic depth), which is all that export and parity checks need.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

# Output heads in `om.output_fcs` order, grouped by branch, with their sizes.
HEADS: List[List[Tuple[str, int]]] = [
    [("Gender", 2)],
    [("Age", 1), ("Young", 2)],
    [("Expression", 7), ("Smiling", 2)],
    [("Attractive", 2), ("Blurry", 2), ("Chubby", 2), ("Heavy Makeup", 2), ("Oval Face", 2),
     ("Pale Skin", 2)],
    [("Bald", 2), ("Bangs", 2), ("Black Hair", 2), ("Blond Hair", 2), ("Brown Hair", 2),
     ("Gray Hair", 2), ("Receding Hairline", 2), ("Straight Hair", 2), ("Wavy Hair", 2),
     ("Wearing Hat", 2)],
    [("Arched Eyebrows", 2), ("Bags Under Eyes", 2), ("Bushy Eyebrows", 2), ("Eyeglasses", 2),
     ("Narrow Eyes", 2)],
    [("Big Nose", 2), ("Pointy Nose", 2)],
    [("High Cheekbones", 2), ("Rosy Cheeks", 2), ("Wearing Earrings", 2), ("Sideburns", 2)],
    [("Five O'Clock Shadow", 2), ("Big Lips", 2), ("Mouth Slightly Open", 2), ("Mustache", 2),
     ("Wearing Lipstick", 2), ("No Beard", 2)],
    [("Double Chin", 2), ("Goatee", 2)],
    [("Wearing Necklace", 2), ("Wearing Necktie", 2)],
]

EXPRESSIONS = ["Surprise", "Fear", "Disgust", "Happiness", "Sadness", "Anger", "Neutral"]


@dataclass(frozen=True)
class SwinFaceConfig:
    """Architecture parameters. The defaults are the published SwinFace (Swin-T, official heads)."""

    img_size: int = 112
    patch_size: int = 2
    embed_dim: int = 96
    depths: Tuple[int, ...] = (2, 2, 6, 2)
    num_heads: Tuple[int, ...] = (3, 6, 12, 24)
    window_size: int = 7
    mlp_ratio: float = 4.0
    embedding_size: int = 512
    fam_dim: int = 512
    fam_split: Tuple[int, ...] = (47, 93, 186, 186)
    cbam_reduction: int = 16
    heads: List[List[Tuple[str, int]]] = field(default_factory=lambda: HEADS)

    @property
    def num_stages(self) -> int:
        return len(self.depths)

    @property
    def stage_dims(self) -> List[int]:
        return [self.embed_dim * 2 ** i for i in range(self.num_stages)]

    @property
    def grid(self) -> int:
        return self.img_size // self.patch_size

    @property
    def feature_grid(self) -> int:
        return self.grid // 2 ** (self.num_stages - 1)

    @property
    def feature_channels(self) -> List[int]:
        """Channels of the multi-level features: stages 1..n-1 after merging, then the last stage."""
        dims = self.stage_dims
        return dims[1:] + [dims[-1]]


TINY = SwinFaceConfig(embed_dim=8, depths=(2, 2, 2, 2), num_heads=(1, 2, 4, 8), fam_dim=32,
                      fam_split=(4, 8, 10, 10), cbam_reduction=8)


def _window_partition(x: torch.Tensor, w: int) -> torch.Tensor:
    b, h, wd, c = x.shape
    x = x.view(b, h // w, w, wd // w, w, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, w * w, c)


def _window_order(grid: int, window: int, shift: int) -> torch.Tensor:
    """Token indices that cyclically shift a grid by -shift and group it into windows.

    Gathering tokens with it equals torch.roll followed by window partition; it is exported as one
    Gather instead of slices, concatenations and transposes.
    """
    idx = torch.arange(grid * grid).view(1, grid, grid, 1)
    if shift:
        idx = torch.roll(idx, shifts=(-shift, -shift), dims=(1, 2))
    return _window_partition(idx, window).flatten()


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class WindowAttention(nn.Module):
    def __init__(self, dim: int, window: int, heads: int):
        super().__init__()
        self.heads, self.dim, self.tokens = heads, dim, window * window
        self.scale = (dim // heads) ** -0.5
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * window - 1) ** 2, heads))
        ys, xs = torch.meshgrid(torch.arange(window), torch.arange(window), indexing="ij")
        coords = torch.stack([ys.flatten(), xs.flatten()])
        rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + (window - 1)
        self.register_buffer("relative_position_index", rel[..., 0] * (2 * window - 1) + rel[..., 1])
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, mask=None):
        """x: (batch * windows, tokens, channels); mask: (windows, tokens, tokens) of 0 / -100, or None."""
        n, c = self.tokens, self.dim  # static, so the exported graph computes no shapes
        qkv = self.qkv(x).reshape(-1, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q * self.scale) @ k.transpose(-2, -1)
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)]
        bias = bias.view(n, n, -1).permute(2, 0, 1).unsqueeze(0)
        if mask is not None:
            # Bias and mask are added as one constant; where the mask is 0 this is exact, and where it is
            # -100 the softmax weight underflows to 0 either way.
            bias = bias + mask.unsqueeze(1)
        nw = bias.shape[0]
        attn = (attn.view(-1, nw, self.heads, n, n) + bias).view(-1, self.heads, n, n)
        attn = attn.softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(-1, n, c)
        return self.proj(x)


def _shift_mask(grid: int, window: int, shift: int) -> torch.Tensor:
    """The -100/0 attention mask that keeps shifted windows from mixing wrapped-around regions."""
    region = torch.zeros((1, grid, grid, 1))
    bounds = (slice(0, -window), slice(-window, -shift), slice(-shift, None))
    label = 0
    for hs in bounds:
        for ws in bounds:
            region[:, hs, ws, :] = label
            label += 1
    windows = _window_partition(region, window).squeeze(-1)
    diff = windows.unsqueeze(1) - windows.unsqueeze(2)
    return diff.masked_fill(diff != 0, -100.0).masked_fill(diff == 0, 0.0)


class SwinBlock(nn.Module):
    def __init__(self, dim: int, grid: int, heads: int, window: int, shift: int, mlp_ratio: float):
        super().__init__()
        if grid <= window:
            # The window covers the whole grid: no partition, so no shift and no mask.
            window, shift = grid, 0
        self.grid, self.window, self.shift = grid, window, shift
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, window, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        if shift > 0:
            self.register_buffer("attn_mask", _shift_mask(grid, window, shift))
        else:
            self.attn_mask = None
        order = _window_order(grid, window, shift)
        self.register_buffer("order", order, persistent=False)
        self.register_buffer("inverse", torch.argsort(order), persistent=False)
        self.dim = dim

    def forward(self, x):
        """x: (batch, tokens, channels), tokens in row-major grid order."""
        l, c = self.grid * self.grid, self.dim
        shortcut = x
        x = torch.index_select(self.norm1(x), 1, self.order).view(-1, self.window * self.window, c)
        x = self.attn(x, self.attn_mask)
        x = torch.index_select(x.reshape(-1, l, c), 1, self.inverse)
        x = shortcut + x
        return x + self.mlp(self.norm2(x))


class PatchMerging(nn.Module):
    def __init__(self, dim: int, grid: int):
        super().__init__()
        self.grid, self.dim = grid, dim
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = nn.LayerNorm(4 * dim)
        # For each merged token, its 2 x 2 neighbours in the order (row, col) (0,0), (1,0), (0,1), (1,1):
        # gathering them and folding the four into channels equals the usual slice-and-concatenate.
        idx = torch.arange(grid * grid).view(grid, grid)
        order = torch.stack([idx[0::2, 0::2], idx[1::2, 0::2], idx[0::2, 1::2], idx[1::2, 1::2]], -1)
        self.register_buffer("order", order.flatten(), persistent=False)

    def forward(self, x):
        x = torch.index_select(x, 1, self.order).view(-1, self.grid * self.grid // 4, 4 * self.dim)
        return self.reduction(self.norm(x))


class Stage(nn.Module):
    def __init__(self, cfg: SwinFaceConfig, index: int):
        super().__init__()
        dim, grid = cfg.stage_dims[index], cfg.grid // 2 ** index
        self.blocks = nn.ModuleList(
            SwinBlock(dim, grid, cfg.num_heads[index], cfg.window_size,
                      0 if i % 2 == 0 else cfg.window_size // 2, cfg.mlp_ratio)
            for i in range(cfg.depths[index]))
        self.downsample = PatchMerging(dim, grid) if index < cfg.num_stages - 1 else None

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return self.downsample(x) if self.downsample is not None else x


class PatchEmbed(nn.Module):
    def __init__(self, cfg: SwinFaceConfig):
        super().__init__()
        self.proj = nn.Conv2d(3, cfg.embed_dim, cfg.patch_size, stride=cfg.patch_size)
        self.norm = nn.LayerNorm(cfg.embed_dim)

    def forward(self, x):
        return self.norm(self.proj(x).flatten(2).transpose(1, 2))


class Backbone(nn.Module):
    """Swin backbone. Returns the identity embedding (not normalised) and the FAM input features."""

    def __init__(self, cfg: SwinFaceConfig):
        super().__init__()
        self.cfg = cfg
        last = cfg.stage_dims[-1]
        self.patch_embed = PatchEmbed(cfg)
        self.layers = nn.ModuleList(Stage(cfg, i) for i in range(cfg.num_stages))
        self.norm = nn.LayerNorm(last)
        self.head = nn.Linear(last, cfg.embedding_size)  # in the checkpoint, unused by inference
        self.feature = nn.Sequential(
            nn.Linear(last, last, bias=False),
            nn.BatchNorm1d(last, eps=2e-5),
            nn.Linear(last, cfg.embedding_size, bias=False),
            nn.BatchNorm1d(cfg.embedding_size, eps=2e-5))

    def forward(self, image):
        cfg = self.cfg
        x = self.patch_embed(image)
        levels = []
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < cfg.num_stages - 1:
                g = cfg.grid // 2 ** (i + 1)
                level = x.transpose(1, 2).reshape(-1, cfg.stage_dims[i + 1], g, g)
                pool = g // cfg.feature_grid
                if pool > 1:
                    level = F.avg_pool2d(level, kernel_size=pool)
                levels.append(level)
        g = cfg.feature_grid
        levels.append(x.transpose(1, 2).reshape(-1, cfg.stage_dims[-1], g, g))
        features = torch.cat(levels, dim=1)
        pooled = self.norm(x).mean(dim=1)
        return self.feature(pooled), features


class SplitConv(nn.Module):
    def __init__(self, in_split: List[int], out_split: List[int]):
        super().__init__()
        self.in_split = list(in_split)
        self.convs = nn.ModuleList(nn.Conv2d(i, o, 3, padding=1, bias=False)
                                   for i, o in zip(in_split, out_split))

    def forward(self, x):
        parts = torch.split(x, self.in_split, dim=1)
        return torch.cat([conv(p) for conv, p in zip(self.convs, parts)], dim=1)


class ChannelGate(nn.Module):
    """CBAM channel attention: a shared MLP over the global average and max pools, summed."""

    def __init__(self, dim: int, reduction: int):
        super().__init__()
        self.mlp = nn.Sequential(nn.Flatten(), nn.Linear(dim, dim // reduction), nn.ReLU(),
                                 nn.Linear(dim // reduction, dim))

    def forward(self, x):
        avg = x.mean(dim=(2, 3))
        mx = x.amax(dim=(2, 3))
        gate = torch.sigmoid(self.mlp(avg) + self.mlp(mx))
        return x * gate[:, :, None, None]


class MlcaNet(nn.Module):
    """One FAM branch: split conv, CBAM channel gate, ReLU, global max pool, BatchNorm."""

    def __init__(self, cfg: SwinFaceConfig):
        super().__init__()
        self.conv = SplitConv(cfg.feature_channels, cfg.fam_split)
        self.channel_attention = ChannelGate(cfg.fam_dim, cfg.cbam_reduction)
        self.norm = nn.BatchNorm1d(cfg.fam_dim, eps=2e-5)

    def forward(self, x):
        x = F.relu(self.channel_attention(self.conv(x)))
        return self.norm(x.amax(dim=(2, 3)))


class Fam(nn.Module):
    def __init__(self, cfg: SwinFaceConfig):
        super().__init__()
        self.nets = nn.ModuleList(MlcaNet(cfg) for _ in cfg.heads)


class TaskSubnet(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        # Indices 2 and 5 are the training-only dropouts of the authors' Sequential.
        self.feature = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Identity(),
                                     nn.Linear(dim, dim), nn.ReLU(), nn.Identity())

    def forward(self, x):
        return self.feature(x)


class Tss(nn.Module):
    def __init__(self, cfg: SwinFaceConfig):
        super().__init__()
        self.nets = nn.ModuleList(TaskSubnet(cfg.fam_dim) for _ in cfg.heads)


class OutputModule(nn.Module):
    def __init__(self, cfg: SwinFaceConfig):
        super().__init__()
        self.output_fcs = nn.ModuleList(nn.Linear(cfg.fam_dim, size)
                                        for branch in cfg.heads for _, size in branch)


class SwinFace(nn.Module):
    """The whole model. `forward` gives the embedding and the 42 head logits in `output_fcs` order."""

    PARTS = ("backbone", "fam", "tss", "om")

    def __init__(self, cfg: SwinFaceConfig = SwinFaceConfig()):
        super().__init__()
        self.cfg = cfg
        self.backbone = Backbone(cfg)
        self.fam = Fam(cfg)
        self.tss = Tss(cfg)
        self.om = OutputModule(cfg)
        self.first_head = []
        k = 0
        for branch in cfg.heads:
            self.first_head.append(k)
            k += len(branch)

    def branch(self, index: int, features: torch.Tensor) -> List[torch.Tensor]:
        """Logits of one branch's heads, from the backbone features."""
        x = self.tss.nets[index](self.fam.nets[index](features))
        start = self.first_head[index]
        return [self.om.output_fcs[start + j](x) for j in range(len(self.cfg.heads[index]))]

    def forward(self, image):
        embedding, features = self.backbone(image)
        logits = []
        for i in range(len(self.cfg.heads)):
            logits.extend(self.branch(i, features))
        return embedding, logits


class BackboneGraph(nn.Module):
    def __init__(self, model: SwinFace):
        super().__init__()
        self.backbone = model.backbone

    def forward(self, image):
        return self.backbone(image)


class BranchGraph(nn.Module):
    def __init__(self, model: SwinFace, index: int):
        super().__init__()
        self.model, self.index = model, index

    def forward(self, features):
        return tuple(self.model.branch(self.index, features))
