"""The resolution controller under injected, deterministic load (no real delays)."""

from __future__ import annotations

import numpy as np
import pytest

from livecam.adapt.controller import ControllerSettings, ResolutionController
from livecam.adapt.ladder import QUALITY_BOUNDS, Bounds, Level, build_ladder, nearest_level
from livecam.clock import FakeClock
from livecam.frame import Frame
from livecam.loop.pipeline import LoopSettings, Pipeline
from livecam.sinks.null import NullSink

LADDER = build_ladder(QUALITY_BOUNDS["balanced"])
INTERVAL_MS = 1000 / 30
TRACK_MS = 6.0
REFERENCE = Level(192, 256).cost()


def effect_ms(level: Level, load: float, power: float = 1.0) -> float:
    """Injected effect time: 10 ms at 192/256 unloaded, 4 ms of it fixed (warping, pasting),
    the rest growing with the pixels it paints (as measured here, see benchmarks/README)."""
    return (4.0 + 6.0 * (level.cost() / REFERENCE) ** power) * load


def simulate(controller: ResolutionController, load, frames: int, power: float = 1.0
             ) -> list[int]:
    """Feeds the controller the stage times a machine under `load(frame)` would measure;
    a frame whose work overruns the interval makes the next one count as dropped."""
    trace, late = [], False
    for i in range(frames):
        work = effect_ms(controller.level, load(i), power)
        controller.observe(i, TRACK_MS, work, dropped=int(late))
        late = TRACK_MS + work > INTERVAL_MS
        trace.append(controller.index)
    return trace


def busy_ms(index: int, load: float) -> float:
    return TRACK_MS + effect_ms(LADDER[index], load)


def test_ladder_follows_the_quality_bounds():
    for quality, bounds in QUALITY_BOUNDS.items():
        ladder = build_ladder(bounds)
        assert ladder[0] == Level(bounds.face_min, bounds.background_min), quality
        assert ladder[-1] == Level(bounds.face_max, bounds.background_max), quality
        assert all(a.cost() < b.cost() for a, b in zip(ladder, ladder[1:]))
        assert all(lv.face_side % 32 == 0 and lv.background_width % 32 == 0 for lv in ladder)
    with pytest.raises(ValueError, match="multiples of 32"):
        Bounds(100, 192, 128, 256)
    assert LADDER[nearest_level(LADDER, 250)].face_side == 256


def test_settles_within_ten_frames_after_a_step_up_in_load():
    controller = ResolutionController(LADDER, nearest_level(LADDER, 256))
    trace = simulate(controller, lambda i: 1.0 if i < 300 else 2.5, 1200)
    assert len(set(trace[200:300])) == 1    # unloaded: found its rung and stays
    settled = trace[310]
    assert settled < trace[299]
    assert all(t == settled for t in trace[310:]), "settled by frame 310 and stays there"
    assert busy_ms(settled, 2.5) <= INTERVAL_MS    # the rung it settled on fits the frame
    assert busy_ms(settled + 1, 2.5) > 0.7 * INTERVAL_MS   # and it did not undershoot


def test_recovers_resolution_when_the_load_goes_away():
    controller = ResolutionController(LADDER, nearest_level(LADDER, 256))
    trace = simulate(controller, lambda i: 2.5 if 300 <= i < 600 else 1.0, 1600)
    start = trace[299]
    assert max(trace[320:600]) < start
    trace = trace[200:]   # as if the load came at 100 and went at 400
    back = next(i for i in range(400, 1400) if trace[i] == start)
    assert back - 400 <= 450, f"took {back - 400} frames (15 s at 30 fps) to recover"
    assert all(t == start for t in trace[back:])


@pytest.mark.parametrize("load", [1.4, 1.8, 2.2, 2.6, 3.2])
@pytest.mark.parametrize("power", [1.0, 1.5])
def test_does_not_oscillate_under_constant_load(load, power):
    """Even when the real cost grows faster than its model predicts (power 1.5)."""
    controller = ResolutionController(LADDER, len(LADDER) - 1)
    trace = simulate(controller, lambda i: load, 9000, power)   # five minutes
    assert len(controller.changes) <= 4
    assert len(set(trace[1800:])) == 1, "one rung for the last four minutes"
    dropped_late = sum(TRACK_MS + effect_ms(LADDER[t], load, power) > INTERVAL_MS
                       for t in trace[1800:])
    assert dropped_late == 0


def test_ignores_the_warm_up_and_learns_the_fixed_cost():
    controller = ResolutionController(LADDER, nearest_level(LADDER, 256))
    for i in range(controller.settings.warmup_frames):   # model warm-up, ten times slower
        controller.observe(i, TRACK_MS, 100.0)
    assert not controller.changes
    simulate(controller, lambda i: 1.0 if i < 100 else 2.5, 400)
    assert controller.changes
    assert 0.3 < controller.fixed_share < 0.6   # the model's 4 of 10 ms at the reference


