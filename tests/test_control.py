"""Live control end to end: a real stream of the demo with the control API on a free port,
driven over HTTP and WebSocket; hotkeys parsed, checked and (under Xvfb) pressed for real."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from live_stream import start_stream
from livecam.app import RunConfig, run
from livecam.control.hotkeys import check_bindings, parse_combo
from livecam.control.settings import config_path, load_config
from livecam.control.token import token_path
from livecam.errors import ConfigError
from livecam.control.actions import Action
from livecam.loop.privacy import privacy_card
from livecam.paths import user_preset_dir
from livecam.sources.factory import SourceSpec


@pytest.fixture
def stream(tmp_path):
    stream, thread, box = start_stream(tmp_path, control=True)
    yield stream
    stream.control.pipeline.stop()
    thread.join(30)
    assert "error" not in box, box.get("error")


def test_state_is_open_but_every_change_needs_the_token(stream):
    status, state = stream.call("GET", "/api/state", token=None)
    assert status == 200 and state["preset"] == "landmarks" and state["effect_on"]
    assert state["fps"] > 0 and state["faces"] == 1
    status, answer = stream.call("POST", "/api/effect", token=None)
    assert status == 401 and "no token" in answer["error"]
    status, answer = stream.call("POST", "/api/effect", token="x" * 32)
    assert status == 401 and "wrong token" in answer["error"]
    status, answer = stream.call("POST", "/api/effect", {"on": False})
    assert status == 200 and answer["state"]["effect_on"] is False
    assert stream.control.pipeline.effect_on is False
    status, answer = stream.call("POST", "/api/effect", token=None,
                                 headers={"X-Livecam-Token": stream.token})
    assert status == 200 and answer["state"]["effect_on"] is True   # no body: toggled
    status, _ = stream.call("POST", f"/api/effect?token={stream.token}", token=None)
    assert status == 401   # a token in the address is taken only by the panel's start-up link
    assert (token_path().stat().st_mode & 0o777) == 0o600


def test_malformed_requests_get_a_4xx_and_the_stream_goes_on(stream):
    frames = stream.control.state()["frames"]
    cases = [
        ("POST", "/api/privacy", b"not json", 400, "must be JSON"),
        ("POST", "/api/privacy", [1, 2], 400, "JSON object"),
        ("POST", "/api/privacy", {"onn": True}, 400, "did you mean 'on'"),
        ("POST", "/api/record", {"on": 1}, 400, "'on' must be bool"),
        ("POST", "/api/preset", {"name": "anime", "step": 1}, 400, "exactly one of"),
        ("POST", "/api/preset", {"name": "fairy-tal"}, 404, "did you mean 'fairy-tale'"),
        ("POST", "/api/preset", {"number": 12}, 409, "no preset 12"),
        ("POST", "/api/face", {}, 409, "uses no enrolled face"),
        ("GET", "/api/nothing", None, 404, "no such route"),
        ("GET", "/api/effect", None, 405, "GET is not allowed"),
        ("GET", "/api/state", None, 403, "127.0.0.1 only"),
    ]
    for method, route, body, status, message in cases:
        headers = {"Host": "evil.example:80"} if status == 403 else None
        got, answer = stream.call(method, route, body, headers=headers)
        assert got == status and message in answer["error"], (route, body, answer)
    stream.wait_for(lambda s: s["frames"] > frames + 10)


def test_switching_presets_loads_in_the_background_and_keeps_the_last_good_one(stream):
    status, answer = stream.call("POST", "/api/preset", {"name": "passthrough"})
    assert status == 200 and "switching" in answer["message"]
    stream.wait_for(lambda s: s["preset"] == "passthrough" and s["switching_to"] is None)
    status, _ = stream.call("POST", "/api/preset", {"step": -1})   # back to landmarks
    stream.wait_for(lambda s: s["preset"] == "landmarks")
    broken = user_preset_dir() / "broken.toml"
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text('effect = "stylize"\n[stylize]\nstyle = "sketch"\n')
    stream.control.presets.append("broken")
    status, _ = stream.call("POST", "/api/preset", {"name": "broken"})
    state = stream.wait_for(lambda s: s["last_error"] is not None)
    assert "could not switch to 'broken'" in state["last_error"] and "sketch" in \
        state["last_error"]
    frames = state["frames"]
    state = stream.wait_for(lambda s: s["frames"] > frames + 10)
    assert state["preset"] == "landmarks" and state["switches"] == 2
    # "next" moves past the broken preset (last in the list) instead of retrying it
    assert "'anime'" in stream.control.step_preset(1).message
    stream.wait_for(lambda s: s["preset"] == "anime")
    stream.stop()
    record = json.loads((stream.folder / "r.json").read_text())
    switches = record["summary"]["switches"]
    assert [(s["from"], s["to"]) for s in switches][:2] == [("landmarks", "passthrough"),
                                                            ("passthrough", "landmarks")]


def test_privacy_sends_the_card_and_recording_makes_a_playable_file(stream):
    stream.call("POST", "/api/privacy", {"on": True})
    time.sleep(0.3)
    card = privacy_card(320, 180)
    assert np.array_equal(stream.sink.recent[-1].image, card) and stream.sink.recent[-1].privacy
    stream.call("POST", "/api/privacy", {"on": False})
    time.sleep(0.3)
    assert not np.array_equal(stream.sink.recent[-1].image, card)
    status, answer = stream.call("POST", "/api/record", {"on": True})
    assert status == 200 and answer["state"]["recording"]
    path = Path(answer["state"]["recording"])
    time.sleep(1.0)
    status, answer = stream.call("POST", "/api/record", {"on": False})
    assert "saved" in answer["message"] and answer["state"]["recording"] is None
    time.sleep(0.3)
    video = cv2.VideoCapture(str(path))
    frames = 0
    while video.read()[0]:
        frames += 1
    assert path.parent == stream.folder / "recordings" and frames >= 15


def test_preview_thumbnails_and_preset_cards(stream):
    status, _ = stream.call("GET", "/api/preview.jpg", token=None)
    assert status == 401
    status, jpeg = stream.call("GET", "/api/preview.jpg")
    preview = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert status == 200 and preview.shape == (270, 480, 3)
    status, cards = stream.call("GET", "/api/presets", token=None)
    assert [c["name"] for c in cards] == ["anime", "face-swap", "fairy-tale", "landmarks",
                                          "passthrough"]
    status, _ = stream.call("GET", cards[-1]["thumbnail"], token=None)
    assert status == 401   # a thumbnail may show the enrolled face
    status, jpeg = stream.call("GET", cards[-1]["thumbnail"])
    thumbnail = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert status == 200 and thumbnail.shape == (180, 320, 3) and thumbnail.std() > 10
    status, answer = stream.call("GET", "/api/presets/nope/thumbnail.jpg")
    assert status == 404 and "unknown preset" in answer["error"]
    status, page = stream.call("GET", "/", token=None)
    assert status == 200 and b"livecam control" in page


def test_the_websocket_pushes_live_state_and_needs_the_token(stream):
    import aiohttp

    async def listen(token: str) -> list[dict[str, Any]]:
        url = f"http://127.0.0.1:{stream.port}/api/live"
        async with aiohttp.ClientSession() as session, session.ws_connect(
                url, headers={"Authorization": f"Bearer {token}"}) as ws:
            return [await ws.receive_json(timeout=5) for _ in range(3)]

    states = asyncio.run(listen(stream.token))
    assert all(s["preset"] == "landmarks" for s in states)
    assert states[-1]["frames"] > states[0]["frames"]
    with pytest.raises(aiohttp.WSServerHandshakeError) as failed:
        asyncio.run(listen("wrong-token-wrong-token"))
    assert failed.value.status == 401


def test_a_busy_port_is_explained(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(Exception, match=f"cannot listen on 127.0.0.1:{port}.*--control-port"):
            run(RunConfig(source=SourceSpec("demo", 320, 180), preset="passthrough",
                          sinks=("null",), max_frames=5, control=True, control_port=port))


def test_hotkey_combinations_are_parsed_and_checked():
    assert parse_combo("Ctrl+Alt+E").pynput == "<ctrl>+<alt>+e"
    assert parse_combo("alt+ctrl+pgdn").text == "ctrl+alt+page_down"
    assert parse_combo("super+f9").pynput == "<cmd>+<f9>"
    for text, message in [("ctrl+alt+banana", "unknown key 'banana'"),
                          ("hyper+e", "'hyper' is not a modifier"),
                          ("ctrl+alt", "ends in a modifier"),
                          ("e", "would fire while typing"),
                          ("ctrl+ctrl+e", "repeated"), ("ctrl++e", "write it like")]:
        with pytest.raises(ConfigError, match=message):
            parse_combo(text, "toggle_effect")
    combos, conflicts = check_bindings({Action.TOGGLE_EFFECT: "ctrl+alt+e",
                                        Action.PRIVACY: "alt+ctrl+e",
                                        Action.RECORD: "ctrl+alt+t"})
    assert set(combos) == {Action.TOGGLE_EFFECT, Action.RECORD}
    assert any("bound to both toggle_effect and privacy" in c for c in conflicts)
    assert any("ctrl+alt+t (record) is also Ubuntu/GNOME: open a terminal" in c
               for c in conflicts)
    defaults, problems = check_bindings(load_config().hotkeys.bindings())
    assert len(defaults) == 15 and problems == []


def test_the_user_file_overrides_defaults_and_its_mistakes_are_explained():
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[hotkeys]\nprivacy = "ctrl+shift+h"\n[control]\nport = 9000\n')
    config = load_config()
    assert config.hotkeys.privacy == "ctrl+shift+h" and config.hotkeys.record == "ctrl+alt+r"
    assert config.control.port == 9000 and config.path == str(path)
    path.write_text('[hotkeys]\nprivcy = "ctrl+shift+h"\n')
    with pytest.raises(ConfigError, match=r"\[hotkeys\]: unknown key 'privcy'; did you mean "
                                          "'privacy'"):
        load_config()
    path.write_text('[contrl]\nport = 9000\n')
    with pytest.raises(ConfigError, match=r"unknown section \[contrl\]"):
        load_config()
    path.write_text('[control]\nprivacy = "blur"\n')
    with pytest.raises(ConfigError, match="privacy must be card or freeze"):
        load_config()


def test_global_hotkeys_fire_while_another_window_has_focus(tmp_path, display):
    stream, thread, box = start_stream(tmp_path, hotkeys=True)
    try:
        subprocess.run(["xdotool", "key", "ctrl+alt+e"], check=True)
        stream.wait_for(lambda s: s["effect_on"] is False, 10)
        subprocess.run(["xdotool", "key", "ctrl+alt+5"], check=True)   # 5th: passthrough
        stream.wait_for(lambda s: s["preset"] == "passthrough", 20)
        subprocess.run(["xdotool", "key", "ctrl+alt+p"], check=True)
        stream.wait_for(lambda s: s["privacy"] is True, 10)
    finally:
        stream.control.pipeline.stop()
        thread.join(30)
        # pynput's X11 listener ends at the next key event after stop (pynput#583)
        listeners = [t for t in threading.enumerate() if "GlobalHotKeys" in type(t).__name__]
        subprocess.run(["xdotool", "key", "shift"], check=True)
        for listener in listeners:
            listener.join(5)
        assert not any(t.is_alive() for t in listeners)
    assert "error" not in box


def test_command_line_overrides_do_not_block_a_switch_to_a_preset_without_them(tmp_path):
    stream, thread, box = start_stream(tmp_path, preset="fairy-tale", tier="S", control=True)
    try:
        assert "switching" in stream.control.select_preset("landmarks").message
        state = stream.wait_for(lambda s: s["preset"] == "landmarks" or s["last_error"])
        assert state["preset"] == "landmarks" and state["last_error"] is None
    finally:
        stream.stop()
    assert "error" not in box, box.get("error")


def test_pages_from_other_origins_and_malformed_tokens_and_bodies_are_refused(stream):
    evil = {"Origin": "http://evil.example"}
    status, answer = stream.call("POST", "/api/effect", {"on": False}, headers=evil)
    assert status == 403 and "evil.example" in answer["error"]
    assert stream.control.pipeline.effect_on is True
    status, _ = stream.call("POST", "/api/effect", {"on": True},
                            headers={"Origin": f"http://127.0.0.1:{stream.port}"})
    assert status == 200   # the panel itself
    odd = "t\u00e9st".encode().decode("latin-1")   # a non-ASCII token
    status, answer = stream.call("POST", "/api/effect", token=None,
                                 headers={"X-Livecam-Token": odd})
    assert status == 401
    status, answer = stream.call("POST", "/api/privacy", b"[" * 30_000 + b"]" * 30_000)
    assert status == 400 and "must be JSON" in answer["error"]   # nested past recursion


def test_the_panel_link_sets_a_cookie_that_the_preview_and_websocket_accept(stream):
    import http.cookiejar
    import urllib.request

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{stream.port}"
    with opener.open(f"{base}/?token={stream.token}", timeout=10) as page:
        assert page.status == 200
    assert [c.name for c in jar] == ["livecam-token"]
    with opener.open(f"{base}/api/preview.jpg", timeout=10) as preview:
        assert preview.status == 200 and preview.read()[:2] == b"\xff\xd8"


def test_a_loose_token_file_is_tightened(tmp_path):
    from livecam.control.token import load_or_create_token

    path = tmp_path / "cfg" / "control-token"
    path.parent.mkdir(mode=0o755)
    path.write_text("a" * 32 + "\n")
    path.chmod(0o644)
    assert load_or_create_token(path) == "a" * 32
    assert (path.stat().st_mode & 0o777) == 0o600
    assert (path.parent.stat().st_mode & 0o777) == 0o700
