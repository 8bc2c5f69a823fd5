"""What the fusion model is shown, built by the same functions at training and at run time."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from livecam.compositing.masks import Mask, skin_mask, swap_mask
from livecam.frame import FrameBGR, Points
from livecam.geometry.mesh_warp import warp_mesh
from livecam.swap.colour import keep_lip_colour, match_colour, match_light
from livecam.swap.interiors import Openings, interiors, lay_in
from livecam.swap.relight import Light, relight
from livecam.tracking.mesh_regions import FILLED_TRIANGLES


@dataclass(frozen=True, slots=True)
class Dressing:
    """How the enrolled face is put on before the model sees it (the face-swap settings of the
    same names: `FaceSwapSettings.dressing`).

    Attributes:
        colour: Move the source's colour to the target's skin.
        light: 0–1, how far the source's own light is replaced by the target's.
        eyes: The target's own eyes inside the worn lids.
        mouth: The target's own mouth interior inside the worn lips.
    """

    colour: bool
    light: float
    eyes: bool
    mouth: bool


@dataclass(frozen=True, slots=True, eq=False)
class Dressed:
    """The enrolled face on the target's crop, as the fusion model is given it."""

    warped: FrameBGR          # the enrolled face on `dst`, recoloured, relit, openings laid in
    mask: Mask                # where it is pasted
    openings: Openings | None  # the target's own eyes and mouth, laid in again after the model


def dress(crop: FrameBGR, landmarks: Points, dst: Points, source: FrameBGR,
          source_marks: Points, source_skin: npt.NDArray[np.bool_], how: Dressing,
          iris_ab: npt.NDArray[np.float32] | None = None,
          source_light: Light | None = None) -> Dressed:
    """The enrolled face (`source`, its mesh `source_marks`) warped onto `dst` in `crop`.

    Args:
        crop: The aligned target crop; `landmarks` its mesh in crop pixels.
        dst: The mesh the source is worn on (the target's, moved toward the source's shape).
        source_skin: The source's skin in its own crop, at `crop`'s side (where its colour is
            measured: the enrolled photo's face, not the warp's edges).
        how: Colour, light and openings.
        iris_ab: The enrolled face's iris colour (Lab a, b) for the kept eyes.
        source_light: The enrolled photo's light per vertex (`photo_light`); with it and
            `landmarks` carrying depth (N×3) the light is moved in 3D, else by brightness alone.
    """
    warped = put_on(crop, landmarks, dst, source, source_marks, source_skin, how, source_light)
    # the mouth is not cut out: its interior is the target's own inside the worn face
    mask = swap_mask(dst, crop.shape[0], keep_mouth=False)
    kept = interiors(crop, landmarks, dst, how.eyes, how.mouth, iris_ab)
    return Dressed(lay_in(warped, kept), mask, kept)


def put_on(crop: FrameBGR, landmarks: Points, dst: Points, source: FrameBGR,
           source_marks: Points, source_skin: npt.NDArray[np.bool_], how: Dressing,
           source_light: Light | None = None) -> FrameBGR:
    """`dress`'s warp with the target's colour and light, before the openings are laid in
    (what differs between two views of one enrolled face worn on the same mesh)."""
    side = crop.shape[0]
    warped, _ = warp_mesh(source, source_marks[:, :2], dst, FILLED_TRIANGLES,
                          out=np.zeros((side, side, 3), np.uint8))
    if how.colour:
        skin = skin_mask(dst, side)   # the worn face's skin, and near enough the camera's
        if source_light is not None and landmarks.shape[1] > 2:
            warped = relight(warped, dst, source_light, crop, landmarks, how.light)
        warped = keep_lip_colour(match_colour(warped, crop, source_skin, skin), warped, dst)
        # what the fitted light leaves (a cast shadow, a lamp's falloff) by brightness alone
        warped = match_light(warped, crop, skin, how.light)
    return warped


def target_context(target: FrameBGR, mask: Mask) -> FrameBGR:
    """The target crop with the swap region replaced by a heavy blur of itself: the light on
    the face without the face, so the model cannot copy the target's identity."""
    side = target.shape[0]
    small = cv2.resize(target, (8, 8), interpolation=cv2.INTER_AREA)   # light, not features
    blurred = cv2.resize(cv2.GaussianBlur(cv2.resize(small, (32, 32),
                                                     interpolation=cv2.INTER_LINEAR),
                                          (0, 0), 1.0),
                         (side, side), interpolation=cv2.INTER_LINEAR)
    inside = (mask > 0.01).astype(np.float32)
    k = max(3, side // 32 * 2 + 1)
    inside = cv2.blur(inside, (k, k))[..., None]
    out = target.astype(np.float32) * (1 - inside) + blurred.astype(np.float32) * inside
    return out.astype(np.uint8)


def plain_paste(target: FrameBGR, source: FrameBGR, mask: Mask) -> FrameBGR:
    """mask × source + (1 − mask) × target: what the fusion model starts from."""
    m = mask[..., None]
    return (source.astype(np.float32) * m + target.astype(np.float32) * (1 - m)).astype(np.uint8)
