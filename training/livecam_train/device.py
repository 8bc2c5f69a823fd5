"""Where training runs: the GPU when one is there (or asked for), else the CPU; and in which
float precision."""

from __future__ import annotations

from functools import cache
from pathlib import Path
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


@cache
def bf16_is_native(kind: str) -> bool:
    """Whether the device kind ("cpu", "cuda") computes in bfloat16 natively: a CPU without
    bfloat16 instructions emulates it, far slower than float32 (benchmarks/README.md)."""
    if kind == "cuda":
        return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    try:
        flags = set(Path("/proc/cpuinfo").read_text(encoding="utf-8").split())
    except OSError:   # not Linux: float32, the precision that is never slow
        return False
    return bool(flags & {"avx512_bf16", "amx_bf16"})


def mixed_precision(device: torch.device) -> torch.autocast:
    """bfloat16 autocast where the device has bfloat16 arithmetic, else float32 throughout."""
    return torch.autocast(device.type, dtype=torch.bfloat16,
                          enabled=bf16_is_native(device.type))
