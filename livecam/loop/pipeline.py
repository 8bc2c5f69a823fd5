"""The live frame loop: capture → track → effect → output, each on its own thread, and each
sink on its own thread behind the output.

Tracking runs a frame ahead of the effect, so the frame rate is bounded by the slower of the
two rather than by their sum; while the effect is busy, tracking of the next frame starts only
when the effect is about to be done with this one, so no frame is tracked to be dropped and
none waits, growing older, for the effect.

Capture keeps only the newest frame (live mode), so a slow effect costs frame rate, never
latency; the output hands each frame to every sink's feed, so a slow sink costs only its own
frames. Every frame carries its capture time and the milliseconds of each stage. A lost source
is retried while its last frame keeps the sinks fed; a failing effect falls back to the camera
image; a failing sink is dropped while the others go on.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import cv2

from livecam.adapt.controller import ResolutionController
from livecam.clock import Clock, MonotonicClock
from livecam.effects.protocol import Adjustable, Effect, RemoteReporting
from livecam.errors import LivecamError, SinkError, SourceError, SourceLost
from livecam.frame import Face, Frame, FrameBGR
from livecam.loop.feeds import SinkFeed, SinkStats
from livecam.loop.privacy import Privacy, privacy_card
from livecam.loop.records import FrameRecord, RecordLog
from livecam.loop.slot import LatestSlot
from livecam.sinks.protocol import AudioBlock, OutputFrame, Sink
from livecam.sources.protocol import Source
from livecam.tracking.protocol import Tracker

log = logging.getLogger("livecam.loop")
T = TypeVar("T")
SMOOTHING = 0.2     # weight of the newest frame in the stage times' moving averages
COMMANDS_MAX = 64   # changes waiting for the next frame; more means frames stopped coming
OPEN_WAIT_S = 10.0  # how long the first frame waits for the outputs to open
FINISH_WAIT_S = 30.0  # how long the end of a run waits for a recording to write what it holds


@dataclass(frozen=True, slots=True)
class LoopSettings:
    """How the loop runs.

    Attributes:
        live: Drop stale frames to keep latency low; False processes every frame (offline).
        max_frames: Stop after reading this many frames from the source (None: until it ends).
        retry_interval_s: How often a lost source is reopened.
        keep_records: Keep every frame's record (benchmarks); otherwise only recent ones.
        preset: Preset name, for displays and records.
    """

    live: bool = True
    max_frames: int | None = None
    retry_interval_s: float = 1.0
    keep_records: bool = False
    preset: str = ""

    def __post_init__(self) -> None:
        if self.max_frames is not None and self.max_frames < 1:
            raise ValueError(f"max_frames must be at least 1, got {self.max_frames}")


CROSSFADE_FRAMES = 8   # about a quarter of a second at 30 fps


@dataclass(slots=True)
class _Work:
    frame: Frame
    record: FrameRecord
    faces: Sequence[Face] = ()
    image: FrameBGR | None = None
    processed_s: float = 0.0


class Pipeline:
    """Runs one source through a tracker and an effect into sinks.

    The pipeline owns none of its parts: the caller opens them and closes them after `run`.
    With a `controller`, an `Adjustable` effect's resolution follows it frame by frame;
    `audio_delay` tells the displays the delay the microphone passthrough applies.
    """

    def __init__(self, source: Source, tracker: Tracker, effect: Effect, sinks: Sequence[Sink],
                 settings: LoopSettings | None = None, clock: Clock | None = None,
                 controller: ResolutionController | None = None,
                 audio_delay: Callable[[], float] | None = None) -> None:
        self.audio_delay = audio_delay
        self.source = source
        self.tracker = tracker
        self.effect = effect
        self.sinks: list[Sink] = list(sinks)
        self.settings = settings or LoopSettings()
        self.clock = clock or MonotonicClock()
        self._knob: Adjustable | None = effect if isinstance(effect, Adjustable) else None
        self.controller = controller if self._knob is not None else None
        self.preset_name = self.settings.preset
        self.privacy: Privacy | None = None
        self._fade_from: FrameBGR | None = None
        self._fade_left = 0
        self._last_image: FrameBGR | None = None
        self._commands: list[tuple[Callable[[], Any], Future[Any]]] = []
        self._commands_lock = threading.Lock()
        self._processing = False
        self._sink_changes: list[tuple[bool, Sink]] = []
        self._sink_lock = threading.Lock()
        self._feeds: list[SinkFeed] = []
        self._done_feeds: list[SinkFeed] = []
        self.latest: OutputFrame | None = None
        self.records = RecordLog(keep_all=self.settings.keep_records)
        self.effect_on = True
        self.captured = 0
        self.repeated = 0
        self.errors: dict[str, int] = {}   # failures by part: "effect", "tracker"
        self.fault: str | None = None      # the last of them, for the displays
        self.sink_errors: dict[str, str] = {}
        self._stop = threading.Event()
        self._capture_slot: LatestSlot[_Work] = LatestSlot(self.settings.live)
        self._tracked_slot: LatestSlot[_Work] = LatestSlot(self.settings.live)
        self._output_slot: LatestSlot[_Work] = LatestSlot(self.settings.live)
        self._error: BaseException | None = None
        self._opened_sinks = False
        self._painting_since: float | None = None   # when the effect began the frame it paints
        self._track_ms = 0.0
        self._effect_ms = 0.0

    # control -----------------------------------------------------------------------------
    def stop(self) -> None:
        """Ask every thread to finish; safe from signal handlers and other threads."""
        self._stop.set()

    def submit(self, change: Callable[[], T]) -> Future[T]:
        """Queue a change to the running stream (effect on/off, privacy, the next face...).

        The processing thread applies it at the next frame boundary, so no part is changed
        while a frame is being made; when the loop is not processing (not started yet, or
        finished) it is applied at once. The future holds what `change` returned or raised.
        """
        done: Future[T] = Future()
        with self._commands_lock:
            if self._processing:
                if len(self._commands) >= COMMANDS_MAX:
                    done.set_exception(LivecamError(
                        f"{COMMANDS_MAX} changes are already waiting for the next frame; "
                        "is the source still delivering frames?"))
                else:
                    self._commands.append((change, done))
                return done
        _apply(change, done)
        return done

    def _apply_commands(self) -> None:
        with self._commands_lock:
            commands, self._commands = self._commands, []
        for change, done in commands:
            _apply(change, done)

    def _set_processing(self, on: bool) -> None:
        with self._commands_lock:
            self._processing = on
        if not on:   # whatever arrived while the last frame was made still happens
            self._apply_commands()

    def swap_effect(self, effect: Effect, preset: str,
                    controller: ResolutionController | None = None) -> Future[Effect]:
        """Hand over to a loaded, warmed-up effect at the next frame (a command like any
        other), with a short crossfade.

        Returns a future that resolves to the effect it replaced, for the caller to close off
        the processing thread.
        """
        return self.submit(lambda: self._install(effect, preset, controller))

    def add_sink(self, sink: Sink) -> None:
        """Start feeding a sink (a recording) from the next frame, on a thread of its own."""
        with self._sink_lock:
            self._sink_changes.append((True, sink))

    def remove_sink(self, sink: Sink) -> None:
        """Stop feeding a sink; it writes what it holds and closes on its own thread."""
        with self._sink_lock:
            self._sink_changes.append((False, sink))

    def push_audio(self, block: AudioBlock) -> None:
        """Hand a microphone block to every sink that takes sound; safe from any thread."""
        with self._sink_lock:
            feeds = list(self._feeds)
        for feed in feeds:
            feed.offer_audio(block)

    def sink_stats(self) -> dict[str, SinkStats]:
        """How each sink of this run kept up, the ones already finished included."""
        with self._sink_lock:
            feeds = self._done_feeds + self._feeds
        return {feed.name: feed.stats() for feed in feeds}

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    @property
    def dropped(self) -> int:
        return self._capture_slot.dropped + self._tracked_slot.dropped + self._output_slot.dropped

    def run(self) -> RecordLog:
        """Run until the source ends, `max_frames` is reached or `stop` is called.

        Raises:
            LivecamError: a fatal source error, or every sink failing.
        """
        threads = [threading.Thread(target=self._guard, args=(fn,), name=f"livecam-{name}",
                                    daemon=True)
                   for name, fn in (("capture", self._capture_loop),
                                    ("track", self._track_loop),
                                    ("process", self._process_loop),
                                    ("output", self._output_loop))]
        for thread in threads:
            thread.start()
        try:
            while any(t.is_alive() for t in threads):
                for thread in threads:
                    thread.join(timeout=0.1)
        except KeyboardInterrupt:
            self.stop()
            for thread in threads:
                thread.join(timeout=5.0)
        if self._error is not None:
            raise self._error
        return self.records

    def _guard(self, fn: object) -> None:
        try:
            fn()  # type: ignore[operator]
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            if self._error is None:
                self._error = exc
            self.stop()
            for slot in (self._capture_slot, self._tracked_slot, self._output_slot):
                slot.close()

    # capture ---------------------------------------------------------------------------------
    def _capture_loop(self) -> None:
        last: FrameBGR | None = None
        lost_since: float | None = None
        next_retry_s = 0.0
        max_frames = self.settings.max_frames
        while not self._stop.is_set():
            if max_frames is not None and self.captured >= max_frames:
                break
            repeated = False
            try:
                if lost_since is not None:
                    if self.clock.now_s() < next_retry_s:
                        raise SourceLost("still lost")
                    self.source.reopen()
                    log.warning("%s is back after %.1f s", self.source.name,
                                self.clock.now_s() - lost_since)
                    lost_since = None
                image = self.source.read()
            except SourceLost as exc:
                if last is None:
                    raise SourceError(f"{self.source.name}: {exc}") from exc
                if lost_since is None:
                    lost_since = self.clock.now_s()
                    log.warning("%s; sending its last frame and retrying every %.0f s", exc,
                                self.settings.retry_interval_s)
                if self.clock.now_s() >= next_retry_s:
                    next_retry_s = self.clock.now_s() + self.settings.retry_interval_s
                self.clock.sleep_s(1.0 / max(self.source.fps, 1.0))
                image, repeated = last, True
            except SourceError as exc:
                if last is None or lost_since is None:
                    raise
                log.debug("reopen failed: %s", exc)
                self.clock.sleep_s(1.0 / max(self.source.fps, 1.0))
                image, repeated = last, True
            if image is None:
                break
            last = image
            now_s = self.clock.now_s()
            frame = Frame(image, self.captured, now_s, repeated)
            record = FrameRecord(index=self.captured, capture_s=now_s, width=frame.width,
                                 height=frame.height, repeated=repeated)
            self.captured += 1
            self.repeated += int(repeated)
            if not self._capture_slot.put(_Work(frame, record)):
                break
        self._capture_slot.close()

    # processing ------------------------------------------------------------------------------
    def _process_loop(self) -> None:
        self._set_processing(True)
        try:
            self._process_frames()
        finally:
            self._set_processing(False)

    def _track_loop(self) -> None:
        while True:
            self._wait_for_the_effect()
            work = self._capture_slot.get()
            if work is None:
                break
            rec = work.record
            start_s = self.clock.now_s()
            rec.stages_ms["queue"] = (start_s - rec.capture_s) * 1000.0
            if self.privacy is None:   # nothing of a private frame is looked at
                try:
                    work.faces = self.tracker.track(work.frame)
                except Exception as exc:  # noqa: BLE001 - whatever it is, the stream goes on
                    work.faces = []
                    self._fault("tracker", exc)
            work.processed_s = self.clock.now_s()
            rec.stages_ms["track"] = (work.processed_s - start_s) * 1000.0
            self._track_ms += SMOOTHING * (rec.stages_ms["track"] - self._track_ms)
            if not self._tracked_slot.put(work):
                break
        self._tracked_slot.close()

    def _wait_for_the_effect(self) -> None:
        """While the effect paints a frame, hold the next frame's tracking back until it will
        finish as the effect does (at most one frame interval)."""
        started_s = self._painting_since
        if started_s is None or not self.settings.live:
            return
        ready_s = started_s + (self._effect_ms - self._track_ms) / 1000.0
        wait_s = min(ready_s - self.clock.now_s(), 1.0 / max(self.source.fps, 1.0))
        if wait_s > 0:
            self._stop.wait(wait_s)

    def _process_frames(self) -> None:
        dropped_seen = 0
        while True:
            work = self._tracked_slot.get()
            if work is None:
                break
            rec = work.record
            start_s = self.clock.now_s()
            rec.stages_ms["queue"] += (start_s - work.processed_s) * 1000.0   # waited for us
            dropped = self._capture_slot.dropped + self._tracked_slot.dropped
            rec.dropped_before, dropped_seen = dropped - dropped_seen, dropped
            self._apply_commands()
            rec.preset = self.preset_name
            privacy = self.privacy
            if privacy is not None:
                rec.privacy, rec.effect_on = True, False
                rec.stages_ms["effect"] = 0.0
                work.faces = []
                work.image, work.processed_s = self._private_image(work.frame, privacy), start_s
                if not self._output_slot.put(work):
                    break
                continue
            faces = work.faces
            rec.faces = len(faces)
            rec.effect_on = self.effect_on
            image = work.frame.image
            effect_s = self.clock.now_s()
            if self.effect_on:
                self._painting_since = effect_s
                try:
                    image = self.effect.apply(work.frame, faces)
                except Exception as exc:  # noqa: BLE001 - whatever it is, the stream goes on
                    image = work.frame.image
                    self._fault("effect", exc)
                self._painting_since = None
            done_s = self.clock.now_s()
            rec.stages_ms["effect"] = (done_s - effect_s) * 1000.0
            self._effect_ms += SMOOTHING * (rec.stages_ms["effect"] - self._effect_ms)
            if self.effect_on and self._knob is not None:
                rec.resolution = self._knob.resolution
                rec.background_width = self._knob.background_width
                self._adapt(rec, self._knob)
            image = self._crossfade(image)
            self._last_image = image
            work.image, work.processed_s = image, done_s
            if not self._output_slot.put(work):
                break
            if self._stop.is_set() and self.settings.live:
                break
        self._output_slot.close()

    def _fault(self, part: str, exc: Exception) -> None:
        """Count a failure of the tracker or the effect; say it once per kind of error."""
        self.errors[part] = self.errors.get(part, 0) + 1
        name = self.effect.name if part == "effect" else "tracking"
        message = f"{name} failed ({type(exc).__name__}: {exc}); the camera image goes out"
        if message != self.fault:
            log.error("%s", message, exc_info=not isinstance(exc, LivecamError))
        self.fault = message

    @property
    def remote(self) -> str | None:
        """Where the running effect's models run, when a server was set for them."""
        effect = self.effect
        return effect.remote if isinstance(effect, RemoteReporting) else None

    @property
    def effect_errors(self) -> int:
        return self.errors.get("effect", 0)

    def _install(self, effect: Effect, preset: str,
                 controller: ResolutionController | None) -> Effect:
        old = self.effect
        self.effect = effect
        self._knob = effect if isinstance(effect, Adjustable) else None
        self.controller = controller if self._knob is not None else None
        log.info("switched to '%s'", preset)
        self.preset_name = preset
        if self._last_image is not None:
            self._fade_from, self._fade_left = self._last_image, CROSSFADE_FRAMES
        return old

    def _crossfade(self, image: FrameBGR) -> FrameBGR:
        """Blend the last frame of the previous effect into the first ones of the new."""
        if self._fade_left <= 0 or self._fade_from is None:
            return image
        self._fade_left -= 1
        if self._fade_from.shape != image.shape:
            return image
        weight = (self._fade_left + 1) / (CROSSFADE_FRAMES + 1)
        return cv2.addWeighted(self._fade_from, weight, image, 1.0 - weight, 0.0)

    def _private_image(self, frame: Frame, privacy: Privacy) -> FrameBGR:
        if privacy == "freeze" and self._last_image is not None:
            return self._last_image
        return privacy_card(frame.width, frame.height)

    def _adapt(self, rec: FrameRecord, knob: Adjustable) -> None:
        if self.controller is None:
            return
        level = self.controller.observe(rec.index, rec.stages_ms["track"],
                                        rec.stages_ms["effect"], rec.dropped_before)
        if level is not None:
            knob.set_resolution(level.face_side, level.background_width)
            log.info("resolution %d px face, %d px background (%s)", level.face_side,
                     level.background_width, self.controller.changes[-1].reason)

    # output ----------------------------------------------------------------------------------
    def _feed(self, sink: Sink, frame: Frame) -> SinkFeed:
        feed = SinkFeed(sink, self.clock, self.settings.live, self.stop)
        feed.start(frame.width, frame.height, self.source.fps)
        with self._sink_lock:
            self._feeds.append(feed)
        return feed

    def _open_sinks(self, frame: Frame) -> None:
        self._opened_sinks = True
        feeds = [self._feed(sink, frame) for sink in self.sinks]
        for feed in feeds:
            feed.opened.wait(OPEN_WAIT_S)
        self._prune_feeds()
        if feeds and not self._feeds:
            raise SinkError("no output could be opened: " + "; ".join(self.sink_errors.values()))

    def _prune_feeds(self) -> None:
        """Take failed sinks out of the fan-out, keeping why they failed."""
        with self._sink_lock:
            failed = [feed for feed in self._feeds if not feed.alive]
            for feed in failed:
                self._feeds.remove(feed)
                self._done_feeds.append(feed)
        for feed in failed:
            self.sink_errors[feed.name] = feed.error or "failed"

    def _output_loop(self) -> None:
        try:
            self._fan_out()
        finally:
            with self._sink_lock:
                feeds, self._feeds = self._feeds, []
                self._done_feeds += feeds
            for feed in feeds:
                feed.finish()
            for feed in self._done_feeds:
                feed.join(FINISH_WAIT_S)
            self._note_failures()

    def _fan_out(self) -> None:
        dropped_seen = 0
        while True:
            work = self._output_slot.get()
            if work is None:
                break
            if not self._opened_sinks:
                self._open_sinks(work.frame)
            self._apply_sink_changes(work.frame)
            rec = work.record
            start_s = self.clock.now_s()
            rec.stages_ms["handoff"] = (start_s - work.processed_s) * 1000.0
            rec.dropped_before += self._output_slot.dropped - dropped_seen
            dropped_seen = self._output_slot.dropped
            assert work.image is not None
            last = self.records.recent[-1] if self.records.recent else None
            out = OutputFrame(image=work.image, index=rec.index, capture_s=rec.capture_s,
                              fps=self.records.fps(), latency_ms=last.latency_ms if last else 0.0,
                              preset=rec.preset, effect_on=rec.effect_on,
                              faces=rec.faces, privacy=rec.privacy, resolution=rec.resolution,
                              audio_delay_ms=self.audio_delay() if self.audio_delay else None,
                              fault=self.fault, remote=self.remote)
            self.latest = out
            with self._sink_lock:
                feeds = list(self._feeds)
            for feed in feeds:
                feed.offer(out)
            rec.output_s = self.clock.now_s()
            rec.stages_ms["output"] = (rec.output_s - start_s) * 1000.0
            self.records.add(rec)
            self._prune_feeds()
            if not self._feeds and self.sink_errors:
                raise SinkError("every output failed: " + "; ".join(self.sink_errors.values()))

    def _note_failures(self) -> None:
        for feed in self._done_feeds:
            if feed.error is not None:
                self.sink_errors[feed.name] = feed.error

    def _apply_sink_changes(self, frame: Frame) -> None:
        with self._sink_lock:
            changes, self._sink_changes = self._sink_changes, []
        for add, sink in changes:
            if add:
                self._feed(sink, frame)
                log.info("%s started", sink.name)
                continue
            with self._sink_lock:
                feed = next((f for f in self._feeds if f.sink is sink), None)
                if feed is not None:
                    self._feeds.remove(feed)
                    self._done_feeds.append(feed)
            if feed is not None:
                feed.finish()
                log.info("%s finished", sink.name)


def _apply(change: Callable[[], T], done: Future[T]) -> None:
    try:
        done.set_result(change())
    except Exception as exc:   # the caller's to report; the stream goes on
        done.set_exception(exc)
