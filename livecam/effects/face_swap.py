"""The face-swap effect: every chosen face in the stream wears an enrolled face.

Per face and frame: the aligned target crop; the enrolled face warped onto the target's mesh
(moved toward the source's shape, so identity survives in proportions too) with the mesh's
numba kernel; its photo's light swapped for the room's through both meshes' normals and its
colour moved to the target's skin; then the fusion model blends it into the
crop with the room's light (without a model for this machine, a feathered paste); pasted back
through the feathered swap mask. An open mouth keeps the target's own mouth, a hand raised in
front of the face stays in front, and a face turning to profile fades the swap out instead
of tearing.
"""

from __future__ import annotations

import dataclasses
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from collections.abc import Sequence

import cv2
import numpy as np

from livecam.adapt.ladder import round_to_step
from livecam.compositing.masks import Mask, skin_mask
from livecam.compositing.paste import paste_face
from livecam.effects.temporal import FlickerFilter
from livecam.errors import ModelError, PresetError
from livecam.frame import Face, Frame, FrameBGR, Points
from livecam.geometry.align import align_face, crop_scale
from livecam.config_tables import Range, check_fields
from livecam.inference.choices import PrecisionChoice, ProviderSetting, TierChoice
from livecam.inference.device_profile import choose, session_providers
from livecam.inference.onnx_model import FusionModel
from livecam.remote.client import TritonServer, server_for
from livecam.swap.colour import keep_lip_colour
from livecam.swap.enroll import SIDE
from livecam.swap.detail import restore_detail
from livecam.swap.features import keep_features
from livecam.swap.faces_store import EnrolledFace, list_faces, load_face
from livecam.swap.cover import worn_cover
from livecam.swap.fusion_input import Dressing, dress, plain_paste, put_on, target_context
from livecam.swap.interiors import lay_in
from livecam.swap.occluders import hand_mask, object_mask
from livecam.swap.worn import WornView, pick_view, prepare
from livecam.tracking.hands import HandPoints, HandTracker

log = logging.getLogger("livecam.swap")
# The swapped face changes where the camera's does (its lids, eyes and mouth are laid in from
# it), so the temporal filter lets go at a smaller change than a stylizer's and holds camera
# noise harder: flicker and missed blinks both fell (benchmarks/README.md, Face swap).
STILL_CHANGE = 5.0
# A head turning onto another enrolled view cross-fades to it over this many frames: the new
# view's texture (its skin, its light) comes in without a pop.
VIEW_FADE_FRAMES = 8
Occluders = Literal["hands", "objects", "hands+objects", "off"]


