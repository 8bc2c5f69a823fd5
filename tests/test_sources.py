from __future__ import annotations

import cv2
import numpy as np
import pytest

from livecam.errors import SourceError, SourceLost
from livecam.sources.camera import CameraSettings, CameraSource
from livecam.sources.demo import DemoSource
from livecam.sources.factory import SourceSpec, open_source
from livecam.sources.image import ImageSource


class FakeCapture:
    """Stands in for cv2.VideoCapture at the hardware boundary."""

    def __init__(self, opened: bool = True, frames: int = 1000, fail_first_read: bool = False):
        self.opened = opened
        self.frames = frames
        self.fail_first_read = fail_first_read
        self.props: dict[int, float] = {}
        self.reads = 0
        self.released = False

    def isOpened(self) -> bool:  # noqa: N802
        return self.opened

    def read(self):
        self.reads += 1
        if self.fail_first_read or self.reads > self.frames:
            return False, None
        image = np.zeros((int(self.props.get(cv2.CAP_PROP_FRAME_HEIGHT, 720)),
                          int(self.props.get(cv2.CAP_PROP_FRAME_WIDTH, 1280)), 3), np.uint8)
        image[:, : image.shape[1] // 2] = 255  # left half white, to see mirroring
        return True, image

    def set(self, prop: int, value: float) -> bool:
        self.props[prop] = value
        return True

    def get(self, prop: int) -> float:
        return self.props.get(prop, 0.0)

    def release(self) -> None:
        self.released = True


def test_camera_requests_mjpg_size_and_fps_and_can_mirror():
    capture = FakeCapture()
    camera = CameraSource(CameraSettings(0, 640, 480, 30.0, mirror=True),
                          open_capture=lambda dev, backend: capture, list_devices=lambda: ["0"])
    image = camera.read()
    assert capture.props[cv2.CAP_PROP_FOURCC] == cv2.VideoWriter.fourcc(*"MJPG")
    assert image is not None and image.shape == (480, 640, 3)
    assert image[0, -1, 0] == 255 and image[0, 0, 0] == 0  # mirrored
    camera.close()
    camera.close()
    assert capture.released


def test_absent_camera_lists_the_cameras_present():
    with pytest.raises(SourceError, match=r"camera 3 not found; cameras present: /dev/video0"):
        CameraSource(CameraSettings(3), open_capture=lambda d, b: FakeCapture(opened=False),
                     list_devices=lambda: ["/dev/video0"])


def test_busy_camera_says_another_program_has_it():
    with pytest.raises(SourceError, match="busy"):
        CameraSource(CameraSettings(0), open_capture=lambda d, b: FakeCapture(opened=False),
                     list_devices=lambda: ["/dev/video0"])
    with pytest.raises(SourceError, match="in use by another program"):
        CameraSource(CameraSettings(0), list_devices=lambda: ["/dev/video0"],
                     open_capture=lambda d, b: FakeCapture(fail_first_read=True))


def test_camera_that_stops_delivering_raises_source_lost():
    camera = CameraSource(CameraSettings(0), open_capture=lambda d, b: FakeCapture(frames=2),
                          list_devices=lambda: ["0"])
    camera.read()  # the open consumed one frame
    with pytest.raises(SourceLost):
        camera.read()


def test_demo_is_deterministic_and_moves():
    demo = DemoSource(640, 360, realtime=False)
    a, b = demo.render(0.0), demo.render(0.0)
    assert a.shape == (360, 640, 3) and np.array_equal(a, b)
    assert np.abs(demo.render(1.0).astype(int) - a).mean() > 2.0


def test_image_source_repeats_the_photo_and_rejects_bad_files(tmp_path):
    path = tmp_path / "p.png"
    cv2.imwrite(str(path), np.full((20, 30, 3), 7, np.uint8))
    source = ImageSource(path, realtime=False)
    assert source.read().shape == (20, 30, 3)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    with pytest.raises(SourceError, match="cannot decode image"):
        ImageSource(broken)


@pytest.mark.parametrize("text,kind", [("demo", "demo"), ("0", "camera"),
                                       ("/dev/video2", "camera"), ("me.JPG", "image"),
                                       ("clip.mp4", "video")])
def test_source_spec_kinds(text, kind):
    assert SourceSpec(text).kind == kind


def test_unknown_source_text_explains_the_choices():
    with pytest.raises(SourceError, match="not a camera index, 'demo', or an existing file"):
        open_source(SourceSpec("no-such-thing.mp4"))
