"""Enrolment: the best usable views of a face among photos and clip frames, with a reason for
each one refused.

The best frontal view is the face; the best view turned to either side is kept beside it, so
a streamer turning their head wears texture that was seen from that side instead of the
frontal photo stretched around the cheek.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from pathlib import Path
from collections.abc import Sequence

import cv2
import numpy as np

from livecam.errors import LivecamError, PresetError
from livecam.frame import FrameBGR, Points
from livecam.geometry.align import align_face
from livecam.sources.image import read_image
from livecam.swap.faces_store import EnrolledFace, FaceView, check_name
from livecam.tracking.openness import EYES_SHUT, eyes_open_ratio, mouth_open_ratio
from livecam.tracking.mediapipe_mesh import _import_mediapipe, _to_points
from livecam.tracking.pose import head_pose

SIDE = 256               # stored crop side: the swap's working resolution
MAX_SIDE_PX = 12000      # larger is refused (a scan or a panorama, not a portrait)
WORK_SIDE_PX = 2048      # photos are shrunk to this before detection
MIN_FACE_PX = 120        # smaller faces give a blurry swap
SMALL_FACE_MARGIN = 2.2  # a small face's crop, in face-box sides
SMALL_FACE_SIDE = 512    # the side it is enlarged to for the mesh
MAX_YAW_DEG, MAX_PITCH_DEG = 25.0, 25.0   # a frontal view
MAX_TURNED_DEG = 40.0    # a turned view; further and the far cheek is hidden
TURNED_MIN_DEG = 12.0    # a turned view at least this far from the frontal one
CLIP_FRAMES = 24         # frames looked at in an enrolment clip, spread over it
CLIP_SUFFIXES = frozenset({".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v"})
LIPS_PARTED = 0.25       # a mouth this open costs a view half its mouth score


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
    """Every face's mesh, left to right. The mesh's own detector finds only faces that fill a
    good part of the picture, so when it finds none, the full-range detector looks for small
    ones and the mesh is read on an enlarged crop around each."""
    mp = _import_mediapipe()
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=8,
                                         refine_landmarks=True,
                                         min_detection_confidence=0.5) as mesh:
        faces = _meshes(mesh, image)
        if not faces:
            faces = _small_faces(mp, mesh, image)
    return sorted(faces, key=lambda p: float(p[:, 0].mean()))   # left to right


def _meshes(mesh: Any, image: FrameBGR) -> list[Points]:
    result = mesh.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    h, w = image.shape[:2]
    return [_to_points(f, w, h) for f in (result.multi_face_landmarks or [])]


def _small_faces(mp: Any, mesh: Any, image: FrameBGR) -> list[Points]:
    faces: list[Points] = []
    for cx, cy, side in _face_boxes(mp, image):
        x0, y0 = int(cx - side / 2), int(cy - side / 2)
        crop = cv2.copyMakeBorder(image, side, side, side, side, cv2.BORDER_REPLICATE)[
            y0 + side:y0 + 2 * side, x0 + side:x0 + 2 * side]
        scale = SMALL_FACE_SIDE / max(side, 1)
        big = cv2.resize(crop, (SMALL_FACE_SIDE, SMALL_FACE_SIDE),
                         interpolation=cv2.INTER_CUBIC)
        for points in _meshes(mesh, big)[:1]:
            moved = points.copy()
            moved[:, :2] = points[:, :2] / scale + (x0, y0)
            moved[:, 2] = points[:, 2] / scale
            faces.append(moved)
    return faces


def _face_boxes(mp: Any, image: FrameBGR) -> list[tuple[float, float, int]]:
    """Centre and crop side of each face the full-range detector finds, on the whole picture
    and, since it looks at a small copy, on overlapping tiles of half its short side."""
    h, w = image.shape[:2]
    tile = max(min(h, w) // 2, 256)
    step = tile // 2
    views = [(0, 0, w, h)] + [(x, y, min(tile, w - x), min(tile, h - y))
                              for y in range(0, max(h - step, 1), step)
                              for x in range(0, max(w - step, 1), step)]
    boxes: list[tuple[float, float, int]] = []
    with mp.solutions.face_detection.FaceDetection(model_selection=1,
                                                   min_detection_confidence=0.5) as detector:
        for x, y, vw, vh in views:
            view = np.ascontiguousarray(image[y:y + vh, x:x + vw])
            found = detector.process(cv2.cvtColor(view, cv2.COLOR_BGR2RGB)).detections or []
            for detection in found:
                box = detection.location_data.relative_bounding_box
                cx, cy = x + (box.xmin + box.width / 2) * vw, y + (box.ymin + box.height / 2) * vh
                size = max(box.width * vw, box.height * vh)
                if all(abs(cx - bx) > size / 2 or abs(cy - by) > size / 2
                       for bx, by, _ in boxes):   # the same face seen from two tiles
                    boxes.append((cx, cy, int(size * SMALL_FACE_MARGIN)))
    return boxes


def _quality(crop: FrameBGR, size_px: float, yaw: float, pitch: float, eyes: float,
             mouth: float) -> float:
    """0–1: large, sharp, facing the camera, eyes open and lips closed (the worn lips follow
    the streamer's, and lips parted in the photo would be stretched shut)."""
    sharp = float(cv2.Laplacian(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())
    return float(np.mean([min(size_px / 400.0, 1.0), min(sharp / 300.0, 1.0),
                          1.0 - abs(yaw) / MAX_YAW_DEG * 0.5 - abs(pitch) / MAX_PITCH_DEG * 0.3,
                          min(eyes / 0.25, 1.0), 1.0 - min(mouth / LIPS_PARTED, 1.0) * 0.5]))


def examine(photo: Path, name: str, pick: int | None = None) -> Verdict:
    """One photo: the face it offers, or why it cannot be used."""
    try:
        image = read_image(photo)
    except LivecamError as exc:
        return Verdict(str(photo), None, f"unreadable: {exc}")
    return examine_image(image, str(photo), name, pick)


def examine_image(image: FrameBGR, label: str, name: str, pick: int | None = None) -> Verdict:
    """One picture (a photo, or a frame of a clip, named by `label`)."""
    h, w = image.shape[:2]
    if max(h, w) > MAX_SIDE_PX:
        return Verdict(label, None, f"too large ({w}×{h}); use a photo under "
                                    f"{MAX_SIDE_PX} px on its longest side")
    if min(h, w) < 128:
        return Verdict(label, None, f"too small ({w}×{h}); use a photo at least 256 px "
                                    "across with the face filling a good part of it")
    scale = min(1.0, WORK_SIDE_PX / max(h, w))
    if scale < 1.0:
        image = cv2.resize(image, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)
    faces = _detect(image)
    if not faces:
        return Verdict(label, None, "no face found: use a clear, well-lit photo of one "
                                    "face looking at the camera")
    if len(faces) > 1 and pick is None:
        return Verdict(label, None, f"{len(faces)} faces: choose one with --pick "
                                    f"1..{len(faces)} (numbered left to right)")
    if pick is not None and not 1 <= pick <= len(faces):
        return Verdict(label, None, f"--pick {pick}, but the picture has {len(faces)} face(s)")
    marks = faces[(pick or 1) - 1]
    size_px = float(np.sqrt(np.ptp(marks[:, 0]) * np.ptp(marks[:, 1]))) / scale
    if size_px < MIN_FACE_PX:
        return Verdict(label, None, f"the face is only {size_px:.0f} px across; use a photo "
                                    f"where it is at least {MIN_FACE_PX} px")
    pose = head_pose(marks)
    if abs(pose.yaw_deg) > MAX_TURNED_DEG or abs(pose.pitch_deg) > MAX_PITCH_DEG:
        return Verdict(label, None, f"the head is turned too far (yaw {pose.yaw_deg:+.0f}°, "
                                    f"pitch {pose.pitch_deg:+.0f}°); use a photo facing "
                                    "the camera")
    eyes = eyes_open_ratio(marks)
    if eyes < EYES_SHUT:
        return Verdict(label, None, "the eyes are closed; use a photo with open eyes")
    aligned = align_face(image, marks, SIDE)
    if _is_grayscale(aligned.image):   # the face itself: a grey backdrop is no reason
        return Verdict(label, None, "black-and-white: the swap needs the face's colour")
    gain = float(np.hypot(*aligned.to_crop[:, 0]))
    crop_marks = np.concatenate([aligned.landmarks, marks[:, 2:3] * gain], axis=1)
    mouth = mouth_open_ratio(marks)
    quality = _quality(aligned.image, size_px, pose.yaw_deg, pose.pitch_deg, eyes, mouth)
    view = FaceView(aligned.image, crop_marks.astype(np.float32), pose, quality, label)
    turned = "" if _frontal(view) else f", turned {pose.yaw_deg:+.0f}°"
    # the worn lips follow the streamer's: parted ones are stretched shut on a closed mouth
    parted = (", lips parted: a photo with the lips closed swaps better"
              if mouth >= LIPS_PARTED else "")
    return Verdict(label, EnrolledFace(name, (view,)),
                   f"usable, quality {quality:.2f}{turned}{parted}")


def _frontal(view: FaceView) -> bool:
    return abs(view.pose.yaw_deg) <= MAX_YAW_DEG


def clip_frames(clip: Path) -> list[tuple[str, FrameBGR]]:
    """Up to CLIP_FRAMES frames spread over a clip, each labelled with its time.

    Raises:
        PresetError: when the clip cannot be read.
    """
    video = cv2.VideoCapture(str(clip))
    try:
        count = int(video.get(cv2.CAP_PROP_FRAME_COUNT))
        fps = video.get(cv2.CAP_PROP_FPS) or 30.0
        if not video.isOpened() or count <= 0:
            raise PresetError(f"{clip}: not a readable video; enrol from photos or an MP4, "
                              "MOV, MKV or WebM clip")
        frames = []
        for index in np.linspace(0, count - 1, min(CLIP_FRAMES, count)).astype(int):
            video.set(cv2.CAP_PROP_POS_FRAMES, int(index))
            ok, frame = video.read()
            if ok:
                frames.append((f"{clip}@{index / fps:.1f}s", frame))
        return frames
    finally:
        video.release()


def choose_views(candidates: Sequence[FaceView]) -> tuple[FaceView, ...]:
    """The best frontal view, then the best view turned to each side (when there is one)."""
    front = max((v for v in candidates if _frontal(v)), key=lambda v: v.quality)
    views = [front]
    for side in (-1.0, 1.0):
        turned = [v for v in candidates
                  if side * (v.pose.yaw_deg - front.pose.yaw_deg) >= TURNED_MIN_DEG]
        if turned:
            views.append(max(turned, key=lambda v: v.quality))
    return tuple(views)


def enroll(sources: Sequence[Path], name: str, pick: int | None = None
           ) -> tuple[EnrolledFace, list[Verdict]]:
    """The face from `sources` (photos and clips) and the verdict on each picture.

    Raises:
        PresetError: when no picture faces the camera, with every picture's reason.
    """
    check_name(name)
    verdicts = []
    for source in (Path(p) for p in sources):
        if source.suffix.lower() in CLIP_SUFFIXES:
            verdicts += [examine_image(frame, label, name, pick)
                         for label, frame in clip_frames(source)]
        else:
            verdicts.append(examine(source, name, pick))
    usable = [v.face.front for v in verdicts if v.face is not None]
    if not any(_frontal(v) for v in usable):
        reasons = "; ".join(f"{Path(v.photo).name}: {v.reason}" for v in verdicts)
        turned = " (only turned views: add one facing the camera)" if usable else ""
        raise PresetError(f"no usable face for '{name}'{turned}: {reasons}")
    return EnrolledFace(name, choose_views(usable)), verdicts
