"""Committed stylizer weights back to a network, pruned ones included (their checkpoints keep
each convolution's channel counts, so no pruning library is needed to load them)."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from livecam_train.stylizer_net import TIERS, Stylizer


def conv_shapes(model: nn.Module) -> dict[str, tuple[int, int]]:
    """Each convolution's (in, out) channels: all a pruned stylizer's shape needs."""
    return {name: (m.in_channels, m.out_channels) for name, m in model.named_modules()
            if isinstance(m, nn.Conv2d)}


def reshape(model: Stylizer, shapes: dict[str, tuple[int, int]]) -> Stylizer:
    """Replace `model`'s convolutions by ones with the recorded channel counts."""
    for name, (cin, cout) in shapes.items():
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        old = getattr(parent, child)
        if (old.in_channels, old.out_channels) == (cin, cout):
            continue
        depthwise = old.groups == old.in_channels and old.groups > 1
        setattr(parent, child, nn.Conv2d(cin, cout, old.kernel_size, old.stride, old.padding,
                                         old.dilation, groups=cin if depthwise else 1,
                                         bias=old.bias is not None))
    return model


def load_weights(path: Path) -> Stylizer:
    """A trained stylizer; a pruned one is rebuilt from its recorded channel counts."""
    saved = torch.load(path, weights_only=False)
    model = Stylizer(TIERS[saved["tier"]])
    state = saved["model"]
    if "shapes" in saved:
        model = reshape(model, saved["shapes"])
        state = {k.removeprefix("student."): v for k, v in state.items()
                 if k.startswith("student.")}
    model.load_state_dict(state)
    return model.eval()
