"""Generated input against every door into livecam: presets, livecam.toml, the command line's
numbers, photos, and the control API's bodies and headers. Whatever arrives, the answer is a
result or livecam's own clear refusal: never a traceback, never a hang."""

from __future__ import annotations

import dataclasses
import json
import string
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis", reason="fuzzing needs hypothesis (the test extra)")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from livecam.cli import build_parser  # noqa: E402
from livecam.config_tables import build_settings  # noqa: E402
from livecam.control.settings import load_config  # noqa: E402
from livecam.effects.registry import EFFECTS  # noqa: E402
from livecam.errors import LivecamError  # noqa: E402
from livecam.preset import parse_preset  # noqa: E402
from livecam.sources.image import read_image  # noqa: E402
from livecam.tracking.settings import TrackingSettings  # noqa: E402

MANY = settings(max_examples=2000, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
SOME = settings(max_examples=500, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

scalars = (st.integers(min_value=-(2**70), max_value=2**70) | st.floats() | st.booleans()
           | st.text(max_size=20) | st.none())
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
SETTINGS_CLASSES = [c for c in [e.settings for e in EFFECTS.values()] + [TrackingSettings]
                    if dataclasses.fields(c)]


def _fields(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


@st.composite
def tables(draw: st.DrawFn) -> tuple[type, dict[str, object]]:
    cls = draw(st.sampled_from(SETTINGS_CLASSES))
    keys = st.sampled_from(_fields(cls)) | st.text(max_size=10)
    return cls, draw(st.dictionaries(keys, values, max_size=6))


@MANY
@given(tables())
def test_any_settings_table_builds_or_is_refused_by_name(case):
    cls, table = case
    try:
        build_settings(cls, table, "fuzz.toml [table]")
    except LivecamError as exc:
        assert "fuzz.toml" in str(exc)


def _toml_value(value: object) -> str:
    return json.dumps(value) if not isinstance(value, float) or value == value else "nan"


@st.composite
def preset_texts(draw: st.DrawFn) -> str:
    effect = draw(st.sampled_from(list(EFFECTS)) | st.text(max_size=8))
    lines = [f"effect = {json.dumps(effect)}"]
    for section in draw(st.lists(st.sampled_from([effect, "tracking", "shape", "x"]),
                                 max_size=3)):
        lines.append(f"[{section}]")
        cls = EFFECTS[effect].settings if effect in EFFECTS else TrackingSettings
        names = _fields(cls) or ["x"]
        for key in draw(st.lists(st.sampled_from(names), max_size=4)):
            value = draw(st.integers(-10**6, 10**6) | st.floats(allow_nan=False)
                         | st.booleans() | st.text(string.printable, max_size=10))
            lines.append(f"{key} = {_toml_value(value)}")
    if draw(st.booleans()):   # and some noise
        lines.insert(draw(st.integers(0, len(lines))), draw(st.text(max_size=30)))
    return "\n".join(lines)


@MANY
@given(preset_texts())
def test_any_preset_text_loads_or_is_refused_with_its_file_named(text):
    try:
        parse_preset("fuzz", text, "fuzz.toml")
    except LivecamError as exc:
        assert "fuzz.toml" in str(exc)


@SOME
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_livecam_toml_loads_or_is_refused(tmp_path, data):
    path = tmp_path / "livecam.toml"
    path.write_bytes(data)
    try:
        load_config(path)
    except LivecamError as exc:
        assert str(path) in str(exc)


NUMBER_FLAGS = ["--fps", "--target-fps", "--max-frames", "--size", "--control-port"]


@MANY
@given(st.sampled_from(NUMBER_FLAGS),
       st.text(max_size=12) | st.floats().map(str) | st.integers().map(str))
def test_any_number_on_the_command_line_is_taken_or_refused(flag, text):
    try:
        build_parser().parse_args(["run", flag, text])
    except SystemExit as stopped:
        assert stopped.code == 2


@SOME
@given(st.binary(max_size=400))
def test_any_bytes_as_a_photo_read_or_refused(tmp_path, data):
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff" + data if data[:1] == b"j" else data)
    try:
        image = read_image(path)
    except LivecamError as exc:
        assert "photo.jpg" in str(exc)
    else:
        assert image.ndim == 3


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    import os

    from live_stream import start_stream

    os.environ["LIVECAM_HOME"] = str(tmp_path_factory.mktemp("home"))
    stream, thread, box = start_stream(tmp_path_factory.mktemp("api"), control=True)
    yield stream
    stream.control.pipeline.stop()
    thread.join(30)
    assert "error" not in box, box.get("error")


ROUTES = ["/api/preset", "/api/effect", "/api/privacy", "/api/record", "/api/face",
          "/api/state", "/api/nothing", "/api/presets/x/thumbnail.jpg"]
bodies = (st.binary(max_size=120)
          | st.dictionaries(st.sampled_from(["on", "name", "number", "step", "x"]), values,
                            max_size=3).map(lambda d: json.dumps(d).encode()))
headers = st.dictionaries(st.sampled_from(["X-Livecam-Token", "Origin", "Content-Type",
                                           "Cookie"]),
                          st.text(st.characters(min_codepoint=32, max_codepoint=255),
                                  max_size=40), max_size=3)


@SOME
@given(st.sampled_from(["GET", "POST"]), st.sampled_from(ROUTES), bodies, headers,
       st.booleans())
def test_any_request_gets_an_answer_below_500_and_the_stream_goes_on(api, method, route, body,
                                                                     extra, with_token):
    status, answer = api.call(method, route, body if method == "POST" else None,
                              token="" if with_token else None, headers=extra)
    assert status < 500, (method, route, body, extra, answer)
    if method == "POST" and body and route == "/api/record" and status == 200:
        api.control.set_recording(False)   # generated recordings need not pile up


def test_the_stream_outlived_the_requests(api):
    frames = api.control.state()["frames"]
    api.wait_for(lambda s: s["frames"] > frames + 5)
    assert Path(__file__).is_file()
