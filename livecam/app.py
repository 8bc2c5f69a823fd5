"""The composition root: builds the loop from a preset and the command line, runs it, cleans up."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from collections.abc import Iterator, Sequence

from livecam.bench.record import build_record, write_record
from livecam.clock import Clock
from livecam.effects.registry import build_effect
from livecam.loop.pipeline import LoopSettings, Pipeline
from livecam.loop.records import FrameRecord
from livecam.preset import Preset, load_preset
from livecam.sinks.factory import open_sink
from livecam.sinks.protocol import Sink
from livecam.sources.factory import SourceSpec, open_source
from livecam.sources.protocol import Source
from livecam.tracking.mediapipe_mesh import MediaPipeTracker
from livecam.tracking.protocol import Tracker

log = logging.getLogger("livecam")


@dataclass(frozen=True, slots=True)
class RunConfig:
    """Everything `livecam run` and `livecam bench` were asked to do.

    Attributes:
        source: Where frames come from.
        preset: Preset name or .toml path.
        sinks: Sink texts, e.g. ("virtualcam", "file:out.mp4").
        max_frames: Stop after this many source frames.
        bench_out: Write a benchmark record here when set.
        warmup_frames: Frames left out of the benchmark summary.
    """

    source: SourceSpec = field(default_factory=SourceSpec)
    preset: str = "passthrough"
    sinks: tuple[str, ...] = ("virtualcam",)
    max_frames: int | None = None
    bench_out: str | None = None
    warmup_frames: int = 30


@dataclass(frozen=True, slots=True)
class RunResult:
    """What a finished run reports."""

    records: Sequence[FrameRecord]
    captured: int
    dropped: int
    repeated: int
    sink_errors: dict[str, str]
    bench_path: Path | None
    summary: dict[str, Any]


@contextlib.contextmanager
def _stop_on_sigterm(pipeline: Pipeline) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda *_: pipeline.stop())
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(config: RunConfig, *, source: Source | None = None, tracker: Tracker | None = None,
        sinks: Sequence[Sink] | None = None, clock: Clock | None = None) -> RunResult:
    """Open the source, tracker, effect and sinks, run the loop, and close everything.

    Parts passed in (tests, tools) are used instead of the ones the config names, and are
    closed here too.
    """
    preset: Preset = load_preset(config.preset)
    keep_records = config.bench_out is not None
    with contextlib.ExitStack() as stack:
        src = source or open_source(config.source, clock)
        stack.callback(src.close)
        outs = list(sinks) if sinks is not None else [open_sink(s) for s in config.sinks]
        for sink in outs:
            stack.callback(sink.close)
        trk = tracker or MediaPipeTracker(preset.tracking)
        stack.callback(trk.close)
        effect = build_effect(preset.effect, preset.effect_settings)
        stack.callback(effect.close)
        settings = LoopSettings(live=config.source.realtime, max_frames=config.max_frames,
                                keep_records=keep_records, preset=preset.name)
        pipeline = Pipeline(src, trk, effect, outs, settings, clock)
        with _stop_on_sigterm(pipeline):
            log.info("running %s through '%s' into %s", src.name, preset.name,
                     ", ".join(s.name for s in outs))
            records = pipeline.run()
    rows = records.all if keep_records else list(records.recent)
    bench_path = None
    record: dict[str, Any] = {}
    if config.bench_out is not None:
        cfg = asdict(config)
        cfg["source"] = config.source.text
        cfg["source_spec"] = asdict(config.source)
        cfg["effect"] = preset.effect
        cfg["source_fps"] = src.fps
        record = build_record(cfg, rows, pipeline.captured, config.warmup_frames)
        bench_path = write_record(config.bench_out, record)
    return RunResult(records=rows, captured=pipeline.captured, dropped=pipeline.dropped,
                     repeated=pipeline.repeated, sink_errors=dict(pipeline.sink_errors),
                     bench_path=bench_path, summary=record.get("summary", {}))
