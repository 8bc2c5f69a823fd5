"""The stylizer effect: the whole frame painted at low resolution, each face at high resolution.

Per frame: the frame is shrunk and run through the style network (the background, fully
convolutional at any multiple of 32); each tracked face is cut out with the landmark-aligned
crop, reshaped (eyes, jaw, chin, nose), stylised at the face resolution, colour-matched to the
background pass around its edge and pasted back through a feathered head mask, so no box
shows. Both passes use one network, so colours agree by construction.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Annotated, Any
from collections.abc import Sequence

import cv2
import numpy as np

from livecam.adapt.ladder import round_to_step
from livecam.compositing.masks import Mask, head_mask, swap_mask
from livecam.compositing.paste import Person, paste_face
from livecam.effects.temporal import FlickerFilter
from livecam.frame import Face, Frame, FrameBGR, Points, box_size
from livecam.geometry.align import Affine, crop_scale, crop_transform
from livecam.geometry.face_shape import FaceReshaper, ShapeSettings
from livecam.geometry import mesh_raster
from livecam.geometry.mesh_raster import Field
from livecam.config_tables import Range, check_fields
from livecam.inference.choices import PrecisionChoice, ProviderSetting, TierChoice
from livecam.inference.device_profile import choose, session_providers
from livecam.inference.onnx_model import ImageModel
from livecam.look.backdrop import painted_backdrop
from livecam.look import eyes as eye_drawing
from livecam.look.eyes import EyeSettings, SteadyEyes, draw_eyes, eyes_visible, iris_colour
from livecam.look.hair import hair_gloss
from livecam.look.flow import along_flow
from livecam.look.ink import hair_ink, outside_face
from livecam.look.shading import shade
from livecam.look.shutter import Shutter
from livecam.look.upsample import guided_upsample
from livecam.remote.client import server_for
from livecam.tracking.segmentation import PersonSegmenter, shrunk

log = logging.getLogger("livecam.stylize")

FINISH_SCALE = 2   # a face is finished at up to twice the network's side
PLAN_SIDE = 96     # the reshaping warp is smooth: planned at this side, applied at any


@dataclass(frozen=True, slots=True)
class StylizeSettings:
    """Options of the `stylize` effect.

    Attributes:
        style: Model style in models/manifest.toml ("fairy-tale").
        tier: Model tier ("S", "M", "L"), or "auto" to choose from this machine's measured
            device profile (`livecam doctor` shows it).
        precision: "float32", "int8", "float16", or "auto" (the tier's fastest within 1 dB).
        provider: onnxruntime execution provider ("cpu", "cuda", ...), or "auto".
        face_side: Face crop side in pixels, a multiple of 32 from 128 to 512; where the
            resolution controller starts (fixed with `--no-adapt`).
        background_width: Width of the low-resolution whole-frame pass (multiple of 32), also
            moved by the controller; 0 keeps the camera background.
        strength: 0 = camera image, 1 = fully stylised.
        threads: onnxruntime threads.
        max_faces: Faces stylised at high resolution (largest first).
        hair_edge: Cut the paste mask at the person's outline (MediaPipe selfie segmentation,
            run beside the background pass), so hair edges stay clean.
        shape: Geometry edits applied before the network.
        steady: 0–1, how much of the previous frame's stylised face is kept where the camera
            image held still (ink lines and cel edges otherwise flicker with camera noise).
        output_side: Largest side, in pixels, at which a face is finished (reshaped, the
            network's look applied by guided upsampling, shaded, eyes drawn) and pasted: the
            face's own size in the frame, up to this and to twice `face_side` (so the
            resolution controller's rung bounds it too); 0 pastes the network's output scaled
            up.
        shading: 0–1, soft 3D character lighting from the mesh's normals.
        hair_gloss: 0–1, a glossy band across the hair (needs `hair_edge` for the outline).
        hair_ink: 0–1, ink along the hair's edges and the head's outline (line art).
        eyes: Cartoon eyes drawn at the output resolution.
        hair_flow: 0–1, how much of the hair (the person outside the face) is smoothed along
            its flow and sharpened, so the network's blots become locks.
        backdrop: 0–1, how much of the network's dark blots on a soft background (no crisp
            edge in the camera, no person near) is painted over from the camera, high key
            and without ink (anime inks a blurred room into blots otherwise).
    """

    style: str = "fairy-tale"
    tier: TierChoice = "auto"
    precision: PrecisionChoice = "auto"
    provider: ProviderSetting = "auto"
    face_side: Annotated[int, Range(128, 512, step=32)] = 192
    background_width: Annotated[int, Range(128, 1024, step=32, zero_ok=True)] = 256
    strength: Annotated[float, Range(0.0, 1.0)] = 1.0
    threads: Annotated[int, Range(1, 64)] = 1
    max_faces: Annotated[int, Range(1, 16)] = 4
    hair_edge: bool = True
    steady: Annotated[float, Range(0.0, 1.0, below_hi=True)] = 0.6
    output_side: Annotated[int, Range(128, 1024, zero_ok=True)] = 512
    shading: Annotated[float, Range(0.0, 1.0)] = 0.0
    hair_gloss: Annotated[float, Range(0.0, 1.0)] = 0.0
    hair_ink: Annotated[float, Range(0.0, 1.0)] = 0.0
    hair_flow: Annotated[float, Range(0.0, 1.0)] = 0.0
    backdrop: Annotated[float, Range(0.0, 1.0)] = 0.0
    shape: ShapeSettings = field(default_factory=ShapeSettings)
    eyes: EyeSettings = field(default_factory=EyeSettings)

    def __post_init__(self) -> None:
        check_fields(self, "stylize")


class StylizeEffect:
    """Stylises frames with one of the project's style networks."""

    def __init__(self, settings: StylizeSettings, target_fps: float = 30.0) -> None:
        self.settings = settings
        self.name = f"stylize:{settings.style}"
        self._server = server_for(settings.provider, target_fps)
        self.choice = choose("stylizer", settings.style, tier=settings.tier,
                             precision=settings.precision,
                             provider="auto" if self._server else settings.provider,
                             target_fps=target_fps)
        log.info("%s: %s on %s (%s)", self.name, self.choice.entry.name, self.provider,
                 self.choice.reason)
        self.model = ImageModel(self.choice.entry, self.choice.path, threads=settings.threads,
                                providers=session_providers(self.choice.provider),
                                server=self._server)
        self.resolution = settings.face_side
        self._flicker = FlickerFilter(settings.steady)
        self._background_flicker = FlickerFilter(settings.steady)
        self._eyes = SteadyEyes()
        self._shutter = Shutter()
        self.background_width = settings.background_width
        self._reshaper = FaceReshaper(settings.shape)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="livecam-background")
        self._segmenter = PersonSegmenter() if settings.hair_edge else None
        self._frame_size: tuple[int, int] | None = None   # (h, w) of the last frame painted
        # here rather than on the first streamed frame (a preset switch must not stall)
        self.model.warm_up(self.resolution)
        mesh_raster.warm_up()
        if settings.eyes.draw:
            eye_drawing.warm_up()

    @property
    def model_name(self) -> str:
        return self.choice.entry.name

    @property
    def remote(self) -> str | None:
        return self._server.describe() if self._server else None

    def remote_summary(self) -> dict[str, Any] | None:
        return self._server.summary() if self._server else None

    @property
    def provider(self) -> str:
        """Where the model runs: the local provider, or the server (and whether it answers)."""
        return self._server.describe() if self._server else self.choice.provider

    def set_resolution(self, face_side: int, background_width: int) -> None:
        """Change the face crop side and background width live (the controller's knob); a
        preset without a painted background keeps none."""
        self.resolution = round_to_step(min(max(face_side, 128), 512))
        if self.settings.background_width:
            self.background_width = round_to_step(min(max(background_width, 128), 1024))
        if self._server is not None:   # the local model must take over at these sizes at once
            self.model.warm_up(self.resolution)
            if self._frame_size is not None:
                self.model.warm_up(self.background_width,
                                   _background_height(self.background_width, *self._frame_size))

    def _background(self, image: FrameBGR, face_size: float | None
                    ) -> tuple[FrameBGR, FrameBGR | None, Person | None]:
        if self._segmenter is None and not self.background_width:
            return image.copy(), None, None
        # one area-averaging pass over the frame serves the segmenter and the painting
        small, scale = shrunk(image)
        person = self._segmenter.person(small, scale) if self._segmenter is not None else None
        return *self._paint_background(image, small, person, face_size), person

    def _paint_background(self, image: FrameBGR, shrunk_frame: FrameBGR,
                          person: Person | None, face_size: float | None
                          ) -> tuple[FrameBGR, FrameBGR | None]:
        """The painted frame, and the small painting it was scaled up from where the frame
        is nothing else (reading a face's surroundings off it is cheaper); `person` the
        person map the backdrop spares and the hair's flow follows; `face_size` the largest
        face's in the frame's pixels (None: none in view)."""
        h, w = image.shape[:2]
        bw = self.background_width
        if bw == 0:
            return image.copy(), None
        self._frame_size = (h, w)
        bh = _background_height(bw, h, w)
        source = shrunk_frame if (shrunk_frame.shape[1] >= bw
                                  and shrunk_frame.shape[0] >= bh) else image
        small = cv2.resize(source, (bw, bh), interpolation=cv2.INTER_AREA)  # no aliasing
        styled = self.model.run(small)
        reads_person = self.settings.backdrop > 0 or (self.settings.hair_flow > 0
                                                       and face_size is not None)
        spared = (cv2.resize(person[0], (bw, bh), interpolation=cv2.INTER_LINEAR)
                  if person is not None and reads_person else None)
        if self.settings.backdrop > 0:
            styled = painted_backdrop(small, styled, spared, self.settings.backdrop)
        if self.settings.hair_flow > 0 and face_size is not None and spared is not None:
            styled = along_flow(small, styled, face_size * bw / w,
                                spared * np.float32(self.settings.hair_flow))
        styled = self._background_flicker.apply(0, small, styled)
        if shrunk_frame.shape[1] > bw:
            # finished at the shrunk copy's width, which costs nothing to guide: the pass's
            # edges (the hair's locks, its ink) stay crisp at the controller's low rungs
            styled = guided_upsample(small, styled, shrunk_frame)
        painted = cv2.resize(styled, (w, h), interpolation=cv2.INTER_LINEAR)
        if self.settings.strength >= 1.0:
            return painted, styled
        return _mix(image, painted, self.settings.strength), None

    def _finish_side(self, to_crop: Affine) -> int:
        """The crop side at which a face is finished: its size in the frame (`to_crop`: its
        affine at the network's side), at least the network's side and at most
        `output_side`."""
        side = self.resolution
        if not self.settings.output_side:
            return side
        in_frame = int(np.ceil(side / max(crop_scale(to_crop), 1e-6) / 16.0)) * 16
        # at most FINISH_SCALE × the network's side: the controller's rung bounds this too
        return max(side, min(in_frame, self.settings.output_side, FINISH_SCALE * side))

    def _paint_face(self, frame: Frame, face: Face, first: bool
                    ) -> tuple[FrameBGR, Mask, Mask | None, Affine]:
        """The stylised face crop at its finishing resolution, its mask, where it is the
        person for certain (None without a person map to overrule), and the frame-to-crop
        affine."""
        source = frame.image
        side = self.resolution
        at_side = crop_transform(face.landmarks, side)
        big = self._finish_side(at_side)
        to_crop = at_side * (big / side)   # the same crop, scaled (the template scales)
        to_frame = cv2.invertAffineTransform(to_crop)
        marks = face.landmarks[:, :2] @ to_crop[:, :2].T + to_crop[:, 2]
        depth = face.landmarks[:, 2] * crop_scale(to_crop)
        # the warp is smooth: planned on a small copy, then cut from the frame in one pass
        plan = min(side, PLAN_SIDE)
        k = plan / big
        field, moved = self._reshaper.plan(((marks + 0.5) * k - 0.5).astype(np.float32), plan,
                                           (depth * k).astype(np.float32))
        crop = _cut(source, to_crop, to_frame, big, field)
        moved = ((moved[:, :2] + 0.5) / k - 0.5).astype(np.float32)
        on_net = moved * (side / big)   # the mesh on the network's crop
        small = crop if big == side else cv2.resize(crop, (side, side),
                                                     interpolation=cv2.INTER_AREA)
        styled = self.model.run(small)
        outside = (outside_face(on_net, side)
                   if self.settings.hair_flow > 0 or self.settings.hair_ink > 0 else None)
        if outside is not None and self.settings.hair_flow > 0:
            x0, y0 = on_net[:, :2].min(axis=0)
            x1, y1 = on_net[:, :2].max(axis=0)
            styled = along_flow(small, styled, box_size((x0, y0, x1, y1)),
                                outside * np.float32(self.settings.hair_flow))
        styled = self._flicker.apply(face.face_id, small, styled)
        if outside is not None and self.settings.hair_ink > 0:
            styled = hair_ink(styled, outside, self.settings.hair_ink)
        painted = guided_upsample(small, styled, crop)
        if self.settings.shading > 0:
            painted = shade(painted, moved, depth, self.settings.shading)
        reading = self._eyes.due(face.face_id)
        shown = (self._eyes.shown(face.face_id,
                                  eyes_visible(crop, moved) if reading else None)
                 if self.settings.eyes.draw else 0.0)
        if shown > 0.0:   # not over sunglasses
            # held still in the frame's pixels, where the crop's own jitter shows too
            in_frame = _affine(moved, to_frame)
            held, colour = self._eyes.steady(face.face_id, in_frame,
                                             iris_colour(crop, moved) if reading else None,
                                             frame.index, source)
            motion = self._eyes.motion(face.face_id)
            if reading and first:   # one camera: its largest face tells its shutter
                self._shutter.observe(source, face.landmarks, motion, frame.index)
            drawn = draw_eyes(painted, _affine(held, to_crop), self.settings.eyes, colour,
                              to_crop[:, :2] @ motion, self._shutter.share, marks)
            painted = _mix(painted, drawn, shown)
        painted = _mix(crop, painted, self.settings.strength)
        mask = head_mask(on_net, side)
        if big != side:
            mask = cv2.resize(mask, (big, big), interpolation=cv2.INTER_LINEAR)
        sure = None
        if self._segmenter is not None:   # smooth: drawn small, scaled up
            sure = cv2.resize(swap_mask(moved * (plan / big), plan, keep_mouth=False), (big, big),
                              interpolation=cv2.INTER_LINEAR)
        return painted, mask, sure, to_crop

    def apply(self, frame: Frame, faces: Sequence[Face]) -> FrameBGR:
        # the background pass runs on the second core while the faces are painted here
        largest = sorted(faces, key=lambda f: -f.size_px)[: self.settings.max_faces]
        background = self._pool.submit(self._background, frame.image,
                                       largest[0].size_px if largest else None)
        painted = [self._paint_face(frame, face, i == 0) for i, face in enumerate(largest)]
        self._flicker.forget({face.face_id for face in largest})
        self._eyes.forget({face.face_id for face in largest})
        out, small, person = background.result()
        for face, (crop, mask, sure, to_crop) in zip(largest, painted):
            # the first face's surroundings are the painting's; later ones may overlap it
            under = (_scaled_up(small, to_crop, crop.shape[0], out.shape)
                     if small is not None and face is largest[0] else None)
            paste_face(out, crop, mask, to_crop, match_edge=True, person=person, under=under,
                       sure=sure)
            if person is not None:
                hair_gloss(out, face.landmarks, person,
                           self.settings.hair_gloss * self.settings.strength)
        return out

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        if self._server is not None:
            self._server.close()
        if self._segmenter is not None:
            self._segmenter.close()
            self._segmenter = None


