"""Where training runs: the GPU when one is there (or asked for), else the CPU."""

from __future__ import annotations

from typing import Any

import torch


def training_device(name: str = "auto") -> torch.device:
    """`auto`: the first CUDA device when PyTorch sees one, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda: PyTorch sees no CUDA device here "
                           "(a CPU build of torch, or no GPU); use --device cpu")
    return torch.device(name)


def cpu_state(module: torch.nn.Module) -> dict[str, Any]:
    """The module's weights on the CPU, so a checkpoint made on a GPU loads anywhere."""
    return {k: v.detach().cpu() for k, v in module.state_dict().items()}
