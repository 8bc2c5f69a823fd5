"""The running stream's switches: one object that hotkeys, the control API and the preview
window all go through, so each does exactly the same thing.

Every change is a command handed to the loop's own thread and applied between two frames
(`Pipeline.submit`); no other thread writes into the running parts.

Switching presets never stalls the stream: the new preset's effect is built and warmed on a
loader thread while the old one keeps running, then handed to the loop at a frame boundary
(with a short crossfade). A preset that fails to load is reported and the stream stays on the
last good one.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable, Sequence

from livecam.adapt.controller import ResolutionController
from livecam.config_tables import did_you_mean
from livecam.control.settings import ServerSettings
from livecam.control.actions import Action
from livecam.effects.protocol import Effect, FaceCycling
from livecam.errors import ControlError, LivecamError
from livecam.loop.pipeline import Pipeline
from livecam.loop.privacy import Privacy
from livecam.audio.supply import SoundSupply
from livecam.loop.priority import lower_priority
from livecam.sinks.recording import Recording

log = logging.getLogger("livecam.control")
COMMAND_WAIT_S = 1.0   # how long an action waits for the frame that applies it

EffectBuilder = Callable[[str], tuple[Effect, ResolutionController | None]]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an action did, in words for a toast or a log line."""

    ok: bool
    message: str