def _cut(source: FrameBGR, to_crop: Affine, to_frame: Affine, side: int, field: Field | None
         ) -> FrameBGR:
    """The `side` crop of the frame, through the reshaping warp field when there is one."""
    if field is None:
        return cv2.warpAffine(source, to_crop, (side, side), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_REPLICATE)
    # the field's crop positions, scaled to this side and taken to the frame while small
    k = side / field.shape[0]
    crop_xy = (field + 0.5) * k - 0.5
    frame_xy = crop_xy @ to_frame[:, :2].T.astype(np.float32) + to_frame[:, 2].astype(np.float32)
    full = cv2.resize(frame_xy, (side, side), interpolation=cv2.INTER_LINEAR)
    return cv2.remap(source, full, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _scaled_up(small: FrameBGR, to_crop: Affine, side: int, frame_shape: tuple[int, ...]
               ) -> FrameBGR:
    """The `side` crop of `small` scaled up to the frame's size (as `cv2.resize` does it,
    pixel centres aligned), cut in one pass from the small image."""
    kx, ky = frame_shape[1] / small.shape[1], frame_shape[0] / small.shape[0]
    matrix = to_crop.copy()
    matrix[:, 0] *= kx
    matrix[:, 1] *= ky
    matrix[:, 2] += to_crop[:, :2] @ (0.5 * kx - 0.5, 0.5 * ky - 0.5)
    return cv2.warpAffine(small, matrix, (side, side), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)


def _background_height(width: int, h: int, w: int) -> int:
    """The background pass's height for a frame of h×w (the models are measured from 128 px)."""
    return max(round_to_step(width * h / w), 128)


def _affine(points: Points, transform: Affine) -> Points:
    return (points[:, :2] @ transform[:, :2].T + transform[:, 2]).astype(np.float32)


def _mix(original: FrameBGR, styled: FrameBGR, strength: float) -> FrameBGR:
    if strength >= 1.0:
        return styled
    return cv2.addWeighted(styled, strength, original, 1.0 - strength, 0.0)
