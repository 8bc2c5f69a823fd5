"""What makes a swapped face pass for real: its shape in 3D, the room's light, the camera's
sharpness, lids and lips that keep up, and enrolment views from several angles."""

from __future__ import annotations

from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from livecam.cli import main
from livecam.errors import PresetError
from livecam.frame import HeadPose
from livecam.swap.colour import match_light
from livecam.swap.detail import gradient_energy, restore_detail
from livecam.swap.enroll import enroll
from livecam.swap.faces_store import PREVIEW, faces_dir, load_face, save_face
from livecam.swap.shape import ShapeTransfer
from livecam.swap.worn import VIEW_HYSTERESIS_DEG, pick_view
from livecam.tracking.mesh_regions import LIPS
from livecam.tracking.mesh_topology import FACE_OVAL
from livecam.tracking.one_euro import OneEuroFilter


@pytest.fixture(scope="module")
def portrait_mesh(portrait):
    """The demo portrait's enrolled mesh (crop pixels, depth in the same pixels)."""
    face, _ = enroll([portrait], "me")
    return face.landmarks.astype(np.float64)


def _turned(mesh: np.ndarray, yaw_deg: float) -> np.ndarray:
    """The mesh turned about its own centre by `yaw_deg` (x, y projected, z kept)."""
    a = np.radians(yaw_deg)
    rot = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    centre = mesh.mean(0)
    return (mesh - centre) @ rot.T + centre


def test_a_face_of_the_same_shape_is_left_as_it_is_at_any_turn(portrait_mesh):
    transfer = ShapeTransfer(portrait_mesh.astype(np.float32), 256)
    for yaw in (0.0, 25.0, -40.0):
        target = _turned(portrait_mesh, yaw)
        moved = transfer.apply(target.astype(np.float32), 1.0)
        assert np.abs(moved - target[:, :2]).max() < 0.05, yaw


def test_the_source_jaw_is_worn_in_3d_and_the_lips_stay_on_the_streamers(portrait_mesh):
    wide = portrait_mesh.copy()
    oval = list(FACE_OVAL)
    centre_x = wide[oval, 0].mean()
    low = wide[oval, 1] > wide[[13, 14], 1].mean()          # the jaw, below the mouth
    jaw = np.asarray(oval)[low]
    wide[jaw, 0] = centre_x + (wide[jaw, 0] - centre_x) * 1.12
    transfer = ShapeTransfer(wide.astype(np.float32), 256)
    for yaw in (0.0, 30.0):
        target = _turned(portrait_mesh, yaw)
        moved = transfer.apply(target.astype(np.float32), 1.0)
        width = np.ptp(moved[jaw, 0]) / np.ptp(target[jaw, 0])
        assert 1.06 < width < 1.14, (yaw, width)             # the source's jaw, foreshortened
        assert np.abs(moved[list(LIPS)] - target[list(LIPS), :2]).max() < 0.05
        assert transfer.apply(target.astype(np.float32), 0.0) == pytest.approx(
            target[:, :2].astype(np.float32))


