"""Summary statistics of a run: delivered fps and percentiles of latency and of each stage."""

from __future__ import annotations

from typing import Any
from collections.abc import Sequence

import numpy as np

from livecam.loop.records import FrameRecord

PERCENTILES = (50, 95, 99)


def _stats(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {}
    arr = np.asarray(values, dtype=np.float64)
    out = {f"p{p}": float(np.percentile(arr, p)) for p in PERCENTILES}
    out["mean"] = float(arr.mean())
    out["max"] = float(arr.max())
    return out


def summarize(records: Sequence[FrameRecord], captured: int, warmup_frames: int = 0
              ) -> dict[str, Any]:
    """Delivered fps and latency/stage percentiles, skipping the first `warmup_frames`.

    Args:
        records: Delivered frames in order.
        captured: Frames read from the source (delivered + dropped).
        warmup_frames: Frames left out of the statistics (model and cache warm-up).
    """
    rows = list(records[warmup_frames:])
    if len(rows) < 2:
        return {"delivered_frames": len(records), "captured_frames": captured}
    span_s = rows[-1].output_s - rows[0].output_s
    stages = sorted({k for r in rows for k in r.stages_ms})
    return {
        "delivered_frames": len(records),
        "captured_frames": captured,
        "warmup_frames": warmup_frames,
        "dropped_frames": int(sum(r.dropped_before for r in rows)),
        "repeated_frames": int(sum(r.repeated for r in rows)),
        "delivered_fps": (len(rows) - 1) / span_s if span_s > 0 else 0.0,
        "latency_ms": _stats([r.latency_ms for r in rows]),
        "stages_ms": {s: _stats([r.stages_ms.get(s, 0.0) for r in rows]) for s in stages},
        "faces_mean": float(np.mean([r.faces for r in rows])),
        "switches": preset_switches(records),
    }


SWITCH_WINDOW = 30   # frames either side of a preset switch that count as "during" it


def preset_switches(records: Sequence[FrameRecord]) -> list[dict[str, Any]]:
    """Each preset switch: where, from and to, and the frames dropped and the worst latency
    within SWITCH_WINDOW frames either side (a seamless switch drops none)."""
    switches = []
    for i in range(1, len(records)):
        before, after = records[i - 1].preset, records[i].preset
        if before == after:
            continue
        window = records[max(0, i - SWITCH_WINDOW):i + SWITCH_WINDOW]
        switches.append({"frame": records[i].index, "from": before, "to": after,
                         "dropped_around": int(sum(r.dropped_before for r in window)),
                         "latency_max_ms": float(max(r.latency_ms for r in window))})
    return switches
