"""The live look's stages: the smooth eye bulge, warp fields, guided upsampling, mesh
shading and drawn eyes, on a real tracked face."""

from __future__ import annotations

import numpy as np
import pytest

from livecam.geometry.align import align_face
from livecam.geometry.eye_bulge import EyeBulge, eye_bulges
from livecam.geometry.mesh_raster import interpolate, interpolate_reference, warp_field
from livecam.look.eyes import EYE_POINTS, EyeSettings, SteadyEyes, draw_eyes
from livecam.look.shading import normal_map, shade
from livecam.look.upsample import guided_upsample
from livecam.sources.demo import DemoSource
from livecam.tracking import mesh_regions as regions
from livecam.tracking.mesh_topology import TRIANGLES


@pytest.fixture(scope="module")
def aligned(demo_face):
    image, face = demo_face
    crop = align_face(image, face.landmarks, 256)
    scale = float(np.sqrt(abs(np.linalg.det(crop.to_crop[:, :2]))))
    return crop, face.landmarks[:, 2] * scale


def test_numba_interpolation_matches_the_numpy_reference(aligned):
    crop, _ = aligned
    tris = np.asarray(TRIANGLES, np.int32)
    values = np.random.default_rng(0).uniform(-1, 1, (len(crop.landmarks), 3)).astype(
        np.float32)
    fast, covered = interpolate((128, 128), crop.landmarks * 0.5, tris, values)
    slow = interpolate_reference((128, 128), crop.landmarks * 0.5, tris, values)
    inside = covered > 0
    assert inside.mean() > 0.2
    assert np.abs(fast - slow)[inside].max() < 1e-4


def test_a_warp_field_without_moves_is_the_identity(aligned):
    crop, _ = aligned
    tris = np.asarray(TRIANGLES, np.int32)
    field = warp_field((64, 64), crop.landmarks / 4, crop.landmarks / 4, tris)
    xs, ys = np.meshgrid(np.arange(64), np.arange(64))
    assert np.abs(field[..., 0] - xs).max() < 1e-3 and np.abs(field[..., 1] - ys).max() < 1e-3


@pytest.mark.parametrize("factor", [1.2, 1.6, 1.85])
def test_the_eye_bulge_is_monotonic_and_inverts(factor):
    bulge = EyeBulge(np.array([50.0, 50.0]), np.array([1.0, 0.0]), 10.0, 14.0, factor)
    ray = np.column_stack([np.linspace(50, 100, 400), np.full(400, 50.0)])
    sampled = bulge.source_of(ray)[:, 0]
    assert np.all(np.diff(sampled) > 0)               # no fold anywhere along the ray
    assert sampled[0] == pytest.approx(50.0)
    assert sampled[-1] == pytest.approx(100.0)        # past the fall-off nothing moves
    inside = np.array([[55.0, 52.0]])
    assert np.allclose(bulge.source_of(bulge.destination_of(inside)), inside, atol=1e-6)
    assert np.allclose(bulge.destination_of(inside), 50 + (inside - 50) * factor, atol=1e-6)
    # and where it eases off, up to where it ends and past it (the drawn eyes sit there)
    grid = np.stack(np.meshgrid(np.linspace(10, 90, 41), np.linspace(10, 90, 41)), -1)
    points = grid.reshape(-1, 2)
    assert np.abs(bulge.source_of(bulge.destination_of(points)) - points).max() < 1e-3


def test_an_eye_turned_away_is_enlarged_in_its_own_proportions(aligned):
    crop, depth = aligned
    squashed = crop.landmarks.copy()
    eye = list(regions.LEFT_EYE_LOOP)
    centre = squashed[eye].mean(axis=0)
    squashed[eye, 0] = centre[0] + (squashed[eye, 0] - centre[0]) * 0.5
    far_z = depth.copy()
    far_z[263] += 0.8 * np.linalg.norm(squashed[263] - squashed[362])
    near, far = eye_bulges(squashed, 1.5, far_z)
    assert far.radius_along < far.radius_across
    assert near.radius_along == pytest.approx(near.radius_across, rel=0.2)


