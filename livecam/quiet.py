"""A clean terminal: livecam's own lines only, unless `-v` asks for everything.

MediaPipe (absl and glog), TensorFlow Lite and OpenCV write their log lines to file descriptor 2
from C++, so environment variables set after they load do not silence them, and Python's
logging never sees them. The command line therefore puts a filter on descriptor 2 itself: a
pipe whose reader passes on every line but the native libraries' log lines. Python's own
stderr (livecam's messages, tracebacks) is moved to the real terminal first, so nothing of
livecam's waits on the filter.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading

NATIVE_LOG = re.compile(
    rb"^(?:[IWEF]\d{4} [\d:.]+\s+\d+ [\w./-]+:\d+\]"      # absl / glog
    rb"|INFO: Created TensorFlow Lite"                       # TensorFlow Lite
    rb"|WARNING: All log messages before absl::InitializeLog"
    rb"|\[ ?(?:WARN|INFO|DEBUG):\d+@)")                      # OpenCV
QUIET_ENV = {"GLOG_minloglevel": "2", "TF_CPP_MIN_LOG_LEVEL": "2", "OPENCV_LOG_LEVEL": "ERROR"}


def configure_logging(level: str) -> None:
    """livecam's lines as `livecam: ...` at "info" (the default), "debug" (-v, with every
    library's lines too) or "error" (-q)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("livecam: %(message)s"))
    ours = logging.getLogger("livecam")
    ours.handlers[:] = [handler]
    ours.propagate = False
    ours.setLevel({"debug": logging.DEBUG, "error": logging.ERROR}.get(level, logging.INFO))
    root = logging.getLogger()
    if level == "debug":
        root.handlers[:] = [handler]
        root.setLevel(logging.DEBUG)
    else:   # other libraries' Python logging stays off the terminal
        root.handlers[:] = [logging.NullHandler()]


def filter_native_logs() -> None:
    """Keep the native libraries' log lines off descriptor 2 for the rest of the process."""
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)
    if "cv2" in sys.modules:
        sys.modules["cv2"].setLogLevel(2)   # 2: errors only (OpenCV loaded already)
    try:
        terminal = os.dup(2)
        read_end, write_end = os.pipe()
    except OSError:
        return
    sys.stderr.flush()
    sys.stderr = open(terminal, "w", buffering=1, encoding="utf-8",  # noqa: SIM115
                      errors="replace", closefd=False)
    os.dup2(write_end, 2)
    os.close(write_end)
    threading.Thread(target=_pass_on, args=(read_end, terminal), name="livecam-stderr",
                     daemon=True).start()


def _pass_on(read_end: int, terminal: int) -> None:
    with open(read_end, "rb", buffering=0) as native:
        for line in iter(native.readline, b""):
            if not NATIVE_LOG.match(line):
                os.write(terminal, line)
