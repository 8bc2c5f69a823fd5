"""Soft 3D character shading from the face mesh's normals.

The mesh's depth gives a normal at every pixel of the face. The skin's own photographic
shading is flattened (its brightness divided by a broad blur of itself), then re-lit: a soft
key light from the upper left wrapped round the form with a warm falloff where it turns away,
a weak fill from the right, a rim glow at the silhouette and a small gloss on the lips. That
is what makes a smoothed face read as a rendered 3D character rather than a retouched photo.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from livecam.frame import FrameBGR, Points
from livecam.geometry.mesh_raster import interpolate
from livecam.geometry.normals import vertex_normals
from livecam.compositing.masks import face_masks
from livecam.tracking import mesh_regions as regions

Float = npt.NDArray[np.float32]
KEY = np.array([-0.45, -0.55, 0.70])       # view space: x right, y down, z toward the viewer
FILL = np.array([0.65, -0.05, 0.76])
WRAP = 0.45                                # how far the key light wraps past the terminator
WARM = np.array([0.55, 0.62, 1.0], np.float32)   # BGR tint where the light turns away
GAIN_ONE = 128                             # a gain of 1 in the 8-bit gain map
NORMAL_SIDE = 96                           # normals are smooth: rasterised small, resized
LIGHT_SIDE = 64                            # the light maps' side: light is smooth too


def normal_map(landmarks: Points, depth: npt.NDArray[np.float32], side: int
               ) -> tuple[Float, Float]:
    """Per-pixel normals (side×side×3) and the face coverage (side×side, 0–1) of a crop whose
    mesh is `landmarks` (crop pixels) with `depth` (the same pixels)."""
    k = NORMAL_SIDE / side
    pts = np.column_stack([landmarks[:, :2], depth]).astype(np.float64)
    normals = vertex_normals(pts)
    small, covered = interpolate((NORMAL_SIDE, NORMAL_SIDE), (pts[:, :2] + 0.5) * k - 0.5,
                                 regions.SKIN_TRIANGLES, normals.astype(np.float32))
    small = cv2.GaussianBlur(small, (0, 0), 1.2)
    cover = cv2.GaussianBlur(covered.astype(np.float32) / 255.0, (0, 0), 2.0)
    big = cv2.resize(small, (side, side), interpolation=cv2.INTER_LINEAR)
    big /= np.maximum(np.linalg.norm(big, axis=2, keepdims=True), 1e-6)
    return big, cv2.resize(cover, (side, side), interpolation=cv2.INTER_LINEAR)


def _unit(v: npt.NDArray[np.float64]) -> Float:
    return (v / np.linalg.norm(v)).astype(np.float32)


def shade(image: FrameBGR, landmarks: Points, depth: npt.NDArray[np.float32],
          strength: float, side: int = LIGHT_SIDE) -> FrameBGR:
    """Re-light the face of an aligned crop.

    The light is smooth, so it is worked out on a `side`-pixel copy as a gain and an offset
    per pixel and colour, and only those are applied at the crop's own resolution.

    Args:
        image: The stylised crop (any square size).
        landmarks: Its mesh in the crop's pixels (after any reshaping).
        depth: The mesh's z in the crop's pixels.
        strength: 0 leaves the image alone, 1 is the full character lighting.
        side: Resolution of the light maps.
    """
    if strength <= 0:
        return image
    big = image.shape[0]
    k = side / big
    marks = (landmarks[:, :2] + 0.5) * k - 0.5
    small = cv2.resize(image, (side, side), interpolation=cv2.INTER_AREA)
    gain, offset = _light_maps(small, marks, depth * k, strength)
    size = (big, big)
    # 8-bit maps (gain in 1/128 steps) and saturating 8-bit arithmetic at full resolution
    gain8 = cv2.resize(np.clip(gain * GAIN_ONE + 0.5, 0, 255).astype(np.uint8), size,
                       interpolation=cv2.INTER_LINEAR)
    offset8 = cv2.resize(np.clip(offset + 0.5, 0, 255).astype(np.uint8), size,
                         interpolation=cv2.INTER_LINEAR)
    return cv2.add(cv2.multiply(image, gain8, scale=1.0 / GAIN_ONE), offset8)


def _light_maps(small: FrameBGR, landmarks: Points, depth: npt.NDArray[np.float32],
                strength: float) -> tuple[Float, Float]:
    """Per-pixel gain and offset (0–255 units) that re-light `small`."""
    side = small.shape[0]
    normals, cover = normal_map(landmarks, depth, side)
    _, skin = face_masks((side, side), landmarks)
    img = small.astype(np.float32) * (1.0 / 255.0)
    lum = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    # flatten the photo's own light: brightness over its broad blur, inside the face
    broad = cv2.GaussianBlur(lum, (0, 0), side / 14) + 0.02
    weights = cover + 1e-6
    flat = np.clip(float(np.average(broad, weights=weights)) / broad, 0.6, 1.6)
    key = np.clip((normals @ _unit(KEY) + WRAP) / (1 + WRAP), 0.0, 1.0)
    fill = np.clip(normals @ _unit(FILL), 0.0, 1.0)
    light = 0.62 + 0.5 * key + 0.12 * fill
    light /= float(np.average(light, weights=weights))
    warm = WARM + (1.0 - WARM) * np.sqrt(key)[..., None]   # warm where the light turns away
    rim = np.clip(1.0 - normals[..., 2], 0.0, 1.0) ** 3
    a = (strength * cover * skin)[..., None]
    gain = (1.0 - a) + a * (flat * light)[..., None] * warm
    offset = a * (0.35 * 255.0 * rim)[..., None] * np.array([0.85, 0.9, 1.0], np.float32)
    offset = offset + (0.45 * 255.0 * strength * _lip_gloss(normals, landmarks, side))[..., None]
    return gain.astype(np.float32), offset.astype(np.float32)


def _lip_gloss(normals: Float, landmarks: Points, side: int) -> Float:
    """A soft specular highlight on the lips (Blinn–Phong from the key light)."""
    half = _unit(KEY / np.linalg.norm(KEY) + np.array([0.0, 0.0, 1.0]))
    spec = np.clip(normals @ half, 0.0, 1.0) ** 24
    mask = np.zeros((side, side), np.float32)
    lips = landmarks[list(regions.LIPS), :2]
    cv2.fillConvexPoly(mask, cv2.convexHull(np.round(lips).astype(np.int32)), 1.0, cv2.LINE_AA)
    inner = np.zeros_like(mask)
    cv2.fillPoly(inner, [np.round(landmarks[list(regions.INNER_LIPS), :2]).astype(np.int32)],
                 1.0, cv2.LINE_AA)
    mask = cv2.GaussianBlur(mask * (1 - inner), (0, 0), max(side / 200, 0.8))
    return np.asarray(spec * mask, np.float32)