def test_guided_upsampling_keeps_the_camera_edges_and_the_networks_colour():
    import cv2

    image = DemoSource(1280, 720, realtime=False).render(1.3)
    big = cv2.resize(image[100:612, 384:896], (256, 256), interpolation=cv2.INTER_AREA)
    small = cv2.resize(big, (128, 128), interpolation=cv2.INTER_AREA)
    tint = np.array([30, 0, -20])
    styled = np.clip(small.astype(int) + tint, 0, 255).astype(np.uint8)
    truth = np.clip(big.astype(int) + tint, 0, 255)   # the same look applied at full size
    out = guided_upsample(small, styled, big)
    plain = cv2.resize(styled, (256, 256), interpolation=cv2.INTER_LINEAR)

    def error(a):
        return float(np.mean((a.astype(float) - truth) ** 2))

    assert error(out) < 0.6 * error(plain)
    assert guided_upsample(small, styled, small) is styled


def test_normals_face_the_camera_and_shading_zero_changes_nothing(aligned):
    crop, depth = aligned
    normals, cover = normal_map(crop.landmarks, depth, 256)
    nose = crop.landmarks[1, :2].astype(int)
    assert cover[nose[1], nose[0]] > 0.9
    assert normals[nose[1], nose[0], 2] > 0.8
    assert shade(crop.image, crop.landmarks, depth, 0.0) is crop.image
    lit = shade(crop.image, crop.landmarks, depth, 1.0)
    assert np.abs(lit.astype(int) - crop.image.astype(int)).mean() > 1.0


def test_drawn_eyes_follow_the_iris_and_close_with_the_lids(aligned):
    look = pytest.importorskip("livecam_train.evaluation.look",
                               reason="the eye measures are in the livecam-train package")
    eye_opening, eye_sharpness, iris_position = (look.eye_opening, look.eye_sharpness,
                                                 look.iris_position)
    crop, _ = aligned
    settings = EyeSettings(draw=True)
    drawn = draw_eyes(crop.image, crop.landmarks, settings)
    assert eye_sharpness(drawn, crop.landmarks) > eye_sharpness(crop.image, crop.landmarks)
    # gaze: move the iris landmarks sideways and the drawn pupil moves with them
    look = crop.landmarks.copy()
    width = np.linalg.norm(look[33] - look[133])
    for c in (regions.RIGHT_IRIS_CENTER, regions.LEFT_IRIS_CENTER):
        look[c:c + 5, 0] += 0.2 * width
    assert iris_position(look) > iris_position(crop.landmarks)
    moved = draw_eyes(crop.image, look, settings)

    def darkest_x(image):
        x0, x1 = int(look[33, 0]), int(look[133, 0])
        y = int(look[regions.RIGHT_IRIS_CENTER, 1])
        row = image[y - 1:y + 2, x0:x1].astype(int).sum(axis=(0, 2))
        return x0 + int(np.argmin(row))

    assert darkest_x(moved) - darkest_x(drawn) > 0.1 * width
    # a blink: the lids meet, no white is drawn
    closed = crop.landmarks.copy()
    for loop in (regions.RIGHT_EYE_LOOP, regions.LEFT_EYE_LOOP):
        pts = list(loop)
        closed[pts, 1] = closed[pts, 1].mean()
    assert eye_opening(closed) < 0.01
    shut = draw_eyes(crop.image, closed, settings)
    box = crop.image[int(closed[159, 1]) - 2:int(closed[159, 1]) + 3,
                     int(closed[33, 0]):int(closed[133, 0])]
    drawn_box = shut[int(closed[159, 1]) - 2:int(closed[159, 1]) + 3,
                     int(closed[33, 0]):int(closed[133, 0])]
    assert drawn_box.mean() <= box.mean() + 2   # a dark lash line, never a white eye


