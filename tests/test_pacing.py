from pathlib import Path

import cv2
import numpy as np
import pytest

from livecam.clock import FakeClock
from livecam.errors import SourceError
from livecam.sources.pacing import Pacer
from livecam.sources.video import VideoFileSource


def _write_video(path: Path, frames: int, fps: float = 25.0) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (64, 48))
    for i in range(frames):
        writer.write(np.full((48, 64, 3), i * 10 % 255, np.uint8))
    writer.release()
    return path


def test_pacer_releases_frames_on_the_frame_clock():
    clock = FakeClock()
    pacer = Pacer(25.0, clock)
    for _ in range(5):
        pacer.wait()
    assert clock.now_s() == pytest.approx(4 / 25.0)


def test_pacer_resynchronises_instead_of_bursting_after_a_stall():
    clock = FakeClock()
    pacer = Pacer(10.0, clock)
    pacer.wait()
    clock.advance_s(5.0)  # the consumer stalled for 50 frame times
    pacer.wait()
    pacer.wait()
    assert clock.slept_s[-1] == pytest.approx(0.1)


def test_video_file_is_paced_at_its_own_fps_and_ends(tmp_path):
    clock = FakeClock()
    source = VideoFileSource(_write_video(tmp_path / "clip.mp4", 10), clock=clock)
    frames = [source.read() for _ in range(10)]
    assert source.fps == pytest.approx(25.0)
    assert all(f is not None and f.shape == (48, 64, 3) for f in frames)
    assert clock.now_s() == pytest.approx(9 / 25.0)
    assert source.read() is None


def test_video_file_as_fast_as_possible_never_waits_and_loops(tmp_path):
    clock = FakeClock()
    source = VideoFileSource(_write_video(tmp_path / "clip.mp4", 4), realtime=False, loop=True,
                             clock=clock)
    assert all(source.read() is not None for _ in range(10))
    assert clock.slept_s == []


def test_missing_and_unreadable_video_files_say_what_is_wrong(tmp_path):
    with pytest.raises(SourceError, match="not found"):
        VideoFileSource(tmp_path / "nope.mp4")
    bogus = tmp_path / "notes.mp4"
    bogus.write_text("this is not a video")
    with pytest.raises(SourceError, match="cannot decode|no decodable frames"):
        VideoFileSource(bogus).read()
