"""The web control panel end to end in headless Chromium, driven over the DevTools protocol:
the page loads with the token, shows the presets, switches preset and effect on the real
stream, and its screenshot is checked."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from live_stream import free_port, start_stream

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(n)), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="needs Chromium (apt install chromium)")
ACCENT_BGR = (154, 79, 255)   # --accent: #ff4f9a, the current preset's border


class DevTools:
    """Just enough of the Chrome DevTools protocol: send a command, await its answer."""

    def __init__(self, ws: Any) -> None:
        self.ws, self.next_id = ws, 0

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        await self.ws.send_json({"id": self.next_id, "method": method, "params": params})
        while True:
            message = await self.ws.receive_json(timeout=30)
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message["result"]

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    async def wait_for(self, expression: str, timeout_s: float = 20.0) -> Any:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = await self.evaluate(expression)
            if value:
                return value
            await asyncio.sleep(0.1)
        raise AssertionError(f"timed out waiting for {expression}")


def _page_socket(port: int, deadline_s: float = 30.0) -> str:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json", timeout=2) as r:
                pages = [t for t in json.loads(r.read()) if t["type"] == "page"]
            if pages:
                return str(pages[0]["webSocketDebuggerUrl"])
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("Chromium's DevTools endpoint did not come up")


def test_the_panel_drives_the_stream_in_headless_chromium(tmp_path):
    import aiohttp

    stream, thread, box = start_stream(tmp_path, control=True)
    debug_port = free_port()
    browser = subprocess.Popen(
        [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-extensions", f"--remote-debugging-port={debug_port}",
         f"--user-data-dir={tmp_path / 'chromium'}", "--window-size=1100,820", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    async def drive() -> bytes:
        async with aiohttp.ClientSession() as session, \
                session.ws_connect(_page_socket(debug_port), max_msg_size=0) as ws:
            tab = DevTools(ws)
            await tab.send("Page.enable")
            await tab.send("Emulation.setDeviceMetricsOverride", width=1100, height=720,
                           deviceScaleFactor=1, mobile=False)
            await tab.send("Page.navigate",
                           url=f"http://127.0.0.1:{stream.port}/?token={stream.token}")
            await tab.wait_for("document.querySelectorAll('.preset').length === 5")
            assert await tab.evaluate("location.search") == ""   # token out of the address
            await tab.wait_for("document.querySelector('.preset.current')?.dataset.preset "
                               "=== 'landmarks'")
            await tab.evaluate("document.querySelector('[data-preset=passthrough]').click()")
            stream.wait_for(lambda s: s["preset"] == "passthrough")
            await tab.evaluate("document.getElementById('effect').click()")
            stream.wait_for(lambda s: s["effect_on"] is False)
            await tab.wait_for("document.getElementById('effect').textContent === 'Effect off'")
            await tab.wait_for("document.querySelector('.preset.current')?.dataset.preset "
                               "=== 'passthrough'")
            await tab.wait_for("document.getElementById('connection').textContent === 'live'")
            await tab.wait_for("document.getElementById('preview').naturalWidth === 480")
            await tab.wait_for("[...document.querySelectorAll('.preset img')].every("
                               "i => i.complete && i.naturalWidth === 320)", 60)
            await asyncio.sleep(1.2)   # two pushes: the chart has a line
            shot = await tab.send("Page.captureScreenshot", format="png")
            return base64.b64decode(shot["data"])

    try:
        png = asyncio.run(drive())
    finally:
        browser.terminate()
        browser.wait(timeout=10)
        stream.control.pipeline.stop()
        thread.join(30)
    assert "error" not in box
    (tmp_path / "panel.png").write_bytes(png)
    if os.environ.get("LIVECAM_SCREENSHOT_DIR"):
        shutil.copy(tmp_path / "panel.png", Path(os.environ["LIVECAM_SCREENSHOT_DIR"]))
    shot = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert shot.shape[:2] == (720, 1100)
    accent = np.all(np.abs(shot.astype(int) - ACCENT_BGR) < 30, axis=2)
    assert accent.sum() > 400, "the current preset's card is highlighted"
    background = np.all(np.abs(shot.astype(int) - (31, 19, 22)) < 6, axis=2)
    assert background.mean() > 0.3, "the panel's own dark background fills the page"
    assert shot.std() > 20, "thumbnails, preview and chart make a varied page, not a blank one"