def test_a_blink_closes_both_drawn_eyes_and_a_wink_only_one(aligned):
    crop, _ = aligned
    settings = EyeSettings(draw=True)

    def squeezed(landmarks, loop, gap_share):
        """The eye's lids pulled towards their middle until the gap is this share of it."""
        out = landmarks.copy()
        pts = list(loop)
        mid = out[pts, 1].mean()
        out[pts, 1] = mid + (out[pts, 1] - mid) * gap_share
        return out

    green = np.array([0.1, 0.8, 0.1], np.float32)   # an iris colour the photo has nowhere

    def iris_in(landmarks, loop):
        """Pixels of the drawn iris in the eye's box (none: the eye is drawn closed)."""
        image = draw_eyes(crop.image, landmarks, settings, green)
        pts = landmarks[list(loop), :2]
        x0, y0 = pts.min(0).astype(int) - 2
        x1, y1 = pts.max(0).astype(int) + 3
        b, g, r = np.moveaxis(image[y0:y1, x0:x1].astype(int), 2, 0)
        return int(((g > b + 40) & (g > r + 40)).sum())

    right, left = regions.RIGHT_EYE_LOOP, regions.LEFT_EYE_LOOP
    left_slit = squeezed(crop.landmarks, left, 0.45)   # the tracker's "closed" left eye
    blink = squeezed(left_slit, right, 0.1)
    wink = squeezed(crop.landmarks, right, 0.1)
    # the left eye alone, that narrow, is drawn open ...
    assert iris_in(left_slit, left) > 0
    # ... but beside a closed right eye it is a blink: both drawn closed
    assert iris_in(blink, right) == 0 and iris_in(blink, left) == 0
    # a wink: the other eye, wide open, stays open
    assert iris_in(wink, right) == 0 and iris_in(wink, left) > 0
    # a look that opens the eyes wider still closes them on a blink: the camera's mesh decides
    image = draw_eyes(crop.image, crop.landmarks, settings, green, camera=blink)
    b, g, r = np.moveaxis(image.astype(int), 2, 0)
    assert not ((g > b + 40) & (g > r + 40)).any()


def test_a_closed_drawn_eye_has_lashes_below_its_lid(aligned):
    crop, _ = aligned
    closed = crop.landmarks.copy()
    pts = list(regions.RIGHT_EYE_LOOP)
    closed[pts, 1] = closed[pts, 1].mean()
    width = float(np.linalg.norm(closed[33, :2] - closed[133, :2]))
    y = int(closed[pts, 1].mean())
    x0, x1 = sorted((int(closed[33, 0]), int(closed[133, 0])))
    band = (slice(y + 3, y + int(0.25 * width)), slice(x0, x1))
    skin = np.full_like(crop.image, 200)   # nothing of the photo's own open eye under it

    def dark_below(settings):
        image = draw_eyes(skin, closed, settings, np.zeros(3, np.float32))
        return int((image[band].astype(int).sum(2) < 300).sum())

    lashes = dark_below(EyeSettings(draw=True))
    assert lashes > 5 * max(1, dark_below(EyeSettings(draw=True, lash=0.0)))


def test_held_eyes_smooth_landmark_noise_and_follow_a_glance(aligned):
    crop, _ = aligned
    marks = crop.landmarks.astype(np.float32)
    width = float(np.linalg.norm(marks[33, :2] - marks[133, :2]))
    colour = np.array([0.2, 0.3, 0.4], np.float32)
    steady = SteadyEyes()
    rng = np.random.default_rng(1)
    raw, held = [], []
    for i in range(40):   # a still eye with tracking noise of 3 % of its width
        noisy = marks.copy()
        noisy[:, :2] += rng.normal(0, 0.03 * width, (len(marks), 2)).astype(np.float32)
        out, _ = steady.steady(7, noisy, colour, i)
        raw.append(noisy[EYE_POINTS, :2])
        held.append(out[EYE_POINTS, :2])
    step = lambda seq: float(np.abs(np.diff(np.stack(seq[10:]), axis=0)).mean())  # noqa: E731
    assert step(held) < 0.5 * step(raw)
    glance = marks.copy()
    centre = regions.RIGHT_IRIS_CENTER
    glance[centre, 0] += 0.3 * width        # a glance: one frame, a third of the eye across
    out, _ = steady.steady(7, glance, colour, 40)
    assert abs(out[centre, 0] - glance[centre, 0]) < 0.12 * width
    other = np.setdiff1d(np.arange(len(marks)), EYE_POINTS)
    assert np.array_equal(out[other], glance[other])   # only the eye points are held


