"""The landmark-based face crop shared by training and the live effects.

A similarity transform (rotation, uniform scale, shift) puts the eye centres and the mouth
centre at fixed places in a square crop that holds the whole head with some hair, so a model
sees faces the same way whether they came from a dataset photo or a webcam.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from livecam.frame import FrameBGR, Points

Affine = npt.NDArray[np.float64]  # 2×3

RIGHT_EYE = (33, 133, 159, 145)   # the subject's right eye: corners and lids
LEFT_EYE = (263, 362, 386, 374)
MOUTH = (61, 291, 13, 14)

# Where the eye and mouth centres land, as fractions of the crop side.
TEMPLATE = np.array([[0.385, 0.46], [0.615, 0.46], [0.5, 0.70]], dtype=np.float64)


@dataclass(frozen=True, slots=True)
class AlignedFace:
    """A face crop and how to get back to the frame.

    Attributes:
        image: side×side crop.
        landmarks: The face's landmarks in crop pixels (x, y).
        to_crop: 2×3 affine from frame to crop pixels.
    """

    image: FrameBGR
    landmarks: Points
    to_crop: Affine

    @property
    def side(self) -> int:
        return int(self.image.shape[0])

    def to_frame(self) -> Affine:
        """The inverse affine, crop to frame."""
        return cv2.invertAffineTransform(self.to_crop)


def anchor_points(landmarks: Points) -> npt.NDArray[np.float64]:
    """Right eye, left eye and mouth centres from the mesh (3×2)."""
    pts = landmarks[:, :2].astype(np.float64)
    return np.stack([pts[list(RIGHT_EYE)].mean(0), pts[list(LEFT_EYE)].mean(0),
                     pts[list(MOUTH)].mean(0)])


def similarity(src: npt.NDArray[np.float64], dst: npt.NDArray[np.float64]) -> Affine:
    """Least-squares similarity taking `src` points onto `dst` (no reflection): in complex
    numbers dst ≈ a·src + b, solved in closed form."""
    s = src[:, 0] + 1j * src[:, 1]
    d = dst[:, 0] + 1j * dst[:, 1]
    s0, d0 = s - s.mean(), d - d.mean()
    a = complex(np.vdot(s0, d0) / max(float(np.vdot(s0, s0).real), 1e-12))
    b = complex(d.mean() - a * s.mean())
    return np.array([[a.real, -a.imag, b.real], [a.imag, a.real, b.imag]])


def crop_transform(landmarks: Points, side: int) -> Affine:
    """Frame-to-crop affine for a `side`-pixel crop of this face."""
    return similarity(anchor_points(landmarks), TEMPLATE * side)


def crop_scale(matrix: Affine) -> float:
    """How many crop pixels one frame pixel spans under a frame-to-crop affine."""
    return float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))


def align_face(image: FrameBGR, landmarks: Points, side: int,
               border: int = cv2.BORDER_REPLICATE) -> AlignedFace:
    """Cut the aligned `side`×`side` crop of one face out of `image`.

    Where the crop reaches past the image edge, `border` fills it (OpenCV border mode).
    """
    matrix = crop_transform(landmarks, side)
    crop = cv2.warpAffine(image, matrix, (side, side), flags=cv2.INTER_LINEAR,
                          borderMode=border)
    pts = landmarks[:, :2].astype(np.float64) @ matrix[:, :2].T + matrix[:, 2]
    return AlignedFace(crop, pts.astype(np.float32), matrix)
