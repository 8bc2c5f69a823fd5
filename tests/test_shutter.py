"""The camera's shutter, learnt from how much its image of a moving eye softens."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from livecam.look.shutter import START, Shutter, streak_kernel


@pytest.fixture(scope="module")
def portrait(demo_face_720p):
    image, face = demo_face_720p
    return image, face.landmarks


@pytest.mark.parametrize("share", [0.2, 0.8])
def test_the_shutter_is_read_off_how_much_a_moving_eye_softens(portrait, share):
    image, marks = portrait
    motion = np.array([9.0, 3.0])            # pixels per frame: a quick turn
    moving = cv2.filter2D(image, -1, streak_kernel(motion * share))
    shutter = Shutter()
    for i in range(0, 12, 2):                # still frames and moving ones, taking turns
        shutter.observe(image, marks, np.zeros(2), i)
        shutter.observe(moving, marks, motion, i + 1)
    assert abs(shutter.share - share) < 0.12


def test_no_reading_without_a_still_view_or_with_the_eyes_shut(portrait):
    image, marks = portrait
    motion = np.array([9.0, 3.0])
    moving = cv2.filter2D(image, -1, streak_kernel(motion))
    shutter = Shutter()
    for i in range(6):                       # moving from the start: nothing to compare with
        shutter.observe(moving, marks, motion, i)
    assert shutter.share == START
    shut = marks.copy()
    shut[[159, 386], 1] = shut[[145, 374], 1]   # upper lids on the lower ones
    shutter.observe(image, marks, np.zeros(2), 10)
    for i in range(11, 17):
        shutter.observe(moving, shut, motion, i)
    assert shutter.share == START
