"""Where the resolution controller settled on this machine, so that the next stream starts
there.

A stream that starts on a rung the machine cannot hold drops frames until the controller steps
down: on a 2-core machine the looks' presets ask for 256 px and hold 128 px, and every start
lost its first second. The rung a stream ended on is kept in the user's cache folder, per
machine, preset, quality mode and frame size, and the next `livecam run` of that kind starts
on it; the controller still climbs from there when the machine has room, and a changed machine
(another CPU or core count) starts from the preset again.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from livecam.machine import cpu_model, usable_cores
from livecam.paths import user_cache_dir

log = logging.getLogger("livecam.adapt")
FILE = "settled-rungs.json"
MIN_FRAMES = 60   # a stream shorter than this says nothing about where it would settle


@dataclass(frozen=True, slots=True)
class StreamKind:
    """What the rung a stream settles on depends on, besides the machine."""

    preset: str
    quality: str
    width: int
    height: int
    fps: float

    @property
    def key(self) -> str:
        return f"{self.preset}|{self.quality}|{self.width}x{self.height}@{self.fps:g}"


def _path() -> Path:
    return user_cache_dir() / FILE


def _machine() -> dict[str, Any]:
    return {"cpu": cpu_model(), "cores": usable_cores()}


def _read() -> dict[str, int]:
    """The rungs kept for this machine; anything unreadable or another machine's is none."""
    try:
        data = json.loads(_path().read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    if not isinstance(data, dict) or data.get("machine") != _machine():
        return {}
    rungs = data.get("rungs")
    if not isinstance(rungs, dict):
        return {}
    return {k: v for k, v in rungs.items()
            if isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)}


def recall(kind: StreamKind) -> int | None:
    """The face side a stream of this kind last settled on here, if any."""
    return _read().get(kind.key)


def remember(kind: StreamKind, face_side: int) -> None:
    """Keep `face_side` as where streams of this kind start; a cache that cannot be written
    costs the next start its first second, nothing else."""
    rungs = _read()
    rungs[kind.key] = int(face_side)
    path = _path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"machine": _machine(), "rungs": rungs}, indent=1),
                        encoding="utf-8")
    except OSError as exc:
        log.warning("could not keep the settled resolution in %s (%s)", path, exc)
