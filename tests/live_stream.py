"""A live demo stream with the control API on a free port, for the control and panel tests."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from livecam.app import RunConfig, run
from livecam.control.live import LiveControl
from livecam.control.settings import config_path
from livecam.control.token import token_path
from livecam.sinks.null import NullSink
from livecam.sources.factory import SourceSpec


class RecentSink(NullSink):
    """Keeps the last few frames it was sent."""

    def __init__(self) -> None:
        super().__init__()
        self.recent: deque[Any] = deque(maxlen=5)

    def write(self, frame) -> None:
        super().write(frame)
        self.recent.append(frame)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Stream:
    control: LiveControl
    port: int
    token: str
    sink: RecentSink
    folder: Path
    thread: threading.Thread

    def stop(self) -> None:
        """Ends the run and waits for it, so its benchmark record is written."""
        self.control.pipeline.stop()
        self.thread.join(30)

    def call(self, method: str, route: str, body: Any = None, token: str | None = "",
             headers: dict[str, str] | None = None) -> tuple[int, Any]:
        data = body if isinstance(body, bytes) else (
            None if body is None else json.dumps(body).encode())
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{route}", data=data,
                                         method=method, headers=headers or {})
        if token is not None:
            request.add_header("Authorization", f"Bearer {token or self.token}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                raw, status, kind = response.read(), response.status, response.headers
        except urllib.error.HTTPError as exc:
            raw, status, kind = exc.read(), exc.code, exc.headers
        if kind.get_content_type() == "application/json":
            return status, json.loads(raw)
        return status, raw

    def wait_for(self, condition, timeout_s: float = 20.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            state = self.control.state()
            if condition(state):
                return state
            time.sleep(0.05)
        raise AssertionError(f"timed out; state: {self.control.state()}")


def start_stream(tmp_path: Path, preset: str = "landmarks", **config: Any):
    config_path().parent.mkdir(parents=True, exist_ok=True)
    config_path().write_text(f'[control]\nrecordings = "{tmp_path / "recordings"}"\n')
    port, sink, ready, box = free_port(), RecentSink(), threading.Event(), {}

    def started(control: LiveControl) -> None:
        box["control"] = control
        ready.set()

    def main() -> None:
        try:
            box["result"] = run(RunConfig(source=SourceSpec("demo", 320, 180), preset=preset,
                                          control_port=port, bench_out=str(tmp_path / "r.json"),
                                          warmup_frames=0, **config),
                                sinks=[sink], started=started)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            box["error"] = exc
            ready.set()

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    assert ready.wait(60)
    if "error" in box:
        raise box["error"]
    token = token_path().read_text().strip() if config.get("control") else ""
    stream = Stream(box["control"], port, token, sink, tmp_path, thread)
    stream.wait_for(lambda s: s["frames"] > 3)
    return stream, thread, box
