"""The stylizer network: an encoder–decoder with FS blocks and STA fusion, in PyTorch.

- FS block (feature strengthening): three parallel branches of different depth and reach
  (one separable conv, two stacked, one dilated), concatenated, projected back and added to
  the input. It replaces the ResNet block: more receptive field and more paths for about the
  same cost.
- STA (style-transfer attention): at each skip connection a one-channel attention map,
  computed per pixel from the shallow (detail) and deep (style) features, decides how much
  source detail to keep against the stylised feature.
- Heads at 1/8, 1/4 and full resolution give multi-scale supervision; only the full-resolution
  head is exported. Each head predicts a residual on the (resized) input, so an untrained
  network starts from the identity and keeps the face.
- Nothing runs at full resolution but the residual add: the input is folded into 12 channels
  at half size (pixel unshuffle) and the full-resolution residual unfolded from 12 (pixel
  shuffle). Full-resolution feature maps cost memory bandwidth, the bottleneck of small
  networks on CPUs, and the face's detail arrives through the residual anyway.
- Fully convolutional: input sides that are multiples of 32 work at any size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

import torch
import torch.nn.functional as F
from torch import nn

from livecam.inference.choices import Tier


@dataclass(frozen=True, slots=True)
class StylizerSpec:
    """Width and depth of one tier."""

    tier: str
    width: int        # channels at 1/2 resolution; ×2 at 1/4, ×4 at 1/8 and 1/16
    fs_blocks: int    # FS blocks at 1/16 resolution


TIERS = {
    "S": StylizerSpec("S", 16, 2),
    "M": StylizerSpec("M", 24, 3),
    "L": StylizerSpec("L", 40, 4),
}
assert set(TIERS) == set(get_args(Tier))


def _act() -> nn.Module:
    return nn.LeakyReLU(0.2, inplace=True)


class SepConv(nn.Sequential):
    """Depthwise 3×3 then pointwise 1×1, with activation."""

    def __init__(self, cin: int, cout: int, stride: int = 1, dilation: int = 1) -> None:
        super().__init__(
            nn.Conv2d(cin, cin, 3, stride, padding=dilation, dilation=dilation, groups=cin),
            nn.Conv2d(cin, cout, 1),
            _act(),
        )


class FSBlock(nn.Module):
    """Multi-branch, multi-depth feature-strengthening block with a residual path."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.shallow = SepConv(channels, channels)
        self.deep = nn.Sequential(SepConv(channels, channels), SepConv(channels, channels))
        self.wide = SepConv(channels, channels, dilation=2)
        self.project = nn.Conv2d(3 * channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branches = torch.cat([self.shallow(x), self.deep(x), self.wide(x)], dim=1)
        return x + self.project(branches)


class STA(nn.Module):
    """Pixel-level attention fusing shallow detail with the deep, stylised feature."""

    def __init__(self, shallow: int, deep: int) -> None:
        super().__init__()
        self.shallow_proj = nn.Conv2d(shallow, deep, 1)
        self.attention = nn.Sequential(nn.Conv2d(shallow + deep, 8, 1), _act(),
                                       nn.Conv2d(8, 1, 3, padding=1))

    def forward(self, shallow: torch.Tensor, deep: torch.Tensor) -> torch.Tensor:
        a = torch.sigmoid(self.attention(torch.cat([shallow, deep], dim=1)))
        return a * self.shallow_proj(shallow) + (1 - a) * deep


def _up(x: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)


class Trunk(nn.Module):
    """The layers both families share, from 1/4 resolution down to 1/16 and back, with the STA
    fusions and the three heads (zero at start: an untrained network adds nothing). Built on
    the network itself (`build_trunk`), so the weights keep their names."""

    down2: SepConv
    down3: SepConv
    body: nn.Sequential
    fuse8: STA
    dec8: FSBlock
    fuse4: STA
    dec4: SepConv
    fuse2: STA
    dec2: SepConv
    head8: nn.Conv2d
    head4: nn.Conv2d
    head1: nn.Sequential

    def build_trunk(self, c: int, fs_blocks: int) -> None:
        self.down2 = SepConv(2 * c, 4 * c, stride=2)                                # 1/8
        self.down3 = SepConv(4 * c, 4 * c, stride=2)                                # 1/16
        self.body = nn.Sequential(*[FSBlock(4 * c) for _ in range(fs_blocks)])
        self.fuse8 = STA(4 * c, 4 * c)
        self.dec8 = FSBlock(4 * c)
        self.fuse4 = STA(2 * c, 4 * c)
        self.dec4 = SepConv(4 * c, 2 * c)
        self.fuse2 = STA(c, 2 * c)
        self.dec2 = SepConv(2 * c, c)
        self.head8 = nn.Conv2d(4 * c, 3, 3, padding=1)
        self.head4 = nn.Conv2d(2 * c, 3, 3, padding=1)
        head1 = nn.Conv2d(c, 12, 3, padding=1)
        self.head1 = nn.Sequential(head1, nn.PixelShuffle(2))
        for head in (self.head8, self.head4, head1):
            nn.init.zeros_(head.weight)
            if head.bias is not None:
                nn.init.zeros_(head.bias)


class Stylizer(Trunk):
    """Image in [-1, 1] (N×3×H×W, RGB) → stylised image(s) in [-1, 1].

    In training mode `forward` returns [full, 1/4, 1/8] outputs; in eval mode only the full one.
    """

    def __init__(self, spec: StylizerSpec) -> None:
        super().__init__()
        c = spec.width
        self.spec = spec
        self.fold = nn.PixelUnshuffle(2)
        self.stem = nn.Sequential(nn.Conv2d(12, c, 3, padding=1), _act())           # 1/2
        self.down1 = nn.Sequential(nn.Conv2d(c, 2 * c, 3, 2, padding=1), _act())    # 1/4
        self.build_trunk(c, spec.fs_blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor | list[torch.Tensor]:
        f2 = self.stem(self.fold(x))
        f4 = self.down1(f2)
        f8 = self.down2(f4)
        f16 = self.body(self.down3(f8))
        d8 = self.dec8(self.fuse8(f8, _up(f16)))
        d4 = self.dec4(self.fuse4(f4, _up(d8)))
        d2 = self.dec2(self.fuse2(f2, _up(d4)))
        full = torch.clamp(x + self.head1(d2), -1.0, 1.0)
        if not self.training:
            return full
        x4 = F.avg_pool2d(x, 4)
        x8 = F.avg_pool2d(x4, 2)
        return [full, torch.clamp(x4 + self.head4(d4), -1, 1),
                torch.clamp(x8 + self.head8(d8), -1, 1)]


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
