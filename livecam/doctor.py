"""`livecam doctor`: what this machine offers livecam, and the fix for whatever is missing."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from collections.abc import Callable

from livecam.sinks.virtualcam import driver_fix
from livecam.sources.camera import list_cameras

Status = Literal["ok", "warn", "fail"]

MEDIAPIPE_MODELS = (
    "modules/face_landmark/face_landmark_with_attention.tflite",
    "modules/face_detection/face_detection_short_range.tflite",
    "modules/face_detection/face_detection_full_range_sparse.tflite",
    "modules/selfie_segmentation/selfie_segmentation.tflite",
)


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the report: what was checked, how it went, and what to do."""

    name: str
    status: Status
    detail: str
    fix: str = ""


def check_cameras() -> Check:
    found = list_cameras()
    if found:
        return Check("cameras", "ok", ", ".join(found))
    return Check("cameras", "warn", "no camera found",
                 "plug in a webcam, or use '--source demo' or a video file")


def check_virtual_camera() -> Check:
    try:
        import pyvirtualcam  # noqa: PLC0415

        with pyvirtualcam.Camera(640, 480, 30, fmt=pyvirtualcam.PixelFormat.BGR) as cam:
            return Check("virtual camera", "ok", f"{cam.backend} at {cam.device}")
    except (RuntimeError, ValueError, ImportError) as exc:
        return Check("virtual camera", "fail", str(exc).splitlines()[0], driver_fix())


def check_onnxruntime() -> Check:
    try:
        import onnxruntime  # noqa: PLC0415
    except ImportError:
        return Check("onnxruntime", "fail", "not installed", "pip install onnxruntime")
    providers = onnxruntime.get_available_providers()
    return Check("onnxruntime", "ok", f"{onnxruntime.__version__}: {', '.join(providers)}")


def check_mediapipe() -> Check:
    try:
        import mediapipe  # noqa: PLC0415
    except ImportError:
        return Check("mediapipe", "fail", "not installed", "pip install mediapipe==0.10.21")
    root = Path(mediapipe.__file__).parent
    missing = [m for m in MEDIAPIPE_MODELS if not (root / m).is_file()]
    if missing:
        return Check("mediapipe", "fail", f"{mediapipe.__version__} lacks {', '.join(missing)}",
                     "pip install mediapipe==0.10.21 (later releases ship no face models)")
    return Check("mediapipe", "ok", f"{mediapipe.__version__}, face mesh/detection/segmentation "
                 "models present")


def check_models() -> Check:
    from livecam.errors import ModelError  # noqa: PLC0415
    from livecam.inference.manifest import load_manifest, models_dir, verify  # noqa: PLC0415

    try:
        entries = load_manifest()
        for entry in entries.values():
            verify(entry, models_dir() / entry.file)
    except ModelError as exc:
        return Check("models", "fail", str(exc), "pip install --force-reinstall livecam (a "
                     "checkout: git checkout -- models), or set LIVECAM_MODELS")
    styles = sorted({f"{e.style} {e.tier}" for e in entries.values()})
    return Check("models", "ok", f"{len(entries)} files, sha256 verified ({', '.join(styles)})")


def check_compute(refresh: bool = False) -> Check:
    """The device profile: usable providers, each model variant's measured time, the choice."""
    from livecam.machine import cpu_model, usable_cores  # noqa: PLC0415
    from livecam.errors import ModelError  # noqa: PLC0415
    from livecam.inference.device_profile import (PROBE_SIDE, choose,  # noqa: PLC0415
                                                  load_profile)
    from livecam.inference.manifest import load_manifest  # noqa: PLC0415

    try:
        entries = load_manifest()
        styles = sorted({(e.family, e.style) for e in entries.values()})

        def variant(name: str) -> str:
            e = entries[name]
            pruned = f" pruned {e.pruned:.0%}" if e.pruned else ""
            return f"{e.tier}{pruned} {e.precision}"
        lines, measured = [], 0
        profile = None
        for family, style in styles:
            profile = load_profile(family, style, refresh=refresh and measured == 0)
            measured += profile.measured_now
            picked = choose(family, style)
            times = ", ".join(f"{variant(t.model)}/{t.provider} {t.ms:.1f}"
                              for t in sorted(profile.timings, key=lambda t: t.ms))
            lines.append(f"{style}: runs {variant(picked.entry.name)} on "
                         f"{picked.provider} ({times} ms at {PROBE_SIDE}²)")
    except ModelError as exc:
        return Check("compute", "fail", str(exc))
    assert profile is not None
    unusable = "".join(f"; {p} unusable: {why}" for p, why in profile.unusable.items())
    head = (f"{cpu_model()}, {usable_cores()} cores; providers: {', '.join(profile.providers)}"
            f"{unusable}; {'measured now' if measured else 'cached profile'} "
            "('livecam doctor --probe' measures again)")
    return Check("compute", "ok", "\n".join([head, *lines]))


def check_audio() -> Check:
    try:
        import sounddevice  # noqa: PLC0415, F401 - loads PortAudio
    except (ImportError, OSError) as exc:
        fix = ("sudo apt install libportaudio2" if sys.platform.startswith("linux")
               else "pip install --force-reinstall sounddevice")
        return Check("audio", "warn", f"PortAudio unavailable ({exc})", fix)
    from livecam.audio.devices import list_devices  # noqa: PLC0415

    devices = list_devices()
    inputs = [f"{d.index}: {d.name} ({d.default_rate} Hz)" for d in devices if d.inputs]
    outputs = [f"{d.index}: {d.name}" for d in devices if d.outputs]
    listing = ("inputs (--mic): " + ("; ".join(inputs) or "none") + "\noutputs (--mic-out): "
               + ("; ".join(outputs) or "none"))
    if not inputs:
        return Check("audio", "warn", listing, "plug in a microphone (optional: recordings "
                     "then carry silence)")
    return Check("audio", "ok", listing)


def check_folders() -> Check:
    from livecam.control.settings import config_path  # noqa: PLC0415
    from livecam.inference.manifest import models_dir  # noqa: PLC0415
    from livecam.paths import user_cache_dir, user_data_dir, user_preset_dir  # noqa: PLC0415

    return Check("folders", "ok", "\n".join([
        f"settings: {config_path()} ({'found' if config_path().is_file() else 'defaults'})",
        f"presets: {user_preset_dir()}", f"faces and own models: {user_data_dir()}",
        f"models in use: {models_dir()}", f"cache: {user_cache_dir()}"]))


CHECKS: tuple[Callable[[], Check], ...] = (check_folders, check_cameras, check_virtual_camera,
                                           check_onnxruntime,
                                           check_mediapipe, check_models, check_compute,
                                           check_audio)


def run_checks(probe: bool = False) -> list[Check]:
    """Every check; `probe` measures the models again instead of reading the profile."""
    return [check_compute(refresh=True) if check is check_compute and probe else check()
            for check in CHECKS]


def format_checks(checks: list[Check]) -> str:
    marks = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}
    lines = []
    for c in checks:
        first, *more = c.detail.split("\n")
        lines.append(f"[{marks[c.status]}] {c.name:15s} {first}")
        lines.extend(f"       {'':15s} {line}" for line in more)
        if c.fix:
            lines.append(f"       {'':15s} fix: {c.fix}")
    return "\n".join(lines)
