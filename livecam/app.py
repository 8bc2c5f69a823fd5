"""The composition root: builds the loop from a preset and the command line, runs it, cleans up."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from collections.abc import Callable, Iterator, Sequence

from livecam.adapt.controller import ControllerSettings, ResolutionController
from livecam.audio.passthrough import DelayedMicrophone
from livecam.audio.settings import AudioSettings
from livecam.audio.supply import SoundSupply
from livecam.adapt.ladder import QUALITIES, QUALITY_BOUNDS, build_ladder, nearest_level
from livecam.adapt.settled import MIN_FRAMES, StreamKind, recall, remember
from livecam.bench.record import build_record, write_record
from livecam.clock import Clock
from livecam.control.hotkeys import GlobalHotkeys, check_bindings
from livecam.control.actions import Action, ActionInput
from livecam.control.live import EffectBuilder, LiveControl, require_presets
from livecam.control.server import ControlServer
from livecam.control.settings import load_config
from livecam.control.token import load_or_create_token
from livecam.effects.protocol import Adjustable, Effect, ModelReporting, RemoteReporting
from livecam.effects.registry import build_effect
from livecam.errors import ControlError, PresetError, SinkError
from livecam.loop.cpu import share_cores_with_the_loop
from livecam.loop.pipeline import LoopSettings, Pipeline
from livecam.loop.records import FrameRecord
from livecam.preset import Preset, available_presets, load_preset
from livecam.sinks.factory import open_sink
from livecam.sinks.file import ImageFileSink
from livecam.sinks.protocol import Sink
from livecam.sinks.recording import Recording
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
        quality: Bounds the resolution controller moves in ("light", "balanced", "high").
        adapt: Run the resolution controller; False keeps the preset's resolution.
        target_fps: Frame rate to hold; None: the source's.
        tier: Model tier overriding the preset's ("auto", "S", "M", "L").
        provider: Execution provider overriding the preset's ("auto", "cpu", "cuda", ...).
        control: Serve the local control API and web panel.
        control_port: Its port, overriding livecam.toml.
        face: Enrolled face overriding a face-swap preset's list.
        hotkeys: Listen for global hotkeys.
        switch_every_s: Step to the next preset this often (benchmarks of switching).
        record: Record the output with the microphone's sound to this file from the start.
        overwrite: Replace output files that exist already (else the next free name).
        audio: The microphone and its passthrough.
        settled_start: Start the resolution controller where the last stream of this kind
            settled on this machine, and keep where this one ends (`livecam run`; benchmarks
            start from the preset, so that they repeat).
    """

    source: SourceSpec = field(default_factory=SourceSpec)
    preset: str = "passthrough"
    sinks: tuple[str, ...] = ("virtualcam",)
    max_frames: int | None = None
    bench_out: str | None = None
    warmup_frames: int = 30
    quality: str = "balanced"
    adapt: bool = True
    target_fps: float | None = None
    tier: str | None = None
    provider: str | None = None
    face: str | None = None
    control: bool = False
    control_port: int | None = None
    hotkeys: bool = False
    switch_every_s: float | None = None
    record: str | None = None
    overwrite: bool = False
    audio: AudioSettings = field(default_factory=AudioSettings)
    settled_start: bool = False

    def __post_init__(self) -> None:
        if self.quality not in QUALITIES:
            raise ValueError(f"quality must be one of {', '.join(QUALITIES)}, got "
                             f"{self.quality!r}")


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
def _stop_on_signals(pipeline: Pipeline) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    # a clean stop (recordings finalised) on kill, and on closing the terminal (SIGHUP)
    kinds = [signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    previous = {kind: signal.signal(kind, lambda *_: pipeline.stop()) for kind in kinds}
    # Ctrl-C asks for the same stop, so the loop winds down one way whatever stopped it; a
    # second Ctrl-C raises as usual. Left alone where it is ignored (nohup, a service).
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, lambda *_: _interrupt(pipeline))
    try:
        yield
    finally:
        for kind, handler in previous.items():
            signal.signal(kind, handler)


def _interrupt(pipeline: Pipeline) -> None:
    if pipeline.stopping:
        raise KeyboardInterrupt
    pipeline.stop()