@dataclass(frozen=True, slots=True)
class FaceSwapSettings:
    """Options of the `face_swap` effect.

    Attributes:
        faces: Enrolled faces to wear; the first is worn first, a hotkey cycles them
            (empty: every enrolled face, by name).
        targets: "all" faces in view, or the "largest".
        ids: Only these tracked face ids (empty: no restriction).
        shape: 0–1, how far the target's face shape moves toward the source's.
        keep_mouth: An open mouth shows the target's own teeth and tongue.
        keep_eyes: The eyes are the target's own (gaze, blinks), in the source's iris colour.
        occluders: "hands": a hand in front of the face stays in front (MediaPipe hands on
            the second core); "objects": a microphone, mug or other non-skin object entering
            the face from its edge stays in front (by colour, so a beard or a fringe of hair
            counts too); "hands+objects"; "off".
        colour: Move the source's colour to the target's skin before blending.
        light: 0–1, how far the enrolled photo's own light is replaced by the room's (each
            fitted to its face's mesh in 3D, then the camera's smooth skin brightness), with
            `colour` on.
        detail: 0–1, the enrolled face's fine detail (skin texture, lashes) laid back over
            the fusion model's softer output: 1 brings the face to the camera's own sharpness
            around it.
        steady: 0–1, how much of the previous frame's swapped face is kept where the camera
            image held still (the warp and the model otherwise shimmer with camera noise).
        fusion: Blend with the fusion model ("auto": when one is installed; "off": plain).
        tier, precision, provider: The fusion model variant ("auto" from the device profile).
        fade_start_deg, fade_end_deg: Yaw over which the swap fades out toward profile.
        max_faces: Faces swapped per frame (largest first).
        threads: onnxruntime threads for the fusion model: one leaves the second core to the
            hand search (benchmarks/README.md has the measurements).
    """

    faces: tuple[str, ...] = ()
    targets: Literal["all", "largest"] = "all"
    ids: tuple[int, ...] = ()
    shape: Annotated[float, Range(0.0, 1.0)] = 0.7
    keep_mouth: bool = True
    keep_eyes: bool = True
    occluders: Occluders = "hands"
    colour: bool = True
    light: Annotated[float, Range(0.0, 1.0)] = 1.0
    detail: Annotated[float, Range(0.0, 1.0)] = 1.0
    steady: Annotated[float, Range(0.0, 1.0, below_hi=True)] = 0.9
    fusion: Literal["auto", "on", "off"] = "auto"
    tier: TierChoice = "auto"
    precision: PrecisionChoice = "auto"
    provider: ProviderSetting = "auto"
    fade_start_deg: Annotated[float, Range(0.0, 90.0)] = 35.0
    fade_end_deg: Annotated[float, Range(0.0, 90.0)] = 55.0
    max_faces: Annotated[int, Range(1, 16)] = 4
    threads: Annotated[int, Range(1, 64)] = 1

    def __post_init__(self) -> None:
        check_fields(self, "face_swap")
        if not self.fade_start_deg < self.fade_end_deg:
            raise PresetError("face_swap.fade_start_deg must be below fade_end_deg (0 to 90)")

    @property
    def dressing(self) -> Dressing:
        """How the enrolled face is put on before the fusion model (training uses it too)."""
        return Dressing(self.colour, self.light, self.keep_eyes, self.keep_mouth)


def _hair_on(worn: WornView, dst: Points, side: int) -> Mask | float:
    """The view's hair (`WornView.cover`) worn on the mesh `dst`; 0.0 when it has none."""
    if worn.cover is None:
        return 0.0
    return worn_cover(worn.cover, worn.view.landmarks, dst, side)


