"""Make the 1280×720 30 fps test video the standard benchmarks use, from the shared footage.

The shared clips are 512-pixel talking heads; a webcam delivers 1280×720. The clip is scaled to
720 rows and centred on a blurred, widened copy of itself, as a person sits in a webcam frame.
Output goes to benchmarks/.cache/ (not committed: it is derived from research-only footage).

    python benchmarks/prepare_videos.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import cv2

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
DEFAULT_DATA = Path(os.environ.get("LIVECAM_DATA", HERE.parent.parent / "shared" / "data"))


def widen_to_720p(src: Path, dst: Path, width: int = 1280, height: int = 720) -> Path:
    capture = cv2.VideoCapture(str(src))
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    writer = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        h, w = frame.shape[:2]
        inner_w = round(w * height / h)
        inner = cv2.resize(frame, (inner_w, height), interpolation=cv2.INTER_CUBIC)
        canvas = cv2.GaussianBlur(cv2.resize(frame, (width, height)), (0, 0), 20)
        x0 = (width - inner_w) // 2
        canvas[:, x0:x0 + inner_w] = inner
        writer.write(canvas)
    writer.release()
    capture.release()
    return dst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    CACHE.mkdir(exist_ok=True)
    for name in ("liveportrait_d9", "liveportrait_d10"):
        dst = CACHE / f"{name}_720p.mp4"
        if not dst.exists():
            widen_to_720p(args.data / "videos" / f"{name}.mp4", dst)
        print(dst)


if __name__ == "__main__":
    main()