def run(config: RunConfig, *, source: Source | None = None, tracker: Tracker | None = None,
        sinks: Sequence[Sink] | None = None, clock: Clock | None = None,
        started: Callable[[LiveControl], object] | None = None) -> RunResult:
    """Open the source, tracker, effect and sinks, run the loop, and close everything.

    Parts passed in (tests, tools) are used instead of the ones the config names, and are
    closed here too. `started` is handed the stream's live control just before the loop
    starts (tools embedding livecam use it to drive or stop the stream).
    """
    preset: Preset = load_preset(config.preset)
    keep_records = config.bench_out is not None
    share_cores_with_the_loop()
    with contextlib.ExitStack() as stack:
        src = source or open_source(config.source, clock)
        stack.callback(src.close)
        audio = config.audio
        outs = list(sinks) if sinks is not None else [open_sink(s, audio.enabled, config.overwrite)
                                                      for s in config.sinks]
        if config.record:
            outs.append(Recording(config.record, audio=audio.enabled,
                                  overwrite=config.overwrite))
        _refuse_writing_the_source(config.source, outs)
        passthrough = DelayedMicrophone(audio) if audio.enabled and audio.mic_out else None
        if passthrough is not None:
            outs.append(passthrough)
        for sink in outs:
            stack.callback(sink.close)
        trk = tracker or MediaPipeTracker(preset.tracking)
        stack.callback(trk.close)
        target_fps = config.target_fps or (src.fps if 1.0 <= src.fps <= 240.0 else 30.0)
        effect = build_effect(preset.effect, _effect_settings(preset, config), target_fps)
        stack.callback(effect.close)
        kind = (StreamKind(preset.name, config.quality, config.source.width,
                           config.source.height, target_fps) if config.settled_start else None)
        settled = recall(kind) if kind is not None else None
        controller = _controller(effect, config, target_fps, settled)
        if controller is not None and settled is not None:
            log.info("resolution: starting at %d px, where the last stream of this kind "
                     "settled on this machine", controller.level.face_side)
        settings = LoopSettings(live=config.source.realtime, max_frames=config.max_frames,
                                keep_records=keep_records, preset=preset.name)
        pipeline = Pipeline(src, trk, effect, outs, settings, clock, controller,
                            audio_delay=(lambda: passthrough.delay_ms) if passthrough else None)
        stack.callback(lambda: pipeline.effect.close())   # the one running at the end
        sound = SoundSupply(audio, pipeline.push_audio, clock)
        stack.callback(sound.close)
        if passthrough is not None or any(isinstance(s, Recording) and s.audio for s in outs):
            sound.need()

        def build(name: str) -> tuple[Effect, ResolutionController | None]:
            other = load_preset(name)
            running = getattr(trk, "settings", other.tracking)
            if other.tracking != running:   # one tracker serves the whole stream
                log.warning("preset '%s': its [tracking] table is not applied on a live "
                            "switch (the stream keeps tracking as it started); start with "
                            "--preset %s to use it", name, name)
            made = build_effect(other.effect, _effect_settings(other, config, strict=False),
                                target_fps)
            # the machine did not change: start where the running controller has settled
            now = pipeline.controller.level.face_side if pipeline.controller else None
            return made, _controller(made, config, target_fps, now)

        control = _live_control(stack, pipeline, build, config, outs, sound)
        if started is not None:
            started(control)
        with _stop_on_signals(pipeline):
            log.info("running %s through '%s' into %s", src.name, preset.name,
                     ", ".join(s.name for s in outs))
            records = pipeline.run()
        final = pipeline.controller
        if kind is not None and final is not None and final.frames_seen >= MIN_FRAMES:
            # a stream switched to another preset settled for that one
            remember(replace(kind, preset=pipeline.preset_name), final.level.face_side)
    rows = records.all if keep_records else list(records.recent)
    bench_path = None
    record: dict[str, Any] = {}
    if config.bench_out is not None:
        cfg = asdict(config)
        cfg["source"] = config.source.text
        cfg["source_spec"] = asdict(config.source)
        cfg["effect"] = preset.effect
        cfg["source_fps"] = src.fps
        cfg["target_fps"] = target_fps
        if isinstance(effect, ModelReporting):
            cfg["model"], cfg["provider"] = effect.model_name, effect.provider
        if isinstance(effect, RemoteReporting):
            cfg["remote"] = effect.remote_summary()
        record = build_record(cfg, rows, pipeline.captured, config.warmup_frames)
        if controller is not None:
            record["resolution_changes"] = [asdict(c) for c in controller.changes]
        bench_path = write_record(config.bench_out, record)
    return RunResult(records=rows, captured=pipeline.captured, dropped=pipeline.dropped,
                     repeated=pipeline.repeated, sink_errors=dict(pipeline.sink_errors),
                     bench_path=bench_path, summary=record.get("summary", {}))