def test_respects_the_quality_bounds_at_both_ends():
    ladder = build_ladder(QUALITY_BOUNDS["light"])
    controller = ResolutionController(ladder, 1)
    simulate(controller, lambda i: 0.1, 3000)
    assert controller.level == Level(192, 256)        # no load: the top of light, no more
    simulate(controller, lambda i: 50.0, 300)
    assert controller.level == Level(128, 128)        # hopeless load: the bottom, no less


def test_drops_count_as_late_even_when_averages_look_fine():
    controller = ResolutionController(LADDER, 4, ControllerSettings(down_frames=2,
                                                                    warmup_frames=0))
    for i in range(10):
        controller.observe(i, TRACK_MS, 5.0, dropped=1)
    assert controller.index < 4 and "dropped" in controller.changes[0].reason


class SlowEffect:
    """An adjustable effect whose cost is injected through a fake clock."""

    name = "slow"

    def __init__(self, clock: FakeClock, load: float) -> None:
        self.clock, self.load = clock, load
        self.resolution, self.background_width = 320, 384

    def set_resolution(self, face_side: int, background_width: int) -> None:
        self.resolution, self.background_width = face_side, background_width

    def apply(self, frame, faces):
        self.clock.advance_s(effect_ms(Level(self.resolution, self.background_width),
                                       self.load) / 1000)
        return frame.image

    def close(self) -> None:
        pass


class Frames:
    name, fps = "frames", 30.0

    def __init__(self, count: int) -> None:
        self.left = count

    def read(self):
        self.left -= 1
        return np.zeros((36, 64, 3), np.uint8) if self.left >= 0 else None

    def reopen(self):
        pass

    def close(self):
        pass


class NoFaces:
    def track(self, frame: Frame):
        return []

    def close(self):
        pass


def test_pipeline_turns_the_effects_knob_and_records_it():
    clock = FakeClock()
    effect = SlowEffect(clock, load=2.5)
    controller = ResolutionController(LADDER, len(LADDER) - 1)
    pipeline = Pipeline(Frames(60), NoFaces(), effect, [NullSink()],
                        LoopSettings(live=False, keep_records=True), clock, controller)
    records = pipeline.run().all
    assert records[0].resolution == 320 and records[0].background_width == 384
    assert records[-1].resolution < 320 and controller.changes
    assert records[-1].resolution == controller.level.face_side == effect.resolution
    assert records[-1].stages_ms["effect"] + records[-1].stages_ms["track"] <= INTERVAL_MS


def test_the_settled_rung_is_kept_per_kind_and_machine(monkeypatch, tmp_path, caplog):
    from livecam.adapt import settled

    monkeypatch.setenv("LIVECAM_HOME", str(tmp_path))
    anime = settled.StreamKind("anime", "balanced", 1280, 720, 30.0)
    fairy = settled.StreamKind("fairy-tale", "balanced", 1280, 720, 30.0)
    assert settled.recall(anime) is None
    settled.remember(anime, 128)
    settled.remember(fairy, 192)
    assert (settled.recall(anime), settled.recall(fairy)) == (128, 192)
    assert settled.recall(settled.StreamKind("anime", "balanced", 1920, 1080, 30.0)) is None
    monkeypatch.setattr(settled, "cpu_model", lambda: "another CPU")
    assert settled.recall(anime) is None   # measured on another machine
    monkeypatch.undo()
    monkeypatch.setenv("LIVECAM_HOME", str(tmp_path))
    (tmp_path / "cache" / settled.FILE).write_text("{not json")
    assert settled.recall(anime) is None   # damaged: start from the preset, then rewrite
    settled.remember(anime, 160)
    assert settled.recall(anime) == 160
    monkeypatch.setenv("LIVECAM_HOME", str(tmp_path / settled.FILE))   # a file, not a folder
    (tmp_path / settled.FILE).write_text("")
    settled.remember(anime, 128)   # not kept, and says so
    assert "could not keep the settled resolution" in caplog.text


def test_a_stream_starts_where_the_last_one_of_its_kind_settled(monkeypatch, tmp_path):
    from livecam import app
    from livecam.adapt import settled
    from livecam.sources.factory import SourceSpec

    monkeypatch.setenv("LIVECAM_HOME", str(tmp_path))
    kind = settled.StreamKind("fairy-tale", "balanced", 1280, 720, 30.0)
    settled.remember(kind, 160)

    def stream(frames: int, start: bool = True):
        config = app.RunConfig(source=SourceSpec("demo", realtime=False), preset="fairy-tale",
                               sinks=(), max_frames=frames, bench_out=str(tmp_path / "b.json"),
                               warmup_frames=0, settled_start=start)
        return app.run(config, source=Frames(frames), tracker=NoFaces(),
                       sinks=[NullSink()]).records

    records = stream(settled.MIN_FRAMES + 10)
    assert records[0].resolution == 160
    assert settled.recall(kind) == records[-1].resolution   # where this one ended
    settled.remember(kind, 192)
    assert stream(settled.MIN_FRAMES - 10)[0].resolution == 192
    assert settled.recall(kind) == 192   # too short a stream to say where it settles
    assert stream(10, start=False)[0].resolution == 256   # benchmarks: the preset's own
