"""Fault-injection soak: a long stream that everything goes wrong around, in one process.

The 720p test video, looped and paced in real time, through `livecam.app.run` with the
control API on and the presets switched every `--switch-every` seconds, into a null sink (the
frame rate), a recording on the normal disk, a recording on a small tmpfs that fills up, and a
stand-in virtual camera that starts failing a third of the way in. On a schedule: the camera
is unplugged for 5 s and comes back, a model file is corrupted in the user's models folder
(the next switch to its style must fall back to another variant), and every minute a burst
of bad API requests (no token, wrong token, a foreign Origin, nested and oversized bodies,
unknown routes and presets). Sampled every 5 s: resident memory, threads and the control API's
fps. Afterwards every recording is decoded with ffprobe.

    python benchmarks/fault_soak.py [--minutes 30] [--switch-every 30]
        [--out benchmarks/results/fault-soak.json]

The small disk needs root (a tmpfs mount); without it that fault is reported as not injected.
Needs `python benchmarks/prepare_videos.py` and the shared test photos (face-swap enrolment).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
VIDEO = HERE / ".cache" / "liveportrait_d9_720p.mp4"
DATA = Path(os.environ.get("LIVECAM_DATA", HERE.parent.parent / "shared" / "data"))
HOME = Path(tempfile.mkdtemp(prefix="livecam-fault-soak-"))
os.environ["LIVECAM_HOME"] = str(HOME)

from livecam.app import RunConfig, run  # noqa: E402
from livecam.control.live import LiveControl  # noqa: E402
from livecam.errors import SinkError, SourceError, SourceLost  # noqa: E402
from livecam.inference.manifest import models_dir  # noqa: E402
from livecam.paths import user_data_dir  # noqa: E402
from livecam.sinks.null import NullSink  # noqa: E402
from livecam.sinks.protocol import OutputFrame  # noqa: E402
from livecam.sinks.recording import Recording  # noqa: E402
from livecam.sources.factory import SourceSpec  # noqa: E402
from livecam.sources.video import VideoFileSource  # noqa: E402
from livecam.swap.enroll import enroll  # noqa: E402
from livecam.swap.faces_store import save_face  # noqa: E402

OUTAGE_EVERY_S, OUTAGE_S = 300.0, 5.0       # the camera unplugged, then back
VCAM_FAILS_AT = 1 / 3                       # of the run
CORRUPT_AT = 0.4                            # of the run
BURST_EVERY_S = 60.0


class UnpluggedCamera:
    """The video, gone for OUTAGE_S every OUTAGE_EVERY_S (read and reopen fail meanwhile)."""

    def __init__(self, inner: VideoFileSource, start: float) -> None:
        self.inner, self.start, self.outages = inner, start, 0
        self.name, self.fps = "camera (video)", inner.fps

    def _out(self) -> bool:
        t = time.monotonic() - self.start
        return t > OUTAGE_EVERY_S / 2 and (t - OUTAGE_EVERY_S / 2) % OUTAGE_EVERY_S < OUTAGE_S

    def read(self) -> Any:
        if self._out():
            raise SourceLost("camera unplugged (injected)")
        return self.inner.read()

    def reopen(self) -> None:
        if self._out():
            raise SourceError("camera still unplugged (injected)")
        self.outages += 1

    def close(self) -> None:
        self.inner.close()


class FailingVirtualCamera(NullSink):
    """A virtual camera whose device goes away part-way through."""

    name = "virtualcam (failing)"

    def __init__(self, fail_at: float) -> None:
        super().__init__()
        self.fail_at = fail_at

    def write(self, frame: OutputFrame) -> None:
        if time.monotonic() > self.fail_at:
            raise SinkError("virtual camera device went away (injected)")
        super().write(frame)


def bad_requests(port: int, token: str) -> dict[str, int]:
    """One burst; returns the status codes seen (a 5xx or a dropped connection is a failure)."""
    base = f"http://127.0.0.1:{port}"
    cases: list[tuple[str, str, bytes | None, dict[str, str]]] = [
        ("POST", "/api/effect", b'{"on": false}', {}),
        ("POST", "/api/effect", b'{"on": false}', {"X-Livecam-Token": "wrong"}),
        ("POST", "/api/effect", b'{"on": false}',
         {"X-Livecam-Token": token, "Origin": "http://evil.example"}),
        ("POST", "/api/privacy", b"[" * 20000 + b"]" * 20000, {"X-Livecam-Token": token}),
        ("POST", "/api/preset", b'{"name": "../../etc/passwd"}', {"X-Livecam-Token": token}),
        ("POST", "/api/preset", b"\xff\xfe not json", {"X-Livecam-Token": token}),
        ("POST", "/api/effect", b"x" * 3_000_000, {"X-Livecam-Token": token}),
        ("GET", "/api/nothing-here", None, {"X-Livecam-Token": token}),
        ("GET", "/../../etc/passwd", None, {}),
        ("GET", "/api/state", None, {"X-Livecam-Token": "t\u00e9st".encode().decode("latin-1")}),
    ]
    seen: dict[str, int] = {}
    for method, route, body, headers in cases * 4:
        request = urllib.request.Request(base + route, data=body, method=method,
                                         headers={"Content-Type": "application/json", **headers})
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                code = str(answer.status)
        except urllib.error.HTTPError as exc:
            code = str(exc.code)
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            code = f"failed: {type(exc).__name__}"
        seen[code] = seen.get(code, 0) + 1
    return seen


def _rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    line = next(x for x in status.splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def _small_disk(folder: Path) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(folder)],
                          capture_output=True, check=False)
    return done.returncode == 0


def _playable(path: Path) -> dict[str, Any]:
    probe = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
                            "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0",
                            str(path)], capture_output=True, text=True, check=False)
    frames = probe.stdout.strip().split(",")[0]
    return {"file": str(path), "bytes": path.stat().st_size if path.exists() else 0,
            "decoded_frames": int(frames) if frames.isdigit() else 0,
            "errors": probe.stderr.strip()[-300:]}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--switch-every", type=float, default=30.0)
    parser.add_argument("--out", default=str(HERE / "results" / "fault-soak.json"))
    args = parser.parse_args()
    if not VIDEO.is_file():
        print(f"{VIDEO} missing: run python benchmarks/prepare_videos.py", file=sys.stderr)
        return 1
    save_face(enroll([DATA / "test-photos" / "deepface_img5.jpg"], "soak")[0])
    shutil.copytree(models_dir(), user_data_dir() / "models")   # a copy to corrupt
    small = HOME / "small-disk"
    mounted = _small_disk(small)
    duration = args.minutes * 60.0
    start = time.monotonic()
    camera = UnpluggedCamera(VideoFileSource(VIDEO, realtime=True, loop=True), start)
    null, vcam = NullSink(), FailingVirtualCamera(start + duration * VCAM_FAILS_AT)
    recordings = [Recording(HOME / "recording.mp4", audio=False)]
    if mounted:
        recordings.append(Recording(small / "recording.mp4", audio=False))
    box: dict[str, Any] = {}
    ready = threading.Event()

    def started(control: LiveControl) -> None:
        box["control"] = control
        ready.set()

    from socket import socket  # noqa: PLC0415
    with socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    config = RunConfig(source=SourceSpec(str(VIDEO), 1280, 720, realtime=True, loop=True),
                       preset="face-swap", face="soak", control=True, control_port=port,
                       switch_every_s=args.switch_every, max_frames=int(duration * 30),
                       sinks=())

    def stream() -> None:
        try:
            box["result"] = run(config, source=camera, sinks=[null, vcam, *recordings],
                                started=started)
        except BaseException as exc:  # noqa: BLE001 - the soak's verdict
            box["crash"] = f"{type(exc).__name__}: {exc}"
            ready.set()

    thread = threading.Thread(target=stream, name="soak-stream")
    thread.start()
    try:
        return _watch(args, start, duration, thread, box, ready, camera, recordings, port,
                      mounted)
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(small)], check=False)


def _watch(args: argparse.Namespace, start: float, duration: float, thread: threading.Thread,
           box: dict[str, Any], ready: threading.Event, camera: UnpluggedCamera,
           recordings: list[Recording], port: int, mounted: bool) -> int:
    ready.wait(120)
    samples: list[dict[str, Any]] = []
    bursts: dict[str, int] = {}
    corrupted: list[str] = []
    next_burst = time.monotonic() + BURST_EVERY_S
    token = ""
    while thread.is_alive():
        now = time.monotonic() - start
        control = box.get("control")
        if control is not None:
            state = control.state()
            samples.append({"t_s": now, "rss_mb": _rss_mb(), "threads": threading.active_count(),
                            "fps": state["fps"], "preset": state["preset"],
                            "switching": state["switching_to"] is not None,
                            "fault": state.get("fault"), "last_error": state.get("last_error")})
            if not token:
                path = HOME / "config" / "control-token"
                token = path.read_text().strip() if path.is_file() else ""
        if not corrupted and now > duration * CORRUPT_AT:
            for onnx in sorted((user_data_dir() / "models").glob("*fairy*S*.onnx"))[:2]:
                onnx.write_bytes(os.urandom(4096))      # same name, garbage inside
                corrupted.append(onnx.name)
        if time.monotonic() > next_burst and token:
            for code, n in bad_requests(port, token).items():
                bursts[code] = bursts.get(code, 0) + n
            next_burst += BURST_EVERY_S
        time.sleep(5.0)
    thread.join()
    result = box.get("result")
    outages = [(OUTAGE_EVERY_S / 2 + k * OUTAGE_EVERY_S) for k in range(int(duration // 300) + 1)]
    calm = [s["fps"] for s in samples if s["t_s"] > 30 and not s["switching"]
            and all(not (o - 5 <= s["t_s"] <= o + OUTAGE_S + 10) for o in outages)]
    second = [s for s in samples if s["t_s"] > duration / 2]
    slope = np.polyfit([s["t_s"] for s in second], [s["rss_mb"] for s in second], 1)[0] \
        if len(second) > 2 else float("nan")
    growth = float(slope * (duration / 2) / second[0]["rss_mb"] * 100) if second else float("nan")
    played = [_playable(r.path) for r in recordings]
    summary = {
        "minutes": args.minutes, "crash": box.get("crash"),
        "frames": result.captured if result else None,
        "dropped": result.dropped if result else None,
        "repeated_while_lost": result.repeated if result else None,
        "sink_errors": dict(result.sink_errors) if result else None,
        "camera_returned": camera.outages, "corrupted_models": corrupted,
        "small_disk": "tmpfs 24 MB" if mounted else "not injected (no mount)",
        "bad_request_codes": bursts,   # 200: GET /api/state, which is read-only
        "fps_median_outside_faults": float(np.median(calm)) if calm else float("nan"),
        "fps_p5_outside_faults": float(np.percentile(calm, 5)) if calm else float("nan"),
        "memory_growth_second_half_pct": growth,
        "rss_mb_first_last": [samples[0]["rss_mb"], samples[-1]["rss_mb"]] if samples else [],
        "errors_seen": sorted({s["last_error"] for s in samples if s["last_error"]})[:10],
        "recordings": played, "samples": samples,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(summary, indent=1))
    print(json.dumps({k: v for k, v in summary.items() if k != "samples"}, indent=1))
    return 0 if summary["crash"] is None else 1


if __name__ == "__main__":
    raise SystemExit(main())
