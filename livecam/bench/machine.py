"""What a benchmark ran on, so that runs from different machines are never confused."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata
from typing import Any

from livecam.machine import cpu_model, usable_cores

PACKAGES = ("livecam", "mediapipe", "onnxruntime", "onnxruntime-gpu", "opencv-contrib-python",
            "numpy", "numba", "pyvirtualcam", "sounddevice", "torch")


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
