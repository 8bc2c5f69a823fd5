"""Input that is not livecam's own error never kills a stream, a switch or a file: each case
here failed before its fix."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from fakes import CountingSource, NoFaces

from livecam.app import RunConfig, run
from livecam.cli import build_parser
from livecam.config_tables import build_settings
from livecam.control.live import LiveControl
from livecam.effects.passthrough import Passthrough
from livecam.errors import PresetError, SinkError
from livecam.loop.pipeline import LoopSettings, Pipeline
from livecam.sinks.null import NullSink
from livecam.sinks.recording import Recording
from livecam.sources.factory import SourceSpec
from livecam.tracking.settings import TrackingSettings


class Keeping(NullSink):
    def __init__(self) -> None:
        super().__init__()
        self.got: list[np.ndarray] = []

    def write(self, frame):
        super().write(frame)
        self.got.append(frame.image)


def test_an_effect_failing_with_any_exception_sends_the_camera_image_and_goes_on(caplog):
    class Broken(Passthrough):
        name = "broken"

        def apply(self, frame, faces):
            raise np.linalg.LinAlgError("singular matrix")

    sink = Keeping()
    pipeline = Pipeline(CountingSource(20), NoFaces(), Broken(), [sink], LoopSettings(live=False))
    pipeline.run()
    assert sink.frames == 20 and pipeline.errors == {"effect": 20}
    assert int(sink.got[4][0, 0, 0]) == 5   # the camera's own frame
    assert "LinAlgError: singular matrix" in (pipeline.fault or "")
    assert caplog.text.count("broken failed") == 1   # said once
    assert pipeline.latest is not None and pipeline.latest.fault == pipeline.fault


def test_a_tracker_failing_leaves_the_frame_faceless_and_the_stream_running():
    class Crashing:
        def track(self, frame):
            raise ValueError("landmarks out of range")

        def close(self):
            pass

    sink = Keeping()
    pipeline = Pipeline(CountingSource(20), Crashing(), Passthrough(), [sink],
                        LoopSettings(live=False))
    pipeline.run()
    assert sink.frames == 20 and pipeline.errors == {"tracker": 20}


def test_a_sink_with_a_bug_of_its_own_is_dropped_and_the_others_go_on():
    class Buggy(NullSink):
        name = "buggy"

        def write(self, frame):
            raise KeyError("oops")

    fine = Keeping()
    pipeline = Pipeline(CountingSource(20), NoFaces(), Passthrough(), [Buggy(), fine],
                        LoopSettings(live=False))
    pipeline.run()
    assert fine.frames == 20 and "buggy" in pipeline.sink_errors


def test_a_preset_failing_with_a_foreign_error_is_reported_and_the_switch_ends():
    pipeline = Pipeline(CountingSource(200), NoFaces(), Passthrough(), [NullSink()],
                        LoopSettings(live=True))

    def build(name):
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")

    control = LiveControl(pipeline, ["passthrough", "binary"], build)
    control.select_preset("binary")
    deadline = time.monotonic() + 10
    while control.switching_to is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    control.close()
    assert control.switching_to is None
    assert control.last_error and "UnicodeDecodeError" in control.last_error


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_nan_and_infinite_settings_are_refused_by_name(value):
    with pytest.raises(PresetError, match="beta"):
        build_settings(TrackingSettings, {"beta": value}, "preset.toml [tracking]")


@pytest.mark.parametrize("flags", [["--fps", "0"], ["--fps", "-5"], ["--fps", "nan"],
                                   ["--size", "0x0"], ["--size", "100000x100000"],
                                   ["--target-fps", "-1"], ["--target-fps", "nan"],
                                   ["--control-port", "70000"], ["--control-port", "-5"],
                                   ["--control-port", "0"]])
def test_command_line_numbers_out_of_range_are_refused(flags, capsys):
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args(["run", *flags])
    assert stopped.value.code == 2
    assert "must be" in capsys.readouterr().err


def test_an_output_that_is_the_source_is_refused_before_anything_is_written(tmp_path):
    clip = tmp_path / "clip.mp4"
    sink = Recording(tmp_path / "make.mp4", audio=False)
    sink.open(64, 48, 30)
    for i in range(10):
        from livecam.sinks.protocol import OutputFrame
        sink.write(OutputFrame(np.full((48, 64, 3), i * 20, np.uint8), i, i / 30))
    sink.close()
    sink.path.rename(clip)
    size = clip.stat().st_size
    with pytest.raises(SinkError, match="is the source itself"):
        run(RunConfig(source=SourceSpec(str(clip), realtime=False), preset="passthrough",
                      sinks=(f"file:{clip}",), max_frames=3))
    assert clip.stat().st_size == size


def test_an_existing_recording_is_kept_and_the_next_free_name_used(tmp_path):
    taken = tmp_path / "take.mp4"
    taken.write_bytes(b"an earlier take")
    result = run(RunConfig(source=SourceSpec("demo", 160, 120, realtime=False),
                           preset="passthrough", sinks=(f"file:{taken}",), max_frames=3))
    assert result.sink_errors == {}
    assert taken.read_bytes() == b"an earlier take"
    assert (tmp_path / "take-2.mp4").stat().st_size > 0


def test_closing_the_terminal_stops_cleanly_and_finalises_the_recording(tmp_path):
    path = tmp_path / "hup.mkv"
    child = subprocess.Popen(
        [sys.executable, "-m", "livecam", "run", "--source", "demo", "--size", "160x120",
         "--preset", "passthrough", "--sink", "null", "--record", str(path), "--mic", "off",
         "--no-control", "--no-hotkeys"], cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(2)
    child.send_signal(signal.SIGHUP)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    assert "recording saved" in err
    import av

    with av.open(str(path)) as box:
        assert sum(1 for _ in box.decode(video=0)) >= 30


def test_odd_files_in_the_presets_folder_are_refused_one_by_one(tmp_path):
    from livecam.preset import available_presets, load_preset

    folder = tmp_path / "presets"
    folder.mkdir()
    (folder / "binary.toml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    (folder / "folder.toml").mkdir()
    (folder / "dangling.toml").symlink_to(tmp_path / "nowhere.toml")
    (folder / "bom.toml").write_bytes('\ufeffeffect = "passthrough"\n'.encode())
    known = available_presets(folder)
    assert "folder" not in known and "dangling" not in known
    assert load_preset("bom", folder).effect == "passthrough"
    with pytest.raises(PresetError, match="not a UTF-8 text file"):
        load_preset("binary", folder)
    assert load_preset("landmarks", folder).effect == "landmarks"   # the others still load


def test_a_binary_livecam_toml_is_a_clear_error(tmp_path):
    from livecam.control.settings import load_config
    from livecam.errors import ConfigError

    path = tmp_path / "livecam.toml"
    path.write_bytes(b"\xff\xfe\x00[control]")
    with pytest.raises(ConfigError, match="not a UTF-8 text file"):
        load_config(path)


@pytest.mark.parametrize("text", ['{"machine": MACHINE, "providers": "cpu"}', "\udcff"])
def test_a_damaged_device_profile_is_measured_again(text, monkeypatch):
    import json

    from livecam.inference import device_profile

    machine = device_profile.fingerprint()
    path = device_profile._cache_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    if text.startswith("{"):
        path.write_text(text.replace("MACHINE", json.dumps(machine)))
    else:
        path.write_bytes(b"\xff\xfe garbage")
    assert device_profile._read_cache(machine) == {}


def test_a_zero_byte_photo_is_refused_by_itself(tmp_path):
    import cv2

    from livecam.errors import SourceError
    from livecam.sources.image import read_image
    from livecam.swap.enroll import enroll

    empty = tmp_path / "zero.jpg"
    empty.write_bytes(b"")
    with pytest.raises(SourceError, match="empty"):
        read_image(empty)
    good = tmp_path / "nasa.jpg"
    demo = cv2.imread(str(Path(__file__).parents[1] / "livecam" / "assets" / "demo_face.jpg"))
    cv2.imwrite(str(good), cv2.resize(demo, None, fx=2, fy=2))
    face, verdicts = enroll([good, empty], "nasa")
    assert face is not None
    assert "empty" in next(v.reason for v in verdicts if v.photo.endswith("zero.jpg"))


def _models_copy(tmp_path, monkeypatch):
    import shutil

    folder = tmp_path / "models"
    shutil.copytree(Path(__file__).parents[1] / "models", folder)
    monkeypatch.setenv("LIVECAM_MODELS", str(folder))
    return folder


def test_a_corrupt_variant_gives_way_to_the_others_and_says_so(tmp_path, monkeypatch, caplog):
    from livecam.inference.device_profile import choose

    folder = _models_copy(tmp_path, monkeypatch)
    damaged = folder / "stylizer-fairy-tale-S-int8.onnx"
    damaged.write_bytes(damaged.read_bytes()[:1000])
    medium = choose("stylizer", "fairy-tale", tier="M")    # cold cache, another tier
    assert medium.entry.tier == "M"
    small = choose("stylizer", "fairy-tale", tier="S")
    assert small.entry.name != "stylizer-fairy-tale-S-int8"
    assert "stylizer-fairy-tale-S-int8 is unusable" in caplog.text


def test_a_file_that_matches_its_checksum_but_is_not_onnx_is_skipped(tmp_path, monkeypatch,
                                                                     caplog):
    import re

    from livecam.inference.device_profile import choose
    from livecam.inference.manifest import sha256_of

    folder = _models_copy(tmp_path, monkeypatch)
    bogus = folder / "stylizer-fairy-tale-S-int8.onnx"
    bogus.write_bytes(b"not a model at all" * 100)
    manifest = folder / "manifest.toml"
    text = manifest.read_text()
    block = text.index("[model.stylizer-fairy-tale-S-int8]")
    end = text.index("[model.", block + 1)
    fixed = re.sub(r'sha256 = "[0-9a-f]+"', f'sha256 = "{sha256_of(bogus)}"', text[block:end])
    manifest.write_text(text[:block] + fixed + text[end:])
    chosen = choose("stylizer", "fairy-tale", tier="S", precision="auto")
    assert chosen.entry.name != "stylizer-fairy-tale-S-int8"
    assert "stylizer-fairy-tale-S-int8 is unusable" in caplog.text


@pytest.mark.parametrize(("scale", "verdict"), [(0.8, "only 80 px across"), (1.6, "usable")])
def test_a_small_face_in_a_wide_photo_is_found_and_judged_by_its_size(tmp_path, scale, verdict):
    import cv2

    from livecam.swap.enroll import examine

    demo = cv2.imread(str(Path(__file__).parents[1] / "livecam" / "assets" / "demo_face.jpg"))
    face = cv2.resize(demo, None, fx=scale, fy=scale)
    photo = np.full((1080, 1920, 3), (90, 120, 100), np.uint8)   # a 1080p shot, face small
    photo[50:50 + face.shape[0], 300:300 + face.shape[1]] = face
    path = tmp_path / "wide.jpg"
    cv2.imwrite(str(path), photo)
    assert verdict in examine(path, "nasa").reason


def test_a_colour_face_on_a_grey_backdrop_is_not_called_black_and_white(tmp_path):
    import cv2

    from livecam.swap.enroll import _detect, examine

    demo = cv2.imread(str(Path(__file__).parents[1] / "livecam" / "assets" / "demo_face.jpg"))
    photo = np.full((1600, 1600, 3), 128, np.uint8)
    photo[100:1380, 100:1380] = cv2.resize(demo, None, fx=2.5, fy=2.5)
    (marks,) = _detect(photo)
    skin = np.zeros(photo.shape[:2], np.uint8)
    cv2.fillConvexPoly(skin, cv2.convexHull(marks[:, :2].astype(np.int32)), 1)
    grey = cv2.cvtColor(cv2.cvtColor(photo, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    studio = np.where(skin[..., None] > 0, photo, grey)   # colour only in the face
    path = tmp_path / "studio.jpg"
    cv2.imwrite(str(path), studio)
    assert "usable" in examine(path, "nasa").reason
    cv2.imwrite(str(tmp_path / "grey.jpg"), grey)
    assert "black-and-white" in examine(tmp_path / "grey.jpg", "nasa").reason


def test_a_hotkey_that_cannot_be_bound_names_the_settings_file():
    from livecam.control.settings import config_path, load_config
    from livecam.errors import ConfigError

    config_path().parent.mkdir(parents=True, exist_ok=True)
    config_path().write_text('[hotkeys]\ntoggle_effect = "ctrl+alt+banana"\n')
    with pytest.raises(ConfigError) as refused:
        load_config()
    message = str(refused.value)
    assert str(config_path()) in message and "unknown key 'banana'" in message


def test_a_photo_path_given_as_face_suggests_an_enrolment_that_works():
    from livecam.swap.faces_store import check_name, load_face

    with pytest.raises(PresetError) as refused:
        load_face("../faces/b.jpg")
    message = str(refused.value)
    assert "livecam enroll ../faces/b.jpg --name b'" in message and "--face b" in message
    assert check_name("b") == "b"


def test_a_switched_to_presets_tracking_table_is_said_to_be_left_unapplied(tmp_path, caplog):
    import logging

    from livecam.paths import user_preset_dir
    from live_stream import start_stream

    presets = user_preset_dir()
    presets.mkdir(parents=True, exist_ok=True)
    (presets / "one-face.toml").write_text(
        'description = "landmarks for one face"\neffect = "landmarks"\n'
        '[tracking]\nmax_faces = 1\n')
    caplog.set_level(logging.WARNING, logger="livecam")
    stream, thread, box = start_stream(tmp_path, control=True)
    try:
        stream.control.select_preset("one-face")
        state = stream.wait_for(lambda s: s["preset"] == "one-face" or s["last_error"])
        assert state["preset"] == "one-face"
    finally:
        stream.stop()
    assert "error" not in box, box.get("error")
    assert any("[tracking] table is not applied" in r.getMessage() for r in caplog.records)


def test_ctrl_c_asks_for_a_clean_stop_and_a_second_one_leaves_at_once():
    from livecam.app import _interrupt

    class Loop:
        stopping = False

        def stop(self) -> None:
            self.stopping = True

    loop = Loop()
    _interrupt(loop)   # type: ignore[arg-type]
    assert loop.stopping
    with pytest.raises(KeyboardInterrupt):
        _interrupt(loop)   # type: ignore[arg-type]
