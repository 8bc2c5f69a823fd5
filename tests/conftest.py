"""Shared fixtures: real data when present, fakes only at the hardware boundaries."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any
from collections.abc import Iterator

import numpy as np
import pytest

os.environ.setdefault("GLOG_minloglevel", "2")  # quieten MediaPipe's C++ logging
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

DATA_DIR = Path(os.environ.get("LIVECAM_DATA", Path(__file__).resolve().parents[1].parent
                               / "shared" / "data"))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared face data; tests that need it skip when it is absent (a user's clone)."""
    if not DATA_DIR.is_dir():
        pytest.skip(f"shared data not found at {DATA_DIR}; set LIVECAM_DATA to run this test")
    return DATA_DIR


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
                   ) -> None:
    """Keep tests away from the developer's own presets and data."""
    monkeypatch.setenv("LIVECAM_HOME", str(tmp_path_factory.mktemp("home")))


class FakeVirtualCamera:
    """A pyvirtualcam backend that keeps what it is sent (pyvirtualcam's own test seam)."""

    instances: list[FakeVirtualCamera] = []

    def __init__(self, *, width: int, height: int, fps: float, fourcc: int,
                 device: str | None, **kw: Any) -> None:
        self.width, self.height, self.fps = width, height, fps
        self.sent: list[np.ndarray] = []
        self.closed = False
        self._device = device or "/dev/fake-vcam"
        FakeVirtualCamera.instances.append(self)

    def send(self, frame: np.ndarray) -> None:
        self.sent.append(frame.copy())

    def close(self) -> None:
        self.closed = True

    def device(self) -> str:
        return self._device

    def native_fourcc(self) -> None:
        return None


@pytest.fixture
def fake_vcam_backend() -> Iterator[type[FakeVirtualCamera]]:
    import pyvirtualcam
    from pyvirtualcam.camera import BACKENDS

    FakeVirtualCamera.instances = []
    pyvirtualcam.register_backend("fake", FakeVirtualCamera)
    yield FakeVirtualCamera
    BACKENDS.pop("fake", None)


@pytest.fixture(scope="session")
def _xvfb() -> Iterator[str]:
    """One virtual X display for the whole run.

    OpenCV's Qt window keeps its X connection for the life of the process, and Xlib ends the
    process (exit 1, no message) when that server goes away; so the server is never killed
    under it: `-terminate` lets Xvfb leave on its own once its last client, this process, has.
    A connection held here keeps it up between tests that open and close their own.
    """
    if not (shutil.which("Xvfb") and shutil.which("xdotool")):
        pytest.skip("needs Xvfb and xdotool (apt install xvfb xdotool)")
    number = next(n for n in range(97, 200) if not os.path.exists(f"/tmp/.X{n}-lock"))
    server = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1280x800x24", "-nolisten",
                               "tcp", "-terminate"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not os.path.exists(f"/tmp/.X11-unix/X{number}"):
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            pytest.skip("Xvfb did not start")
        time.sleep(0.05)
    from Xlib import display as xlib_display

    anchor = xlib_display.Display(f":{number}")
    threading.Thread(target=server.wait, daemon=True).start()   # reaps it when it leaves
    yield f":{number}"
    anchor.close()


@pytest.fixture
def display(_xvfb: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The virtual X display for windows and global hotkeys; skips without Xvfb."""
    monkeypatch.setenv("DISPLAY", _xvfb)
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    return _xvfb


def _tracked_demo(width: int, height: int):
    from livecam.frame import Frame
    from livecam.sources.demo import DemoSource
    from livecam.tracking.mediapipe_mesh import MediaPipeTracker
    from livecam.tracking.settings import TrackingSettings

    image = DemoSource(width, height, realtime=False).render(1.3)
    tracker = MediaPipeTracker(TrackingSettings(max_faces=1))
    (face,) = tracker.track(Frame(image, 0, 0.0))
    tracker.close()
    return image, face


@pytest.fixture(scope="session")
def demo_face():
    """The demo portrait and its tracked face (real MediaPipe)."""
    return _tracked_demo(640, 360)


@pytest.fixture(scope="session")
def demo_face_720p():
    """The demo portrait at 1280×720, where the eyes are as large as a webcam's."""
    return _tracked_demo(1280, 720)


@pytest.fixture(scope="session")
def portrait(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo portrait at twice its size, so its face is as large as a selfie's."""
    from importlib import resources

    import cv2

    data = resources.files("livecam.assets").joinpath("demo_face.jpg").read_bytes()
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    path = tmp_path_factory.mktemp("photos") / "portrait.jpg"
    cv2.imwrite(str(path), cv2.resize(image, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC))
    return path
