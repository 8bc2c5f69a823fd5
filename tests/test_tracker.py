"""Real MediaPipe on real pictures: the demo portrait and the shared test photos."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from livecam.frame import Frame
from livecam.sources.demo import DemoSource
from livecam.sources.image import read_image
from livecam.tracking.mediapipe_mesh import MediaPipeTracker
from livecam.tracking.pose import head_pose
from livecam.tracking.settings import TrackingSettings


@pytest.fixture(scope="module")
def demo_frames():
    demo = DemoSource(640, 360, realtime=False)
    return [demo.render(i / 30.0) for i in range(45)]


def _track_all(images, settings=None):
    tracker = MediaPipeTracker(settings or TrackingSettings())
    try:
        return [tracker.track(Frame(img, i, i / 30.0)) for i, img in enumerate(images)]
    finally:
        tracker.close()


def test_demo_face_is_tracked_with_478_points_and_a_stable_id(demo_frames):
    tracks = _track_all(demo_frames)
    assert all(len(faces) == 1 for faces in tracks)
    assert {faces[0].face_id for faces in tracks} == {tracks[0][0].face_id}
    face = tracks[-1][0]
    assert face.landmarks.shape == (478, 3)
    x0, y0, x1, y1 = face.box
    assert 0 <= x0 < x1 <= 640 and 0 <= y0 < y1 <= 360


def test_roll_follows_the_demo_s_in_plane_rotation(demo_frames):
    demo = DemoSource(640, 360, realtime=False)
    tracks = _track_all(demo_frames)
    rolls = np.array([faces[0].pose.roll_deg for faces in tracks])
    ccw_deg = np.array([np.degrees(np.arctan2(demo._transform(i / 30.0)[0, 1],
                                              demo._transform(i / 30.0)[0, 0]))
                        for i in range(len(tracks))])
    # the demo turns the image counter-clockwise; roll counts clockwise
    assert np.corrcoef(rolls, -ccw_deg)[0, 1] > 0.9
    assert np.ptp(rolls) == pytest.approx(np.ptp(ccw_deg), rel=0.25)


def test_head_pose_reads_known_rotations_of_a_real_mesh(demo_frames):
    face = _track_all(demo_frames[:1])[0][0]
    pts = face.landmarks - face.landmarks.mean(axis=0)
    base = head_pose(pts)
    a = np.radians(20)
    roll = pts @ np.array([[np.cos(a), np.sin(a), 0], [-np.sin(a), np.cos(a), 0], [0, 0, 1]])
    assert head_pose(roll.astype(np.float32)).roll_deg - base.roll_deg == pytest.approx(20, abs=1)
    b = np.radians(30)
    yaw = pts @ np.array([[np.cos(b), 0, -np.sin(b)], [0, 1, 0], [np.sin(b), 0, np.cos(b)]])
    assert abs(head_pose(yaw.astype(np.float32)).yaw_deg - base.yaw_deg) == pytest.approx(30, abs=3)


def test_empty_frame_has_no_faces():
    assert _track_all([np.full((360, 640, 3), 90, np.uint8)] * 3) == [[], [], []]


def test_two_people_are_both_tracked_with_distinct_ids(data_dir):
    image = read_image(data_dir / "test-photos" / "facerec_two_people.jpg")
    faces = _track_all([image] * 3)[-1]
    assert len(faces) == 2
    assert faces[0].face_id != faces[1].face_id


def test_a_crowd_is_capped_at_max_faces_keeping_the_largest(data_dir):
    image = read_image(data_dir / "test-photos" / "deepface_selfie-many-people.jpg")
    faces = _track_all([image] * 3, TrackingSettings(max_faces=3))[-1]
    assert len(faces) == 3


def test_small_face_is_found_by_the_full_range_fallback():
    portrait = DemoSource(640, 360, realtime=False).render(0.0)
    canvas = np.full((720, 1280, 3), 60, np.uint8)
    small = cv2.resize(portrait, (480, 270), interpolation=cv2.INTER_AREA)  # face ≈ 85 px
    canvas[430:700, 780:1260] = small
    with_fallback = _track_all([canvas] * 3)[-1]
    without = _track_all([canvas] * 3, TrackingSettings(small_faces=False, max_faces=1))[-1]
    assert len(with_fallback) == 1 and without == []
    assert 780 < with_fallback[0].box[0] < 1260
