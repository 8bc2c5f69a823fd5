"""What a benchmark ran on, so that runs from different machines are never confused."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata
from typing import Any

PACKAGES = ("livecam", "mediapipe", "onnxruntime", "onnxruntime-gpu", "opencv-contrib-python",
            "numpy", "numba", "pyvirtualcam", "sounddevice", "torch")


def cpu_model() -> str:
    """The CPU's marketing name where the OS tells it."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def usable_cores() -> int:
    """Cores this process may run on (the affinity mask, not the machine's total)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def onnx_providers() -> list[str]:
    try:
        import onnxruntime  # noqa: PLC0415 - optional at this point

        return list(onnxruntime.get_available_providers())
    except ImportError:
        return []


def machine_info() -> dict[str, Any]:
    """CPU, cores, OS, Python, package versions and onnxruntime providers."""
    return {
        "cpu": cpu_model(),
        "cores": usable_cores(),
        "cores_total": os.cpu_count(),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "packages": package_versions(),
        "onnxruntime_providers": onnx_providers(),
        "hostname": platform.node(),
    }
