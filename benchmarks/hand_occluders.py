"""Hands kept in front of a swapped face: false alarms on the shared videos and the cost.

None of the shared clips shows a hand in front of the face, so every hand the palm detector
reports there is a false alarm; livecam keeps only hands that reach out of the face
(`livecam.swap.occluders.reaches_out_of`). Reported per clip: frames, frames with a detected
hand, frames with a believed one, and the tracker's time per frame (palm search on one frame
in three while no hand is in view, as the effect runs it).

    python benchmarks/hand_occluders.py --out benchmarks/results/hand-occluders.json
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import cv2
import numpy as np

from livecam.frame import Frame
from livecam.swap.occluders import reaches_out_of
from livecam.tracking.hands import HandTracker
from livecam.tracking.mediapipe_mesh import MediaPipeTracker
from livecam.tracking.settings import TrackingSettings

HERE = Path(__file__).resolve().parent
DATA = Path(os.environ.get("LIVECAM_DATA", HERE.parent.parent / "shared" / "data"))


def scan(video: Path, frames: int) -> dict[str, float]:
    capture = cv2.VideoCapture(str(video))
    faces_tracker = MediaPipeTracker(TrackingSettings(max_faces=1))
    hands_tracker = HandTracker()
    seen = detected = believed = 0
    times = []
    while seen < frames:
        ok, image = capture.read()
        if not ok:
            break
        faces = faces_tracker.track(Frame(image, seen, seen / 30))
        start = time.perf_counter()
        hands = hands_tracker.hands(image)
        times.append(time.perf_counter() - start)
        seen += 1
        detected += bool(hands)
        believed += bool(faces and any(reaches_out_of(h, faces[0].landmarks) for h in hands))
    faces_tracker.close()
    hands_tracker.close()
    return {"frames": seen, "hand_detected": detected, "hand_believed": believed,
            "ms_mean": 1000 * float(np.mean(times)),
            "ms_p95": 1000 * float(np.percentile(times, 95))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "hand-occluders.json")
    args = parser.parse_args()
    results = {video.name: scan(video, args.frames)
               for video in sorted((DATA / "videos").glob("*.mp4"))}
    args.out.write_text(json.dumps(results, indent=1))
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