def test_held_eyes_stay_put_while_the_cameras_eye_holds_still(aligned):
    # a drawn eye is high contrast: tracker drift the camera does not show must not move it,
    # while a lid the camera sees close comes through
    crop, _ = aligned
    marks = crop.landmarks.astype(np.float32)
    width = float(np.linalg.norm(marks[33, :2] - marks[133, :2]))
    colour = np.array([0.2, 0.3, 0.4], np.float32)
    rng = np.random.default_rng(2)
    noise = [rng.normal(0, 0.025 * width, (len(marks), 2)).astype(np.float32)
             for _ in range(30)]

    def drift(image):
        steady = SteadyEyes()
        held = []
        for i, n in enumerate(noise):
            noisy = marks.copy()
            noisy[:, :2] += n
            out, _ = steady.steady(4, noisy, colour, i, image)
            held.append(out[EYE_POINTS, :2])
        return float(np.abs(np.diff(np.stack(held[5:]), axis=0)).mean()), steady

    blind, _ = drift(None)
    seen, steady = drift(crop.image)
    assert seen < 0.4 * blind
    lids = list(regions.RIGHT_EYE_LOOP[1:8])   # the upper lid, corners excluded
    closing = marks.copy()
    closing[lids, 1] += 0.12 * width
    shut = crop.image.copy()
    box = marks[list(regions.RIGHT_EYE_LOOP), :2]
    (x0, y0), (x1, y1) = box.min(axis=0).astype(int), box.max(axis=0).astype(int)
    shut[y0:y1 + 1, x0:x1 + 1] = (shut[y0:y1 + 1, x0:x1 + 1] * 0.6).astype(np.uint8)
    out, _ = steady.steady(4, closing, colour, 30, shut)
    assert np.abs(out[lids, 1] - closing[lids, 1]).max() < 0.03 * width   # the small hold


def test_eye_motion_is_per_source_frame_when_frames_were_dropped(aligned):
    # a loaded machine paints one frame in several: the drawn eyes' blur is the camera's,
    # one frame's movement, not the whole way since the last painted frame
    crop, _ = aligned
    marks = crop.landmarks.astype(np.float32)
    colour = np.array([0.2, 0.3, 0.4], np.float32)
    steady = SteadyEyes()
    steady.steady(2, marks, colour, 10)
    moved = marks.copy()
    moved[:, 0] += 20.0
    steady.steady(2, moved, colour, 14)          # three frames dropped in between
    assert np.allclose(steady.motion(2), (5.0, 0.0), atol=1e-4)
    steady.steady(2, marks, colour, 15)          # the next frame: its whole movement
    assert np.allclose(steady.motion(2), (-20.0, 0.0), atol=1e-4)


def test_eye_readings_are_taken_every_few_frames_once_the_eyes_are_drawn(aligned):
    from livecam.look.eyes import SAMPLE_EVERY

    crop, _ = aligned
    marks = crop.landmarks.astype(np.float32)
    steady = SteadyEyes()
    assert steady.due(5) and steady.due(5)       # nothing drawn yet: read every frame
    read = np.array([0.1, 0.5, 0.2], np.float32)
    _, colour = steady.steady(5, marks, read, 0)
    assert np.allclose(colour, read)             # the first reading is used as it is
    pattern = [steady.due(5) for _ in range(4 * SAMPLE_EVERY)]
    assert sum(pattern) == 4
    _, held = steady.steady(5, marks, None, 1)      # no reading: the colour is kept
    assert np.allclose(held, read)
    _, moved = steady.steady(5, marks, np.array([0.9, 0.5, 0.2], np.float32), 2)
    assert read[0] < moved[0] < 0.5              # a new reading moves it, smoothed


def _with_sunglasses(image, landmarks):
    """`image` with a dark, even lens over each eye, from brow to upper cheek."""
    import cv2

    out = image.copy()
    iod = float(np.linalg.norm(landmarks[33, :2] - landmarks[263, :2]))
    for loop in (regions.RIGHT_EYE_LOOP, regions.LEFT_EYE_LOOP):
        cx, cy = landmarks[list(loop), :2].mean(axis=0)
        cv2.ellipse(out, (int(cx), int(cy + 0.05 * iod)), (int(0.42 * iod), int(0.3 * iod)),
                    0, 0, 360, (38, 34, 30), -1, cv2.LINE_AA)
    return out


def test_eyes_behind_sunglasses_are_not_drawn(aligned):
    from livecam.look.eyes import eyes_visible

    crop, _ = aligned
    lensed = _with_sunglasses(crop.image, crop.landmarks)
    assert eyes_visible(crop.image, crop.landmarks) > 0.9
    assert eyes_visible(lensed, crop.landmarks) < 0.1
    steady = SteadyEyes()
    assert steady.shown(3, 1.0) == 1.0
    fading = [steady.shown(3, eyes_visible(lensed, crop.landmarks)) for _ in range(5)]
    assert 0.0 < fading[0] < 1.0 and fading[-1] == 0.0   # over a few frames, not at once


