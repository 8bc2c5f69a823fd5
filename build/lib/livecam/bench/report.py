"""Compares benchmark records: a text table and a PNG plot of frame time over each run."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from collections.abc import Sequence


def _get(d: dict[str, Any], *keys: str) -> float | None:
    for key in keys:
        if not isinstance(d, dict) or key not in d:
            return None
        d = d[key]
    return float(d) if isinstance(d, (int, float)) else None


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


COLUMNS = ("run", "source", "preset", "fps", "lat p50", "lat p95", "lat p99", "track p50",
           "effect p50", "dropped", "face px", "changes", "cores")


def _resolution_column(rec: dict[str, Any]) -> tuple[str, str]:
    """Face crop sides seen over the run ("192" or "160-256") and controller changes."""
    sides = sorted({f["resolution"] for f in rec["frames"] if f.get("resolution")})
    span = "-" if not sides else str(sides[0]) if len(sides) == 1 else f"{sides[0]}-{sides[-1]}"
    changes = rec.get("resolution_changes")
    return span, "off" if changes is None and sides else str(len(changes or []))


def comparison_table(runs: Sequence[tuple[str, dict[str, Any]]]) -> str:
    """One row per run: delivered fps, latency percentiles, stage medians, drops."""
    rows = [COLUMNS]
    for name, rec in runs:
        s = rec["summary"]
        cfg = rec.get("config", {})
        rows.append((
            name, str(cfg.get("source", "?")), str(cfg.get("preset", "?")),
            _fmt(_get(s, "delivered_fps")),
            _fmt(_get(s, "latency_ms", "p50")), _fmt(_get(s, "latency_ms", "p95")),
            _fmt(_get(s, "latency_ms", "p99")),
            _fmt(_get(s, "stages_ms", "track", "p50")),
            _fmt(_get(s, "stages_ms", "effect", "p50")),
            str(s.get("dropped_frames", "-")),
            *_resolution_column(rec),
            str(rec.get("machine", {}).get("cores", "-")),
        ))
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def plot_runs(runs: Sequence[tuple[str, dict[str, Any]]], path: str | Path) -> Path:
    """Latency and per-frame processing time over each run; resolution when an effect has one."""
    import matplotlib  # noqa: PLC0415 - only the report needs it

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    has_resolution = any(f.get("resolution") for _, rec in runs for f in rec["frames"])
    panels = 3 if has_resolution else 2
    fig, axes = plt.subplots(panels, 1, figsize=(10, 2.8 * panels), sharex=True)
    for name, rec in runs:
        frames = rec["frames"]
        t = [f["t_s"] for f in frames]
        axes[0].plot(t, [f["latency_ms"] for f in frames], lw=0.8, label=name)
        work = [f["stages_ms"].get("track", 0) + f["stages_ms"].get("effect", 0) for f in frames]
        axes[1].plot(t, work, lw=0.8, label=name)
        if has_resolution:
            (line,) = axes[2].step(t, [f.get("resolution") or 0 for f in frames], where="post",
                                   lw=1.0, label=name)
            axes[2].step(t, [f.get("background_width") or 0 for f in frames], where="post",
                         lw=0.8, ls="--", color=line.get_color())
    axes[0].set_ylabel("capture→output ms")
    axes[1].set_ylabel("track+effect ms")
    if has_resolution:
        axes[2].set_ylabel("face px (—)\nbackground px (--)")
    axes[-1].set_xlabel("time in run (s)")
    for ax in axes:
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, loc="upper right")
    axes[0].set_title("livecam benchmark: frame time over the run")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
