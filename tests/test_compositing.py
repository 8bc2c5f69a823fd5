"""Masks and the paste: how every effect puts its processed face crop back into the frame."""

from __future__ import annotations

import cv2
import numpy as np

from livecam.compositing.masks import head_mask, swap_mask
from livecam.compositing.paste import _person_in_crop, paste_face, two_band_blend
from livecam.geometry.align import crop_transform
from livecam.sources.demo import DemoSource
from livecam.tracking.mesh_topology import FACE_OVAL
from livecam.tracking.openness import mouth_open_ratio


def _oval(rx: float, ry: float) -> np.ndarray:
    marks = np.zeros((478, 2), np.float32)
    angles = np.linspace(0, 2 * np.pi, len(FACE_OVAL), endpoint=False)
    marks[list(FACE_OVAL)] = np.stack([128 + rx * np.cos(angles), 128 + ry * np.sin(angles)], 1)
    return marks


def test_head_mask_is_feathered():
    marks = _oval(50, 60)
    mask = head_mask(marks, 256)
    assert mask[128, 128] > 0.99 and mask[5, 5] < 0.01
    assert 0.05 < mask[128, 128 + 65] < 0.95


def test_a_head_mask_past_the_crop_fades_out_before_its_border():
    mask = head_mask(_oval(95, 110), 256)   # grown by HEAD_SCALE, it overflows the crop
    assert mask[128, 128] > 0.99 and mask[128, 240] > 0.5
    assert max(mask[0].max(), mask[-1].max(), mask[:, 0].max(), mask[:, -1].max()) == 0.0


def test_the_swap_mask_can_leave_an_open_mouth_out():
    from livecam.tracking.mesh_regions import INNER_LIPS

    marks = _oval(90, 110)
    lips = np.linspace(0, 2 * np.pi, len(INNER_LIPS), endpoint=False)
    marks[list(INNER_LIPS)] = np.stack([128 + 40 * np.cos(lips), 180 + 20 * np.sin(lips)], 1)
    marks[78], marks[308], marks[13], marks[14] = (88, 180), (168, 180), (128, 160), (128, 200)
    assert mouth_open_ratio(marks) > 0.3
    open_mask = swap_mask(marks, 256)
    shut_mask = swap_mask(marks, 256, keep_mouth=False)
    assert open_mask[180, 128] < 0.05 and shut_mask[180, 128] > 0.95
    assert open_mask[110, 128] > 0.95


def test_the_person_map_is_seen_in_crop_pixels():
    probability = np.zeros((144, 256), np.float32)
    probability[:, :128] = 1.0                        # the person fills the left half
    to_crop = np.array([[0.5, 0.0, 0.0], [0.0, 0.5, 0.0]])   # frame (512 wide) → crop
    inside = _person_in_crop((probability, 0.5), to_crop, 256)
    assert inside[50, 40] == 1.0 and inside[50, 200] == 0.0


def _scene():
    frame = DemoSource(640, 360, realtime=False).render(0.0)
    marks = np.zeros((478, 3), np.float32)
    # a face-sized triangle of anchor points: eyes and mouth (align's anchor landmarks)
    for idx, (x, y) in {33: (290, 150), 133: (310, 150), 159: (300, 145), 145: (300, 155),
                        263: (350, 150), 362: (330, 150), 386: (340, 145), 374: (340, 155),
                        61: (305, 210), 291: (335, 210), 13: (320, 205), 14: (320, 215)
                        }.items():
        marks[idx, :2] = (x, y)
    to_crop = crop_transform(marks, 256)
    crop = cv2.warpAffine(frame, to_crop, (256, 256), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
    return frame, crop, to_crop


def test_a_pasted_crop_lands_where_it_was_cut_and_nothing_else_is_touched():
    frame, crop, to_crop = _scene()
    mask = np.zeros((256, 256), np.float32)
    cv2.circle(mask, (128, 128), 60, 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), 6)
    painted = np.full_like(crop, (20, 200, 40))
    out = frame.copy()
    paste_face(out, painted, mask, to_crop)
    centre = (cv2.invertAffineTransform(to_crop) @ [128, 128, 1]).round().astype(int)
    assert np.abs(out[centre[1], centre[0]].astype(int) - (20, 200, 40)).max() <= 2
    changed = np.abs(out.astype(int) - frame).sum(axis=2) > 0
    ys, xs = np.nonzero(changed)
    assert np.hypot(xs - centre[0], ys - centre[1]).max() < 80 / float(
        np.sqrt(abs(np.linalg.det(to_crop[:, :2]))))
    # the same crop pasted back with a full mask leaves the frame as it was (within resampling)
    again = frame.copy()
    paste_face(again, crop, np.ones((256, 256), np.float32), to_crop)
    assert np.abs(again.astype(int) - frame).mean() < 2.0


