"""The wheel as a user gets it (`pip install .`, pipx, `pip install git+URL`): built from this
checkout, installed into a fresh environment, run from another folder. It carries its models
and presets, and no training code."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO_FACE = ROOT / "livecam" / "assets" / "demo_face.jpg"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("wheel")
    # built as pip builds it for a user: in isolation, with the setuptools pyproject.toml asks
    # for (a fresh venv's own may be older)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(work / "dist"), str(ROOT)], check=True, timeout=300)
    (wheel,) = (work / "dist").glob("livecam-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
                    "--no-deps", "--no-index", str(wheel)], check=True, timeout=300)
    # the dependencies come from this environment (a plain path: its .pth files, among them
    # this checkout's editable install, are not run), livecam itself only from the wheel
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], capture_output=True, text=True, check=True)
    Path(site.stdout.strip(), "dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n")
    elsewhere = work / "elsewhere"
    elsewhere.mkdir()
    return wheel, python, elsewhere


def _livecam(installed, *args: str) -> subprocess.CompletedProcess[str]:
    _, python, elsewhere = installed
    env = dict(os.environ, LIVECAM_HOME=str(elsewhere / "home"))
    env.pop("LIVECAM_MODELS", None)
    return subprocess.run([str(python), "-m", "livecam", *args], cwd=elsewhere, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_wheel_carries_models_and_presets_and_no_training_code(installed):
    wheel, _, _ = installed
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.endswith("data/share/livecam/models/manifest.toml") for n in names)
    assert sum(n.endswith(".onnx") for n in names) >= 8
    assert any(n == "livecam/presets/fairy-tale.toml" for n in names)
    assert not [n for n in names if "livecam_train" in n or n.startswith("training/")]


def test_an_installed_livecam_runs_fairy_tale_and_face_swap_from_another_folder(installed):
    _, python, elsewhere = installed
    where = subprocess.run([str(python), "-c", "import livecam; print(livecam.__file__)"],
                           capture_output=True, text=True, check=True, cwd=elsewhere)
    assert str(ROOT) not in where.stdout     # the wheel's copy, not this checkout
    done = _livecam(installed, "run", "--source", "demo", "--preset", "fairy-tale", "--sink",
                    "file:fairy.png", "--max-frames", "3", "--no-control", "--no-hotkeys")
    assert done.returncode == 0, done.stderr
    assert (elsewhere / "fairy.png").stat().st_size > 0
    assert "stylizer-fairy-tale" in done.stderr
    assert "W0000" not in done.stderr and "XNNPACK" not in done.stderr   # a quiet terminal

    import cv2

    photo = elsewhere / "nasa.jpg"   # the demo portrait, large enough to enrol
    cv2.imwrite(str(photo), cv2.resize(cv2.imread(str(DEMO_FACE)), None, fx=2, fy=2))
    enrolled = _livecam(installed, "enroll", str(photo), "--name", "nasa")
    assert enrolled.returncode == 0, enrolled.stderr
    swapped = _livecam(installed, "run", "--source", "demo", "--preset", "face-swap", "--face",
                       "nasa", "--sink", "file:swap.png", "--max-frames", "3", "--no-control",
                       "--no-hotkeys")
    assert swapped.returncode == 0, swapped.stderr
    assert "face swap: fusion-swap" in swapped.stderr          # with its fusion model
    assert "without the fusion model" not in swapped.stderr
    assert (elsewhere / "swap.png").stat().st_size > 0


@pytest.mark.parametrize(("flag", "native", "ours"), [("", False, True), ("-q", False, False),
                                                      ("-v", True, True)])
def test_the_terminal_shows_livecams_lines_only_unless_asked(installed, flag, native, ours):
    args = ["run", "--source", "demo", "--preset", "fairy-tale", "--sink", "file:o.png",
            "--max-frames", "2", "--no-control", "--no-hotkeys"] + ([flag] if flag else [])
    done = _livecam(installed, *args)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert any("XNNPACK" in line or line.startswith("W0000") for line in lines) == native
    assert any(line.startswith("livecam: running demo") for line in lines) == ours
    if not flag:
        assert all(line.startswith("livecam: ") for line in lines), lines
