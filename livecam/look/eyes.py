"""Cartoon eyes drawn from the eyelid and iris landmarks, at the output resolution.

Inside each eyelid contour: a clean white with a soft lid shadow, an enlarged iris in the
person's own iris hue (more saturated) with a radial gradient and a dark rim, a large pupil and
two catchlights; over the upper lid a dark lash line. Everything is clipped by the lids, so the
eye closes when the lids do, and the iris sits where the tracked iris is, so gaze comes
through. The landmarks are already smoothed by the tracker, but a drawn eye is high contrast
and enlarged, so the jitter left over is held back further by `SteadyEyes`; the sizes are taken
from the eye's width rather than from the iris ring, which is the noisiest part of the mesh, and
the strokes have fractional widths, so a line does not jump a pixel as the face moves.

Eyes behind sunglasses are not drawn: a cartoon eye painted on a lens reads as a sticker.
`eyes_visible` tells a lens from an eye by what it does to the camera image: the skin just
under the lower lid turns much darker than the cheek below it (a lens, or a thick frame), and
inside the lids there is no contrast between white and iris (only a dark lens has none).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import cv2
import numba
import numpy as np
import numpy.typing as npt

from livecam.config_tables import Range, check_fields
from livecam.frame import FrameBGR, Points
from livecam.look.shutter import START, SUB, streak_kernel
from livecam.tracking import mesh_regions as regions

Float = npt.NDArray[np.float32]
CLOSED = 0.12    # lid gap over eye width below which the eye is drawn closed
BLINKING = 0.2   # ... and the other eye too, when its gap is under this (blinks are
                 # bilateral; the tracker often leaves one closed eye a slit open)
EYES = ((regions.RIGHT_EYE_LOOP, regions.RIGHT_IRIS_CENTER, (33, 133)),
        (regions.LEFT_EYE_LOOP, regions.LEFT_IRIS_CENTER, (263, 362)))
CORNERS = [i for _, _, pair in EYES for i in pair]
EYE_POINTS = np.array(sorted({i for loop, centre, corners in EYES
                              for i in (*loop, centre, *corners)}))
HOLD = 0.03      # eye widths a drawn lid point may trail the tracked one, to hide jitter
IRIS_HOLD = 0.07  # the same for the iris centre, the noisiest point the eyes are drawn from
CREEP = 0.15     # share of a gap within the hold closed per frame, so a still eye settles
STILL_HOLD = 0.04  # the lid points' hold where the camera's eye did not change
STILL_IRIS_HOLD = 0.15  # the iris centre's
EYE_CHANGE = (0.8, 3.0)   # grey levels of blurred change in the camera's eye box from which
#                           the eye counts as moving … as moving for certain (a blink, a glance)
COLOUR_KEEP = 0.9  # share of the previous frame's iris colour kept (the sample is noisy)
UNDER_EYE = ((230, 229, 231, 228), (450, 449, 451, 448))   # just under each lower lid
CHEEK = (205, 425, 207, 427)                                # mid-cheek, below any lens
LENS_DARKER = (24.0, 34.0)   # under-eye darker than the cheek (Lab L): an eye … a lens
EYE_CONTRAST = (12.0, 20.0)  # lightness spread inside the lids (Lab L): a lens … an eye,
GLINT = 8.0                  # raised by up to this for a very dark lens (its reflections)
SURE = (0.3, 0.7)            # visibility at which drawn eyes start to show … show fully
FADE = 0.25                  # most the drawn eyes' opacity changes per frame
MAX_STREAK = 0.3  # the longest blur, in eye widths
CLOSED_BOLD = 1.4   # a closed lid's line over the open upper lash line's thickness
CLOSED_LASHES = (0.45, 0.62, 0.78, 0.92)   # where along a closed lid, inner to outer
JUMP = 1.0        # eye widths moved in one frame beyond which it is not motion but a jump
DEFAULT_IRIS = np.array([0.25, 0.3, 0.4], np.float32)   # BGR, where none can be read
SAMPLE_EVERY = 3  # frames between readings of the eyes' visibility and iris colour
WHITE = np.array([0.93, 0.92, 0.92], np.float32)    # the drawn colours, BGR 0-1 (the
PUPIL = np.array([0.06, 0.04, 0.05], np.float32)    # iris's is the person's own)
GLINT_COLOUR = np.ones(3, np.float32)
LASH = np.array([0.10, 0.07, 0.09], np.float32)
COLOURS = ("white", "iris", "pupil", "catchlight", "lash")   # the weights' order


@dataclass(frozen=True, slots=True)
class EyeSettings:
    """How the drawn eyes look; `draw = false` keeps the network's own eyes.

    Attributes:
        draw: Draw cartoon eyes over the stylised face.
        iris: Iris diameter over the eye's width (0.3 to 0.8).
        pupil: Pupil diameter over the iris's (0.2 to 0.7).
        saturation: Colour boost of the person's own iris hue (1 to 3).
        darkness: How dark the iris is drawn, 0 light to 1 nearly black.
        lash: Upper lash line thickness over the eye's width (0 to 0.15).
        wing: Lash flick past the outer corner, in eye widths (0 to 0.3).
        catchlights: Brightness of the two highlights (0 to 1).
    """

    draw: bool = False
    iris: Annotated[float, Range(0.3, 0.8)] = 0.52
    pupil: Annotated[float, Range(0.2, 0.7)] = 0.45
    saturation: Annotated[float, Range(1.0, 3.0)] = 1.8
    darkness: Annotated[float, Range(0.0, 1.0)] = 0.35
    lash: Annotated[float, Range(0.0, 0.15)] = 0.06
    wing: Annotated[float, Range(0.0, 0.3)] = 0.08
    catchlights: Annotated[float, Range(0.0, 1.0)] = 1.0

    def __post_init__(self) -> None:
        check_fields(self, "eyes")


def _ramp(x: float, lo: float, hi: float) -> float:
    return float(np.clip((x - lo) / (hi - lo), 0.0, 1.0))


def _l_star_table() -> npt.NDArray[np.uint8]:
    """8-bit grey → Lab L* (0–100) scaled to 0–255, for a grey of that sRGB value."""
    grey = np.arange(256, dtype=np.float32).reshape(1, -1, 1).repeat(3, axis=2) / 255.0
    return np.round(cv2.cvtColor(grey, cv2.COLOR_BGR2Lab)[0, :, 0] * 2.55).astype(np.uint8)


_L_STAR = _l_star_table()


def _patch_lightness(lightness: npt.NDArray[np.uint8], landmarks: Points,
                     points: tuple[int, ...], r: int) -> float:
    """The median lightness of small squares around some mesh points."""
    h, w = lightness.shape
    parts = []
    for i in points:
        x, y = (int(round(float(v))) for v in landmarks[i, :2])
        parts.append(lightness[max(y - r, 0):min(y + r + 1, h),
                               max(x - r, 0):min(x + r + 1, w)].reshape(-1))
    joined = np.concatenate(parts)
    return float(np.median(joined)) * (100.0 / 255.0) if len(joined) else float("nan")


def eyes_visible(image: FrameBGR, landmarks: Points) -> float:
    """How sure it is that the eyes are seen rather than hidden behind dark lenses, 0–1, from
    the camera image (not the stylised one) and its mesh in the same pixels."""
    pts = landmarks[:, :2]
    iod = float(np.linalg.norm(pts[33] - pts[263]))
    used = pts[[*CHEEK, *(i for u in UNDER_EYE for i in u), *(i for e in EYES for i in e[0])]]
    pad = int(0.06 * iod) + 2
    x0, y0 = (max(int(v) - pad, 0) for v in used.min(axis=0))
    x1 = min(int(used[:, 0].max()) + pad, image.shape[1])
    y1 = min(int(used[:, 1].max()) + pad, image.shape[0])
    if iod < 8 or x1 - x0 < 8 or y1 - y0 < 8:
        return 1.0
    # the lightness of the part of the face that is read: grey through the Lab L* curve, a
    # tenth of the cost of a Lab conversion
    lightness = cv2.LUT(cv2.cvtColor(image[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY), _L_STAR)
    local = (pts - (x0, y0)).astype(np.float32)
    r = max(1, int(0.04 * iod))
    cheek = _patch_lightness(lightness, local, CHEEK, r)
    darker = float(np.mean([cheek - _patch_lightness(lightness, local, under, r)
                            for under in UNDER_EYE]))
    spreads = []
    for loop, _, _ in EYES:
        inside = np.zeros(lightness.shape, np.uint8)
        cv2.fillPoly(inside, [np.round(local[list(loop)]).astype(np.int32)], 1)
        values = lightness[inside > 0]
        if len(values) >= 6:
            lo, hi = np.percentile(values, (10, 90))
            spreads.append(float(hi - lo) * (100.0 / 255.0))
    if not np.isfinite(darker) or not spreads:
        return 1.0
    glint = GLINT * _ramp(darker, LENS_DARKER[1], LENS_DARKER[1] + 40.0)
    lens = _ramp(darker, *LENS_DARKER) * (
        1.0 - _ramp(min(spreads), EYE_CONTRAST[0] + glint, EYE_CONTRAST[1] + glint))
    return 1.0 - lens


class SteadyEyes:
    """Per-face hysteresis on the points the eyes are drawn from, in frame pixels.

    A point trails the tracked one by at most its hold (a share of the eye's width) and creeps
    toward it within that: landmark noise on a still eye is smoothed away, while a blink, a
    glance or a head turn comes through in the same frame, at most the hold behind. The camera
    says which is which: where its image of an eye did not change, the tracker's movement is
    noise, so the hold is wider and nothing creeps (a drawn eye is high contrast, so a
    fraction of a pixel's drift shows as much change as a real glance).
    """

    def __init__(self) -> None:
        self._last: dict[int, tuple[Points, npt.NDArray[np.float32]]] = {}
        self._shown: dict[int, float] = {}
        self._target: dict[int, float] = {}
        self._frames: dict[int, int] = {}
        self._raw: dict[int, tuple[Points, int]] = {}
        self._motion: dict[int, npt.NDArray[np.float64]] = {}
        self._patches: dict[int, list[tuple[Float, tuple[int, int]] | None]] = {}
        centres = {centre for _, centre, _ in EYES}
        self._hold = np.array([[IRIS_HOLD if i in centres else HOLD] for i in EYE_POINTS],
                              np.float32)
        self._still_hold = np.array([[STILL_IRIS_HOLD if i in centres else STILL_HOLD]
                                     for i in EYE_POINTS], np.float32)
        self._which = np.array([0 if i in (*EYES[0][0], EYES[0][1], *EYES[0][2]) else 1
                                for i in EYE_POINTS])

    def due(self, face_id: int) -> bool:
        """Whether this frame reads the eyes' visibility and iris colour: both change slowly
        and are smoothed over many readings, so every SAMPLE_EVERY-th frame is enough (and
        every frame until the face's eyes have been drawn once)."""
        count = self._frames.get(face_id, 0)
        self._frames[face_id] = count + 1
        return count % SAMPLE_EVERY == 0 or face_id not in self._last

    def steady(self, face_id: int, landmarks: Points, colour: npt.NDArray[np.float32] | None,
               index: int, image: FrameBGR | None = None
               ) -> tuple[Points, npt.NDArray[np.float32]]:
        """`landmarks` (frame pixels) with the eye points held, and the iris colour smoothed
        (`colour` None: no new reading this frame); `index` is the frame's place in the
        source's stream, so frames dropped in between are not taken for faster motion;
        `image` the camera's frame (None: every movement is taken as real)."""
        points = landmarks[EYE_POINTS, :2].astype(np.float32)
        # the head's motion, from the eye corners: a glance moves the iris, not the eye
        corners = landmarks[CORNERS, :2].astype(np.float32)
        raw = self._raw.get(face_id)
        if raw is None:
            self._motion[face_id] = np.zeros(2)
        else:   # per source frame: the camera's own blur is one frame's movement
            frames = max(index - raw[1], 1)
            self._motion[face_id] = (corners - raw[0]).mean(axis=0).astype(np.float64) / frames
        self._raw[face_id] = (corners, index)
        last = self._last.get(face_id)
        if colour is None:   # `due` asks for a reading until there is one
            colour = last[1] if last is not None else DEFAULT_IRIS
        elif last is not None:
            colour = (last[1] * COLOUR_KEEP + colour * (1.0 - COLOUR_KEEP)).astype(np.float32)
        if last is not None:
            width = float(np.linalg.norm(landmarks[33, :2] - landmarks[133, :2]))
            delta = points - last[0]
            gap = np.linalg.norm(delta, axis=1, keepdims=True)
            moving = (self._moving(face_id, image, landmarks, width)[self._which]
                      if image is not None else np.ones((len(EYE_POINTS), 1), np.float32))
            hold = (self._hold * moving + self._still_hold * (1.0 - moving)) * width
            step = np.maximum(gap - hold, 0.0) + CREEP * moving * np.minimum(gap, hold)
            points = last[0] + delta * (step / np.maximum(gap, 1e-6))
        self._last[face_id] = (points, colour)
        held = landmarks.copy()
        held[EYE_POINTS, :2] = points
        return held, colour

    def _moving(self, face_id: int, image: FrameBGR, landmarks: Points,
                width: float) -> Float:
        """How much each eye moved in the camera's image since the last frame: 0 still, 1 a
        blink or glance; the box is cut with a margin, so the next frame's box
        lies inside it while the head moves less than the margin."""
        last = self._patches.get(face_id) or [None, None]
        now: list[tuple[Float, tuple[int, int]] | None] = []
        moving = np.ones(len(EYES), np.float32)
        for e, (loop, _, _) in enumerate(EYES):
            pts = landmarks[list(loop), :2]
            x0, y0 = (int(v) for v in pts.min(axis=0) - 0.25 * width)
            x1, y1 = (int(v) + 1 for v in pts.max(axis=0) + 0.25 * width)
            m = int(0.35 * width) + 2
            bx0, by0 = max(x0 - m, 0), max(y0 - m, 0)
            bx1, by1 = min(x1 + m, image.shape[1]), min(y1 + m, image.shape[0])
            if bx1 - bx0 < 8 or by1 - by0 < 8:
                now.append(None)
                continue
            grey = cv2.GaussianBlur(cv2.cvtColor(image[by0:by1, bx0:bx1], cv2.COLOR_BGR2GRAY)
                                    .astype(np.float32), (0, 0), 1.5)
            now.append((grey, (bx0, by0)))
            before = last[e]
            if before is None:
                continue
            patch, (px, py) = before
            ax0, ay0 = max(x0, bx0, px), max(y0, by0, py)
            ax1 = min(x1, bx1, px + patch.shape[1])
            ay1 = min(y1, by1, py + patch.shape[0])
            if ax1 - ax0 < 4 or ay1 - ay0 < 4:
                continue
            change = np.abs(grey[ay0 - by0:ay1 - by0, ax0 - bx0:ax1 - bx0]
                            - patch[ay0 - py:ay1 - py, ax0 - px:ax1 - px]).mean()
            moving[e] = _ramp(float(change), *EYE_CHANGE)
        self._patches[face_id] = now
        return moving[:, None]

    def motion(self, face_id: int) -> npt.NDArray[np.float64]:
        """How far the eyes move in one of the source's frames (frame pixels, x and y), from
        the last two frames painted."""
        return self._motion.get(face_id, np.zeros(2))

    def shown(self, face_id: int, visible: float | None) -> float:
        """The drawn eyes' opacity: `visible` reached over a few frames, so one misjudged
        frame (a glint on a lens, a hand passing) does not flash the eyes on or off
        (`visible` None: no new reading this frame)."""
        target = (self._target.get(face_id, 1.0) if visible is None
                  else _ramp(visible, *SURE))
        self._target[face_id] = target
        last = self._shown.get(face_id, target)
        now = last + float(np.clip(target - last, -FADE, FADE))
        self._shown[face_id] = now
        return now

    def forget(self, keep_ids: set[int]) -> None:
        """Drop faces no longer in view."""
        for face_id in set(self._last) - keep_ids:
            del self._last[face_id]
        for table in (self._shown, self._target, self._frames, self._raw, self._motion,
                      self._patches):
            for face_id in set(table) - keep_ids:
                del table[face_id]


def warm_up() -> None:
    """Load the stroke kernel now rather than on the first drawn eye (see
    `mesh_raster.warm_up`)."""
    _stroke((4, 4), np.array([[0.0, 0.0], [3.0, 3.0]]), np.array([1.0]))


def _stroke(shape: tuple[int, ...], points: npt.NDArray[np.float64],
            widths: npt.NDArray[np.float64], value: float = 1.0) -> Float:
    """An anti-aliased polyline with a fractional width per segment (`cv2.line` rounds widths
    to whole pixels, which makes a thick line jump as the face moves)."""
    ink = np.zeros(shape[:2], np.float32)
    _stroke_kernel(np.ascontiguousarray(points, np.float64),
                   0.5 * np.asarray(widths, np.float64) + 0.5, float(value), ink)
    return ink


@numba.njit(cache=True, nogil=True)
def _stroke_kernel(points: npt.NDArray[Any], half: npt.NDArray[Any], value: float,
                   ink: npt.NDArray[Any]) -> None:
    """Each segment over its own box: coverage = half-width + ½ − distance, clipped to 0–1,
    the largest of the segments' at each pixel."""
    h, w = ink.shape
    for s in range(points.shape[0] - 1):
        ax, ay = points[s, 0], points[s, 1]
        abx, aby = points[s + 1, 0] - ax, points[s + 1, 1] - ay
        length2 = max(abx * abx + aby * aby, 1e-9)
        r = half[s] + 1.0
        x0 = max(int(np.floor(min(ax, ax + abx) - r)), 0)
        x1 = min(int(np.ceil(max(ax, ax + abx) + r)) + 1, w)
        y0 = max(int(np.floor(min(ay, ay + aby) - r)), 0)
        y1 = min(int(np.ceil(max(ay, ay + aby) + r)) + 1, h)
        for y in range(y0, y1):
            dy = y - ay
            for x in range(x0, x1):
                dx = x - ax
                t = min(max((dx * abx + dy * aby) / length2, 0.0), 1.0)
                ex, ey = dx - t * abx, dy - t * aby
                cover = min(max(half[s] - np.sqrt(ex * ex + ey * ey), 0.0), 1.0) * value
                if cover > ink[y, x]:
                    ink[y, x] = cover


def _fixed(points: npt.NDArray[np.float64]) -> npt.NDArray[np.int32]:
    return np.round(points * (1 << SUB)).astype(np.int32)


def iris_colour(image: FrameBGR, landmarks: Points) -> npt.NDArray[np.float32]:
    """The median colour (BGR, 0–1) of both irises' rings, outside the pupil and the lids."""
    samples = []
    for loop, centre, (a, b) in EYES:
        c = landmarks[centre, :2]
        width = float(np.linalg.norm(landmarks[a, :2] - landmarks[b, :2]))
        r = 0.2 * width
        x0, y0 = (max(int(v - r - 1), 0) for v in c)
        x1 = min(int(c[0] + r + 2), image.shape[1])
        y1 = min(int(c[1] + r + 2), image.shape[0])
        if x1 - x0 < 3 or y1 - y0 < 3:
            continue
        ys, xs = np.mgrid[y0:y1, x0:x1]
        d = np.hypot(xs - c[0], ys - c[1])
        # the lower half of the ring: the upper lid and the lashes cover the top
        ring = (d > 0.4 * r) & (d < 0.9 * r) & (ys > c[1])
        lid = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillPoly(lid, [np.round(landmarks[list(loop), :2] - (x0, y0)).astype(np.int32)], 1)
        pick = image[y0:y1, x0:x1][ring & (lid > 0)]
        if len(pick) > 4:   # drop the darkest (lashes, pupil) and brightest (glints, white)
            lum = pick.astype(np.float32).sum(axis=1)
            lo, hi = np.percentile(lum, (25, 85))
            samples.append(pick[(lum >= lo) & (lum <= hi)])
    if not samples:
        return DEFAULT_IRIS.copy()
    return np.median(np.concatenate(samples), axis=0).astype(np.float32) / 255.0


def _saturate(bgr: npt.NDArray[np.float32], boost: float, darkness: float
              ) -> npt.NDArray[np.float32]:
    """The drawn iris colour: the same hue and lightness order, more chroma (in Lab, so a
    dark brown stays brown instead of turning red)."""
    lab = cv2.cvtColor(bgr.reshape(1, 1, 3).astype(np.float32), cv2.COLOR_BGR2Lab).reshape(3)
    chroma = float(np.hypot(lab[1], lab[2]))
    # a grey iris stays grey; a faint hue is brought out to a clear one
    gain = boost * max(1.0, 12.0 / chroma) if chroma > 6.0 else boost
    lab[1:] *= min(gain, 40.0 / max(chroma, 1e-3))
    lab[0] = float(np.clip(lab[0] * (1.25 - 0.6 * darkness) + 12.0, 25.0, 75.0))
    out = cv2.cvtColor(lab.reshape(1, 1, 3), cv2.COLOR_Lab2BGR).reshape(3)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def draw_eyes(image: FrameBGR, landmarks: Points, settings: EyeSettings,
              colour: npt.NDArray[np.float32] | None = None,
              motion: npt.NDArray[np.float64] | None = None, exposure: float = START,
              camera: Points | None = None) -> FrameBGR:
    """Draw both eyes into a copy of `image`.

    Args:
        image: The stylised face crop.
        landmarks: The mesh in the crop's pixels, after any reshaping.
        settings: The look.
        colour: The iris colour (BGR, 0–1); sampled from `image` when None.
        motion: How far the eyes move in one frame, in crop pixels: the drawn eyes get the
            motion blur the camera gives a moving eye (crisp eyes on a blurred face read as
            stickers).
        exposure: The share of a frame the camera's shutter is open (`Shutter` learns it):
            the streak is the motion times this.
        camera: The mesh before reshaping, which tells a blink: a look that opens the eyes
            wider would otherwise draw a closing eye still open.
    """
    out = image.copy()
    iris_bgr = _saturate(colour if colour is not None else iris_colour(image, landmarks),
                         settings.saturation, settings.darkness)
    kernel = None
    if motion is not None:
        width = float(np.linalg.norm(landmarks[33, :2] - landmarks[133, :2]))
        travel = float(np.hypot(*motion))
        # more than an eye's width in one frame is the tracker jumping, not a moving head
        if travel < JUMP * width:
            kernel = streak_kernel(motion * exposure * min(1.0, MAX_STREAK * width /
                                                           max(travel * exposure, 1e-6)))
    openness = [_openness(landmarks, loop, corners) for loop, _, corners in EYES]
    seen = openness if camera is None else [_openness(camera, loop, corners)
                                            for loop, _, corners in EYES]
    blink = min(seen) < CLOSED and max(seen) < BLINKING   # a wink keeps one open
    for (loop, centre, corners), opened, shut in zip(EYES, openness, seen):
        _draw_eye(out, landmarks, loop, centre, corners, settings, iris_bgr, kernel,
                  0.0 if blink or shut < CLOSED else opened)
    return out


def _closed_lashes(shape: tuple[int, ...], line: npt.NDArray[np.float64],
                   toward_outer: npt.NDArray[np.float64], direction: npt.NDArray[np.float64],
                   width: float, lash_px: float) -> Float:
    """Short lashes hanging from the outer half of a closed lid, down and outward."""
    down = np.array([-direction[1], direction[0]])
    down = down if down[1] > 0 else -down
    slant = down + 0.45 * direction
    slant /= np.linalg.norm(slant)
    # the line's segments ordered from the inner corner to the outer one
    segments = np.argsort(toward_outer)
    points: list[npt.NDArray[np.float64]] = []
    for share in CLOSED_LASHES:
        k = segments[min(int(share * len(segments)), len(segments) - 1)]
        base = (line[k] + line[k + 1]) / 2
        tip = base + slant * width * (0.08 + 0.12 * share)
        points += [base, tip, base]
    path = np.array(points)
    widths = np.full(len(path) - 1, lash_px * 0.55)
    return _stroke(shape, path, widths)


def _openness(landmarks: Points, loop: tuple[int, ...], corners: tuple[int, int]) -> float:
    """The widest lid gap over the eye's width (corner to corner)."""
    lids = landmarks[list(loop), :2].astype(np.float64)
    width = float(np.linalg.norm(landmarks[corners[0], :2] - landmarks[corners[1], :2]))
    upper, lower = lids[:9], np.concatenate([lids[8:], lids[:1]])
    gap = float(np.max(np.linalg.norm(upper[:, None] - lower[None], axis=2).min(1)))
    return gap / max(width, 1e-6)


def _draw_eye(out: FrameBGR, landmarks: Points, loop: tuple[int, ...], centre: int,
              corners: tuple[int, int], s: EyeSettings, iris_bgr: npt.NDArray[np.float32],
              kernel: Float | None, openness: float) -> None:
    lids = landmarks[list(loop), :2].astype(np.float64)
    outer, inner = landmarks[corners[0], :2].astype(np.float64), \
        landmarks[corners[1], :2].astype(np.float64)
    width = float(np.linalg.norm(outer - inner))
    if width < 4:
        return
    upper, lower = lids[:9], lids[8:].tolist() + [lids[0].tolist()]
    gap = openness * width
    lash_px = max(s.lash * width, 1.0)
    pad = int(lash_px + s.wing * width + 4) + (kernel.shape[0] // 2 if kernel is not None else 0)
    x0 = max(int(lids[:, 0].min()) - pad, 0)
    y0 = max(int(lids[:, 1].min()) - pad, 0)
    x1 = min(int(lids[:, 0].max()) + pad + 1, out.shape[1])
    y1 = min(int(lids[:, 1].max()) + pad + 1, out.shape[0])
    if x1 - x0 < 4 or y1 - y0 < 4:
        return
    off = np.array([x0, y0], np.float64)
    under = out[y0:y1, x0:x1].astype(np.float32) * (1.0 / 255.0)
    shape = under.shape[:2]
    open_eye = openness > CLOSED
    # what is drawn is a few flat colours, each with a weight per pixel: the weights are
    # worked out alone and the colours mixed in once (COLOURS' rows, in this order)
    weights = np.zeros((len(COLOURS), *shape), np.float32)
    lid = np.zeros(shape, np.float32)
    if open_eye:
        cv2.fillPoly(lid, [_fixed(lids - off)], 1.0, cv2.LINE_AA, shift=SUB)
        ys, xs = (v.astype(np.float32) for v in np.ogrid[0:shape[0], 0:shape[1]])
        top = float((upper[:, 1] - off[1]).mean())
        # the white: a clean off-white, shaded under the upper lid
        shade = np.clip((ys - top) / max(gap, 1.0), 0.0, 1.0)
        mid_x = float((outer[0] + inner[0]) / 2 - off[0])
        side = np.clip(np.abs(xs - mid_x) / (0.5 * width), 0.0, 1.0) ** 2
        white = (0.78 + 0.2 * shade) * (1.0 - 0.18 * side)
        c = landmarks[centre, :2].astype(np.float64) - off
        r = 0.5 * s.iris * width
        d = np.hypot(xs - c[0], ys - c[1]) / r
        iris = np.clip((1.0 - d) * r, 0.0, 1.0)       # anti-aliased disc
        # radial gradient: light low in the iris, a dark limbal ring, the pupil
        low = np.clip((ys - (c[1] - 0.2 * r)) / r, 0.0, 1.0)
        body = (0.55 + 0.55 * low) * (1.0 - 0.55 * np.clip((d - 0.72) / 0.28, 0, 1))
        pupil = np.clip((s.pupil - d) * r, 0.0, 1.0)
        # the lid's shadow over the top of the iris
        inside = lid * (1.0 - 0.35 * np.clip(1.0 - (ys - top) / (0.35 * max(gap, 1)), 0, 1))
        glow = np.zeros(shape, np.float32)
        if s.catchlights > 0:
            for dx, dy, size, gain in ((-0.32, -0.34, 0.3, 1.0), (0.3, 0.3, 0.14, 0.8)):
                spot = np.clip((size - np.hypot(xs - c[0] - dx * r, ys - c[1] - dy * r) / r)
                               * r, 0.0, 1.0) * (gain * s.catchlights)
                inside = inside * (1.0 - spot)
                glow = glow * (1.0 - spot) + spot
        weights[0] = inside * white * (1.0 - iris)
        weights[1] = inside * body * (1.0 - pupil) * iris
        weights[2] = inside * pupil * iris
        weights[3] = glow * lid

    # the upper lash line, thick in the middle and over the outer corner, with a short wing
    line = upper - off
    if not open_eye:   # closed: one curve between the corners, along the lower lid
        line = (upper - off + (np.asarray(lower)[::-1][: len(upper)] - off)) / 2
    direction = (outer - inner) / width
    wing_end = outer - off + direction * s.wing * width + np.array([0, -0.5]) * s.wing * width
    mid = (np.arange(len(line) - 1) + 0.5) / (len(line) - 1)
    # thickest toward the outer corner (the loop's start is the outer corner for the right eye
    # and the inner one for the left)
    toward_outer = 1.0 - mid if corners[0] == loop[0] else mid
    bold = 1.0 if open_eye else CLOSED_BOLD
    ink = _stroke(shape, line, lash_px * bold * (0.55 + 0.6 * toward_outer))
    if not open_eye and s.lash > 0:   # lashes under a closed lid: it still reads as an eye
        np.maximum(ink, _closed_lashes(shape, line, toward_outer, direction, width, lash_px),
                   out=ink)
    if open_eye:   # a faint lower lid line
        low_line = np.asarray(lower) - off
        np.maximum(ink, _stroke(shape, low_line, np.full(len(low_line) - 1, lash_px * 0.3),
                                0.35), out=ink)
    if s.wing > 0:
        np.maximum(ink, _stroke(shape, np.array([outer - off, wing_end]),
                                np.array([lash_px * 0.8])), out=ink)
    ink = cv2.GaussianBlur(ink, (0, 0), max(0.4, lash_px / 6))
    weights[:4] *= 1.0 - ink
    weights[4] = ink
    palette = np.stack([WHITE, iris_bgr, PUPIL, GLINT_COLOUR, LASH]).astype(np.float32)
    drawn = cv2.merge(list((palette.T @ weights.reshape(len(COLOURS), -1)).reshape(3, *shape)))
    cover = 1.0 - (1.0 - lid) * (1.0 - ink)        # how much of each pixel is drawn over
    if kernel is not None:   # blur what was drawn (colour and cover), over what lay under it
        cover = cv2.filter2D(cover, -1, kernel, borderType=cv2.BORDER_CONSTANT)
        drawn = cv2.filter2D(drawn, -1, kernel, borderType=cv2.BORDER_CONSTANT)
    roi = under * (1.0 - cover)[..., None] + drawn
    out[y0:y1, x0:x1] = np.clip(roi * 255.0 + 0.5, 0, 255).astype(np.uint8)
