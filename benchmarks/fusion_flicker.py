"""Frame-to-frame flicker of each fusion-model variant on the shared videos, in the real pipeline.

    python benchmarks/fusion_flicker.py   →  benchmarks/results/fusion-flicker.json

The publish gate measures shimmer on a one-pixel shift of still images; this measures what a
viewer sees. Each variant runs the face-swap effect (one enrolled test photo, hands off so
every variant sees the same frames) on the first 150 tracked frames of two shared clips, with
the temporal filter off and at its shipped strength; the figure is the mean frame-to-frame
change in the face box over the camera's own (lower is steadier).

Variants: the shipped float32 and INT8 files, plus two that are measured and not shipped,
rebuilt here from the committed weights: static INT8 of the float training, and the float
export of the INT8 fine-tune (needs the `train` extra and `livecam train prepare`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from pathlib import Path

import cv2
import numpy as np

os.environ.setdefault("LIVECAM_HOME", tempfile.mkdtemp())

from livecam.effects.face_swap import FaceSwapEffect, FaceSwapSettings  # noqa: E402
from livecam.frame import Face, Frame  # noqa: E402
from livecam.inference.manifest import load_manifest, sha256_of  # noqa: E402
from livecam.inference.onnx_model import FusionModel  # noqa: E402
from livecam.swap.enroll import enroll  # noqa: E402
from livecam.swap.faces_store import save_face  # noqa: E402
from livecam.tracking.mediapipe_mesh import MediaPipeTracker  # noqa: E402
from livecam.tracking.settings import TrackingSettings  # noqa: E402

HERE = Path(__file__).resolve().parent
DATA = Path(os.environ.get("LIVECAM_DATA", "../shared/data"))
MODELS = HERE.parent / "models"
CLIPS = ("liveportrait_d9.mp4", "liveportrait_d10.mp4")


def unshipped_variants(folder: Path) -> dict[str, Path]:
    import torch  # noqa: PLC0415

    from livecam_train.export import export_float32, export_int8  # noqa: PLC0415
    from livecam_train.fusion_net import FUSION_TIERS, FusionNet  # noqa: PLC0415
    from livecam_train.train_fusion import held_out_batch  # noqa: PLC0415

    checkpoints = HERE.parent / "training" / "checkpoints"
    out = {}
    for name, weights in (("float training, static INT8", "fusion-S.pt"),
                          ("INT8 fine-tune, float32", "fusion-S-qat.pt")):
        saved = torch.load(checkpoints / weights, weights_only=False)
        net = FusionNet(FUSION_TIERS["S"])
        net.load_state_dict(saved["model"])
        fp32 = export_float32(net.eval(), folder / f"{weights}.onnx", channels=7,
                              names=("swap", "fused"))
        if "static" in name:
            calibration, _, _ = held_out_batch(HERE.parent / "training" / "cache", 256,
                                               count=48, seed=99)
            fp32 = export_int8(fp32, folder / f"{weights}.int8.onnx", calibration.numpy(),
                               input_name="swap")
        out[name] = fp32
    return out


def tracked(clip: str, count: int = 150) -> list[tuple[np.ndarray, Face]]:
    video = cv2.VideoCapture(str(DATA / "videos" / clip))
    tracker = MediaPipeTracker(TrackingSettings(max_faces=1))
    frames: list[tuple[np.ndarray, Face]] = []
    while len(frames) < count:
        ok, image = video.read()
        if not ok:
            break
        faces = tracker.track(Frame(image, len(frames), len(frames) / 30))
        if faces:
            frames.append((image, faces[0]))
    tracker.close()
    return frames


def flicker(frames: list[tuple[np.ndarray, Face]], path: Path, steady: float) -> float:
    template = load_manifest(MODELS)["fusion-swap-S-float32"]
    effect = FaceSwapEffect(FaceSwapSettings(faces=("bench",), fusion="on", steady=steady,
                                             occluders="off", threads=2))
    entry = dataclasses.replace(template, file=path.name, sha256=sha256_of(path))
    effect.model = FusionModel(entry, path, threads=2)
    change, camera = [], []
    previous = None
    for i, (image, face) in enumerate(frames):
        out = effect.apply(Frame(image, i, i / 30), [face])
        x0, y0, x1, y1 = (int(v) for v in face.box)
        now = (out[y0:y1, x0:x1].astype(np.float64), image[y0:y1, x0:x1].astype(np.float64))
        if previous is not None and previous[0].shape == now[0].shape:
            change.append(np.abs(now[0] - previous[0]).mean())
            camera.append(np.abs(now[1] - previous[1]).mean())
        previous = now
    effect.close()
    return float(np.mean(change) / np.mean(camera))


def main() -> int:
    save_face(enroll([DATA / "test-photos" / "deepface_img5.jpg"], "bench")[0])
    with tempfile.TemporaryDirectory() as scratch:
        variants = {"float32 (shipped)": MODELS / "fusion-swap-S-fp32.onnx",
                    "INT8 fine-tune (shipped)": MODELS / "fusion-swap-S-int8.onnx",
                    **unshipped_variants(Path(scratch))}
        result: dict[str, dict[str, float]] = {name: {} for name in variants}
        for clip in CLIPS:
            frames = tracked(clip)
            for steady in (0.0, FaceSwapSettings().steady):   # off, and as shipped
                for name, path in variants.items():
                    key = f"{clip.removesuffix('.mp4')}, steady {steady}"
                    result[name][key] = round(flicker(frames, path, steady), 3)
                    print(f"{key}: {name}: {result[name][key]}", flush=True)
    out = HERE / "results" / "fusion-flicker.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
