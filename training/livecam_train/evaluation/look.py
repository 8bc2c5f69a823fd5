"""What a stylised face is judged by, read off MediaPipe's mesh on the input and the output:
eye opening, eye-region sharpness, iris position in the eye, mouth opening."""

from __future__ import annotations

import cv2
import numpy as np

from livecam.frame import FrameBGR, Points
from livecam.tracking import mesh_regions as regions

SHARPNESS_BOX = 0.28   # half-side of the box around each iris, in inter-ocular distances


def inter_ocular(landmarks: Points) -> float:
    """Distance between the iris centres, pixels."""
    return float(np.linalg.norm(landmarks[regions.LEFT_IRIS_CENTER, :2]
                                - landmarks[regions.RIGHT_IRIS_CENTER, :2]))


def _area(points: Points) -> float:
    return float(abs(cv2.contourArea(points.astype(np.float32))))


def eye_opening(landmarks: Points) -> float:
    """Area inside both eyelid contours over the inter-ocular distance squared."""
    area = sum(_area(landmarks[list(loop), :2]) for loop in (regions.RIGHT_EYE_LOOP,
                                                              regions.LEFT_EYE_LOOP))
    return area / max(inter_ocular(landmarks) ** 2, 1e-6)


def mouth_opening(landmarks: Points) -> float:
    """Area inside the inner lips over the inter-ocular distance squared."""
    return _area(landmarks[list(regions.INNER_LIPS), :2]) / max(inter_ocular(landmarks) ** 2,
                                                                1e-6)


def iris_positions(landmarks: Points) -> tuple[float, float]:
    """Each iris's offset from its eye's corner midpoint along the corner line, in eye widths
    (0 straight ahead; the sign follows the image's x), right eye then left: both move the
    same way for a sideways look and opposite ways for crossed eyes."""
    offsets = []
    for (a, b), iris in (((33, 133), regions.RIGHT_IRIS_CENTER),
                         ((362, 263), regions.LEFT_IRIS_CENTER)):
        p, q = landmarks[a, :2], landmarks[b, :2]
        axis = q - p
        width = float(np.linalg.norm(axis))
        mid = (p + q) / 2
        offsets.append(float((landmarks[iris, :2] - mid) @ axis) / max(width ** 2, 1e-6))
    return offsets[0], offsets[1]


def iris_position(landmarks: Points) -> float:
    """Both irises' mean offset (see `iris_positions`): where the face looks, sideways."""
    return float(np.mean(iris_positions(landmarks)))


def eye_sharpness(image: FrameBGR, landmarks: Points) -> float:
    """Mean squared Sobel gradient of the grey image in a box around each iris."""
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    half = SHARPNESS_BOX * inter_ocular(landmarks)
    energies = []
    h, w = gray.shape
    for iris in (regions.RIGHT_IRIS_CENTER, regions.LEFT_IRIS_CENTER):
        cx, cy = landmarks[iris, :2]
        x0, x1 = int(max(cx - half, 0)), int(min(cx + half + 1, w))
        y0, y1 = int(max(cy - half, 0)), int(min(cy + half + 1, h))
        if x1 - x0 < 3 or y1 - y0 < 3:
            continue
        box = gray[y0:y1, x0:x1]
        gx = cv2.Sobel(box, cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(box, cv2.CV_32F, 0, 1, ksize=3)
        energies.append(float(np.mean(gx[1:-1, 1:-1] ** 2 + gy[1:-1, 1:-1] ** 2)))
    return float(np.mean(energies)) if energies else 0.0


class MeshReader:
    """MediaPipe's mesh on single images (static mode: every image detected afresh)."""

    def __init__(self) -> None:
        import mediapipe as mp  # noqa: PLC0415 - heavy; only the benchmarks read meshes

        self._mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1,
                                                     refine_landmarks=True,
                                                     min_detection_confidence=0.5)

    def read(self, image: FrameBGR) -> Points | None:
        """The largest face's 478×3 mesh in pixels, or None when no face is found."""
        from livecam.tracking.mediapipe_mesh import _to_points  # noqa: PLC0415

        result = self._mesh.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
        if not result.multi_face_landmarks:
            return None
        h, w = image.shape[:2]
        return _to_points(result.multi_face_landmarks[0], w, h)

    def close(self) -> None:
        self._mesh.close()