class FaceSwapEffect:
    """Swaps tracked faces for enrolled ones."""

    def __init__(self, settings: FaceSwapSettings, target_fps: float = 30.0) -> None:
        names = settings.faces or tuple(list_faces())   # none listed: every enrolled face
        if not names:
            raise PresetError("no face is enrolled yet: enrol one with 'livecam enroll "
                              "PHOTO... --name NAME', then run with --face NAME")
        self.settings = settings
        self.name = "face_swap"
        self.sources = [load_face(n) for n in names]
        self._worn = [prepare(f, SIDE) for f in self.sources]
        self._view_of: dict[int, int] = {}   # tracked face id → the view it wears
        self._leaving: dict[int, tuple[int, int]] = {}   # face id → (view left, frames since)
        self.current = 0
        self.model: FusionModel | None = None
        self._server: TritonServer | None = None
        if settings.fusion != "off":
            try:
                self._server = server_for(settings.provider, target_fps)
                choice = choose("fusion", "swap", tier=settings.tier,
                                precision=settings.precision,
                                provider="auto" if self._server else settings.provider,
                                target_fps=target_fps)
                self.model = FusionModel(choice.entry, choice.path, threads=settings.threads,
                                         providers=session_providers(choice.provider),
                                         server=self._server)
                log.info("face swap: %s on %s", choice.entry.name,
                         self._server.describe() if self._server else choice.provider)
            except ModelError as exc:
                if settings.fusion == "on":
                    raise
                log.warning("face swap without the fusion model (%s); blending plainly", exc)
        self._hands = HandTracker() if "hands" in settings.occluders else None
        self._objects = "objects" in settings.occluders
        # hands are looked for on the second core while the fusion model runs on this one
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="livecam-hands")
        self._hand_job: Future[list[HandPoints]] | None = None
        self._found: list[HandPoints] = []
        self._flicker = FlickerFilter(settings.steady, STILL_CHANGE)
        self.resolution = SIDE      # the controller's knob: the swap crop's side
        self.background_width = 0   # no whole-frame pass
        self._warm_up()

    def _warm_up(self) -> None:
        """One swap of the source onto itself: compiles the mesh kernel and runs the model
        once, here rather than on the first streamed frame (a preset switch must not stall)."""
        src = self.source
        self.swap_crop(src.image, src.landmarks, self._worn[self.current][0])

    def set_resolution(self, face_side: int, background_width: int) -> None:
        """Swap at a smaller crop when the frame rate needs it (the enrolled face is stored at
        SIDE, so a larger crop would add cost, not detail)."""
        self.resolution = round_to_step(min(max(face_side, 128), SIDE))

    @property
    def source(self) -> EnrolledFace:
        return self.sources[self.current]

    def wear(self, face: EnrolledFace) -> None:
        """Wear `face` from the next frame (added to the faces this effect cycles through)."""
        if face.name not in [f.name for f in self.sources]:
            self.sources.append(face)
            self._worn.append(prepare(face, SIDE))
        self.current = [f.name for f in self.sources].index(face.name)
        self._view_of.clear()
        self._leaving.clear()

    def next_face(self) -> str:
        """Wear the next enrolled face of the preset; returns its name."""
        self.current = (self.current + 1) % len(self.sources)
        self._view_of.clear()
        self._leaving.clear()
        return self.source.name

    def _chosen(self, faces: Sequence[Face]) -> list[Face]:
        picked = [f for f in faces if not self.settings.ids or f.face_id in self.settings.ids]
        picked.sort(key=lambda f: -f.size_px)
        return picked[:1] if self.settings.targets == "largest" else \
            picked[: self.settings.max_faces]

    def _fade(self, face: Face) -> float:
        s = self.settings
        yaw = abs(face.pose.yaw_deg)
        return float(np.clip((s.fade_end_deg - yaw) / (s.fade_end_deg - s.fade_start_deg),
                             0.0, 1.0))

    def swap_crop(self, crop: FrameBGR, landmarks: Points, worn: WornView,
                  leaving: tuple[WornView, float] | None = None) -> tuple[FrameBGR, Mask]:
        """The swapped aligned crop and its paste mask (the crop's side, SIDE or less).

        Args:
            crop: The aligned camera crop.
            landmarks: Its mesh in crop pixels, with depth in the same pixels (N×3).
            worn: The view of the enrolled face to wear.
            leaving: A view being faded out and its weight, worn on the same mesh.
        """
        s = self.settings
        side = crop.shape[0]
        scale = SIDE / side   # the shape transfer works in the enrolled face's pixels
        dst = worn.shape.apply(landmarks * scale, s.shape) / scale
        dressed = dress(crop, landmarks, dst, worn.view.image, worn.view.landmarks,
                        worn.skin_at(side), s.dressing, worn.iris, worn.light)
        if leaving is not None:   # the view left, on the same mesh, the same openings
            old, weight = leaving
            before = put_on(crop, landmarks, dst, old.view.image, old.view.landmarks,
                            old.skin_at(side), s.dressing, old.light)
            dressed = dataclasses.replace(dressed, warped=lay_in(cv2.addWeighted(
                before, weight, dressed.warped, 1.0 - weight, 0.0), dressed.openings))
        mask = dressed.mask
        if self.model is not None:
            fused = self.model.run(target_context(crop, mask), dressed.warped, mask)
            fused = keep_features(fused, dressed.warped, dst, mask)
        else:
            fused = plain_paste(crop, dressed.warped, mask)
        # the model moves the lips toward the room's skin tone too: their colour stays the
        # worn face's (its light the model's)
        fused = keep_lip_colour(fused, dressed.warped, dst, 1.0)
        # as sharp as the camera over the whole pasted face: brows and lids hold most edges
        fused = restore_detail(fused, dressed.warped, mask, s.detail, crop, mask > 0.5)
        fused = lay_in(fused, dressed.openings)   # the camera's own openings go out as they are
        # the enrolled photo's hair: the camera's forehead shows there (out of the paste
        # only: the model saw the mask it was trained on)
        hair = _hair_on(worn, dst, side)
        if leaving is not None:
            hair = hair * (1.0 - leaving[1]) + _hair_on(leaving[0], dst, side) * leaving[1]
        if np.any(hair):
            mask = mask * (1.0 - hair)
        if self._objects:   # out of the paste only: the model saw the whole face
            keep = object_mask(crop, landmarks, skin_mask(landmarks, side))
            # where the object is all but certain, nothing is pasted, not even a resampled copy
            mask = np.where(keep > 0.97, 0.0, mask * (1.0 - keep)).astype(np.float32)
        return fused, mask

    def apply(self, frame: Frame, faces: Sequence[Face]) -> FrameBGR:
        out = frame.image.copy()
        # a face in profile (fade 0) keeps the camera's own face
        chosen = [(face, fade) for face in self._chosen(faces) if (fade := self._fade(face)) > 0]
        if self._hands is not None and chosen and self._hand_job is None:
            self._hand_job = self._pool.submit(self._hands.hands, frame.image)
        swapped = []
        for face, fade in chosen:
            aligned = align_face(frame.image, face.landmarks, self.resolution)
            depth = face.landmarks[:, 2:3] * crop_scale(aligned.to_crop)
            views = self._worn[self.current]
            worn = self._view_of.get(face.face_id)
            view = pick_view(views, face.pose.yaw_deg, worn)
            self._view_of[face.face_id] = view
            fused, mask = self.swap_crop(aligned.image, np.hstack([aligned.landmarks, depth]),
                                         views[view], self._fade_out(face.face_id, worn, view,
                                                                     views))
            fused = self._flicker.apply(face.face_id, aligned.image, fused)
            swapped.append((face, aligned, fused, mask * fade))
        seen = {face.face_id for face, _ in chosen}
        self._flicker.forget(seen)
        self._view_of = {k: v for k, v in self._view_of.items() if k in seen}
        self._leaving = {k: v for k, v in self._leaving.items() if k in seen}
        if self._hand_job is not None and self._hand_job.done():
            self._found, self._hand_job = self._hand_job.result(), None
        # a palm search still running after the swap is not waited for: its hands are used
        # from the next frame, and the frame goes out now with the last hands found
        found = self._found
        for face, aligned, fused, mask in swapped:
            if found:
                mask = mask * (1.0 - hand_mask(found, face.landmarks, aligned.to_crop,
                                               self.resolution))
            # the enrolled face's grain is not the camera's: two bands keep the feather as
            # detailed as either side instead of a smooth ring
            paste_face(out, fused, mask, aligned.to_crop, bands=True)
        return out

    def _fade_out(self, face_id: int, worn: int | None, view: int,
                  views: Sequence[WornView]) -> tuple[WornView, float] | None:
        """The view `face_id` is leaving and its weight this frame, while the fade lasts."""
        if worn is not None and worn != view:
            self._leaving[face_id] = (worn, 0)
        if face_id not in self._leaving:
            return None
        old, frames = self._leaving[face_id]
        frames += 1
        if frames >= VIEW_FADE_FRAMES or old == view:
            del self._leaving[face_id]
            return None
        self._leaving[face_id] = (old, frames)
        return views[old], 1.0 - frames / VIEW_FADE_FRAMES

    @property
    def remote(self) -> str | None:
        return self._server.describe() if self._server else None

    def remote_summary(self) -> dict[str, Any] | None:
        return self._server.summary() if self._server else None

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        if self._server is not None:
            self._server.close()
        if self._hands is not None:
            self._hands.close()
            self._hands = None
