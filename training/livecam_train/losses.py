"""The losses the trainers share."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def masked_l1(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return (torch.abs(a - b) * mask).sum() / (mask.sum() * a.shape[1] + 1e-6)


def multi_scale_loss(outputs: list[torch.Tensor], target: torch.Tensor, mask: torch.Tensor
                     ) -> torch.Tensor:
    """L1 at full resolution and on the 1/4 and 1/8 heads, plus L1 on image gradients for
    crisp line art, all masked (to pixels inside the photo, or weighted to a swap region)."""
    full, quarter, eighth = outputs
    loss = masked_l1(full, target, mask)
    for out, weight in ((quarter, 0.5), (eighth, 0.25)):
        scale = target.shape[-1] // out.shape[-1]
        loss = loss + weight * masked_l1(out, F.avg_pool2d(target, scale),
                                         F.avg_pool2d(mask, scale))
    for dim in (2, 3):
        grad_out = torch.diff(full, dim=dim)
        grad_tgt = torch.diff(target, dim=dim)
        m = mask.narrow(dim, 0, mask.shape[dim] - 1)
        loss = loss + 0.5 * masked_l1(grad_out, grad_tgt, m)
    return loss


def structure_loss(out: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
    """L1 between quarter-resolution copies: keeps layout, leaves texture free."""
    return torch.mean(torch.abs(F.avg_pool2d(out, 4) - F.avg_pool2d(source, 4)))
