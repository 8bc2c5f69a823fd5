"""Putting a processed face crop back into the frame: one way for every effect.

The crop was cut from the frame with a similarity transform; it goes back through the inverse,
over what the frame holds there by now (the camera image, or a painted background), with a
feathered mask. Optionally the crop's colour is first matched to that background along the
mask's edge, and the mask is cut at the person's outline, so no box or halo shows. The feather
is done in crop pixels, where it is cheap, and only the part of the frame the mask covers is
touched.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from livecam.compositing.masks import Mask
from livecam.frame import FrameBGR
from livecam.geometry.align import Affine

BAND_SIGMA = 1 / 64      # of the crop's side: finer than this is texture, broader is light
BAND_STEEPNESS = 3.0     # the texture's ramp: this many times steeper than the mask's

Person = tuple[npt.NDArray[np.float32], float]   # person probability map and its scale


def paste_face(out: FrameBGR, crop: FrameBGR, mask: Mask, to_crop: Affine, *,
               match_edge: bool = False, person: Person | None = None,
               under: FrameBGR | None = None, sure: Mask | None = None,
               bands: bool = False) -> None:
    """Paste `crop` into `out` (in place) through `mask`.

    Args:
        out: The frame being composed.
        crop: The processed face crop (square).
        mask: Where the crop shows, in crop pixels (0–1, feathered).
        to_crop: The frame-to-crop affine the crop was cut with.
        match_edge: Shift the crop's colour to what lies under the mask's edge.
        person: A person map of the frame: the mask is cut at the person's outline.
        under: What `out` holds under the crop, in crop pixels, where the caller has it
            cheaper than cutting it from `out`.
        sure: Where the crop is the person for certain (the tracked face): the person map
            does not cut there, so a segmenter that misses a person (a busy or smeared
            backdrop) cannot drop the painted face.
        bands: Blend the light over the mask's feather and the fine texture over a short
            ramp (`two_band_blend`), for a crop whose grain differs from the frame's.
    """
    side = crop.shape[0]
    if person is not None:
        cut = _person_in_crop(person, to_crop, side)
        mask = mask * (cut if sure is None else np.maximum(cut, sure))
    if under is None:
        under = cv2.warpAffine(out, to_crop, (side, side), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)
    if match_edge:   # the edge's mean colour, read off quarter-size copies (it is smooth)
        small = (max(side // 4, 16),) * 2
        m = cv2.resize(mask, small, interpolation=cv2.INTER_AREA)
        edge = ((m > 0.05) & (m < 0.6)).astype(np.uint8)
        if cv2.countNonZero(edge) > 16:
            shift = (np.array(cv2.mean(cv2.resize(under, small, interpolation=cv2.INTER_AREA),
                                       edge)[:3])
                     - np.array(cv2.mean(cv2.resize(crop, small, interpolation=cv2.INTER_AREA),
                                         edge)[:3]))
            crop = cv2.add(crop, (*(float(v) for v in shift), 0.0))   # saturating
    composite = (two_band_blend(crop, under, mask) if bands
                 else cv2.blendLinear(crop, under, mask, 1.0 - mask))
    _copy_back(out, composite, mask, cv2.invertAffineTransform(to_crop))


def two_band_blend(crop: FrameBGR, under: FrameBGR, mask: Mask) -> FrameBGR:
    """`crop` over `under` through `mask`: the light (a blur of each) blended across the
    mask's whole feather, the fine texture switched over a short ramp at its middle.

    Cross-fading two unrelated textures averages their grain away: the feather of a plain
    blend is a smooth ring around the face. Two bands keep it as detailed as either side."""
    side = crop.shape[0]
    under_f = under.astype(np.float32)
    diff = cv2.subtract(crop.astype(np.float32), under_f)
    # the light's difference is a blur of the difference (blurring is linear); it is smooth,
    # so blurred at half size
    half = cv2.resize(diff, (side // 2, side // 2), interpolation=cv2.INTER_AREA)
    half = cv2.GaussianBlur(half, (0, 0), max(side * BAND_SIGMA / 2, 0.5))
    light = cv2.resize(half, (side, side), interpolation=cv2.INTER_LINEAR)
    steep = np.clip((mask - 0.5) * BAND_STEEPNESS + 0.5, 0.0, 1.0)
    # under + light × mask + grain × steep, with grain = diff − light
    out = under_f + diff * cv2.merge([steep] * 3) + light * cv2.merge([mask - steep] * 3)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def _person_in_crop(person: Person, to_crop: Affine, side: int) -> npt.NDArray[np.float32]:
    """The segmentation map (frame at low resolution) seen in crop pixels, its soft edge
    firmed a little so the hair keeps its stylised edge."""
    probability, scale = person
    matrix = to_crop.copy()
    matrix[:, :2] /= scale            # map → frame → crop
    inside = cv2.warpAffine(probability, matrix, (side, side), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REPLICATE)
    return np.clip((inside - 0.2) * 1.6, 0.0, 1.0)


def _copy_back(out: FrameBGR, composite: FrameBGR, mask: Mask, to_frame: Affine) -> None:
    """Copy `composite` (already feathered into the background) into `out` wherever `mask`
    is not zero, touching only the part of the frame the mask covers."""
    shown = (mask > 0.004).astype(np.uint8)
    bx, by, bw, bh = cv2.boundingRect(shown)
    if bw == 0 or bh == 0:
        return
    corners = np.array([[bx, by], [bx + bw, by], [bx, by + bh], [bx + bw, by + bh]],
                       np.float64)
    frame_pts = corners @ to_frame[:, :2].T + to_frame[:, 2]
    h, w = out.shape[:2]
    x0, y0 = np.floor(frame_pts.min(axis=0)).astype(int)
    x1, y1 = np.ceil(frame_pts.max(axis=0)).astype(int)
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 <= x0 or y1 <= y0:
        return
    shifted = to_frame.copy()
    shifted[:, 2] -= (x0, y0)
    size = (x1 - x0, y1 - y0)
    face = cv2.warpAffine(composite, shifted, size, flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
    inside = cv2.warpAffine(shown, shifted, size, flags=cv2.INTER_NEAREST)
    cv2.copyTo(face, inside, out[y0:y1, x0:x1])
