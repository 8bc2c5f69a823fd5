"""The `livecam` command. The only place that prints errors and chooses exit codes."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import Any
from collections.abc import Sequence

from livecam import __version__
from livecam.adapt.ladder import QUALITIES
from livecam.errors import LivecamError, ModelError
from livecam.quiet import configure_logging, filter_native_logs
from livecam.config_tables import choices
from livecam.inference.choices import ProviderName, provider_problem
from livecam.inference.manifest import shipped_tiers
from livecam.sinks.factory import SINK_FORMS
from livecam.sources.factory import SourceSpec

log = logging.getLogger("livecam")


SIDE_MIN, SIDE_MAX = 16, 7680     # frame sides a camera or the demo may be asked for


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = text.lower().split("x")
        width, height = int(w), int(h)
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1280x720, got '{text}'") from None
    if not (SIDE_MIN <= width <= SIDE_MAX and SIDE_MIN <= height <= SIDE_MAX):
        raise argparse.ArgumentTypeError(f"width and height must be {SIDE_MIN} to {SIDE_MAX} "
                                         f"pixels, got {text}")
    return width, height


def _number(lo: float, hi: float, kind: type = float) -> Any:
    """An argparse type: a finite number from `lo` to `hi`."""
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number, got '{text}'") from None
        if not (lo <= value <= hi):   # also false for nan
            raise argparse.ArgumentTypeError(f"must be {lo:g} to {hi:g}, got {text}")
        return value
    return parse


_positive_int = _number(1, 10**9, int)
_fps = _number(1, 240)


def _provider(text: str) -> str:
    """An argparse type: a local provider, "auto", or a Triton server address."""
    problem = provider_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def _add_run_args(p: argparse.ArgumentParser, default_sinks: str) -> None:
    p.add_argument("--source", default=None,
                   help="camera index (0), device path (/dev/video2), video or image file, or "
                        "'demo' (default: [run] source in livecam.toml, else demo)")
    p.add_argument("--preset", default=None, help="preset name or .toml file (see 'livecam "
                   "presets'; default: [run] preset, else landmarks)")
    p.add_argument("--sink", action="append", dest="sinks", metavar="SINK",
                   help=f"output, repeatable: {SINK_FORMS} (default: {default_sinks})")
    p.add_argument("--size", type=_size, default=(1280, 720), help="camera/demo frame size "
                   "WxH (default 1280x720)")
    p.add_argument("--fps", type=_fps, default=30.0, help="camera/demo/image fps (default 30)")
    p.add_argument("--mirror", action="store_true", help="flip the camera image horizontally")
    p.add_argument("--loop", action="store_true", help="restart a video file at its end")
    p.add_argument("--as-fast-as-possible", action="store_true",
                   help="do not pace files in real time; process every frame (offline mode)")
    p.add_argument("--max-frames", type=_positive_int, default=None,
                   help="stop after this many source frames")
    p.add_argument("--quality", choices=QUALITIES, default=None,
                   help="resolution range the controller may use: light (weak laptops, "
                        "games beside), balanced (default), high (desktops, GPUs)")
    p.add_argument("--no-adapt", dest="adapt", action="store_false",
                   help="keep the preset's resolution instead of adapting it to hold the "
                        "frame rate")
    p.add_argument("--target-fps", type=_fps, default=None,
                   help="frame rate to hold (default: the source's)")
    p.add_argument("--tier", choices=("auto", *shipped_tiers()), default=None,
                   help="model tier, overriding the preset (auto: from the device profile)")
    p.add_argument("--provider", type=_provider, default=None,
                   help="where the models run, overriding the preset: auto, "
                        f"{', '.join(choices(ProviderName))}, or triton://HOST:PORT "
                        "(triton+tls://HOST:PORT) to send the face crops to a Triton server")
    p.add_argument("--record", default=None, metavar="PATH",
                   help="record the output with the microphone's sound (.mp4, .mov or .mkv; "
                        "playable even if livecam is killed)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace output files that exist already (default: the next free "
                        "name, NAME-2.mp4)")
    p.add_argument("--mic", default=None, metavar="DEVICE",
                   help="microphone for recordings and --mic-out, by name or index "
                        "('livecam doctor' lists them; default: the system's; 'off': none)")
    p.add_argument("--mic-out", default="", metavar="DEVICE",
                   help="pass the microphone to this output device (a virtual audio cable), "
                        "delayed to match the video")



def _add_levels(p: argparse.ArgumentParser, default: Any) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("-v", "--verbose", dest="log_level", action="store_const", const="debug",
                       default=default, help="everything, every library's log lines included")
    group.add_argument("-q", "--quiet", dest="log_level", action="store_const", const="error",
                       default=default, help="errors only")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="livecam", description="Real-time webcam filter for "
                                     "live streamers, output as a virtual camera.")
    parser.add_argument("--version", action="version", version=f"livecam {__version__}")
    _add_levels(parser, argparse.SUPPRESS)
    parser.set_defaults(log_level="info")
    levels = argparse.ArgumentParser(add_help=False)
    _add_levels(levels, argparse.SUPPRESS)   # also after the subcommand
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, **kw: Any) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[levels], **kw)


    run = add("run", help="run the filter live")
    _add_run_args(run, "[run] sinks, else the virtual camera if its driver is there, else a "
                  "window if there is a display")
    run.add_argument("--face", default=None, metavar="NAME",
                     help="enrolled face to wear, overriding a face-swap preset")
    run.add_argument("--no-control", dest="control", action="store_false",
                     help="do not serve the control API and web panel")
    run.add_argument("--control-port", type=_number(1024, 65535, int), default=None,
                     help="control API port (default from livecam.toml: 8787)")
    run.add_argument("--no-hotkeys", dest="hotkeys", action="store_false",
                     help="do not listen for global hotkeys")
    run.set_defaults(switch_every=None)

    bench = add("bench", help="record a benchmark run, or compare runs with "
                           "'bench report RUN...'")
    _add_run_args(bench, "null")
    bench.add_argument("--out", default=None, metavar="PATH",
                       help="record path (default bench-runs/<time>.json)")
    bench.add_argument("--warmup-frames", type=_number(0, 10**6, int), default=30,
                       help="frames left out of the summary (default 30)")
    bench.add_argument("--switch-every", type=_number(0.5, 3600), default=None,
                       metavar="SECONDS",
                       help="step to the next preset this often (measures switching)")
    bench.add_argument("--face", default=None, metavar="NAME",
                       help="enrolled face to wear, overriding a face-swap preset")
    bench.set_defaults(control=False, control_port=None, hotkeys=False)
    bench_sub = bench.add_subparsers(dest="bench_command", required=False)
    report = bench_sub.add_parser("report", parents=[levels], help="compare benchmark records")
    report.add_argument("runs", nargs="+", help="benchmark JSON files")
    report.add_argument("--plot", default=None, metavar="PNG",
                        help="plot path (default: next to the first run, .png)")

    train = add("train", add_help=False,
                           help="train the project's models (the livecam-train package)")
    train.add_argument("train_args", nargs=argparse.REMAINDER,
                       help="prepare, stylizer, anime, prune, fusion, fusion-qat or publish")

    enroll = add("enroll", help="enrol a face for face swap from photos or a short clip")
    enroll.add_argument("photos", nargs="+", metavar="PHOTO_OR_CLIP",
                        help="photos or clips of the face: the best frontal view is kept, and "
                             "the best turned to each side")
    enroll.add_argument("--name", required=True, help="what presets and --face call it")
    enroll.add_argument("--pick", type=_positive_int, default=None,
                        help="which face, left to right, in photos with several")
    faces = add("faces", help="list enrolled faces")
    faces.add_argument("--remove", default=None, metavar="NAME", help="forget a face")
    add("presets", help="list presets")
    add("hotkeys", help="list the hotkeys, their conflicts and the window keys")
    serve = add("serve", help="run the models on a Triton Inference Server: export a model "
                "repository, or serve one on this machine")
    serve_sub = serve.add_subparsers(dest="serve_command", required=True)
    export = serve_sub.add_parser("export", parents=[levels],
                                  help="write a Triton model repository of livecam's models")
    export.add_argument("folder", help="where to write it (new or empty, or an earlier export)")
    export.add_argument("--max-batch", type=_number(1, 64, int), default=8,
                        help="requests Triton may join into one run (default 8)")
    export.add_argument("--queue-delay-us", type=_number(0, 100_000, int), default=500,
                        help="how long a request may wait for others to join it (default 500)")
    export.add_argument("--model", action="append", dest="models", default=[], metavar="NAME",
                        help="only this model variant (repeatable; default: all of them)")
    local = serve_sub.add_parser("local", parents=[levels],
                                 help="serve an exported repository here (PyTriton's bundled "
                                      "tritonserver) until Ctrl-C")
    local.add_argument("folder", help="a repository written by 'livecam serve export'")
    local.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1: this machine only; "
                            "0.0.0.0 for the network)")
    local.add_argument("--port", type=_number(1024, 65534, int), default=8001,
                       help="gRPC port (default 8001; HTTP, used by PyTriton, is the next)")
    local.add_argument("--no-batching", dest="batching", action="store_false",
                       help="serve each request alone (no dynamic batching)")
    local.add_argument("--threads", type=_number(1, 64, int), default=2,
                       help="onnxruntime threads per model (default 2)")
    local.add_argument("--tls-cert", default=None, metavar="PEM",
                       help="server certificate: speak TLS (clients use triton+tls://)")
    local.add_argument("--tls-key", default=None, metavar="PEM", help="its private key")
    doctor = add("doctor", help="check cameras, virtual camera, models and devices")
    doctor.add_argument("--probe", action="store_true",
                        help="measure every model variant again (after a hardware change)")
    return parser


def _spec(args: argparse.Namespace) -> SourceSpec:
    return SourceSpec(text=args.source, width=args.size[0], height=args.size[1], fps=args.fps,
                      mirror=args.mirror, realtime=not args.as_fast_as_possible, loop=args.loop)


def _print_summary(summary: dict[str, Any]) -> None:
    lat = summary.get("latency_ms", {})
    stages = summary.get("stages_ms", {})
    assert isinstance(lat, dict) and isinstance(stages, dict)
    print(f"delivered {summary.get('delivered_frames')} frames at "
          f"{float(summary.get('delivered_fps', 0.0)):.1f} fps, dropped "
          f"{summary.get('dropped_frames')}; latency p50 {lat.get('p50', 0):.1f} ms, "
          f"p95 {lat.get('p95', 0):.1f} ms, p99 {lat.get('p99', 0):.1f} ms")
    for stage, stats in stages.items():
        print(f"  {stage:8s} p50 {stats.get('p50', 0):6.2f} ms  p95 {stats.get('p95', 0):6.2f} ms")


def _cmd_run(args: argparse.Namespace, bench_out: str | None, warmup: int) -> int:
    from livecam.app import RunConfig, run  # noqa: PLC0415 - keeps 'livecam presets' fast
    from livecam.audio.settings import AudioSettings  # noqa: PLC0415

    from livecam.control.settings import RunDefaults, load_config  # noqa: PLC0415

    # a streamer's usual stream comes from [run]; a benchmark stays reproducible without it
    usual = load_config().run if bench_out is None else RunDefaults()
    args.source = args.source if args.source is not None else usual.source
    sinks = tuple(args.sinks or usual.sinks or (("null",) if bench_out else _machine_sinks()))
    config = RunConfig(source=_spec(args), preset=args.preset or usual.preset, sinks=sinks,
                       max_frames=args.max_frames, bench_out=bench_out, warmup_frames=warmup,
                       quality=args.quality or usual.quality, adapt=args.adapt,
                       target_fps=args.target_fps, tier=args.tier, provider=args.provider,
                       control=args.control, control_port=args.control_port,
                       hotkeys=args.hotkeys, switch_every_s=args.switch_every,
                       face=args.face or usual.face or None, record=args.record,
                       overwrite=args.overwrite,
                       audio=AudioSettings(mic=args.mic if args.mic is not None else usual.mic,
                                           mic_out=args.mic_out),
                       settled_start=bench_out is None)
    result = run(config)
    print(f"livecam: {len(result.records) if bench_out else result.captured} frames, "
          f"{result.dropped} dropped as stale, {result.repeated} repeated while the source "
          "was lost")
    if result.bench_path is not None:
        _print_summary(result.summary)
        print(f"benchmark record: {result.bench_path}")
    return 0


def _machine_sinks() -> tuple[str, ...]:
    """No --sink and no [run] sinks: what this machine has."""
    from livecam.sinks.virtualcam import (display_present, driver_fix,  # noqa: PLC0415
                                          driver_present)

    if driver_present():
        return ("virtualcam",)
    if display_present():
        print("livecam: no virtual-camera driver here, so the output goes to a preview window "
              f"(to stream it: {driver_fix()})", file=sys.stderr)
        return ("window",)
    raise LivecamError("no virtual-camera driver and no display here, so there is nowhere to "
                       "show the output: add --sink file:out.mp4 (a recording) or --sink "
                       f"file:out.png (the last frame), or install the driver: {driver_fix()}")


def _cmd_report(args: argparse.Namespace) -> int:
    from livecam.bench.record import read_record  # noqa: PLC0415
    from livecam.bench.report import comparison_table, plot_runs  # noqa: PLC0415

    runs = [(Path(p).stem, read_record(p)) for p in args.runs]
    print(comparison_table(runs))
    plot = args.plot or str(Path(args.runs[0]).with_suffix(".png"))
    print(f"plot: {plot_runs(runs, plot)}")
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    try:
        from livecam_train.cli import main as train_main  # noqa: PLC0415
    except ImportError as exc:
        print(f"livecam: error: training needs the livecam-train package ({exc}), which lives "
              "in livecam's repository beside the runtime: in a clone of it, pip install "
              "torch==2.13.0 && pip install -e training", file=sys.stderr)
        return 2
    return train_main(args.train_args or ["--help"])


def _cmd_presets() -> int:
    from livecam.preset import available_presets, load_preset  # noqa: PLC0415

    for name in available_presets():
        try:
            print(f"{name:14s} {load_preset(name).description}")
        except LivecamError as exc:
            print(f"{name:14s} (broken: {exc})")
    return 0


def _cmd_enroll(args: argparse.Namespace) -> int:
    from livecam.swap.cover import hair_cover  # noqa: PLC0415
    from livecam.swap.enroll import enroll  # noqa: PLC0415
    from livecam.swap.faces_store import PREVIEW, save_face  # noqa: PLC0415

    face, verdicts = enroll([Path(p) for p in args.photos], args.name, args.pick)
    for v in verdicts:
        mark = "kept" if v.face and v.face.front in face.views else ("ok  " if v.face else "no  ")
        print(f"  {mark} {v.photo}: {v.reason}")
    where = save_face(face)
    turned = ", ".join(f"{v.pose.yaw_deg:+.0f}°" for v in face.views[1:])
    print(f"enrolled '{face.name}' from {face.photo} (quality {face.quality:.2f})"
          f"{f' with views turned {turned}' if turned else ''} in {where}; check what was "
          f"kept in {where / PREVIEW}, then use it with 'livecam run --preset face-swap "
          f"--face {face.name}'")
    covered = sum(hair_cover(v.image, v.landmarks) is not None for v in face.views)
    if covered:
        print(f"  hair over the face in {covered} of {len(face.views)} view(s) is left out: "
              "the camera's own forehead shows there (greyed in the preview); a photo with "
              "the forehead clear swaps more of the face")
    return 0


def _cmd_faces(remove: str | None) -> int:
    import shutil  # noqa: PLC0415

    from livecam.swap.faces_store import faces_dir, list_faces, load_face  # noqa: PLC0415

    if remove is not None:
        load_face(remove)   # a clear error for an unknown name
        shutil.rmtree(faces_dir() / remove)
        print(f"forgot '{remove}'")
        return 0
    names = list_faces()
    if not names:
        print(f"no enrolled faces (in {faces_dir()}); add one with 'livecam enroll PHOTO "
              "--name NAME'")
    for name in names:
        face = load_face(name)
        print(f"{name:20s} quality {face.quality:.2f}  from {face.photo}"
              f"  ({len(face.views)} view{'s' if len(face.views) > 1 else ''})")
    return 0


def _cmd_hotkeys() -> int:
    from livecam.control.hotkeys import (WINDOW_KEYS, check_bindings,  # noqa: PLC0415
                                         global_hotkeys_unavailable)
    from livecam.control.settings import config_path, load_config  # noqa: PLC0415

    user = load_config()
    combos, conflicts = check_bindings(user.hotkeys.bindings())
    print(f"hotkeys from {user.path} (your file: {config_path()})")
    for action, combo in combos.items():
        print(f"  {combo.text:24s} {action.help}")
    for conflict in conflicts:
        print(f"  conflict: {conflict}")
    why = global_hotkeys_unavailable()
    print("global hotkeys: " + (f"unavailable here ({why})" if why else "available"))
    print("preview window keys: " + ", ".join(f"{k} {a.help}" for k, a in
                                              WINDOW_KEYS.items() if not k.isdigit())
          + ", 1-9 presets, k key list, q quit")
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from pathlib import Path  # noqa: PLC0415

    if args.serve_command == "export":
        from livecam.remote.repository import check_repository, export_repository  # noqa: PLC0415

        folder = Path(args.folder)
        names = export_repository(folder, max_batch=args.max_batch,
                                  queue_delay_us=args.queue_delay_us, only=args.models)
        problems = check_repository(folder)
        if problems:
            raise ModelError(f"the exported repository does not check out: {problems[0]}")
        print(f"wrote {len(names)} models and livecam-manifest to {folder}; serve it with\n"
              f"  docker run --gpus all --rm -p 8001:8001 -v {folder.resolve()}:/models "
              f"nvcr.io/nvidia/tritonserver:24.10-py3 tritonserver --model-repository=/models"
              f"\nor here with 'livecam serve local {folder}', then run with --provider "
              "triton://HOST:8001")
        return 0
    import os  # noqa: PLC0415
    import threading  # noqa: PLC0415

    from livecam.remote.local_server import ServeSettings, serving  # noqa: PLC0415

    if (args.tls_cert is None) != (args.tls_key is None):
        raise ModelError("--tls-cert and --tls-key go together")
    settings = ServeSettings(host=args.host, port=args.port, batching=args.batching,
                             threads=args.threads, token=os.environ.get("LIVECAM_TRITON_TOKEN"),
                             tls_cert=Path(args.tls_cert) if args.tls_cert else None,
                             tls_key=Path(args.tls_key) if args.tls_key else None)
    with serving(Path(args.folder), settings):
        print(f"serving {args.folder} on {args.host}:{args.port}"
              f"{' with TLS' if settings.tls_cert else ''}"
              f"{', token required' if settings.token else ''}; Ctrl-C stops", flush=True)
        threading.Event().wait()   # until interrupted
    return 0


def _cmd_doctor(probe: bool) -> int:
    from livecam.doctor import format_checks, run_checks  # noqa: PLC0415

    checks = run_checks(probe)
    print(format_checks(checks))
    return 1 if any(c.status == "fail" for c in checks if c.name != "virtual camera") else 0


def entry() -> int:
    """The `livecam` command: `main` with the native libraries' log lines filtered out."""
    if not {"-v", "--verbose"} & set(sys.argv[1:]):
        filter_native_logs()
    return main()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level)
    try:
        if args.command == "run":
            return _cmd_run(args, None, 30)
        if args.command == "bench":
            if args.bench_command == "report":
                return _cmd_report(args)
            out = args.out or time.strftime("bench-runs/%Y%m%d-%H%M%S.json")
            return _cmd_run(args, out, args.warmup_frames)
        if args.command == "train":
            return _cmd_train(args)
        if args.command == "presets":
            return _cmd_presets()
        if args.command == "enroll":
            return _cmd_enroll(args)
        if args.command == "faces":
            return _cmd_faces(args.remove)
        if args.command == "hotkeys":
            return _cmd_hotkeys()
        if args.command == "doctor":
            return _cmd_doctor(args.probe)
        if args.command == "serve":
            return _cmd_serve(args)
    except LivecamError as exc:
        print(f"livecam: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 2