def _refuse_writing_the_source(source: SourceSpec, outs: Sequence[Sink]) -> None:
    """An output file that is the input file would destroy it while it is being read."""
    if source.kind not in ("video", "image"):
        return
    read = Path(source.text).expanduser().resolve()
    for sink in outs:
        if isinstance(sink, (Recording, ImageFileSink)) and \
                sink.path.expanduser().resolve() == read:
            raise SinkError(f"{sink.name} is the source itself, which it would overwrite while "
                            "reading it; write the output to another file")


def _live_control(stack: contextlib.ExitStack, pipeline: Pipeline, build: EffectBuilder,
                  config: RunConfig, sinks: Sequence[Sink], sound: SoundSupply) -> LiveControl:
    """The switches, and whatever drives them: control server, global hotkeys, window keys
    and, for benchmarks, a timer."""
    user = load_config()
    presets = require_presets(user.control.presets, list(available_presets()), user.path)
    control = LiveControl(pipeline, presets, build, user.control, sound)
    stack.callback(control.close)

    def perform(action: Action) -> None:
        outcome = control.perform(action)
        (log.info if outcome.ok else log.warning)("%s", outcome.message)

    combos, conflicts = check_bindings(user.hotkeys.bindings())
    for conflict in conflicts:
        log.warning("hotkeys (%s): %s", user.path, conflict)
    for sink in sinks:   # a preview window's keys are one more input of actions
        if isinstance(sink, ActionInput):
            sink.on_action = perform
            sink.help_lines = [f"{c.text}  {a.help}" for a, c in combos.items()
                               if a.preset_number is None] + ["ctrl+alt+1..9  presets"]
    if config.hotkeys:
        try:
            hotkeys = GlobalHotkeys(combos, perform)
            stack.callback(hotkeys.close)
            log.info("global hotkeys on ('livecam hotkeys' lists them)")
        except ControlError as exc:
            log.warning("%s", exc)
    if config.control:
        server = ControlServer(control, load_or_create_token(),
                               config.control_port or user.control.port)
        server.start()
        stack.callback(server.close)
        log.info("control panel: %s", server.panel_url())
    if config.switch_every_s:
        timer = threading.Thread(target=_switch_on_a_timer,
                                 args=(control, config.switch_every_s), daemon=True,
                                 name="livecam-switch-timer")
        timer.start()
    return control


def _switch_on_a_timer(control: LiveControl, every_s: float) -> None:
    while not control.pipeline.stopping:
        time.sleep(every_s)
        if not control.pipeline.stopping:
            control.step_preset(1)


# command-line overrides: settings field → (flag, the kind of preset it applies to)
_OVERRIDES = {"tier": ("--tier", "a model"), "provider": ("--provider", "a model"),
              "faces": ("--face", "a face swap")}


def _effect_settings(preset: Preset, config: RunConfig, strict: bool = True) -> Any:
    """The preset's effect settings with the command line's tier, provider and face applied.

    The starting preset must take every override given (`strict`: a flag that does nothing is
    a mistake worth saying); a preset switched to mid-stream takes those it has, so
    `--face NAME` on a face-swap start does not block a switch to `fairy-tale`.
    """
    given = {"tier": config.tier, "provider": config.provider,
             "faces": None if config.face is None else (config.face,)}
    overrides = {k: v for k, v in given.items() if v is not None}
    for key in list(overrides):
        if not hasattr(preset.effect_settings, key):
            if not strict:
                del overrides[key]
                continue
            flag, kind = _OVERRIDES[key]
            raise PresetError(f"{flag} applies to presets that run {kind}; "
                              f"'{preset.name}' ({preset.effect}) does not")
    return replace(preset.effect_settings, **overrides) if overrides else preset.effect_settings


def _controller(effect: object, config: RunConfig, target_fps: float,
                start_face: int | None = None) -> ResolutionController | None:
    """The resolution controller for an adjustable effect, started on the rung nearest
    `start_face` (else the preset's resolution) within the quality bounds."""
    if not config.adapt or not isinstance(effect, Adjustable):
        return None
    ladder = build_ladder(QUALITY_BOUNDS[config.quality])
    start = nearest_level(ladder, start_face or effect.resolution)
    controller = ResolutionController(ladder, start,
                                      ControllerSettings(target_fps=target_fps))
    effect.set_resolution(controller.level.face_side, controller.level.background_width)
    return controller
