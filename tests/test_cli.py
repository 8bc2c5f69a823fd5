"""The commands as a user types them."""

from __future__ import annotations

import json

import cv2
import pytest

from livecam.cli import main
from livecam.doctor import Check, format_checks


def test_presets_lists_each_with_a_description(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    assert "landmarks" in out and "passthrough" in out and "mesh" in out


def test_filtering_a_still_photo_writes_the_result(tmp_path, data_dir):
    out = tmp_path / "filtered.png"
    photo = data_dir / "test-photos" / "liveportrait_d9.jpg"
    assert main(["run", "--source", str(photo), "--preset", "landmarks", "--sink",
                 f"file:{out}", "--max-frames", "1"]) == 0
    original, filtered = cv2.imread(str(photo)), cv2.imread(str(out))
    assert filtered.shape == original.shape
    assert (filtered != original).any(axis=2).mean() > 0.01  # the mesh was drawn


def test_bench_records_machine_config_frames_and_summary_then_reports(tmp_path, capsys):
    runs = []
    for name, preset in (("a", "passthrough"), ("b", "landmarks")):
        path = tmp_path / f"{name}.json"
        assert main(["bench", "--source", "demo", "--size", "320x180", "--preset", preset,
                     "--max-frames", "20", "--warmup-frames", "2", "--as-fast-as-possible",
                     "--out", str(path)]) == 0
        runs.append(path)
    record = json.loads(runs[1].read_text())
    assert record["machine"]["cores"] >= 1 and "mediapipe" in record["machine"]["packages"]
    assert record["config"]["preset"] == "landmarks"
    assert len(record["frames"]) == 20
    assert set(record["frames"][0]["stages_ms"]) >= {"queue", "track", "effect", "output"}
    summary = record["summary"]
    assert summary["delivered_frames"] == 20 and summary["latency_ms"]["p95"] > 0
    assert summary["stages_ms"]["track"]["p50"] > 0
    capsys.readouterr()
    plot = tmp_path / "cmp.png"
    assert main(["bench", "report", str(runs[0]), str(runs[1]), "--plot", str(plot)]) == 0
    table = capsys.readouterr().out
    assert "lat p95" in table and "passthrough" in table and "landmarks" in table
    assert cv2.imread(str(plot)).shape[1] == 1000


def test_user_errors_print_a_message_and_exit_2(tmp_path, capsys):
    assert main(["run", "--source", str(tmp_path / "none.mp4"), "--sink", "null"]) == 2
    assert "is not a camera index" in capsys.readouterr().err
    assert main(["run", "--source", "demo", "--preset", "nope", "--sink", "null"]) == 2
    assert "known presets" in capsys.readouterr().err
    assert main(["bench", "report", str(tmp_path / "missing.json")]) == 2
    assert "not found" in capsys.readouterr().err


def test_bad_flag_values_are_rejected_by_the_parser():
    with pytest.raises(SystemExit):
        main(["run", "--size", "big"])
    with pytest.raises(SystemExit):
        main(["run", "--max-frames", "0"])


def test_doctor_reports_each_check_with_its_fix():
    text = format_checks([Check("virtual camera", "fail", "no device", "sudo modprobe x"),
                          Check("onnxruntime", "ok", "1.2: CPU")])
    assert "[FAIL] virtual camera" in text and "fix: sudo modprobe x" in text
    assert "[ok  ] onnxruntime" in text


def test_doctor_runs_on_this_machine(capsys, fake_vcam_backend):
    code = main(["doctor"])
    out = capsys.readouterr().out
    assert "virtual camera" in out and "mediapipe" in out and "onnxruntime" in out
    assert "sha256 verified" in out
    assert code in (0, 1)


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGTERM"])
def test_interrupted_run_finalises_a_playable_recording(tmp_path, signal_name):
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "rec.mp4"
    err = open(tmp_path / "err.txt", "wb")  # noqa: SIM115 - the child process writes it
    # Ctrl-C as a terminal gives it, whatever this suite was started from (a background job
    # without job control starts with SIGINT ignored, and a child inherits that)
    proc = subprocess.Popen([sys.executable, "-m", "livecam", "run", "--source", "demo",
                             "--size", "320x180", "--preset", "passthrough", "--sink",
                             f"file:{out}"], stdout=subprocess.DEVNULL,
                            stderr=err,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while not (out.exists() and out.stat().st_size > 20_000):
        assert proc.poll() is None, (tmp_path / "err.txt").read_text()
        assert time.monotonic() < deadline, "the run never started recording"
        time.sleep(0.1)
    proc.send_signal(getattr(signal, signal_name))
    assert proc.wait(timeout=20) in (0, 130)
    err.close()
    capture = cv2.VideoCapture(str(out))
    frames = 0
    while capture.read()[0]:
        frames += 1
    assert frames > 10