def test_the_stylize_effect_draws_no_eyes_on_a_lens(demo_face):
    from livecam.effects.stylize import StylizeEffect
    from livecam.frame import Frame
    from livecam.preset import load_preset

    image, face = demo_face
    lensed = _with_sunglasses(image, face.landmarks)
    effect = StylizeEffect(load_preset("fairy-tale").effect_settings)
    try:
        out = effect.apply(Frame(lensed, 0, 0.0), [face])
    finally:
        effect.close()
    for loop in (regions.RIGHT_EYE_LOOP, regions.LEFT_EYE_LOOP):
        x0, y0 = face.landmarks[list(loop), :2].min(axis=0).astype(int)
        x1, y1 = face.landmarks[list(loop), :2].max(axis=0).astype(int)
        # no drawn white or catchlight inside the lens
        assert out[y0:y1 + 1, x0:x1 + 1].max() < 150


def test_hair_gloss_lights_the_hair_above_the_face_and_nothing_else(demo_face):
    import cv2

    from livecam.compositing.masks import face_region
    from livecam.look.hair import hair_gloss
    from livecam.tracking.segmentation import PersonSegmenter, shrunk

    image, face = demo_face
    segmenter = PersonSegmenter()
    try:
        person = segmenter.person(*shrunk(image))
    finally:
        segmenter.close()
    out = image.copy()
    hair_gloss(out, face.landmarks, person, 0.6)
    change = out.astype(int).sum(axis=2) - image.astype(int).sum(axis=2)
    assert change.min() >= 0                       # it only lightens
    lm = face.landmarks
    eyes = lm[[159, 386], 1].min()
    ys, xs = np.nonzero(change > 30)
    assert len(ys) > 50 and (ys < eyes).all()   # a band over the crown and down its sides
    side = max(image.shape[:2])
    square = cv2.copyMakeBorder(change.astype(np.float32), 0, side - image.shape[0], 0,
                                side - image.shape[1], cv2.BORDER_CONSTANT)
    assert square[face_region(lm, side, scale=0.95)].max() == 0   # never on the face
    probability, scale = person
    outside = cv2.resize(probability, image.shape[1::-1]) < 0.1
    assert change[outside].max() == 0                # never on the background


def test_drawn_eyes_blur_along_their_motion_as_the_camera_does(aligned):
    import cv2

    crop, _ = aligned
    settings = EyeSettings(draw=True)
    still = draw_eyes(crop.image, crop.landmarks, settings)
    assert np.array_equal(draw_eyes(crop.image, crop.landmarks, settings, None,
                                    np.array([1.2, 0.0])), still)   # under a pixel of streak
    moving = draw_eyes(crop.image, crop.landmarks, settings, None, np.array([12.0, 0.0]))

    def energy(image, dx, dy):
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
        x0, y0 = crop.landmarks[list(regions.RIGHT_EYE_LOOP), :2].min(axis=0).astype(int)
        x1, y1 = crop.landmarks[list(regions.RIGHT_EYE_LOOP), :2].max(axis=0).astype(int)
        return float((cv2.Sobel(grey, cv2.CV_32F, dx, dy)[y0:y1, x0:x1] ** 2).mean())

    assert energy(moving, 1, 0) < 0.6 * energy(still, 1, 0)      # blurred across the motion
    assert energy(moving, 0, 1) > 0.5 * energy(still, 0, 1)      # much less along it
    width = float(np.linalg.norm(crop.landmarks[33, :2] - crop.landmarks[133, :2]))
    jumped = draw_eyes(crop.image, crop.landmarks, settings, None, np.array([1.5 * width, 0]))
    assert np.array_equal(jumped, still)     # the tracker jumping is not motion
    far = np.ones(crop.image.shape[:2], bool)
    far[int(crop.landmarks[:, 1].min()) - 40:, :] = False        # well above the eyes
    assert np.array_equal(moving[far], crop.image[far])


def test_hair_ink_darkens_edges_outside_the_face_and_leaves_the_face_alone(aligned):
    from livecam.compositing.masks import face_region
    from livecam.look.ink import hair_ink, outside_face

    crop, _ = aligned
    image, lm = crop.image, crop.landmarks
    inked = hair_ink(image, outside_face(lm, 256), 0.8)
    change = image.astype(int).sum(axis=2) - inked.astype(int).sum(axis=2)
    assert change.min() >= 0                                  # ink only darkens
    assert change[face_region(lm, 256, scale=0.85)].max() <= 3  # not inside the face
    outside = ~face_region(lm, 256, scale=1.3)
    assert (change[outside] > 30).mean() > 0.02                # lines along the hair's edges
    assert np.array_equal(hair_ink(image, outside_face(lm, 256), 0.0), image)


