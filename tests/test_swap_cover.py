"""Hair over the enrolled face is found and left out of the paste, and nothing else is."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from livecam.effects.face_swap import FaceSwapEffect, FaceSwapSettings
from livecam.frame import Frame
from livecam.geometry.align import align_face, crop_scale
from livecam.sources.demo import DemoSource
from livecam.swap.cover import hair_cover
from livecam.swap.enroll import enroll
from livecam.swap.faces_store import EnrolledFace, preview, save_face
from livecam.tracking.mediapipe_mesh import MediaPipeTracker
from livecam.tracking.mesh_topology import FACE_OVAL
from livecam.tracking.settings import TrackingSettings

LOWER_LIDS = (145, 374)
CLEAR = (205, 425, 4, 13, 152)   # cheeks, nose tip, lips, chin


@pytest.fixture(scope="module")
def fringed(tmp_path_factory):
    """The demo portrait's view: a fringe falls over one side of its forehead."""
    from importlib import resources

    data = resources.files("livecam.assets").joinpath("demo_face.jpg").read_bytes()
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    path = tmp_path_factory.mktemp("photos") / "portrait.jpg"
    cv2.imwrite(str(path), cv2.resize(image, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC))
    face, _ = enroll([path], "fringed")
    return face


def _forehead_in_skin(image, marks):
    """The view with the face oval above the lower lids (the demo's fringe, and the lock by
    its temple) painted in the cheeks' own colour: a clear forehead."""
    clear = image.copy()
    oval = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(oval, [np.round(marks[list(FACE_OVAL), :2]).astype(np.int32)], 1)
    oval[int(marks[list(LOWER_LIDS), 1].max()):] = 0
    x, y = (int(v) for v in marks[205, :2])
    clear[oval > 0] = np.median(image[y - 4:y + 5, x - 4:x + 5].reshape(-1, 3), axis=0)
    return clear


def test_a_fringe_is_found_above_the_eyes_and_the_face_below_is_kept(fringed):
    view = fringed.front
    marks = view.landmarks
    cover = hair_cover(view.image, marks)
    assert cover is not None
    ys, _ = np.nonzero(cover > 0.5)
    assert len(ys) > 0.01 * cover.size                 # the lock, not a speck
    assert ys.max() < marks[list(LOWER_LIDS), 1].max() + 4   # hair falls from above
    for i in CLEAR:
        x, y = (int(v) for v in marks[i, :2])
        assert cover[y, x] == 0.0, i


def test_a_clear_forehead_and_a_shadowed_cheek_are_not_hair(fringed):
    view = fringed.front
    marks = view.landmarks
    clear = _forehead_in_skin(view.image, marks)
    assert hair_cover(clear, marks) is None
    shadowed = clear.copy()
    x, y = (int(v) for v in marks[205, :2])
    r = int(0.25 * np.linalg.norm(marks[33, :2] - marks[263, :2]))
    shadowed[y - r:y + r, x - r:x + r] = (shadowed[y - r:y + r, x - r:x + r] * 0.4
                                          ).astype(np.uint8)
    assert hair_cover(shadowed, marks) is None


def test_the_camera_shows_where_the_enrolled_face_has_hair(fringed):
    """The paste mask is cut where the worn view's hair lands, and only there."""
    import dataclasses

    clear_view = dataclasses.replace(fringed.front,
                                     image=_forehead_in_skin(fringed.front.image,
                                                             fringed.front.landmarks))
    save_face(fringed)
    save_face(EnrolledFace("clear", (clear_view,)))
    demo = DemoSource(640, 360, realtime=False)
    tracker = MediaPipeTracker(TrackingSettings(max_faces=1))
    image = demo.render(0.1)
    (face,) = tracker.track(Frame(image, 0, 0.0))
    tracker.close()
    aligned = align_face(image, face.landmarks, 256)
    marks = np.hstack([aligned.landmarks,
                       face.landmarks[:, 2:3] * crop_scale(aligned.to_crop)])
    masks = {}
    for name in ("fringed", "clear"):
        effect = FaceSwapEffect(FaceSwapSettings(faces=(name,), fusion="off", steady=0.0,
                                                 occluders="off"))
        worn = effect._worn[0][0]
        assert (worn.cover is None) == (name == "clear")
        _, masks[name] = effect.swap_crop(aligned.image, marks, worn)
        effect.close()
    cut = masks["clear"] - masks["fringed"]
    assert cut.min() > -1e-6                           # only ever less is pasted
    cut_at = cut > 0.5
    assert cut_at.sum() > 0.005 * cut.size             # the lock's place shows the camera
    assert cut_at.any(axis=1).nonzero()[0].max() < marks[list(LOWER_LIDS), 1].max() + 4
    # the rest of the face is pasted as before (the cover's feather aside)
    assert np.abs(cut[int(marks[list(LOWER_LIDS), 1].max()) + 12:]).max() < 0.01


def test_the_preview_shows_what_is_left_out(fringed):
    shown = preview(fringed)
    plain = fringed.front.image
    cover = hair_cover(plain, fringed.front.landmarks)
    greyed = cv2.erode((cover > 0.5).astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    assert greyed.sum() > 0.01 * greyed.size
    # the left-out hair is greyed, the face below the eyes shown as it is
    assert np.array_equal(shown[greyed], plain[greyed] // 3 + 85)
    lower = int(fringed.front.landmarks[list(LOWER_LIDS), 1].max()) + 8
    assert np.array_equal(shown[lower:-30], plain[lower:-30])
