"""How often `occluders = "objects"` keeps a microphone in front, and what it flags without one.

    python benchmarks/object_occluders.py   →  benchmarks/results/object-occluders.json

The shared test photos, each as it is and with a dark microphone drawn over the mouth (its
handle leaving the frame at the bottom, as a microphone on a stand or in a hand does), through
real MediaPipe tracking and the face-swap alignment. A microphone counts as kept when at least
90 % of its pixels inside the swap region are under the object mask. Without one, any flagged
pixel is a false occluder: the swap would leave the streamer's own face there. No picture is
written: it would be a copy of the shared photos.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from livecam.frame import Frame  # noqa: E402
from livecam.geometry.align import align_face  # noqa: E402
from livecam.swap.occluders import object_mask  # noqa: E402
from livecam.compositing.masks import face_region  # noqa: E402
from livecam.tracking.mediapipe_mesh import MediaPipeTracker  # noqa: E402
from livecam.tracking.settings import TrackingSettings  # noqa: E402
from test_face_swap import _hold_microphone  # noqa: E402

DATA = Path("../shared/data/test-photos")
PHOTOS = ("deepface_img5.jpg", "deepface_img17.jpg", "deepface_img20.jpg", "deepface_img22.jpg",
          "deepface_img25.jpg", "liveportrait_d9.jpg",
          "vtoonify_pexels-andrea-piacquadio-733872.jpg", "facerec_rose_leslie_img2.jpg")
SIDE = 256


def main() -> int:
    tracker = MediaPipeTracker(TrackingSettings(max_faces=1))
    rows, times = [], []
    for name in PHOTOS:
        image = cv2.imread(str(DATA / name))
        faces = tracker.track(Frame(image, 0, 0.0))
        if not faces:
            rows.append({"photo": name, "error": "no face"})
            continue
        held, microphone = _hold_microphone(image, faces[0].landmarks)
        plain = align_face(image, faces[0].landmarks, SIDE)
        flagged = float((object_mask(plain.image, plain.landmarks) > 0.5).mean())
        with_mic = align_face(held, faces[0].landmarks, SIDE)
        started = time.perf_counter()
        mask = object_mask(with_mic.image, with_mic.landmarks)
        times.append((time.perf_counter() - started) * 1000)
        region = face_region(with_mic.landmarks, SIDE, scale=0.94)
        mic = cv2.warpAffine(microphone.astype(np.uint8), with_mic.to_crop, (SIDE, SIDE),
                             flags=cv2.INTER_NEAREST) > 0
        inside = mic & region
        covered = float((mask[inside] > 0.5).mean()) if inside.any() else 0.0
        rows.append({"photo": name, "microphone_covered": round(covered, 3),
                     "kept": covered >= 0.9, "flagged_without_one": round(flagged, 4)})
        print(rows[-1], flush=True)
    tracker.close()
    done = [r for r in rows if "error" not in r]
    result = {"photos": rows, "kept": sum(r["kept"] for r in done), "of": len(done),
              "false_occluders": sum(r["flagged_without_one"] > 0 for r in done),
              "mask_ms_median_256": round(float(np.median(times)), 2)}
    out = HERE / "results" / "object-occluders.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"kept {result['kept']} of {result['of']}; false occluders on "
          f"{result['false_occluders']}; mask {result['mask_ms_median_256']} ms at 256²")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
