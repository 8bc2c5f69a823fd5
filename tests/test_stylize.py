"""The fairy-tale preset end to end with the committed model, on real pictures."""

from __future__ import annotations

import numpy as np
import pytest

from livecam.effects.stylize import StylizeEffect, StylizeSettings
from livecam.errors import PresetError
from livecam.frame import Frame
from livecam.geometry.align import align_face
from livecam.preset import load_preset
from livecam.sources.demo import DemoSource
from livecam.tracking.mediapipe_mesh import MediaPipeTracker
from livecam.tracking.settings import TrackingSettings


@pytest.fixture(scope="module")
def demo_frames():
    demo = DemoSource(640, 360, realtime=False)
    images = [demo.render(i / 30) for i in range(6)]
    tracker = MediaPipeTracker(TrackingSettings(max_faces=2))
    tracked = [(img, tracker.track(Frame(img, i, i / 30))) for i, img in enumerate(images)]
    tracker.close()
    return tracked


def test_fairy_tale_preset_stylises_face_and_background_without_a_box(demo_frames):
    preset = load_preset("fairy-tale")
    effect = StylizeEffect(preset.effect_settings)
    image, faces = demo_frames[-1]
    out = effect.apply(Frame(image, 0, 0.0), faces)
    assert out.shape == image.shape and not np.shares_memory(out, image)
    change = np.abs(out.astype(np.int16) - image).sum(axis=2)
    assert change.mean() > 8  # the whole frame is painted, not only the face
    # no box: along the edge of the face crop the output is as smooth as inside it
    aligned = align_face(image, faces[0].landmarks, 256)
    corners = np.array([[0, 0], [256, 0], [256, 256], [0, 256]], np.float64)
    pts = corners @ aligned.to_frame()[:, :2].T + aligned.to_frame()[:, 2]
    x0, y0 = np.clip(pts.min(0).astype(int), 0, None)
    x1 = min(int(pts[:, 0].max()), image.shape[1] - 1)
    gray = out.mean(axis=2)
    seam = np.abs(np.diff(gray[y0 + 20:y0 + 120, x0 - 3:x0 + 4], axis=1)).mean()
    inside = np.abs(np.diff(gray[y0 + 20:y0 + 120, (x0 + x1) // 2 - 3:(x0 + x1) // 2 + 4],
                            axis=1)).mean()
    assert seam < max(3.0, 2 * inside)


def test_strength_zero_returns_the_camera_image(demo_frames):
    effect = StylizeEffect(StylizeSettings(strength=0.0))
    image, faces = demo_frames[0]
    out = effect.apply(Frame(image, 0, 0.0), faces)
    assert np.abs(out.astype(int) - image).mean() < 1.0


def test_no_face_still_paints_the_background(demo_frames):
    effect = StylizeEffect(StylizeSettings())
    image, _ = demo_frames[0]
    out = effect.apply(Frame(image, 0, 0.0), [])
    assert out.shape == image.shape and np.abs(out.astype(int) - image).mean() > 3


def test_resolution_knob_rounds_to_a_multiple_of_32(demo_frames):
    effect = StylizeEffect(StylizeSettings(face_side=192))
    effect.set_resolution(200, 300)
    assert (effect.resolution, effect.background_width) == (192, 288)
    image, faces = demo_frames[0]
    assert effect.apply(Frame(image, 0, 0.0), faces).shape == image.shape
    kept = StylizeEffect(StylizeSettings(background_width=0))
    kept.set_resolution(256, 320)   # a preset without a painted background keeps none
    assert (kept.resolution, kept.background_width) == (256, 0)


def test_bad_stylize_settings_are_explained():
    with pytest.raises(PresetError, match="face_side must be a multiple of 32"):
        StylizeSettings(face_side=200)
    with pytest.raises(PresetError, match="strength must be 0 to 1"):
        StylizeSettings(strength=1.5)
    with pytest.raises(PresetError, match="provider: must be auto, cpu, .* or a Triton server"):
        StylizeSettings(provider="gpu")


def test_every_face_of_a_group_is_stylised(data_dir):
    from livecam.sources.image import read_image

    image = read_image(data_dir / "test-photos" / "facerec_two_people.jpg")
    tracker = MediaPipeTracker(TrackingSettings(max_faces=4))
    faces = [tracker.track(Frame(image, i, i / 30)) for i in range(3)][-1]
    tracker.close()
    assert len(faces) == 2
    plain = StylizeEffect(StylizeSettings(max_faces=4))
    out = plain.apply(Frame(image, 0, 0.0), faces)
    background_only = plain.apply(Frame(image, 0, 0.0), [])
    plain.close()
    plain.close()
    for face in faces:
        x0, y0, x1, y1 = (int(v) for v in face.box)
        # the high-resolution face pass changed each face beyond the background pass
        diff = np.abs(out[y0:y1, x0:x1].astype(int) - background_only[y0:y1, x0:x1]).mean()
        assert diff > 2.0


def test_the_paste_follows_the_persons_outline(demo_frames):
    image, faces = demo_frames[-1]
    with_edge = StylizeEffect(StylizeSettings(hair_edge=True)).apply(Frame(image, 0, 0.0), faces)
    without = StylizeEffect(StylizeSettings(hair_edge=False)).apply(Frame(image, 0, 0.0), faces)
    differs = np.abs(with_edge.astype(int) - without).sum(axis=2) > 6
    x0, y0, x1, y1 = (int(v) for v in faces[0].box)
    assert differs.any()                                  # the outline changed the paste
    assert not differs[:, : max(0, x0 - (x1 - x0))].any()  # far from the head: untouched


def test_a_segmenter_that_misses_the_person_leaves_the_face_painted(demo_frames):
    """A busy or smeared backdrop can make the person map miss someone the tracker sees:
    the face it tracked is pasted all the same (before, only the background pass showed)."""
    image, faces = demo_frames[-1]

    class Nobody:
        def person(self, small, scale):
            return np.zeros(small.shape[:2], np.float32), scale

        def close(self):
            pass

    def painted(tracked):
        effect = StylizeEffect(load_preset("anime").effect_settings)
        effect._segmenter.close()
        effect._segmenter = Nobody()
        out = effect.apply(Frame(image, 0, 0.0), tracked)
        effect.close()
        return align_face(out, faces[0].landmarks, 128).image[40:96, 36:92].astype(int)

    # the inner face (eyes, nose, mouth) against the same frame with no face painted
    assert np.abs(painted(faces) - painted([])).mean() > 8.0


def test_the_flicker_filter_steadies_a_still_face_and_follows_a_moving_one():
    from livecam.effects.temporal import FlickerFilter

    rng = np.random.default_rng(0)
    still = np.full((64, 64, 3), 120, np.uint8)
    steady = FlickerFilter(0.75)
    outputs = []
    for _ in range(30):   # the network's output flickers while the camera image holds still
        noisy = np.clip(120 + rng.normal(0, 20, (64, 64, 3)), 0, 255).astype(np.uint8)
        outputs.append(steady.apply(1, still, noisy).astype(float))
    change = np.mean([np.abs(a - b).mean() for a, b in zip(outputs[10:], outputs[11:])])
    assert change < 0.5 * 2 * 20 / np.sqrt(np.pi)   # half the unfiltered mean change (≈22.6)
    moved = np.full((64, 64, 3), 200, np.uint8)   # the face changes: the new output at once
    new = np.full((64, 64, 3), 30, np.uint8)
    assert np.array_equal(steady.apply(1, moved, new), new)
    # another face is filtered on its own; a face gone is forgotten
    assert np.array_equal(steady.apply(2, still, new), new)
    steady.forget({2})
    assert np.array_equal(steady.apply(1, moved, still), still)
    assert FlickerFilter(0.0).apply(1, still, new) is new


def test_the_face_swaps_flicker_filter_lets_a_small_real_change_through():
    """A lid closing changes the camera's crop by a few grey levels: the swap's filter (its
    gate shut at a smaller change) takes the new face there, where a stylizer's keeps part of
    the old one."""
    from livecam.effects.face_swap import STILL_CHANGE
    from livecam.effects.temporal import CHANGE_SCALE, FlickerFilter

    before = np.full((64, 64, 3), 120, np.uint8)
    after = before.copy()
    after[24:40, 16:48] += 8             # the lid: 8 grey levels over a patch
    old, new = np.full((64, 64, 3), 60, np.uint8), np.full((64, 64, 3), 180, np.uint8)
    held = {}
    for name, scale in (("swap", STILL_CHANGE), ("stylizer", CHANGE_SCALE)):
        steady = FlickerFilter(0.9, scale)
        steady.apply(1, before, old)
        held[name] = steady.apply(1, after, new)[32, 32].astype(float)
    assert np.allclose(held["swap"], 180.0, atol=1.0)      # the new face where the lid moved
    assert held["stylizer"].mean() < 170.0                 # the old one partly kept


def test_the_effect_loads_its_kernels_before_the_first_frame():
    """numba's kernels load on their first call (most of a second): a preset switched to
    mid-stream must not stall a frame on them."""
    import subprocess
    import sys

    script = (
        "from livecam.geometry.mesh_raster import _interpolate_kernel as mesh\n"
        "from livecam.look.eyes import _stroke_kernel as strokes\n"
        "from livecam.effects.stylize import StylizeEffect\n"
        "from livecam.preset import load_preset\n"
        "assert not mesh.signatures and not strokes.signatures\n"
        "effect = StylizeEffect(load_preset('anime').effect_settings)\n"
        "print(len(mesh.signatures), len(strokes.signatures))\n"
        "effect.close()\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.split() == ["1", "1"]


@pytest.mark.parametrize("preset", ["fairy-tale", "anime"])
def test_the_background_stays_crisp_at_the_lowest_rung(preset):
    """A 2-core machine holds the 128 px background pass: finished at the segmenter's copy's
    width, it keeps nearly all the edges of the 320 px pass, which it lost scaled up as it is.
    Float32, as anime's INT8 file paints edges of its own at 320 px."""
    import dataclasses

    import cv2

    image = DemoSource(1280, 720, realtime=False).render(0.0)
    settings = dataclasses.replace(load_preset(preset).effect_settings, precision="float32")

    def edge_energy(width: int) -> float:
        effect = StylizeEffect(dataclasses.replace(settings, background_width=width))
        out = effect.apply(Frame(image, 0, 0.0), [])
        effect.close()
        grey = cv2.cvtColor(out, cv2.COLOR_BGR2GRAY).astype(np.float32)
        return float(np.hypot(cv2.Sobel(grey, cv2.CV_32F, 1, 0),
                              cv2.Sobel(grey, cv2.CV_32F, 0, 1)).mean())

    assert edge_energy(128) > 0.93 * edge_energy(320)
