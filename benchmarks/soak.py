"""Soak test: a long `livecam run` as a streamer runs it, switching presets, watched from outside.

Streams go on for hours, so what matters is what a short benchmark cannot show: memory that
creeps up, threads or sessions left behind by preset switches, a frame rate that sags. This
starts `livecam run` on the 720p test video (looped, paced in real time, null sink, control API
on), cycles the presets through the control API every `--switch-every` seconds, and samples the
process from outside every 5 s: resident memory (VmRSS), threads, CPU and the delivered fps the
control API reports. Growth is the slope of a line fitted to the memory of the second half of
the run, in MB per hour, and the peak of each full cycle through the presets: glibc's
allocator keeps freed model memory in per-thread arenas, so memory climbs over the first
cycles and then holds, where a leak keeps climbing.

    python benchmarks/soak.py [--minutes 10] [--switch-every 30]
        [--out benchmarks/results/soak.json]

Needs `python benchmarks/prepare_videos.py` (the video) and, for the face-swap preset, the
shared test photos (a face is enrolled in a scratch LIVECAM_HOME).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
VIDEO = HERE / ".cache" / "liveportrait_d9_720p.mp4"
DATA = Path(os.environ.get("LIVECAM_DATA", HERE.parent.parent / "shared" / "data"))
PRESETS = ("fairy-tale", "anime", "landmarks", "face-swap")   # the run starts on the last


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _proc(pid: int) -> dict[str, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return {"rss_mb": int(fields["VmRSS"].split()[0]) / 1024,
            "threads": int(fields["Threads"]),
            "cpu_s": (int(stat[11]) + int(stat[12])) / ticks}


def _api(port: int, route: str, body: dict[str, Any] | None = None, token: str = ""
         ) -> dict[str, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{route}", method="POST" if body is not None else "GET",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return dict(json.loads(response.read()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--switch-every", type=float, default=30.0)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "soak.json")
    args = parser.parse_args()
    if not VIDEO.is_file():
        sys.exit(f"{VIDEO} missing: run python benchmarks/prepare_videos.py first")
    home = Path(tempfile.mkdtemp(prefix="livecam-soak-"))
    env = {**os.environ, "LIVECAM_HOME": str(home)}
    presets = list(PRESETS)
    photo = DATA / "test-photos" / "deepface_img5.jpg"
    if photo.is_file():
        subprocess.run(["livecam", "enroll", str(photo), "--name", "bench"], env=env,
                       check=True, capture_output=True)
    else:
        presets.remove("face-swap")
    port = _free_port()
    command = ["livecam", "run", "--source", str(VIDEO), "--loop", "--preset", presets[-1],
               "--sink", "null", "--no-hotkeys", "--control-port", str(port)]
    if "face-swap" in presets:
        command += ["--face", "bench"]
    log = open(home / "run.log", "w", encoding="utf-8")  # noqa: SIM115 - kept for the run
    child = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    samples: list[dict[str, Any]] = []
    errors: list[str] = []
    try:
        token = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                _api(port, "/api/state")
                token = (home / "config" / "control-token").read_text().strip()
                break
            except (OSError, ValueError):
                time.sleep(0.5)
        start = time.monotonic()
        next_switch, turn = start + 5, 0
        while time.monotonic() - start < args.minutes * 60:
            if child.poll() is not None:
                errors.append(f"livecam run exited with {child.returncode}")
                break
            now = time.monotonic()
            if now >= next_switch:
                name = presets[turn % len(presets)]
                _api(port, "/api/preset", {"name": name}, token)
                turn += 1
                next_switch = now + args.switch_every
            state = _api(port, "/api/state")
            samples.append({"t_s": now - start, **_proc(child.pid), "fps": state["fps"],
                            "frames": state["frames"], "preset": state["preset"],
                            "last_error": state.get("last_error")})
            time.sleep(5)
    finally:
        child.terminate()
        child.wait(30)
        log.close()
    if not samples:
        sys.exit(f"no samples: livecam run ended early; see {home / 'run.log'}")
    summary = _summarize(samples, turn, args.switch_every * len(presets))
    summary["errors"] = errors + sorted({s["last_error"] for s in samples if s["last_error"]})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"command": " ".join(command[:-2] + ["--control-port",
                                                                          "PORT"]),
                                    "minutes": args.minutes, "switch_every_s": args.switch_every,
                                    "summary": summary, "samples": samples}, indent=1))
    _plot(samples, args.out.with_suffix(".png"))
    print(json.dumps(summary, indent=1))


def _summarize(samples: list[dict[str, Any]], switches: int, cycle_s: float
               ) -> dict[str, Any]:
    """Memory that settles shows as flat per-cycle peaks; a leak as peaks that keep rising."""
    t = np.array([s["t_s"] for s in samples])
    rss = np.array([s["rss_mb"] for s in samples])
    cycles = (t // cycle_s).astype(int)
    half = t >= t[-1] / 2
    slope_mb_per_s = float(np.polyfit(t[half], rss[half], 1)[0]) if half.sum() > 2 else 0.0
    cpu = [s["cpu_s"] for s in samples]
    fps = [s["fps"] for s in samples if s["t_s"] > 10]
    return {"samples": len(samples), "preset_switches": switches,
            "rss_mb_first": float(rss[0]), "rss_mb_last": float(rss[-1]),
            "rss_mb_peak": float(rss.max()),
            "rss_growth_mb_per_hour_second_half": slope_mb_per_s * 3600,
            "rss_mb_peak_per_preset_cycle": [round(float(rss[cycles == c].max()), 1)
                                             for c in np.unique(cycles)],
            "threads_min": min(s["threads"] for s in samples),
            "threads_max": max(s["threads"] for s in samples),
            "cpu_cores_mean": (cpu[-1] - cpu[0]) / max(t[-1] - t[0], 1e-6),
            "fps_p5": float(np.percentile(fps, 5)) if fps else 0.0,
            "fps_median": float(np.median(fps)) if fps else 0.0,
            "frames": samples[-1]["frames"]}


def _plot(samples: list[dict[str, Any]], path: Path) -> None:
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    t = [s["t_s"] / 60 for s in samples]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 5), sharex=True)
    top.plot(t, [s["rss_mb"] for s in samples], color="tab:blue")
    top.set_ylabel("resident MB")
    bottom.plot(t, [s["fps"] for s in samples], color="tab:green")
    bottom.set_ylabel("delivered fps")
    bottom.set_xlabel("minutes (presets cycled through the control API)")
    top.set_title("livecam soak: 720p30 video, looped, presets switched")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    main()
