"""Writing and reading a benchmark record (one JSON file per run)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from collections.abc import Sequence

from livecam.bench.machine import machine_info
from livecam.bench.summary import summarize
from livecam.errors import BenchError
from livecam.loop.records import FrameRecord

FORMAT_VERSION = 1


def build_record(config: dict[str, Any], records: Sequence[FrameRecord], captured: int,
                 warmup_frames: int) -> dict[str, Any]:
    """The whole record: machine, configuration, per-frame rows and summary."""
    t0 = records[0].capture_s if records else 0.0
    rows = []
    for r in records:
        row = r.as_row()
        row["t_s"] = r.capture_s - t0
        rows.append(row)
    return {
        "format": FORMAT_VERSION,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine_info(),
        "config": config,
        "summary": summarize(records, captured, warmup_frames),
        "frames": rows,
    }


def write_record(path: str | Path, record: dict[str, Any]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1), encoding="utf-8")
    return path


def read_record(path: str | Path) -> dict[str, Any]:
    """Load a record, with a clear error for a missing or foreign file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BenchError(f"benchmark record not found: {path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BenchError(f"{path} is not a livecam benchmark record (not JSON: {exc})") from None
    if not isinstance(data, dict) or "summary" not in data or "frames" not in data:
        raise BenchError(f"{path} is not a livecam benchmark record (no summary/frames)")
    return data
