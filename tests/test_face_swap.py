"""Enrolment and the face-swap effect on real photos through real MediaPipe."""

from __future__ import annotations

import dataclasses
import time

import cv2
import numpy as np
import pytest

from livecam.cli import main
from livecam.effects.face_swap import FaceSwapEffect, FaceSwapSettings
from livecam.errors import PresetError
from livecam.frame import Frame, HeadPose
from livecam.sources.demo import DemoSource
from livecam.swap.enroll import enroll, examine
from livecam.swap.faces_store import faces_dir, list_faces, load_face, save_face
from livecam.tracking.mediapipe_mesh import MediaPipeTracker
from livecam.tracking.settings import TrackingSettings


def _write(folder, name, image):
    path = folder / name
    cv2.imwrite(str(path), image)
    return path


def test_unusable_photos_are_refused_with_the_reason(tmp_path, portrait):
    image = cv2.imread(str(portrait))
    gray = cv2.cvtColor(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    noise = np.random.default_rng(0).integers(0, 255, (400, 400, 3), np.uint8)
    close = image[100:460, 320:600]   # the face filling the frame, as in a selfie
    cases = {
        "notes.jpg": ("unreadable", None),
        "gray.png": ("black-and-white", gray),
        "tiny.png": ("too small", cv2.resize(image, (96, 96))),
        "huge.png": ("too large", np.zeros((16, 12800, 3), np.uint8)),
        "noise.png": ("no face found", cv2.GaussianBlur(noise, (0, 0), 3)),
        "pair.png": ("2 faces: choose one with --pick 1..2", np.hstack([close, close])),
        "far.png": ("the face is only", cv2.resize(image, (512, 512))),
    }
    (tmp_path / "notes.jpg").write_text("not a picture")
    for name, (reason, picture) in cases.items():
        path = tmp_path / name if picture is None else _write(tmp_path, name, picture)
        verdict = examine(path, "me")
        assert verdict.face is None and reason in verdict.reason, (name, verdict.reason)
    picked = examine(tmp_path / "pair.png", "me", pick=2)
    assert picked.face is not None
    with pytest.raises(PresetError, match="no usable face for 'me': notes.jpg: unreadable"):
        enroll([tmp_path / "notes.jpg", tmp_path / "gray.png"], "me")
    with pytest.raises(PresetError, match="face name"):
        enroll([portrait], "../escape")


def test_the_best_photo_is_kept_stored_and_listed(tmp_path, portrait):
    blurry = _write(tmp_path, "blurry.jpg", cv2.GaussianBlur(cv2.imread(str(portrait)),
                                                             (0, 0), 4))
    face, verdicts = enroll([blurry, portrait], "eileen")
    assert face.photo == str(portrait) and len(verdicts) == 2
    assert face.image.shape == (256, 256, 3) and face.landmarks.shape == (478, 3)
    save_face(face)
    assert list_faces() == ["eileen"]
    again = load_face("eileen")
    assert np.array_equal(again.image, face.image) and again.quality == face.quality
    with pytest.raises(PresetError, match="no enrolled face 'eilen' .*did you mean 'eileen'"):
        load_face("eilen")
    (faces_dir() / "eileen" / "face.json").write_text("{")
    with pytest.raises(PresetError, match="damaged"):
        load_face("eileen")


def test_enrol_and_list_from_the_command_line(tmp_path, portrait, capsys):
    assert main(["enroll", str(portrait), "--name", "demo"]) == 0
    assert "enrolled 'demo'" in capsys.readouterr().out
    assert main(["faces"]) == 0 and "demo" in capsys.readouterr().out
    assert main(["faces", "--remove", "demo"]) == 0 and list_faces() == []
    assert main(["enroll", str(tmp_path / "missing.jpg"), "--name", "x"]) == 2


@pytest.fixture(scope="module")
def demo_tracked():
    demo = DemoSource(640, 360, realtime=False)
    tracker = MediaPipeTracker(TrackingSettings(max_faces=1))
    frames = [(img := demo.render(i / 30), tracker.track(Frame(img, i, i / 30)))
              for i in range(4)]
    tracker.close()
    return frames[-1]


def test_a_face_is_swapped_without_a_seam_and_fades_out_in_profile(data_dir, demo_tracked):
    face, _ = enroll([data_dir / "test-photos" / "deepface_img5.jpg"], "other")
    save_face(face)
    image, faces = demo_tracked
    effect = FaceSwapEffect(FaceSwapSettings(faces=("other",), fusion="off"))
    out = effect.apply(Frame(image, 0, 0.0), faces)
    x0, y0, x1, y1 = (int(v) for v in faces[0].box)
    inner = (slice(y0 + (y1 - y0) // 4, y1 - (y1 - y0) // 4),
             slice(x0 + (x1 - x0) // 4, x1 - (x1 - x0) // 4))
    assert np.abs(out[inner].astype(int) - image[inner]).mean() > 8   # a different face
    outside = np.ones(image.shape[:2], bool)
    outside[max(0, y0 - 40):y1 + 40, max(0, x0 - 40):x1 + 40] = False
    assert np.array_equal(out[outside], image[outside])               # the rest untouched
    # no seam: across the edge of the swap the image is no rougher than the camera's
    gray_out, gray_in = (cv2.cvtColor(a, cv2.COLOR_BGR2GRAY).astype(float) for a in (out, image))
    ring = cv2.dilate(((np.abs(out.astype(int) - image).sum(2) > 0) * 255).astype(np.uint8),
                      np.ones((5, 5))) - ((np.abs(out.astype(int) - image).sum(2) > 0) * 255
                                          ).astype(np.uint8)
    edge = ring > 0
    grad = lambda g: np.abs(cv2.Sobel(g, cv2.CV_64F, 1, 0)) + np.abs(cv2.Sobel(g, cv2.CV_64F, 0, 1))  # noqa: E731
    assert grad(gray_out)[edge].mean() < 1.5 * grad(gray_in)[edge].mean() + 4
    turned = dataclasses.replace(faces[0], pose=HeadPose(70.0, 0.0, 0.0))
    assert np.array_equal(effect.apply(Frame(image, 1, 0.0), [turned]), image)
    assert np.array_equal(effect.apply(Frame(image, 2, 0.0), []), image)
    assert effect.next_face() == "other"


def test_an_unknown_face_lists_the_enrolled_ones(portrait):
    face, _ = enroll([portrait], "eileen")
    save_face(face)
    with pytest.raises(PresetError, match="no enrolled face 'nobody' \\(enrolled: eileen\\)"):
        FaceSwapEffect(FaceSwapSettings(faces=("nobody",), fusion="off"))
    assert FaceSwapEffect(FaceSwapSettings(fusion="off")).source.name == "eileen"


def test_no_enrolled_face_is_explained():
    with pytest.raises(PresetError, match="no face is enrolled yet"):
        FaceSwapEffect(FaceSwapSettings(fusion="off"))


def test_a_hand_in_front_of_the_face_stays_in_front(data_dir):
    from livecam.swap.occluders import hand_mask
    from livecam.tracking.hands import HandTracker

    photo = data_dir / "selfie2anime" / "trainA" / "female_13769.jpg"   # hand over the mouth
    image = cv2.resize(cv2.imread(str(photo)), (512, 512), interpolation=cv2.INTER_CUBIC)
    tracker = MediaPipeTracker(TrackingSettings(max_faces=1))
    faces = tracker.track(Frame(image, 0, 0.0))
    tracker.close()
    hands = HandTracker().hands(image)
    assert len(faces) == 1 and len(hands) == 1
    face, _ = enroll([data_dir / "test-photos" / "deepface_img5.jpg"], "other")
    save_face(face)
    swapped = {}
    for occluders in ("hands", "off"):
        effect = FaceSwapEffect(FaceSwapSettings(faces=("other",), fusion="off",
                                                 occluders=occluders))
        for i in range(12):   # a stream: the palm search may finish a frame or two later
            swapped[occluders] = effect.apply(Frame(image, i, i / 30), faces)
            time.sleep(0.05)
        effect.close()
    # the fingers over the face: inside the hand's own mask and swapped when the option is off
    fingers = (hand_mask(hands, faces[0].landmarks, np.array([[1.0, 0, 0], [0, 1.0, 0]]), 512)
               > 0.99) & (np.abs(swapped["off"].astype(int) - image).sum(2) > 0)
    assert fingers.sum() > 2000
    change = {k: np.abs(v.astype(int) - image)[fingers].mean() for k, v in swapped.items()}
    assert change["off"] > 8 and change["hands"] < 1.0
    # the face around the hand is still swapped
    assert np.abs(swapped["hands"].astype(int) - image).sum(2).astype(bool).sum() > 5000


def test_only_a_hand_reaching_out_of_the_face_is_believed():
    from livecam.swap.occluders import hand_mask, reaches_out_of

    angles = np.linspace(0, 2 * np.pi, 478, endpoint=False)
    face = np.stack([200 + 80 * np.cos(angles), 200 + 100 * np.sin(angles),
                     np.zeros(478)], 1).astype(np.float32)
    # a hand-sized set of points: wrist at 0, fingers fanning upward
    shape = np.array([(0, 0), (-20, -10), (-30, -25), (-38, -38), (-44, -50), (-12, -45),
                      (-14, -65), (-15, -78), (-16, -90), (0, -47), (0, -70), (0, -84),
                      (0, -96), (12, -45), (13, -66), (14, -79), (15, -90), (22, -40),
                      (26, -56), (28, -66), (30, -75)], np.float32) * 0.6
    inside = shape + (200, 260)          # a "hand" drawn on the cheeks: a false detection
    raised = shape * 1.6 + (210, 380)    # a real hand, its wrist below the chin
    assert not reaches_out_of(inside, face) and reaches_out_of(raised, face)
    identity = np.array([[1.0, 0, 0], [0, 1.0, 0]])
    assert not hand_mask([inside], face, identity, 400).any()
    mask = hand_mask([raised], face, identity, 400)
    assert mask[int(raised[9, 1]), int(raised[9, 0])] > 0.99   # middle knuckle covered
    assert mask[100, 200] == 0.0                                # forehead untouched


def test_hands_are_searched_for_every_third_frame_and_followed_every_frame(monkeypatch):
    from livecam.tracking.hands import HandTracker

    tracker = HandTracker(search_every=3)
    hand = [np.zeros((21, 2), np.float32)]
    found: list[list[np.ndarray]] = [[], [], hand, hand, [], []]
    calls = []

    def find(image):
        calls.append(len(calls))
        return found[len(calls) - 1]

    monkeypatch.setattr(tracker, "_find", find)
    blank = np.zeros((72, 128, 3), np.uint8)
    seen = [len(tracker.hands(blank)) for _ in range(11)]
    # searched on frames 0, 3 and 6; the hand found on 6 is followed on 7 and lost on 8,
    # so the next search is on 11
    assert calls == [0, 1, 2, 3, 4] and seen == [0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0]
    tracker.close()


def test_detail_is_laid_back_only_inside_the_mask():
    from livecam.swap.detail import restore_detail

    rng = np.random.default_rng(0)
    source = rng.integers(60, 200, (256, 256, 3)).astype(np.uint8)   # textured
    fused = np.full((256, 256, 3), 128, np.uint8)                     # smooth
    mask = np.zeros((256, 256), np.float32)
    mask[64:192, 64:192] = 1.0
    assert restore_detail(fused, source, mask, 0.0) is fused
    out = restore_detail(fused, source, mask, 1.0)
    assert np.array_equal(out[:32], fused[:32])
    inside = out[80:176, 80:176].astype(float)
    assert inside.std() > 20 and abs(inside.mean() - 128) < 2   # texture, not a colour shift


def test_the_swap_runs_at_the_resolution_the_controller_sets(data_dir, demo_tracked):
    from livecam.effects.protocol import Adjustable

    face, _ = enroll([data_dir / "test-photos" / "deepface_img5.jpg"], "other")
    save_face(face)
    image, faces = demo_tracked
    effect = FaceSwapEffect(FaceSwapSettings(faces=("other",), fusion="off"))
    assert isinstance(effect, Adjustable) and effect.resolution == 256
    full = effect.apply(Frame(image, 0, 0.0), faces)
    effect.set_resolution(192, 320)
    assert effect.resolution == 192
    small = effect.apply(Frame(image, 1, 0.0), faces)
    x0, y0, x1, y1 = (int(v) for v in faces[0].box)
    inner = (slice(y0 + (y1 - y0) // 4, y1 - (y1 - y0) // 4),
             slice(x0 + (x1 - x0) // 4, x1 - (x1 - x0) // 4))
    # the same swap, a little softer: far closer to the full-size swap than to the camera
    assert np.abs(small[inner].astype(int) - full[inner]).mean() < \
        0.3 * np.abs(full[inner].astype(int) - image[inner]).mean()
    effect.set_resolution(320, 0)
    assert effect.resolution == 256   # the enrolled face has no more detail than that
    effect.set_resolution(96, 0)
    assert effect.resolution == 128
    effect.close()


def _hold_microphone(image, landmarks):
    """A dark, grilled microphone head over the lips, its handle going down out of frame."""
    out = image.copy()
    mouth, chin = landmarks[[13, 14], :2].mean(0), landmarks[152, :2]
    width = float(np.linalg.norm(landmarks[234, :2] - landmarks[454, :2]))
    centre = tuple(int(v) for v in mouth + (chin - mouth) * 0.5)
    radius = int(width * 0.16)
    cv2.line(out, centre, (centre[0] + int(width * 0.1), image.shape[0]), (40, 40, 40),
             int(width * 0.1))
    head = np.full_like(image, 55)
    for k in range(-radius, radius, max(2, radius // 5)):   # the grille
        cv2.line(head, (centre[0] + k, 0), (centre[0] + k, image.shape[0]), (90, 90, 90), 1)
    inside = cv2.circle(np.zeros(image.shape[:2], np.uint8), centre, radius, 1, -1) > 0
    out[inside] = head[inside]
    return out, np.abs(out.astype(int) - image).sum(2) > 0


def test_a_microphone_in_front_of_the_face_stays_in_front_with_objects_on(portrait):
    image = cv2.imread(str(portrait))
    tracker = MediaPipeTracker(TrackingSettings(max_faces=1))
    plain_faces = tracker.track(Frame(image, 0, 0.0))
    held, microphone = _hold_microphone(image, plain_faces[0].landmarks)
    held_faces = tracker.track(Frame(held, 1, 1 / 30))
    tracker.close()
    save_face(enroll([portrait], "me")[0])
    out = {}
    for occluders in ("objects", "off"):
        effect = FaceSwapEffect(FaceSwapSettings(faces=("me",), fusion="off", shape=0,
                                                 occluders=occluders, steady=0))
        out[occluders] = (effect.apply(Frame(held, 0, 0.0), held_faces),
                          effect.apply(Frame(image, 1, 1 / 30), plain_faces))
        effect.close()
    swapped = np.abs(out["off"][0].astype(int) - held).sum(2) > 0
    covered = microphone & swapped         # microphone pixels the swap reached
    assert covered.sum() > 1500
    change = {k: np.abs(v[0].astype(int) - held)[covered].mean() for k, v in out.items()}
    assert change["off"] > 20 and change["objects"] < 2
    # the face around it is still swapped, and a face with nothing in front is swapped whole
    assert (np.abs(out["objects"][0].astype(int) - held).sum(2) > 0).sum() > 0.7 * swapped.sum()
    whole = np.abs(out["off"][1].astype(int) - image).sum(2) > 0
    kept = whole & (np.abs(out["objects"][1].astype(int) - image).sum(2) == 0)
    assert kept.sum() < 0.05 * whole.sum(), kept.sum() / whole.sum()


def test_occluder_setting_is_checked():
    with pytest.raises(PresetError, match="hands\\+objects"):
        FaceSwapSettings(occluders="mic")


def test_the_streamers_own_eyes_look_where_they_look(data_dir, portrait):
    """The enrolled portrait looks straight ahead; on a target glancing sideways the swapped
    face's irises (MediaPipe on the output) follow the target's, unless keep_eyes is off."""
    look = pytest.importorskip("livecam_train.evaluation.look",
                               reason="the gaze measure is in the livecam-train package")
    MeshReader, iris_positions = look.MeshReader, look.iris_positions
    from livecam.sources.video import VideoFileSource

    clip = data_dir / "videos" / "liveportrait_d10.mp4"
    if not clip.is_file():
        pytest.skip(f"needs the shared clip {clip}")
    source = VideoFileSource(clip, realtime=False)
    tracker = MediaPipeTracker(TrackingSettings(max_faces=1))
    for i in range(110):   # frame 109: a sideways look, irises a fifth of an eye off centre
        image = source.read()
        faces = tracker.track(Frame(image, i, i / 30))
    tracker.close()
    save_face(enroll([portrait], "me")[0])
    reader = MeshReader()
    target = np.array(iris_positions(reader.read(image)))
    assert target.mean() > 0.15
    error = {}
    for keep in (True, False):
        effect = FaceSwapEffect(FaceSwapSettings(faces=("me",), keep_eyes=keep, steady=0,
                                                 occluders="off"))
        out = effect.apply(Frame(image, 0, 0.0), faces)
        effect.close()
        error[keep] = float(np.abs(np.array(iris_positions(reader.read(out))) - target).max())
    reader.close()
    assert error[True] < 0.1 < error[False]


def test_a_new_view_is_faded_in_over_a_few_frames_not_popped(portrait, demo_tracked):
    from livecam.swap.faces_store import EnrolledFace, FaceView

    face, _ = enroll([portrait], "turning")
    front = face.front
    striped = front.image.copy()
    striped[::6] = (striped[::6] * 0.5).astype(np.uint8)   # a texture colour matching keeps
    side = FaceView(striped, front.landmarks, HeadPose(20.0, 0.0, 0.0), front.quality, "side")
    save_face(EnrolledFace("turning", (dataclasses.replace(front, pose=HeadPose(0.0, 0.0, 0.0)),
                                       side)))
    image, faces = demo_tracked
    effect = FaceSwapEffect(FaceSwapSettings(faces=("turning",), fusion="off", steady=0.0,
                                             occluders="off"))
    x0, y0, x1, y1 = (int(v) for v in faces[0].box)
    outs = []
    for i, yaw in enumerate(range(0, 31, 2)):   # the head turns toward the side view
        turned = dataclasses.replace(faces[0], pose=HeadPose(float(yaw), 0.0, 0.0))
        outs.append(effect.apply(Frame(image, i, i / 30), [turned])[y0:y1, x0:x1].astype(int))
    effect.close()
    total = np.abs(outs[-1] - outs[0]).mean()
    steps = [np.abs(b - a).mean() for a, b in zip(outs, outs[1:])]
    assert total > 3.0                          # the side view does look different
    assert max(steps) < 0.35 * total, (max(steps), total)


def test_enrolment_advises_a_closed_mouth_photo_when_the_lips_are_parted(data_dir):
    photos = data_dir / "test-photos"
    assert "lips parted" in examine(photos / "liveportrait_d9.jpg", "open").reason
    assert "lips parted" not in examine(photos / "deepface_img5.jpg", "closed").reason
