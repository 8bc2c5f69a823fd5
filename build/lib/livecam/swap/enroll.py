"""Enrolment: the best usable face among a few photos, with a reason for each one refused."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from collections.abc import Sequence

import cv2
import numpy as np

from livecam.errors import LivecamError, PresetError
from livecam.frame import FrameBGR, Points
from livecam.geometry.align import align_face
from livecam.sources.image import read_image
from livecam.swap.faces_store import EnrolledFace, check_name
from livecam.tracking.openness import eyes_open_ratio
from livecam.tracking.mediapipe_mesh import _import_mediapipe, _to_points
from livecam.tracking.pose import head_pose

SIDE = 256               # stored crop side: the swap's working resolution
MAX_SIDE_PX = 12000      # larger is refused (a scan or a panorama, not a portrait)
WORK_SIDE_PX = 2048      # photos are shrunk to this before detection
MIN_FACE_PX = 120        # smaller faces give a blurry swap
MAX_YAW_DEG, MAX_PITCH_DEG = 25.0, 25.0
EYES_SHUT = 0.12


@dataclass(frozen=True, slots=True)
class Verdict:
    """What enrolment made of one photo: a candidate face or the reason it was refused."""

    photo: str
    face: EnrolledFace | None
    reason: str


def _is_grayscale(image: FrameBGR) -> bool:
    small = cv2.resize(image, (64, 64), interpolation=cv2.INTER_AREA).astype(np.int16)
    return bool(np.abs(small[..., 0] - small[..., 1]).mean() < 2
                and np.abs(small[..., 1] - small[..., 2]).mean() < 2)


def _detect(image: FrameBGR) -> list[Points]:
    mp = _import_mediapipe()
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=8,
                                         refine_landmarks=True,
                                         min_detection_confidence=0.5) as mesh:
        result = mesh.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    h, w = image.shape[:2]
    faces = [_to_points(f, w, h) for f in (result.multi_face_landmarks or [])]
    return sorted(faces, key=lambda p: float(p[:, 0].mean()))   # left to right


def _quality(crop: FrameBGR, size_px: float, yaw: float, pitch: float, eyes: float) -> float:
    sharp = float(cv2.Laplacian(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())
    return float(np.mean([min(size_px / 400.0, 1.0), min(sharp / 300.0, 1.0),
                          1.0 - abs(yaw) / MAX_YAW_DEG * 0.5 - abs(pitch) / MAX_PITCH_DEG * 0.3,
                          min(eyes / 0.25, 1.0)]))


def examine(photo: Path, name: str, pick: int | None = None) -> Verdict:
    """One photo: the face it offers, or why it cannot be used."""
    try:
        image = read_image(photo)
    except LivecamError as exc:
        return Verdict(str(photo), None, f"unreadable: {exc}")
    h, w = image.shape[:2]
    if max(h, w) > MAX_SIDE_PX:
        return Verdict(str(photo), None, f"too large ({w}×{h}); use a photo under "
                                         f"{MAX_SIDE_PX} px on its longest side")
    if min(h, w) < 128:
        return Verdict(str(photo), None, f"too small ({w}×{h}); use a photo at least 256 px "
                                         "across with the face filling a good part of it")
    if _is_grayscale(image):
        return Verdict(str(photo), None, "black-and-white: the swap needs the face's colour")
    scale = min(1.0, WORK_SIDE_PX / max(h, w))
    if scale < 1.0:
        image = cv2.resize(image, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)
    faces = _detect(image)
    if not faces:
        return Verdict(str(photo), None, "no face found: use a clear, well-lit photo of one "
                                         "face looking at the camera")
    if len(faces) > 1 and pick is None:
        return Verdict(str(photo), None, f"{len(faces)} faces: choose one with --pick "
                                         f"1..{len(faces)} (numbered left to right)")
    if pick is not None and not 1 <= pick <= len(faces):
        return Verdict(str(photo), None, f"--pick {pick}, but the photo has {len(faces)} face(s)")
    marks = faces[(pick or 1) - 1]
    size_px = float(np.sqrt(np.ptp(marks[:, 0]) * np.ptp(marks[:, 1]))) / scale
    if size_px < MIN_FACE_PX:
        return Verdict(str(photo), None, f"the face is only {size_px:.0f} px across; use a photo "
                                         f"where it is at least {MIN_FACE_PX} px")
    pose = head_pose(marks)
    if abs(pose.yaw_deg) > MAX_YAW_DEG or abs(pose.pitch_deg) > MAX_PITCH_DEG:
        return Verdict(str(photo), None, f"the head is turned too far (yaw {pose.yaw_deg:+.0f}°, "
                                         f"pitch {pose.pitch_deg:+.0f}°); use a photo facing "
                                         "the camera")
    eyes = eyes_open_ratio(marks)
    if eyes < EYES_SHUT:
        return Verdict(str(photo), None, "the eyes are closed; use a photo with open eyes")
    aligned = align_face(image, marks, SIDE)
    gain = float(np.hypot(*aligned.to_crop[:, 0]))
    crop_marks = np.concatenate([aligned.landmarks, marks[:, 2:3] * gain], axis=1)
    quality = _quality(aligned.image, size_px, pose.yaw_deg, pose.pitch_deg, eyes)
    face = EnrolledFace(name, aligned.image, crop_marks.astype(np.float32), pose, quality,
                        str(photo))
    return Verdict(str(photo), face, f"usable, quality {quality:.2f}")


def enroll(photos: Sequence[Path], name: str, pick: int | None = None
           ) -> tuple[EnrolledFace, list[Verdict]]:
    """The best face among `photos` and the verdict on each.

    Raises:
        PresetError: when no photo is usable, with every photo's reason.
    """
    check_name(name)
    verdicts = [examine(Path(p), name, pick) for p in photos]
    usable = [v.face for v in verdicts if v.face is not None]
    if not usable:
        reasons = "; ".join(f"{Path(v.photo).name}: {v.reason}" for v in verdicts)
        raise PresetError(f"no usable face for '{name}': {reasons}")
    return max(usable, key=lambda f: f.quality), verdicts
