"""The face-swap fusion network: blends a source face, already warped onto the target's mesh,
into the target crop so it takes the room's light and leaves no seam.

Input: one N×7×H×W tensor in [-1, 1]: the target crop with the swap region replaced by a heavy
blur of itself (its light, not its identity), the warped source crop, and the swap mask (0..1,
rescaled to [-1, 1]). Output: the fused crop.

- Two encoder streams, target and source, meet in an attention fusion block at 1/4 resolution:
  a per-pixel attention map from both decides where source features enter, scaled by a
  residual gate that starts at zero, so an untrained network returns the plain paste
  (mask × source + (1 − mask) × target) and training learns when to depart from it.
- FS blocks in the shared trunk and decoder, STA attention at each shallow/deep fusion, heads
  at 1/8, 1/4 and full resolution (multi-scale supervision; only the full one is exported).
- As in the stylizer, nothing but the final add runs at full resolution.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

import torch
import torch.nn.functional as F
from torch import nn

from livecam.inference.choices import FusionTier

from livecam_train.stylizer_net import Trunk, _act, _up


@dataclass(frozen=True, slots=True)
class FusionSpec:
    """Width and depth of one tier."""

    tier: str
    width: int
    fs_blocks: int


FUSION_TIERS = {"S": FusionSpec("S", 16, 2), "M": FusionSpec("M", 24, 3)}
assert set(FUSION_TIERS) == set(get_args(FusionTier))


class AttentionFusion(nn.Module):
    """Target features plus gated, attended source features; the gate starts at zero."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.source_proj = nn.Conv2d(channels, channels, 1)
        self.attention = nn.Sequential(nn.Conv2d(2 * channels, 8, 1), _act(),
                                       nn.Conv2d(8, 1, 3, padding=1))
        self.gate = nn.Parameter(torch.zeros(1))

    def forward(self, target: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
        a = torch.sigmoid(self.attention(torch.cat([target, source], dim=1)))
        return target + self.gate * a * self.source_proj(source)


class _Stream(nn.Module):
    """Image + mask (4 channels) → features at 1/2 and 1/4."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.fold = nn.PixelUnshuffle(2)
        self.stem = nn.Sequential(nn.Conv2d(16, c, 3, padding=1), _act())
        self.down = nn.Sequential(nn.Conv2d(c, 2 * c, 3, 2, padding=1), _act())

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f2 = self.stem(self.fold(x))
        return f2, self.down(f2)


class FusionNet(Trunk):
    """See the module docstring. Training mode returns [full, 1/4, 1/8]; eval mode the full."""

    def __init__(self, spec: FusionSpec) -> None:
        super().__init__()
        c = spec.width
        self.spec = spec
        self.target_stream = _Stream(c)
        self.source_stream = _Stream(c)
        self.fuse = AttentionFusion(2 * c)
        self.skip2 = nn.Conv2d(2 * c, c, 1)
        self.build_trunk(c, spec.fs_blocks)

    def residuals(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The corrections to the plain paste at full, 1/4 and 1/8 resolution.

        Kept apart from the paste so INT8 rounding can be simulated (and exported) on this
        part alone: rounding the paste itself would put its steps straight into the output.
        """
        target, source, mask_pm = x[:, 0:3], x[:, 3:6], x[:, 6:7]
        t2, t4 = self.target_stream(torch.cat([target, mask_pm], dim=1))
        s2, s4 = self.source_stream(torch.cat([source, mask_pm], dim=1))
        f4 = self.fuse(t4, s4)
        f2 = self.skip2(torch.cat([t2, s2], dim=1))
        f8 = self.down2(f4)
        f16 = self.body(self.down3(f8))
        d8 = self.dec8(self.fuse8(f8, _up(f16)))
        d4 = self.dec4(self.fuse4(f4, _up(d8)))
        d2 = self.dec2(self.fuse2(f2, _up(d4)))
        return self.head1(d2), self.head4(d4), self.head8(d8)

    def forward(self, x: torch.Tensor) -> torch.Tensor | list[torch.Tensor]:
        outputs = add_to_paste(x, self.residuals(x))
        return outputs if self.training else outputs[0]


def add_to_paste(x: torch.Tensor, residuals: tuple[torch.Tensor, ...]) -> list[torch.Tensor]:
    """Plain paste (mask × source + (1 − mask) × target) plus each residual at its scale."""
    mask = (x[:, 6:7] + 1) * 0.5
    paste = mask * x[:, 3:6] + (1 - mask) * x[:, 0:3]
    out = []
    for r in residuals:
        scale = paste.shape[-1] // r.shape[-1]
        base = paste if scale == 1 else F.avg_pool2d(paste, scale)
        out.append(torch.clamp(base + r, -1.0, 1.0))
    return out
