"""The live resolution controller: lower the resolution before frames are dropped, raise it
back slowly when the machine has room.

It watches the time a frame spends in tracking plus the effect (most of its latency; the two
run on their own threads) against the frame interval. Down: when the smoothed time stays
above `down_share` of the interval for `down_frames` frames, or frames are dropped, it
jumps straight to the highest rung its cost model predicts will fit (several rungs at once
if needed). Up: one rung at a time, only after `up_frames` frames in a row in which the next
rung is predicted to fit under the lower `up_share`; a rung the controller had to leave waits
twice as long each time (back-off, one step forgiven per calm spell of 4 × `up_frames`), so a
load that sits just between two rungs does not make it oscillate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from livecam.adapt.ladder import Level


@dataclass(frozen=True, slots=True)
class ControllerSettings:
    """How the controller reacts.

    Attributes:
        target_fps: Frame rate to hold (the source's, or the one asked for).
        down_share: Smoothed busy time above this share of the frame interval is "late".
        up_share: Step up only when the next rung is predicted under this share.
        down_frames: Late frames in a row before stepping down.
        up_frames: Comfortable frames in a row before stepping up (first time for a rung).
        settle_frames: Frames ignored after a change, while the new resolution takes effect.
        warmup_frames: Frames ignored at the start: the first runs of the models and the
            tracker allocate; after them the times are steady, and every frame waited
            on an overloaded rung is a frame dropped.
        smoothing: Weight of the newest frame in the moving averages.
        fixed_share: First guess of the effect's cost that does not scale with resolution
            (warping, pasting, colour matching); learnt from each change after that.
    """

    target_fps: float = 30.0
    down_share: float = 0.9
    up_share: float = 0.7
    down_frames: int = 3
    up_frames: int = 90
    settle_frames: int = 5
    warmup_frames: int = 8
    smoothing: float = 0.3
    fixed_share: float = 0.3

    def __post_init__(self) -> None:
        if not 1.0 <= self.target_fps <= 240.0:
            raise ValueError(f"target fps must be 1 to 240, got {self.target_fps}")
        if not 0.0 < self.up_share < self.down_share <= 1.0:
            raise ValueError("need 0 < up_share < down_share <= 1")
        if not 0.0 <= self.fixed_share < 1.0:
            raise ValueError(f"fixed_share must be in [0, 1), got {self.fixed_share}")
        if (self.down_frames < 1 or self.up_frames < 1 or self.settle_frames < 0
                or self.warmup_frames < 0):
            raise ValueError("frame counts must be positive")
        if not 0.0 < self.smoothing <= 1.0:
            raise ValueError(f"smoothing must be in (0, 1], got {self.smoothing}")

    @property
    def interval_ms(self) -> float:
        return 1000.0 / self.target_fps


@dataclass(frozen=True, slots=True)
class Change:
    """One decision, kept for the benchmark record."""

    frame: int
    before: Level
    after: Level
    reason: str
    busy_ms: float


@dataclass(slots=True)
class _State:
    index: int
    track_ms: float | None = None
    effect_ms: float | None = None
    late: int = 0
    comfortable: int = 0
    since_change: int = 0
    since_down: int = 0
    backoff: dict[int, int] = field(default_factory=dict)
    fixed_share: float = 0.3
    left: tuple[float, float] | None = None   # (cost, effect ms) of the rung just left
    seen: int = 0   # frames observed


class ResolutionController:
    """Chooses a rung of `ladder` frame by frame.

    Args:
        ladder: Rungs from cheapest to dearest (see `build_ladder`).
        start: Index of the rung to start on.
        settings: Thresholds and target.
    """

    def __init__(self, ladder: tuple[Level, ...], start: int,
                 settings: ControllerSettings | None = None) -> None:
        if not ladder:
            raise ValueError("the ladder needs at least one rung")
        self.ladder = ladder
        self.settings = settings or ControllerSettings()
        self._s = _State(index=min(max(start, 0), len(ladder) - 1),
                         since_change=-self.settings.warmup_frames,
                         fixed_share=self.settings.fixed_share)
        self.changes: list[Change] = []

    @property
    def level(self) -> Level:
        return self.ladder[self._s.index]

    @property
    def index(self) -> int:
        return self._s.index

    @property
    def frames_seen(self) -> int:
        return self._s.seen

    @property
    def fixed_share(self) -> float:
        """The share of the effect's time that does not scale with resolution, as learnt."""
        return self._s.fixed_share

    def predicted_ms(self, index: int) -> float:
        """Busy time expected on rung `index`: tracking as measured; the effect split into a
        fixed part and a part proportional to the rung's pixel cost."""
        s = self._s
        if s.track_ms is None or s.effect_ms is None:
            return 0.0
        scale = self.ladder[index].cost() / self.level.cost()
        return s.track_ms + s.effect_ms * (s.fixed_share + (1 - s.fixed_share) * scale)

    def _learn_fixed_share(self) -> None:
        """Two rungs measured (the one left and this one) give effect = a + b·cost."""
        s = self._s
        if s.left is None or s.effect_ms is None:
            return
        cost0, effect0 = s.left
        cost1, effect1 = self.level.cost(), s.effect_ms
        s.left = None
        if abs(cost1 - cost0) < 1.0 or effect1 <= 0:
            return
        slope = (effect1 - effect0) / (cost1 - cost0)
        share = min(max((effect1 - slope * cost1) / effect1, 0.0), 0.8)
        s.fixed_share = 0.5 * s.fixed_share + 0.5 * share

    def observe(self, frame: int, track_ms: float, effect_ms: float,
                dropped: int = 0) -> Level | None:
        """Account for one processed frame; returns the new rung when it changes."""
        cfg, s = self.settings, self._s
        s.seen += 1
        s.since_change += 1
        s.since_down += 1
        if s.since_down >= 4 * cfg.up_frames and s.backoff:   # a calm spell forgives one step
            s.backoff = {i: n - 1 for i, n in s.backoff.items() if n > 1}
            s.since_down = 0
        if s.since_change <= cfg.settle_frames:
            s.track_ms, s.effect_ms = track_ms, effect_ms   # restart the averages here
            return None
        a = cfg.smoothing
        s.track_ms = track_ms if s.track_ms is None else (1 - a) * s.track_ms + a * track_ms
        s.effect_ms = effect_ms if s.effect_ms is None else (1 - a) * s.effect_ms + a * effect_ms
        if s.since_change == cfg.settle_frames + 10:
            self._learn_fixed_share()
        busy = s.track_ms + s.effect_ms
        interval = cfg.interval_ms
        if dropped > 0 or busy > cfg.down_share * interval:
            s.late += 1
            s.comfortable = 0
        else:
            s.late = 0
            up = s.index + 1
            fits = up < len(self.ladder) and self.predicted_ms(up) <= cfg.up_share * interval
            s.comfortable = s.comfortable + 1 if fits else 0
        if s.late >= cfg.down_frames and s.index > 0:
            goal = (cfg.down_share + cfg.up_share) / 2 * interval
            target = next((i for i in range(s.index - 1, -1, -1)
                           if self.predicted_ms(i) <= goal), 0)
            s.backoff[s.index] = min(s.backoff.get(s.index, 0) + 1, 4)
            s.since_down = 0
            reason = "dropped frames" if dropped else f"busy {busy:.1f} ms"
            return self._move(frame, target, reason, busy)
        up = s.index + 1
        if up < len(self.ladder) and s.comfortable >= cfg.up_frames * 2 ** s.backoff.get(up, 0):
            return self._move(frame, up, f"room: next rung predicted "
                              f"{self.predicted_ms(up):.1f} ms", busy)
        return None

    def _move(self, frame: int, index: int, reason: str, busy_ms: float) -> Level:
        s = self._s
        before = self.level
        if s.effect_ms is not None:
            s.left = (before.cost(), s.effect_ms)
        s.index = index
        s.late = s.comfortable = s.since_change = 0
        self.changes.append(Change(frame, before, self.level, reason, busy_ms))
        return self.level