def _skin(side: int = 128) -> np.ndarray:
    mask = np.zeros((side, side), np.uint8)
    cv2.circle(mask, (side // 2, side // 2), side // 3, 1, -1)
    return mask.astype(bool)


def test_the_enrolled_photos_light_gives_way_to_the_rooms():
    side = 128
    ramp = np.linspace(1.4, 0.6, side, dtype=np.float32)[None, :, None]    # lit from the left
    texture = np.random.default_rng(0).normal(0, 6, (side, side, 1)).astype(np.float32)
    skin_tone = np.array([120, 140, 190], np.float32)
    source = np.clip(skin_tone * ramp + texture, 0, 255).astype(np.uint8)
    target = np.broadcast_to(skin_tone, (side, side, 3)).astype(np.uint8)  # even light
    skin = _skin(side)
    relit = match_light(source, target, skin)
    left, right = (relit[44:84, x0:x0 + 12].mean() for x0 in (36, 80))
    before = source[44:84, 36:48].mean() / source[44:84, 80:92].mean()
    assert before > 1.3 and abs(left / right - 1.0) < 0.12
    high = (relit.astype(np.float32) - cv2.GaussianBlur(relit, (0, 0), 2).astype(np.float32))
    assert high[skin].std() > 3.0                          # the skin's texture is kept
    assert match_light(source, target, skin, amount=0.0) is source


def test_detail_is_laid_on_until_the_face_is_as_sharp_as_the_camera():
    rng = np.random.default_rng(1)
    side = 128
    sharp = cv2.GaussianBlur(rng.integers(60, 200, (side, side, 3), np.uint8), (0, 0), 0.8)
    soft = cv2.GaussianBlur(sharp, (0, 0), 2.5)
    mask = np.ones((side, side), np.float32)
    face = _skin(side)
    out = restore_detail(soft, sharp, mask, 1.0, camera=sharp, face=face)
    ratio = gradient_energy(out, face) / gradient_energy(sharp, face)
    assert gradient_energy(soft, face) < 0.5 * gradient_energy(sharp, face)
    assert 0.85 < ratio < 1.15, ratio
    # a camera softer than the model's face: nothing is added
    assert np.array_equal(restore_detail(sharp, sharp, mask, 1.0, camera=soft, face=face),
                          sharp)


def test_lids_and_lips_keep_up_with_a_blink_while_the_head_stays_smoothed():
    rng = np.random.default_rng(2)
    rest = rng.uniform(0, 200, (60, 2)).astype(np.float32)
    fast = np.arange(5)
    filters = {"own": OneEuroFilter(own_speed=fast), "shared": OneEuroFilter()}
    follow = {}
    for name, filt in filters.items():
        for i in range(30):   # at rest, with tracking noise
            filt(rest + rng.normal(0, 0.3, rest.shape).astype(np.float32), i / 30, 200.0)
        blink = rest.copy()
        blink[fast, 1] += 20.0   # the lids close: a tenth of the face in one frame
        for i in range(30, 33):
            out = filt(blink, i / 30, 200.0)
        follow[name] = float((out[fast, 1] - rest[fast, 1]).mean() / 20.0)
        noisy = [filt(rest + rng.normal(0, 0.3, rest.shape).astype(np.float32), i / 30, 200.0)
                 for i in range(40, 70)]
        follow[name + "_jitter"] = float(np.std([p[5:, :] for p in noisy], axis=0).mean())
    assert follow["own"] > 0.8 > 0.5 > follow["shared"]
    assert follow["own_jitter"] < 0.15   # the rest of the face is still smoothed (noise 0.3)


def _views(*yaws: float) -> list[SimpleNamespace]:
    return [SimpleNamespace(view=SimpleNamespace(pose=HeadPose(y, 0.0, 0.0))) for y in yaws]


def test_a_turned_head_wears_the_view_seen_from_its_side_without_flapping():
    views = _views(0.0, -20.0, 22.0)
    assert pick_view(views, 0.0, None) == 0
    assert pick_view(views, 25.0, None) == 2 and pick_view(views, -30.0, None) == 1
    midway = 12.0   # nearer the turned view, but not by the hysteresis
    assert pick_view(views, midway, 0) == 0 and pick_view(views, midway, None) == 2
    assert pick_view(views, midway + VIEW_HYSTERESIS_DEG, 0) == 2
    assert pick_view(views, 9.0, 2) == 2 and pick_view(views, 9.0 - 3.5, 2) == 0


def test_a_clip_enrols_views_from_both_sides_and_shows_what_it_kept(data_dir, capsys):
    clip = data_dir / "videos" / "sadtalker_WDA_KatieHill_000.mp4"
    if not clip.is_file():
        pytest.skip(f"needs the shared clip {clip}")
    assert main(["enroll", str(clip), "--name", "katie"]) == 0
    said = capsys.readouterr().out
    assert "with views turned" in said and PREVIEW in said
    face = load_face("katie")
    yaws = [v.pose.yaw_deg for v in face.views]
    assert len(face.views) == 3 and abs(yaws[0]) < 10
    assert min(yaws) < yaws[0] - 10 and max(yaws) > yaws[0] + 10
    assert all(f"{clip}@" in v.photo for v in face.views)
    preview = cv2.imread(str(faces_dir() / "katie" / PREVIEW))
    assert preview.shape == (256, 256 * 3, 3)
    save_face(face)   # stored and read back alike
    again = load_face("katie")
    assert [v.photo for v in again.views] == [v.photo for v in face.views]
    assert all(np.array_equal(a.image, b.image) for a, b in zip(again.views, face.views))


def test_a_file_that_is_no_video_is_refused_plainly(tmp_path):
    fake = tmp_path / "holiday.mp4"
    fake.write_text("not a video")
    with pytest.raises(PresetError, match="holiday.mp4: not a readable video"):
        enroll([fake], "me")


def test_the_swapped_eyes_close_when_the_streamers_do(data_dir, portrait):
    """The enrolled portrait's eyes are open; on a clip with blinks, MediaPipe reads the
    swapped face's eyes shut where it reads the streamer's shut, and open where theirs are
    plainly open."""
    from livecam.effects.face_swap import FaceSwapEffect, FaceSwapSettings
    from livecam.frame import Frame
    from livecam.sources.video import VideoFileSource
    from livecam.swap.interiors import LID_OPEN
    from livecam.tracking.mediapipe_mesh import MediaPipeTracker
    from livecam.tracking.openness import EYES_SHUT, eyes_open_ratio
    from livecam.tracking.settings import TrackingSettings

    look = pytest.importorskip("livecam_train.evaluation.look",
                               reason="the mesh reader is in the livecam-train package")
    clip = data_dir / "videos" / "liveportrait_d9.mp4"
    if not clip.is_file():
        pytest.skip(f"needs the shared clip {clip}")
    save_face(enroll([portrait], "me")[0])
    effect = FaceSwapEffect(FaceSwapSettings(faces=("me",), occluders="off"))
    source = VideoFileSource(clip, realtime=False)
    tracker = MediaPipeTracker(TrackingSettings(max_faces=1))
    reader = look.MeshReader()
    followed: dict[bool, list[bool]] = {True: [], False: []}
    for i in range(50):   # two blinks
        image = source.read()
        faces = tracker.track(Frame(image, i, i / 30))
        out = effect.apply(Frame(image, i, i / 30), faces)
        seen, real = reader.read(out), reader.read(image)
        if seen is None or real is None:
            continue
        ratio = eyes_open_ratio(real)
        if ratio < EYES_SHUT or ratio > LID_OPEN:   # shut, or plainly open (not half-way)
            shut = ratio < EYES_SHUT
            followed[shut].append((eyes_open_ratio(seen) < EYES_SHUT) == shut)
    tracker.close()
    effect.close()
    reader.close()
    assert len(followed[True]) >= 8
    assert np.mean(followed[True]) >= 0.8
    assert np.mean(followed[False]) >= 0.95


def test_the_lips_keep_the_worn_faces_colour_and_take_the_rooms_light(portrait_mesh):
    from livecam.swap.colour import keep_lip_colour

    side = 256
    pink = np.full((side, side, 3), (140, 120, 200), np.uint8)       # the worn face's lips
    matched = np.full((side, side, 3), (150, 160, 170), np.uint8)    # toward the room's skin
    out = keep_lip_colour(matched, pink, portrait_mesh.astype(np.float32), 1.0)
    lab = cv2.cvtColor(out, cv2.COLOR_BGR2LAB).astype(float)
    lab_pink = cv2.cvtColor(pink, cv2.COLOR_BGR2LAB).astype(float)[0, 0]
    lab_matched = cv2.cvtColor(matched, cv2.COLOR_BGR2LAB).astype(float)[0, 0]
    lower_lip = (portrait_mesh[17, :2] + portrait_mesh[14, :2]) / 2
    x, y = (int(round(v)) for v in lower_lip)
    moved = np.linalg.norm(lab_pink[1:] - lab_matched[1:])
    assert np.linalg.norm(lab[y, x, 1:] - lab_pink[1:]) < 0.2 * moved   # the lips' own colour
    assert abs(lab[y, x, 0] - lab_matched[0]) < 3               # the room's lightness
    nose = portrait_mesh[4, :2].astype(int)
    assert (out[nose[1], nose[0]] == matched[nose[1], nose[0]]).all()   # skin untouched


def test_the_worn_faces_features_come_through_the_fusion_model(portrait):
    """A model output that softened everything (what moves the features toward the target's)
    gets the worn face's own brows, eyes, nose and lips back; broad light and the cheeks stay
    the model's."""
    from livecam.compositing.masks import swap_mask
    from livecam.swap.features import feature_region, keep_features

    face, _ = enroll([portrait], "me")
    worn, marks = face.image, face.landmarks
    side = worn.shape[0]
    soft = cv2.GaussianBlur(worn, (0, 0), 4.0)
    mask = swap_mask(marks, side, keep_mouth=False)
    out = keep_features(soft, worn, marks, mask)
    eyes = np.zeros((side, side), bool)
    for corners in ([33, 133], [362, 263]):
        x0, y0 = marks[corners, :2].min(0).astype(int)
        x1, y1 = marks[corners, :2].max(0).astype(int)
        eyes[y0 - 5:y1 + 5, x0:x1] = True
    assert gradient_energy(out, eyes) > 0.8 * gradient_energy(worn, eyes)
    assert gradient_energy(soft, eyes) < 0.5 * gradient_energy(worn, eyes)
    away = (feature_region(marks, side) < 0.01) & (mask > 0.99)
    assert away.sum() > 500
    assert np.abs(out[away].astype(int) - soft[away]).max() <= 1
    assert (out[mask == 0] == soft[mask == 0]).all()


def _lit_face(mesh: np.ndarray, light: np.ndarray, mark: bool = False) -> np.ndarray:
    """A face of even skin with fine texture, lit by `light` on the mesh's own normals."""
    from livecam.look.shading import normal_map

    side = 256
    normals, cover = normal_map(mesh[:, :2].astype(np.float32), mesh[:, 2].astype(np.float32),
                                side)
    lambert = np.clip(normals @ (light / np.linalg.norm(light)), 0.0, 1.0)
    shade = (0.55 + 0.45 * lambert) * cover + 0.75 * (1 - cover)
    texture = np.random.default_rng(2).normal(0, 5, (side, side, 1))
    face = np.array([120.0, 145.0, 200.0]) * shade[..., None] + texture
    if mark:   # a dark patch on the left cheek: a feature of this face, not its light
        x, y = mesh[205, :2].astype(int)
        face[y - 8:y + 8, x - 8:x + 8] *= 0.55
    return np.clip(face, 0, 255).astype(np.uint8)


def test_the_photos_light_is_swapped_for_the_rooms_in_3d_without_the_rooms_features(
        portrait_mesh):
    from livecam.swap.relight import photo_light, relight

    mesh = portrait_mesh.astype(np.float32)
    photo = _lit_face(mesh, np.array([-0.8, -0.2, 0.6]))             # lit from the left
    room = _lit_face(mesh, np.array([0.8, -0.2, 0.6]), mark=True)    # from the right
    light = photo_light(photo, mesh)
    out = relight(photo, mesh[:, :2], light, room, mesh)

    def cheeks(image: np.ndarray) -> float:   # left cheek's brightness over the right's
        (lx, ly), (rx, ry) = mesh[[205, 425], :2].astype(int)
        return float(image[ly + 10:ly + 20, lx - 5:lx + 5].mean()
                     / image[ry + 10:ry + 20, rx - 5:rx + 5].mean())

    assert cheeks(photo) > 1.25 and cheeks(room) < 0.8
    # most of the way: the gain any pixel takes is bounded (a wrong fit must not blacken it)
    left = abs(np.log(cheeks(out) / cheeks(room)))
    assert left < 0.35 * abs(np.log(cheeks(photo) / cheeks(room))), (cheeks(out), cheeks(room))
    x, y = mesh[205, :2].astype(int)
    patch, ring = out[y - 6:y + 6, x - 6:x + 6].mean(), out[y - 14:y + 14, x + 10:x + 14].mean()
    assert patch > 0.85 * ring             # the room's dark patch did not come with its light
    high = out.astype(np.float32) - cv2.GaussianBlur(out, (0, 0), 2).astype(np.float32)
    assert high[100:160, 100:160].std() > 3.0                      # the photo's texture stays
    assert relight(photo, mesh[:, :2], light, room, mesh, amount=0.0) is photo
