"""Alignment and mesh warps on a real tracked face."""

from __future__ import annotations

import numpy as np
import pytest

from livecam.frame import Frame
from livecam.geometry.align import TEMPLATE, align_face, anchor_points, similarity
from livecam.geometry.face_shape import FaceReshaper, ShapeSettings, reshaped
from livecam.geometry.mesh_warp import warp_mesh, warp_mesh_reference
from livecam.sources.demo import DemoSource
from livecam.tracking import mesh_regions as regions
from livecam.tracking.mediapipe_mesh import MediaPipeTracker
from livecam.tracking.mesh_topology import TRIANGLES
from livecam.tracking.settings import TrackingSettings


def test_similarity_recovers_a_known_transform():
    rng = np.random.default_rng(1)
    src = rng.uniform(0, 100, (5, 2))
    a = np.radians(25)
    rot = 1.7 * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    dst = src @ rot.T + [10, -4]
    m = similarity(src, dst)
    assert np.allclose(m[:, :2], rot) and np.allclose(m[:, 2], [10, -4])


def test_aligned_crop_puts_eyes_and_mouth_on_the_template(demo_face):
    image, face = demo_face
    aligned = align_face(image, face.landmarks, 256)
    assert aligned.image.shape == (256, 256, 3)
    assert np.abs(anchor_points(aligned.landmarks) - TEMPLATE * 256).max() < 4.0
    back = aligned.landmarks @ aligned.to_frame()[:, :2].T + aligned.to_frame()[:, 2]
    assert np.abs(back - face.landmarks[:, :2]).max() < 0.01


def test_mesh_triangles_cover_the_face():
    assert len(TRIANGLES) > 800
    assert {i for t in TRIANGLES for i in t} >= set(range(468))


def test_numba_warp_matches_the_opencv_reference(demo_face):
    image, face = demo_face
    aligned = align_face(image, face.landmarks, 192)
    src = aligned.landmarks
    dst = src + np.float32([3.0, -2.0]) + 0.03 * (src - src.mean(0))
    tris = np.asarray(TRIANGLES, np.int32)
    fast, covered = warp_mesh(aligned.image, src, dst, tris)
    slow = warp_mesh_reference(aligned.image, src, dst, tris)
    inside = covered > 0
    assert inside.mean() > 0.2
    diff = np.abs(fast.astype(int) - slow.astype(int))[inside]
    assert diff.mean() < 0.5 and np.percentile(diff, 99) <= 3


def test_identity_shape_changes_nothing(demo_face):
    image, face = demo_face
    aligned = align_face(image, face.landmarks, 256)
    same, marks = FaceReshaper(ShapeSettings()).apply(aligned.image, aligned.landmarks)
    assert same is aligned.image and marks is aligned.landmarks


def test_eye_scale_enlarges_the_whole_eye_and_leaves_the_border(demo_face):
    eye_opening = pytest.importorskip(
        "livecam_train.evaluation.look",
        reason="the eye measure is in the livecam-train package").eye_opening
    image, face = demo_face
    aligned = align_face(image, face.landmarks, 256)
    out, moved = FaceReshaper(ShapeSettings(eye_scale=1.4)).apply(aligned.image,
                                                                  aligned.landmarks)
    # the lids move out by the factor (area about 1.4²) and the iris grows with them
    assert eye_opening(moved) / eye_opening(aligned.landmarks) == pytest.approx(1.96, rel=0.08)
    iris = regions.RIGHT_IRIS_CENTER
    radius = np.linalg.norm(moved[iris + 1] - moved[iris])
    assert radius / np.linalg.norm(aligned.landmarks[iris + 1] - aligned.landmarks[iris]) > 1.3
    # the pixels moved with them: the iris's dark centre lands where the moved landmark is
    changed = np.abs(out.astype(int) - aligned.image.astype(int)).sum(axis=2) > 10
    assert changed.mean() > 0.01
    assert not changed[:4].any() and not changed[:, :4].any()  # the crop border stays put


def test_slim_and_chin_move_the_jaw_inward_and_up(demo_face):
    image, face = demo_face
    aligned = align_face(image, face.landmarks, 256)
    target = reshaped(aligned.landmarks, ShapeSettings(slim=0.15, chin=-0.05, mouth=0.2))
    jaw = [172, 397]   # left and right jaw below the mouth
    assert np.ptp(target[jaw, 0]) < np.ptp(aligned.landmarks[jaw, 0])
    assert target[152, 1] < aligned.landmarks[152, 1]
    lips = list(regions.LIPS)
    assert np.ptp(target[lips, 0]) < np.ptp(aligned.landmarks[lips, 0])


def test_the_whole_edit_reaches_the_face(demo_face):
    """The skin between the edited points is carried along, so nothing folds and the fold
    guard has nothing to take back: the mouth and nose shrink by what was asked."""
    image, face = demo_face
    aligned = align_face(image, face.landmarks, 256)
    settings = ShapeSettings(slim=0.1, chin=-0.03, nose=0.3, mouth=0.2, cranium=0.06)
    target = reshaped(aligned.landmarks, settings)
    for points, asked in ((list(regions.LIPS), settings.mouth),
                          (list(regions.NOSE), settings.nose)):
        ratio = np.ptp(target[points, 0]) / np.ptp(aligned.landmarks[points, 0])
        assert ratio == pytest.approx(1.0 - asked, abs=0.05)


def test_a_turned_head_is_reshaped_without_folding_a_triangle():
    """The 3D plan with a strong edit on a mesh turned 45 degrees: no triangle turns over
    (beyond a sliver, which moves no pixel)."""
    from livecam.geometry.face_shape import FOLD_AREA, _signed_areas
    from livecam.tracking.mesh_regions import SKIN_TRIANGLES

    image = DemoSource(640, 360, realtime=False).render(1.3)
    tracker = MediaPipeTracker(TrackingSettings(max_faces=1))
    (face,) = tracker.track(Frame(image, 0, 0.0))
    tracker.close()
    pts = face.landmarks.astype(np.float64)
    centre = pts.mean(axis=0)
    a = np.radians(45)
    turn = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    turned = ((pts - centre) @ turn.T + centre).astype(np.float32)
    settings = ShapeSettings(eye_scale=1.6, slim=0.2, nose=0.4, mouth=0.4, cranium=0.2,
                             chin=-0.1)
    target = reshaped(turned[:, :2], settings, turned[:, 2])
    before = _signed_areas(turned[:, :2].astype(np.float64))
    after = _signed_areas(target.astype(np.float64))
    typical = np.median(np.abs(before))
    seen = np.abs(before) > 1.0
    assert not np.any(seen & (before * after < 0) & (np.abs(after) > FOLD_AREA * typical))
    assert SKIN_TRIANGLES.shape[1] == 3


def test_shape_settings_are_bounded():
    from livecam.errors import PresetError

    with pytest.raises(PresetError, match="shape.eye_scale must be 0.8 to 2"):
        ShapeSettings(eye_scale=2.5)
    with pytest.raises(PresetError, match="shape.mouth must be 0 to 0.4, got nan"):
        ShapeSettings(mouth=float("nan"))