def test_a_soft_room_is_painted_while_the_person_and_crisp_edges_keep_the_network(demo_face):
    import cv2

    from livecam.look.backdrop import crispness, painted_backdrop, painting

    image, _ = demo_face
    small = cv2.resize(image, (320, 192), interpolation=cv2.INTER_AREA)
    inked = np.zeros_like(small)   # a network that inks everything black
    nobody = np.zeros(small.shape[:2], np.float32)
    out = painted_backdrop(small, inked, nobody, 1.0)
    soft = crispness(small) == 0.0   # the demo's blurred backdrop, most of the frame
    assert soft.mean() > 0.3
    # where the camera is soft the painting is taken whole, bright and without ink
    assert np.abs(out[soft].astype(int) - painting(small)[soft]).max() <= 1
    assert out[soft].mean() > 150
    # the person, and whatever the camera shows crisply, keep the network's pass
    assert np.array_equal(painted_backdrop(small, inked, np.ones_like(nobody), 1.0), inked)
    crisp = crispness(small) == 1.0
    assert crisp.any() and out[crisp].max() == 0
    assert np.array_equal(painted_backdrop(small, inked, nobody, 0.0), inked)


def test_a_blot_on_a_soft_room_is_painted_over_and_an_ink_line_beside_it_stays():
    import cv2

    from livecam.look.backdrop import painted_backdrop, painting

    room = np.full((192, 320, 3), 120, np.uint8)   # soft: no edge anywhere
    styled = painting(room).copy()                 # the network's grade of it ...
    cv2.line(styled, (40, 20), (40, 170), (20, 20, 20), 3)    # ... with an ink line
    cv2.circle(styled, (200, 96), 30, (20, 20, 20), -1)       # ... and a blot
    out = painted_backdrop(room, styled, np.zeros((192, 320), np.float32), 1.0)
    assert out[96, 40].max() < 60                    # the line is ink: kept
    assert out[96, 200].min() > 150                  # the blot is painted over
    assert np.array_equal(out[:, :30], styled[:, :30])   # the rest is the network's


def test_crispness_tells_an_edge_from_its_blurred_copy():
    import cv2

    from livecam.look.backdrop import crispness

    bars = np.zeros((128, 320, 3), np.uint8)   # at the width the thresholds are given for
    bars[:, ::16] = 255
    bars = cv2.dilate(bars, np.ones((1, 5), np.uint8))
    assert crispness(bars)[32:96, 32:288].min() == 1.0
    assert crispness(cv2.GaussianBlur(bars, (0, 0), 8))[32:96, 32:288].max() == 0.0


def _anime_with(demo, setting: str) -> list[np.ndarray]:
    """The anime preset's output on a tracked frame with `setting` off and at the preset's
    own value (which must be on)."""
    import dataclasses

    from livecam.effects.stylize import StylizeEffect
    from livecam.frame import Frame
    from livecam.preset import load_preset

    image, face = demo
    settings = load_preset("anime").effect_settings
    shipped = getattr(settings, setting)
    assert shipped > 0
    outs = []
    for value in (0.0, shipped):
        effect = StylizeEffect(dataclasses.replace(settings, **{setting: value}))
        try:
            outs.append(effect.apply(Frame(image, 0, 0.0), [face]).astype(int))
        finally:
            effect.close()
    return outs