def test_a_person_map_that_misses_the_person_does_not_cut_the_face_away():
    frame, crop, to_crop = _scene()
    mask = np.zeros((256, 256), np.float32)
    cv2.circle(mask, (128, 128), 60, 1.0, -1)
    painted = np.full_like(crop, (20, 200, 40))
    nobody = (np.zeros((90, 160), np.float32), 0.25)   # the segmenter saw no one
    centre = (cv2.invertAffineTransform(to_crop) @ [128, 128, 1]).round().astype(int)
    cut = frame.copy()
    paste_face(cut, painted, mask, to_crop, person=nobody)
    assert np.array_equal(cut, frame)                 # the map alone cuts everything
    sure = np.zeros((256, 256), np.float32)
    cv2.circle(sure, (128, 128), 40, 1.0, -1)         # the tracked face: a person for certain
    kept = frame.copy()
    paste_face(kept, painted, mask, to_crop, person=nobody, sure=sure)
    assert np.abs(kept[centre[1], centre[0]].astype(int) - (20, 200, 40)).max() <= 2


def test_the_edge_colour_match_removes_a_colour_cast():
    frame, crop, to_crop = _scene()
    mask = np.zeros((256, 256), np.float32)
    cv2.circle(mask, (128, 128), 70, 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), 10)
    cast = np.clip(crop.astype(int) + (0, 0, 60), 0, 255).astype(np.uint8)
    plain, matched = frame.copy(), frame.copy()
    paste_face(plain, cast, mask, to_crop)
    paste_face(matched, cast, mask, to_crop, match_edge=True)
    assert np.abs(matched.astype(int) - frame).mean() < 0.5 * np.abs(plain.astype(int)
                                                                       - frame).mean()


def test_two_bands_keep_the_grain_across_the_feather_and_blend_the_light():
    rng = np.random.default_rng(0)
    side = 256
    grain = lambda: np.clip(128 + rng.normal(0, 18, (side, side, 3)), 0, 255).astype(np.uint8)  # noqa: E731
    crop, under = grain(), grain()
    ramp = np.clip((np.arange(side, dtype=np.float32) - 96) / 64, 0, 1)   # a wide feather
    mask = np.tile(ramp, (side, 1))
    plain = cv2.blendLinear(crop, under, mask, 1.0 - mask)
    banded = two_band_blend(crop, under, mask)
    # where the mask is 0 or 1 each side is itself
    assert np.abs(banded[:, :80].astype(int) - under[:, :80]).max() <= 1
    assert np.abs(banded[:, 176:].astype(int) - crop[:, 176:]).max() <= 1

    def grit(image):   # fine gradient energy per column
        g = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
        return np.abs(np.diff(g, axis=1)).mean(axis=0)

    sides = grit(under)[:80].mean()
    middle = slice(120, 152)   # the feather's middle: the plain blend averages the grain away
    assert grit(plain)[middle].mean() < 0.8 * sides
    assert grit(banded)[middle].mean() > 0.85 * sides
    assert grit(banded)[middle].mean() > 1.1 * grit(plain)[middle].mean()
    # flat light (no grain) blends exactly as the plain blend does, over the whole feather
    dark, light = np.full((side, side, 3), 60, np.uint8), np.full((side, side, 3), 200, np.uint8)
    assert np.abs(two_band_blend(light, dark, mask).astype(int)
                  - cv2.blendLinear(light, dark, mask, 1.0 - mask)).max() <= 1
