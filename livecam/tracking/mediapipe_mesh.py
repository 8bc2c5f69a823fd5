"""MediaPipe face mesh (478 points with iris) with a full-range detector for small faces."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from livecam.errors import TrackerError
from livecam.frame import Face, Frame, FrameBGR, Points, box_size
from livecam.tracking import mesh_regions as regions
from livecam.tracking.identity import Box, IdAssigner, iou
from livecam.tracking.one_euro import OneEuroFilter
from livecam.tracking.pose import head_pose
from livecam.tracking.settings import TrackingSettings

_CROP_SIDE_PX = 256
# what moves on its own, faster than the head: lids, irises and lips
EXPRESSION_POINTS = tuple(sorted(set(regions.RIGHT_EYE_LOOP) | set(regions.LEFT_EYE_LOOP)
                                 | set(range(468, 478)) | set(regions.LIPS)))


def _import_mediapipe() -> Any:
    try:
        import mediapipe as mp  # noqa: PLC0415 - heavy import, done once per tracker
    except ImportError as exc:
        raise TrackerError("mediapipe is not installed; reinstall livecam with "
                           "'pip install -e .' (it needs mediapipe==0.10.21)") from exc
    if not hasattr(mp, "solutions"):
        raise TrackerError(f"mediapipe {getattr(mp, '__version__', '?')} ships no face models; "
                           "install mediapipe==0.10.21")
    return mp


def _to_points(landmarks: Any, width: int, height: int,
               offset: tuple[float, float] = (0.0, 0.0), scale: float = 1.0) -> Points:
    marks = landmarks.landmark
    raw = np.fromiter((v for p in marks for v in (p.x, p.y, p.z)), dtype=np.float32,
                      count=3 * len(marks)).reshape(-1, 3)
    gain = np.array([width * scale, height * scale, width * scale], np.float32)
    return raw * gain + np.array([offset[0], offset[1], 0.0], np.float32)


def _box(points: Points) -> Box:
    return (float(points[:, 0].min()), float(points[:, 1].min()),
            float(points[:, 0].max()), float(points[:, 1].max()))


class MediaPipeTracker:
    """Tracks up to `max_faces` faces per frame in video mode.

    The main face is followed by a one-face mesh in video mode, whose detector then only runs
    when that face is lost: a mesh allowed several faces runs its detector on every frame,
    which costs a single streamer a millisecond for nothing. Further faces, and faces too small
    for the mesh's short-range detector, are found every `small_face_every_frames` frames by
    the full-range detector and followed on upscaled crops around their last position.
    """

    def __init__(self, settings: TrackingSettings) -> None:
        mp = _import_mediapipe()
        self.settings = settings
        self._mesh = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=False, max_num_faces=1, refine_landmarks=True,
            min_detection_confidence=settings.min_detection_confidence,
            min_tracking_confidence=settings.min_tracking_confidence)
        self._crop_mesh = None
        self._detector = None
        if settings.small_faces or settings.max_faces > 1:
            self._crop_mesh = mp.solutions.face_mesh.FaceMesh(
                static_image_mode=True, max_num_faces=1, refine_landmarks=True,
                min_detection_confidence=0.3)
            self._detector = mp.solutions.face_detection.FaceDetection(
                model_selection=1, min_detection_confidence=0.5)
        self._ids = IdAssigner()
        self._filters: dict[int, OneEuroFilter] = {}
        self._small_boxes: list[Box] = []
        self._frames = 0

    def track(self, frame: Frame) -> list[Face]:
        image = frame.image
        h, w = image.shape[:2]
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        rgb.flags.writeable = False
        result = self._mesh.process(rgb)
        found: list[tuple[Points, float]] = [
            (_to_points(lm, w, h), 1.0) for lm in (result.multi_face_landmarks or [])]
        if self._detector is not None and len(found) < self.settings.max_faces:
            found += self._small_faces(rgb, [_box(p) for p, _ in found])
        if len(found) > self.settings.max_faces:  # keep the largest faces
            found.sort(key=lambda f: -float(np.ptp(f[0][:, 0]) * np.ptp(f[0][:, 1])))
            found = found[: self.settings.max_faces]
        boxes = [_box(p) for p, _ in found]
        ids = self._ids.assign(boxes)
        faces = [self._face(face_id, points, score, frame.capture_s)
                 for face_id, (points, score) in zip(ids, found)]
        active = self._ids.active()
        self._filters = {k: f for k, f in self._filters.items() if k in active}
        self._frames += 1
        return faces

    def _face(self, face_id: int, points: Points, score: float, t_s: float) -> Face:
        box = _box(points)
        size = box_size(box)
        if self.settings.smoothing:
            filt = self._filters.get(face_id)
            if filt is None:
                filt = OneEuroFilter(self.settings.min_cutoff_hz, self.settings.beta,
                                     own_speed=EXPRESSION_POINTS)
                self._filters[face_id] = filt
            points = filt(points, t_s, scale=size)
            box = _box(points)
        return Face(face_id=face_id, landmarks=points, box=box, pose=head_pose(points),
                    score=score)

    def _small_faces(self, rgb: FrameBGR, known: list[Box]) -> list[tuple[Points, float]]:
        """Faces the mesh missed: re-found on crops around last frame's small faces."""
        assert self._detector is not None
        h, w = rgb.shape[:2]
        candidates = list(self._small_boxes)
        periodic = self._frames % self.settings.small_face_every_frames == 0
        if (not known and self.settings.small_faces) or (periodic and self.settings.max_faces > 1):
            detected = self._detector.process(rgb).detections or []
            for det in detected:
                rel = det.location_data.relative_bounding_box
                box = (rel.xmin * w, rel.ymin * h, (rel.xmin + rel.width) * w,
                       (rel.ymin + rel.height) * h)
                if all(iou(box, c) < 0.3 for c in candidates):
                    candidates.append(box)
        found: list[tuple[Points, float]] = []
        self._small_boxes = []
        for box in candidates:
            if any(iou(box, k) > 0.2 for k in known):
                continue
            points = self._mesh_on_crop(rgb, box)
            if points is not None:
                found.append((points, 0.8))
                self._small_boxes.append(_box(points))
                known = known + [_box(points)]
        return found

    def _mesh_on_crop(self, rgb: FrameBGR, box: Box) -> Points | None:
        assert self._crop_mesh is not None
        h, w = rgb.shape[:2]
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        half = max(box[2] - box[0], box[3] - box[1]) * 1.2
        x0, y0 = int(max(0, cx - half)), int(max(0, cy - half))
        x1, y1 = int(min(w, cx + half)), int(min(h, cy + half))
        if x1 - x0 < 8 or y1 - y0 < 8:
            return None
        scale = _CROP_SIDE_PX / max(x1 - x0, y1 - y0)
        crop = cv2.resize(rgb[y0:y1, x0:x1], None, fx=scale, fy=scale,
                          interpolation=cv2.INTER_CUBIC)
        result = self._crop_mesh.process(crop)
        if not result.multi_face_landmarks:
            return None
        ch, cw = crop.shape[:2]
        return _to_points(result.multi_face_landmarks[0], cw, ch, (x0, y0), 1.0 / scale)

    def close(self) -> None:
        for solution in (self._mesh, self._crop_mesh, self._detector):
            if solution is not None:
                solution.close()
        self._mesh = self._crop_mesh = self._detector = None
