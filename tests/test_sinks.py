import re

import cv2
import numpy as np
import pytest

from livecam.errors import SinkError
from livecam.sinks.factory import open_sink
from livecam.sinks.file import ImageFileSink
from livecam.sinks.recording import Recording
from livecam.sinks.protocol import OutputFrame
from livecam.sinks.virtualcam import VirtualCamSink, driver_fix
from livecam.sinks.window import draw_osd


def _frames(n, w=160, h=120):
    return [OutputFrame(np.full((h, w, 3), i * 20 % 255, np.uint8), i, i / 30) for i in range(n)]


def test_mp4_recording_is_finalised_and_playable(tmp_path):
    path = tmp_path / "rec.mp4"
    sink = Recording(path, audio=False)
    sink.open(160, 120, 30.0)
    for frame in _frames(12):
        sink.write(frame)
    sink.close()
    sink.close()
    capture = cv2.VideoCapture(str(path))
    count = 0
    while capture.read()[0]:
        count += 1
    assert count == 12
    assert capture.get(cv2.CAP_PROP_FRAME_WIDTH) == 160


def test_image_path_keeps_the_last_frame(tmp_path):
    path = tmp_path / "still.png"
    sink = open_sink(f"file:{path}")
    assert isinstance(sink, ImageFileSink)
    sink.open(160, 120, 30.0)
    for frame in _frames(3):
        sink.write(frame)
    sink.close()
    assert cv2.imread(str(path))[0, 0, 0] == 40


def test_bad_sink_texts_and_paths_are_explained(tmp_path):
    with pytest.raises(SinkError, match="unknown sink 'screen'"):
        open_sink("screen")
    with pytest.raises(SinkError, match="use a .mp4"):
        open_sink(f"file:{tmp_path / 'out.gif'}")
    with pytest.raises(SinkError, match="does not exist"):
        open_sink(f"file:{tmp_path / 'missing' / 'out.mp4'}").open(16, 16, 30)


def test_virtual_camera_gets_bgr_frames_at_the_stream_size(fake_vcam_backend):
    sink = VirtualCamSink(backend="fake")
    sink.open(160, 120, 30.0)
    for frame in _frames(3):
        sink.write(frame)
    sink.write(OutputFrame(np.zeros((240, 320, 3), np.uint8), 3, 0.1))  # resized to fit
    sink.close()
    (camera,) = fake_vcam_backend.instances
    assert len(camera.sent) == 4 and camera.sent[-1].size == 160 * 120 * 3
    assert camera.closed


def test_missing_virtual_camera_driver_gives_the_exact_fix():
    sink = VirtualCamSink(backend="v4l2loopback", device="/dev/video99")
    with pytest.raises(SinkError, match=re.escape(driver_fix())):
        sink.open(160, 120, 30.0)


def test_driver_fix_per_os():
    assert "modprobe v4l2loopback" in driver_fix("linux")
    assert "OBS" in driver_fix("win32") and "Start Virtual Camera" in driver_fix("darwin")


def test_osd_shows_fps_latency_and_effect_state():
    frame = OutputFrame(np.zeros((120, 320, 3), np.uint8), 0, 0.0, fps=29.9, latency_ms=12.0,
                        preset="landmarks", effect_on=False, faces=2)
    shown = draw_osd(frame.image, frame)
    assert shown[8:80, 8:300].any() and not frame.image.any()