class LiveControl:
    """Switches of one running pipeline.

    Args:
        pipeline: The running loop.
        presets: Preset names in hotkey order (1-9, next, previous).
        build: Builds and warms a preset's effect (and its resolution controller).
        settings: Privacy mode and recordings folder.
        sound: The microphone, for recordings with sound; None records the picture only.
    """

    def __init__(self, pipeline: Pipeline, presets: Sequence[str], build: EffectBuilder,
                 settings: ServerSettings | None = None, sound: SoundSupply | None = None
                 ) -> None:
        self.sound = sound
        self.pipeline = pipeline
        self.presets = list(presets)
        self.settings = settings or ServerSettings()
        self._build = build
        self._loader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="livecam-loader",
                                          initializer=lower_priority)
        self._lock = threading.Lock()
        self._generation = 0
        self.switching_to: str | None = None
        self.last_error: str | None = None
        self._failed: str | None = None   # the last preset that would not load
        self.recording: Recording | None = None
        self.switches = 0
        self._closed = False

    # actions ----------------------------------------------------------------------------------
    def perform(self, action: Action | str) -> Outcome:
        """Run an action (a hotkey, a window key, a timer); unknown names are refused."""
        try:
            action = Action(action)
        except ValueError:
            return Outcome(False, f"unknown action '{action}'"
                                  f"{did_you_mean(str(action), [a.value for a in Action])}")
        number = action.preset_number
        if number is not None:
            return self.preset_number(number)
        handlers: dict[Action, Callable[[], Outcome]] = {
            Action.TOGGLE_EFFECT: lambda: self.set_effect(None),
            Action.NEXT_PRESET: lambda: self.step_preset(1),
            Action.PREVIOUS_PRESET: lambda: self.step_preset(-1),
            Action.NEXT_FACE: self.next_face,
            Action.PRIVACY: lambda: self.set_privacy(None),
            Action.RECORD: lambda: self.set_recording(None)}
        return handlers[action]()

    def _change(self, change: Callable[[], Outcome]) -> Outcome:
        """Hand `change` to the loop's own thread (applied at the next frame boundary) and
        wait a little for what it did."""
        done = self.pipeline.submit(change)
        try:
            return done.result(timeout=COMMAND_WAIT_S)
        except FutureTimeout:
            return Outcome(True, "queued: applied with the next frame")
        except LivecamError as exc:
            return Outcome(False, str(exc))

    def set_effect(self, on: bool | None) -> Outcome:
        """Effect on, off (bypass: the camera image goes out), or toggled (None)."""
        def change() -> Outcome:
            self.pipeline.effect_on = (not self.pipeline.effect_on) if on is None else on
            return Outcome(True, f"effect {'on' if self.pipeline.effect_on else 'off'}")
        return self._change(change)

    def set_privacy(self, on: bool | None) -> Outcome:
        """Privacy card (or frozen frame) on, off, or toggled (None)."""
        mode: Privacy = "freeze" if self.settings.privacy == "freeze" else "card"

        def change() -> Outcome:
            want = (self.pipeline.privacy is None) if on is None else on
            self.pipeline.privacy = mode if want else None
            return Outcome(True, f"privacy {mode} {'on' if want else 'off'}")
        return self._change(change)

    def select_preset(self, name: str) -> Outcome:
        """Load `name` in the background and switch to it when it is ready."""
        if name not in self.presets:
            return Outcome(False, f"unknown preset '{name}'{did_you_mean(name, self.presets)}; "
                                  f"available: {', '.join(self.presets)}")
        with self._lock:
            current = self.switching_to or self.pipeline.preset_name
            if name == current:
                return Outcome(True, f"already on '{name}'")
            self._generation += 1
            generation = self._generation
            self.switching_to = name
        if self._closed:
            return Outcome(False, "livecam is stopping")
        self._loader.submit(self._load, name, generation)
        return Outcome(True, f"switching to '{name}'")

    def step_preset(self, step: int) -> Outcome:
        # after a preset that would not load, "next" moves past it rather than retrying it
        current = self.switching_to or self._failed or self.pipeline.preset_name
        index = self.presets.index(current) if current in self.presets else -1
        return self.select_preset(self.presets[(index + step) % len(self.presets)])

    def preset_number(self, number: int) -> Outcome:
        if not 1 <= number <= len(self.presets):
            return Outcome(False, f"no preset {number}: {len(self.presets)} are set up "
                                  f"({', '.join(self.presets)})")
        return self.select_preset(self.presets[number - 1])

    def next_face(self) -> Outcome:
        """Wear the next enrolled face (face-swap presets)."""
        def change() -> Outcome:
            effect = self.pipeline.effect
            if not isinstance(effect, FaceCycling):
                return Outcome(False, f"'{self.pipeline.preset_name}' uses no enrolled face")
            return Outcome(True, f"face: {effect.next_face()}")
        return self._change(change)

    def set_recording(self, on: bool | None) -> Outcome:
        """Start or stop recording the output to a new file in the recordings folder."""
        with self._lock:
            want = (self.recording is None) if on is None else on
            if want and self.recording is None:
                folder = self.settings.recordings_dir
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    return Outcome(False, f"cannot record into {folder}: {exc}; set [control] "
                                          "recordings in livecam.toml")
                with_sound = self.sound is not None and self.sound.enabled
                self.recording = Recording(folder / time.strftime("livecam-%Y%m%d-%H%M%S.mp4"),
                                           audio=with_sound)
                if with_sound:
                    assert self.sound is not None
                    self.sound.need()
                self.pipeline.add_sink(self.recording)
                return Outcome(True, f"recording to {self.recording.path}")
            if not want and self.recording is not None:
                sink, self.recording = self.recording, None
                self.pipeline.remove_sink(sink)
                return Outcome(True, f"recording saved to {sink.path}")
        return Outcome(True, "recording" if self.recording else "not recording")

    # state -------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """A JSON-able snapshot for the API, the panel and the window's display."""
        latest = self.pipeline.latest
        effect = self.pipeline.effect
        return {
            "preset": self.pipeline.preset_name,
            "presets": list(self.presets),
            "switching_to": self.switching_to,
            "effect_on": self.pipeline.effect_on,
            "privacy": self.pipeline.privacy is not None,
            "privacy_mode": self.settings.privacy,
            "recording": str(self.recording.path) if self.recording else None,
            "fps": round(latest.fps, 2) if latest else 0.0,
            "latency_ms": round(latest.latency_ms, 2) if latest else 0.0,
            "mic_delay_ms": (round(latest.audio_delay_ms, 1)
                             if latest and latest.audio_delay_ms is not None else None),
            "microphone": self.sound.status if self.sound is not None else "off",
            "faces": latest.faces if latest else 0,
            "resolution": getattr(effect, "resolution", None),
            "background_width": getattr(effect, "background_width", None),
            "frames": self.pipeline.records.delivered,
            "dropped": self.pipeline.dropped,
            "switches": self.switches,
            "last_error": self.last_error,
            "errors": dict(self.pipeline.errors),
            "fault": self.pipeline.fault,
            "remote": self.pipeline.remote,
        }

    # loading -----------------------------------------------------------------------------------
    def _load(self, name: str, generation: int) -> None:
        try:
            effect, controller = self._build(name)
        except Exception as exc:  # noqa: BLE001 - a broken preset or model file, whatever it is
            why = str(exc) if isinstance(exc, LivecamError) else f"{type(exc).__name__}: {exc}"
            log.error("could not switch to '%s' (%s); staying on '%s'", name, why,
                      self.pipeline.preset_name)
            with self._lock:
                if generation == self._generation:
                    self.switching_to = None
                    self._failed = name
                    self.last_error = f"could not switch to '{name}': {why}"
            return
        with self._lock:
            superseded = generation != self._generation or self._closed
        if superseded:
            effect.close()
            return
        done = self.pipeline.swap_effect(effect, name, controller)
        done.add_done_callback(lambda f: self._swapped(f, name, generation))

    def _swapped(self, done: Future[Effect], name: str, generation: int) -> None:
        old = done.result()
        with self._lock:
            if generation == self._generation:
                self.switching_to = None
                self.last_error = None
                self._failed = None
            self.switches += 1
        self._close_later(old)

    def _close_later(self, effect: Effect) -> None:
        try:
            self._loader.submit(effect.close)   # never on the processing thread
        except RuntimeError:                    # shutting down: close here
            effect.close()

    def close(self) -> None:
        """Stop loading, finish a recording; safe to call twice."""
        self._closed = True
        self.set_recording(False)
        self._loader.shutdown(wait=True)


def require_presets(names: Sequence[str], known: Sequence[str], where: str) -> list[str]:
    """The configured preset order, checked against the presets that exist."""
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ControlError(f"{where}: [control] presets names unknown presets "
                           f"{', '.join(unknown)}; known: {', '.join(known)}")
    return list(names) or list(known)
