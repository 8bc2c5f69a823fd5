"""Issue 18's benchmark: livecam's models on a Triton server over gRPC on loopback (the real
tritonserver bundled in PyTriton, started with `livecam serve local`), on this machine.

1. One stream, 1280x720 at 30 fps paced in real time, `--quality high` (the controller may
   raise the face crop to 512 px), fairy-tale and face-swap: delivered fps, p95
   capture→output latency, and the round trip per request; the same streams run locally
   beside them.
2. An outage: the server is SIGKILLed 10 s into a fairy-tale stream and started again at 20 s:
   the longest gap between delivered frames around the kill, fps while it was gone, and
   whether the stream went back to the server.
3. Four livecam clients (each the fairy-tale stream) against one server, with its dynamic
   batching on and then off: fps and p95 latency per client.
4. The server alone under four clients' requests (256² face crops at 30 Hz each, no
   tracking or compositing beside them): throughput and p95 round trip per client,
   batching on and off.

    python benchmarks/remote_inference.py      # about 10 minutes; results/remote-inference.json

Everything runs on one 2-core machine: the clients, their tracking and compositing, and the
server's inference share the same two cores, so the figures are a floor for a real GPU box.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
CACHE = HERE / ".cache"
DATA = Path(os.environ.get("LIVECAM_DATA", ROOT.parent / "shared" / "data"))
VIDEO = CACHE / "liveportrait_d9_720p.mp4"
PORT = 8701


class Server:
    """`livecam serve local` in its own process group (killed as a crash would be)."""

    def __init__(self, repository: Path, *extra: str) -> None:
        self.repository, self.extra = repository, extra
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> float:
        started = time.monotonic()
        log = open(CACHE / "triton-server.log", "ab")  # noqa: SIM115 - lives with the process
        self.process = subprocess.Popen(
            [sys.executable, "-m", "livecam", "serve", "local", str(self.repository),
             "--port", str(PORT), *self.extra], stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        import tritonclient.grpc as grpcclient  # noqa: PLC0415

        while time.monotonic() - started < 180:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited; see {CACHE / 'triton-server.log'}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", PORT)) == 0:
                    try:
                        client = grpcclient.InferenceServerClient(f"127.0.0.1:{PORT}")
                        if client.is_model_ready("livecam-manifest", client_timeout=2.0):
                            return time.monotonic() - started
                    except Exception:  # noqa: BLE001, S110 - not up yet
                        pass
            time.sleep(0.3)
        raise SystemExit("the server did not come up in 180 s")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None


def bench(preset: str, out: Path, frames: int, provider: str | None, env: dict[str, str],
          wait: bool = True) -> subprocess.Popen[bytes]:
    command = ["livecam", "-q", "bench", "--source", str(VIDEO), "--preset", preset,
               "--max-frames", str(frames), "--loop", "--out", str(out)]
    if provider:
        command += ["--provider", provider, "--quality", "high"]
    if preset == "face-swap":
        command += ["--face", "bench"]
    process = subprocess.Popen(command, env=env)
    if wait and process.wait() != 0:
        raise SystemExit(f"{' '.join(command)} failed")
    return process


def summary(path: Path) -> dict[str, Any]:
    record = json.loads(path.read_text())
    s = record["summary"]
    faces = [f["resolution"] for f in record["frames"] if f.get("resolution")]
    return {"fps": round(s["delivered_fps"], 2), "latency_p50_ms": round(s["latency_ms"]["p50"], 1),
            "latency_p95_ms": round(s["latency_ms"]["p95"], 1),
            "effect_p50_ms": round(s["stages_ms"]["effect"]["p50"], 1),
            "dropped": s["dropped_frames"], "delivered": s["delivered_frames"],
            "face_side_median": int(np.median(faces)) if faces else None,
            "face_side_max": max(faces) if faces else None,
            "remote": record["config"].get("remote")}


def outage(path: Path, killed: float, back: float) -> dict[str, Any]:
    """Gaps and rates around a server killed at `killed` and answering again from `back`
    (perf_counter seconds: the same monotonic clock as the stream's records)."""
    frames = json.loads(path.read_text())["frames"]
    out = np.array([f["output_s"] for f in frames])
    effect = np.array([f["stages_ms"]["effect"] for f in frames])
    gaps = np.diff(out) * 1000.0
    near = (out[1:] > killed - 0.5) & (out[1:] < killed + 2.0)

    def fps(a: float, b: float) -> float:
        return round(int(((out >= a) & (out < b)).sum()) / (b - a), 2)

    def p50(a: float, b: float) -> float:
        return round(float(np.median(effect[(out >= a) & (out < b)])), 1)

    end = float(out[-1])
    return {"seconds_gone": round(back - killed, 1),
            "longest_gap_near_kill_ms": round(float(gaps[near].max()), 1),
            "gap_p50_ms": round(float(np.median(gaps)), 1),
            "fps_before": fps(killed - 5.0, killed), "fps_while_gone": fps(killed + 0.5, back),
            "fps_after": fps(back + 2.0, end),
            "effect_p50_before_ms": p50(killed - 5.0, killed),
            "effect_p50_while_gone_ms": p50(killed + 0.5, back),
            "effect_p50_after_ms": p50(back + 2.0, end)}


def request_load(clients: int, seconds: float, side: int = 256) -> list[dict[str, Any]]:
    """`clients` threads, each sending one face crop every 1/30 s on its own connection."""
    from livecam.inference.manifest import load_manifest  # noqa: PLC0415
    from livecam.remote.address import parse_address  # noqa: PLC0415
    from livecam.remote.client import TritonServer  # noqa: PLC0415

    entries = load_manifest()
    name = "stylizer-fairy-tale-S-float32"
    results: list[dict[str, Any]] = [{} for _ in range(clients)]

    def client(k: int) -> None:
        server = TritonServer(parse_address(f"triton://127.0.0.1:{PORT}"), 1.0,
                              lambda n: entries[n].sha256)
        server.use(entries[name], "image", "stylized", (1, 3, side, side))
        x = np.random.default_rng(k).uniform(-1, 1, (1, 3, side, side)).astype(np.float32)
        start = time.monotonic()
        answered = late = 0
        next_t = start
        while time.monotonic() - start < seconds:
            if server.infer(name, "image", "stylized", x) is not None:
                answered += 1
            else:
                late += 1
                server._check_now()   # noqa: SLF001 - a benchmark: straight back on
            next_t += 1 / 30
            time.sleep(max(0.0, next_t - time.monotonic()))
        trips = np.array(server.stats.round_trips_ms)
        results[k] = {"answered_per_s": round(answered / seconds, 2), "not_answered": late,
                      "round_trip_p50_ms": round(float(np.percentile(trips, 50)), 1),
                      "round_trip_p95_ms": round(float(np.percentile(trips, 95)), 1)}
        server.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def main() -> None:
    from livecam.remote.repository import export_repository  # noqa: PLC0415

    subprocess.run([sys.executable, str(HERE / "prepare_videos.py")], check=True,
                   stdout=subprocess.DEVNULL)
    results: dict[str, Any] = {}
    from livecam.inference.device_profile import choose  # noqa: PLC0415

    # the variants these streams run here (the server must serve the same files); a smaller
    # repository also starts faster
    used = {choose("stylizer", "fairy-tale").entry.name, choose("fusion", "swap").entry.name,
            "stylizer-fairy-tale-S-float32"}
    repository = CACHE / "triton-repository"
    if repository.exists():
        shutil.rmtree(repository)
    export_repository(repository, only=used)
    results["models"] = sorted(used)
    home = tempfile.mkdtemp(prefix="livecam-remote-")
    env = dict(os.environ, LIVECAM_HOME=home)
    subprocess.run(["livecam", "-q", "enroll", str(DATA / "test-photos" / "deepface_img5.jpg"),
                    "--name", "bench"], check=True, env=env, stdout=subprocess.DEVNULL)
    provider = f"triton://127.0.0.1:{PORT}"
    runs = CACHE / "remote-runs"
    runs.mkdir(parents=True, exist_ok=True)

    server = Server(repository)
    results["server_start_s"] = round(server.start(), 1)
    try:
        for preset in ("fairy-tale", "face-swap"):
            bench(preset, runs / f"{preset}-local.json", 900, None, env)
            bench(preset, runs / f"{preset}-remote.json", 900, provider, env)
            results[f"{preset} local"] = summary(runs / f"{preset}-local.json")
            results[f"{preset} remote"] = summary(runs / f"{preset}-remote.json")
            print(preset, results[f"{preset} local"], results[f"{preset} remote"], flush=True)

        stream = bench("fairy-tale", runs / "outage.json", 2400, provider, env, wait=False)
        time.sleep(15.0)
        killed = time.perf_counter()
        server.kill()
        time.sleep(8.0)
        server.start()
        back = time.perf_counter()
        stream.wait()
        record = json.loads((runs / "outage.json").read_text())
        results["outage"] = {**outage(runs / "outage.json", killed, back),
                             "remote": record["config"].get("remote")}
        print("outage", results["outage"], flush=True)

        for mode, extra in (("batching on", ()), ("batching off", ("--no-batching",))):
            server.kill()
            server = Server(repository, *extra)
            server.start()
            clients = [bench("fairy-tale", runs / f"four-{mode.split()[1]}-{k}.json", 600,
                             provider, env, wait=False) for k in range(4)]
            for c in clients:
                c.wait()
            results[f"four clients, {mode}"] = [
                summary(runs / f"four-{mode.split()[1]}-{k}.json") for k in range(4)]
            results[f"request load, {mode}"] = request_load(4, 20.0)
            print(mode, results[f"four clients, {mode}"], results[f"request load, {mode}"],
                  flush=True)
    finally:
        server.kill()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "remote-inference.json").write_text(json.dumps(results, indent=1))
    print(f"wrote {RESULTS / 'remote-inference.json'}")


if __name__ == "__main__":
    main()
