"""A sink that takes 100 ms per frame beside a null sink, on a 1280x720 30 fps video paced in
real time: the null sink must still get ≥ 29.5 fps (each sink has its own thread and hand-off).

    python benchmarks/slow_sink.py [--preset passthrough] [--frames 600]

Writes benchmarks/results/slow-sink-PRESET.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
VIDEO = HERE / ".cache" / "liveportrait_d9_720p.mp4"


def main() -> None:
    from livecam.app import RunConfig, run  # noqa: PLC0415
    from livecam.sinks.null import NullSink  # noqa: PLC0415
    from livecam.sinks.protocol import OutputFrame  # noqa: PLC0415
    from livecam.sources.factory import SourceSpec  # noqa: PLC0415

    class Timed(NullSink):
        def __init__(self, name: str, sleep_s: float) -> None:
            super().__init__()
            self.name, self.sleep_s = name, sleep_s
            self.times: list[float] = []

        def write(self, frame: OutputFrame) -> None:
            time.sleep(self.sleep_s)
            self.times.append(time.monotonic())
            super().write(frame)

        def fps(self) -> float:
            t = self.times[len(self.times) // 10:]   # past the warm-up
            return (len(t) - 1) / (t[-1] - t[0]) if len(t) > 1 else 0.0

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="passthrough")
    parser.add_argument("--frames", type=int, default=600)
    args = parser.parse_args()
    subprocess.run([sys.executable, str(HERE / "prepare_videos.py")], check=True,
                   stdout=subprocess.DEVNULL)
    slow, null = Timed("slow", 0.1), Timed("null", 0.0)
    config = RunConfig(source=SourceSpec(str(VIDEO), loop=True), preset=args.preset,
                       max_frames=args.frames)
    started = time.monotonic()
    result = run(config, sinks=[slow, null])
    latency = np.array([r.latency_ms for r in result.records])
    report = {"preset": args.preset, "frames": args.frames,
              "seconds": time.monotonic() - started,
              "null_sink_fps": null.fps(), "slow_sink_fps": slow.fps(),
              "null_frames": null.frames, "slow_frames": slow.frames,
              "latency_ms_p95": float(np.percentile(latency, 95)) if len(latency) else None}
    out = HERE / "results" / f"slow-sink-{args.preset}.json"
    out.write_text(json.dumps(report, indent=1))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