def test_the_anime_preset_paints_the_demos_blurred_backdrop(demo_face_720p):
    image, _ = demo_face_720p
    outs = _anime_with(demo_face_720p, "backdrop")
    # the blurred copy of the portrait left of the person: inked into blots without
    left = outs[0][:, : image.shape[1] // 3]
    assert (left.mean(axis=2) < 80).mean() > 0.05
    left = outs[1][:, : image.shape[1] // 3]
    assert (left.mean(axis=2) < 80).mean() < 0.01   # their outlines at most


@pytest.mark.parametrize("width", [128, 192])
def test_the_blots_go_at_the_narrower_background_passes_the_controller_picks(demo_face_720p,
                                                                             width):
    import dataclasses

    from livecam.effects.stylize import StylizeEffect
    from livecam.frame import Frame
    from livecam.preset import load_preset

    image, face = demo_face_720p
    dark = []
    for backdrop in (0.0, 1.0):
        effect = StylizeEffect(dataclasses.replace(load_preset("anime").effect_settings,
                                                   backdrop=backdrop))
        try:
            effect.set_resolution(256, width)   # as the controller does under load
            out = effect.apply(Frame(image, 0, 0.0), [face])
        finally:
            effect.close()
        dark.append(float((out[:, : image.shape[1] // 3].mean(axis=2) < 80).mean()))
    assert dark[0] > 0.2
    assert dark[1] < 0.2 * dark[0]   # the blots' sizes and the crisp test scale with the pass


def _strands(vertical: bool) -> np.ndarray:
    """Hair strands: thin stripes of random shade, all running one way."""
    shades = np.random.default_rng(1).integers(90, 200, 256).astype(np.uint8)
    stripes = np.repeat(np.repeat(shades[None, :], 256, axis=0)[..., None], 3, axis=2)
    return stripes if vertical else stripes.transpose(1, 0, 2).copy()


@pytest.mark.parametrize("vertical", [True, False])
def test_the_flow_runs_along_the_strands(vertical):
    from livecam.look.flow import flow_direction

    dx, dy = flow_direction(_strands(vertical), 6.0)
    along = np.abs(dy if vertical else dx)[32:-32, 32:-32]
    assert along.min() > 0.99


@pytest.mark.parametrize("face_size", [90.0, 150.0])
def test_a_blot_in_the_hair_is_drawn_out_along_the_strands_and_edges_across_them_stay(
        face_size):
    import cv2

    from livecam.look.flow import along_flow

    hair = np.full((256, 256, 3), 170, np.uint8)
    hair[:, :128] = 60                          # a parting: dark hair left, light right
    guide = _strands(vertical=True)             # the camera: strands falling straight down
    painted = hair.copy()
    cv2.circle(painted, (190, 128), round(face_size / 30), (0, 0, 0), -1)   # the network's blot
    everywhere = np.ones((256, 256), np.float32)
    out = along_flow(guide, painted, face_size, everywhere).astype(int)
    assert out[128, 190].min() > 40             # the black blot's core lightened ...
    reach = round(face_size / 12)
    assert out[[128 - reach, 128 + reach], 190].max() < 150   # ... and drawn out along them
    assert np.abs(out[128, 175] - 170).max() <= 2   # nothing moved across them
    # the parting stays where it was, as sharp as a few pixels
    assert out[60:80, 100:124].max() <= 62 and out[60:80, 132:156].min() >= 165
    assert np.array_equal(along_flow(guide, painted, face_size, 0 * everywhere), painted)


def _coherence(image: np.ndarray) -> np.ndarray:
    """How much the local texture runs one way (0: no direction, 1: all along one)."""
    import cv2

    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    gx, gy = cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1)
    jxx, jyy, jxy = (cv2.GaussianBlur(t, (0, 0), 6) for t in (gx * gx, gy * gy, gx * gy))
    return np.sqrt((jxx - jyy) ** 2 + 4 * jxy ** 2) / (jxx + jyy + 1e-3)


def test_the_anime_preset_draws_the_hair_along_its_flow_and_leaves_the_face(demo_face_720p):
    from livecam.compositing.masks import face_region

    image, face = demo_face_720p
    outs = [out.astype(np.uint8) for out in _anime_with(demo_face_720p, "hair_flow")]
    lm = face.landmarks
    height = float(np.linalg.norm(lm[10, :2] - lm[152, :2]))
    y1 = int(lm[10, 1])
    y0, x0, x1 = int(y1 - 0.35 * height), int(lm[:, 0].min()), int(lm[:, 0].max())
    hair = [_coherence(out)[y0:y1, x0:x1].mean() for out in outs]
    assert hair[1] > hair[0] + 0.08     # the hair above the brow: drawn along its strands
    inside = face_region(lm, max(image.shape[:2]), scale=0.8)[: image.shape[0], : image.shape[1]]
    change = np.abs(outs[1].astype(int) - outs[0]).mean(axis=2)[inside]
    assert np.percentile(change, 99) <= 3     # the face itself as it was
