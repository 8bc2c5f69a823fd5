"""Remote inference against a real Triton server (PyTriton's bundled tritonserver, started by
the test on 127.0.0.1 with `livecam serve local`), not a mock: identical outputs, a server
killed and restarted mid-stream, other weights refused, the token, TLS, and the exported
repository parsed with the model-config schema that tritonclient ships."""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tritonclient.grpc", reason="needs the remote extra: pip install -e '.[serve]'")
pytest.importorskip("pytriton", reason="needs the serve extra: pip install -e '.[serve]'")

from livecam.inference.manifest import load_manifest, models_dir  # noqa: E402
from livecam.remote.address import parse_address  # noqa: E402
from livecam.remote.client import TOKEN_HEADER  # noqa: E402
from livecam.remote.repository import check_repository, export_repository, read_config  # noqa: E402

STYLE = "stylizer-fairy-tale-S-float32"
FUSION = "fusion-swap-S-float32"
TOKEN = "a-test-token"


def _free_port() -> int:
    """A port whose next one is free too (PyTriton's HTTP side takes it)."""
    for _ in range(50):
        with socket.socket() as a:
            a.bind(("127.0.0.1", 0))
            port = a.getsockname()[1]
        if port < 65000:
            with socket.socket() as b:
                try:
                    b.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free port pair")


class Server:
    """`livecam serve local` in its own process group, so it can be killed like a crash."""

    def __init__(self, repository: Path, port: int, *extra: str,
                 env: dict[str, str] | None = None) -> None:
        self.repository, self.port, self.extra, self.env = repository, port, extra, env
        self.process: subprocess.Popen[bytes] | None = None
        self.last_error = ""

    def start(self) -> Server:
        env = dict(os.environ, **(self.env or {}))
        log = self.repository.parent / f"server-{self.port}.log"
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "livecam", "serve", "local", str(self.repository),
                 "--port", str(self.port), "--threads", "1", *self.extra],
                stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is None:
                with socket.socket() as probe:
                    if probe.connect_ex(("127.0.0.1", self.port)) == 0 and self._ready():
                        return self
                time.sleep(0.3)
                continue
            break
        tail = log.read_text(errors="replace").splitlines()[-15:]
        self.kill()
        raise RuntimeError(f"the Triton server did not come up ({self.last_error}):\n"
                           + "\n".join(tail))

    def _ready(self) -> bool:
        import tritonclient.grpc as grpcclient

        tls = "--tls-cert" in self.extra
        try:
            client = grpcclient.InferenceServerClient(
                f"127.0.0.1:{self.port}", ssl=tls,
                root_certificates=self.extra[self.extra.index("--tls-cert") + 1] if tls else None)
            headers = {TOKEN_HEADER: self.env["LIVECAM_TRITON_TOKEN"]} \
                if self.env and "LIVECAM_TRITON_TOKEN" in self.env else None
            return bool(client.is_model_ready("livecam-manifest", headers=headers,
                                              client_timeout=2.0))
        except Exception as exc:  # noqa: BLE001 - not up yet
            self.last_error = repr(exc)
            return False

    def kill(self) -> None:
        """SIGKILL the whole group: the Python side and its tritonserver, as a crash would."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        self.process = None


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("triton") / "models"
    export_repository(folder, only=(STYLE, FUSION))
    return folder


@pytest.fixture(scope="module")
def server(repository: Path) -> Iterator[Server]:
    running = Server(repository, _free_port(), env={"LIVECAM_TRITON_TOKEN": TOKEN}).start()
    yield running
    running.kill()


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVECAM_TRITON_TOKEN", TOKEN)


def _remote(port: int, timeout_s: float = 2.0, tls: bool = False):  # type: ignore[no-untyped-def]
    from livecam.remote.client import TritonServer

    entries = load_manifest()
    scheme = "triton+tls" if tls else "triton"
    return TritonServer(parse_address(f"{scheme}://127.0.0.1:{port}"), timeout_s,
                        lambda name: entries[name].sha256)


def test_the_exported_repository_is_what_the_triton_container_loads(tmp_path: Path) -> None:
    folder = tmp_path / "repo"
    names = export_repository(folder)
    entries = load_manifest()
    assert sorted(names) == sorted(entries)
    assert check_repository(folder) == []
    from livecam.inference.manifest import sha256_of

    for name, entry in entries.items():
        config = read_config(folder / name / "config.pbtxt")   # the server's own schema
        assert config.platform == "onnxruntime_onnx" and config.max_batch_size == 8
        assert config.dynamic_batching.max_queue_delay_microseconds == 500
        assert [list(t.dims) for t in config.input][0][1:] == [-1, -1]
        assert sha256_of(folder / name / "1" / "model.onnx") == entry.sha256
    manifest = read_config(folder / "livecam-manifest" / "config.pbtxt")
    assert manifest.backend == "python"
    # the exported model.py answers from the files themselves
    from livecam.remote.manifest_model import served_manifest

    assert served_manifest(folder)[STYLE] == {"version": 1, "sha256": entries[STYLE].sha256}
    # a config the server would not load is reported, not written over silently
    broken = folder / STYLE / "config.pbtxt"
    broken.write_text(broken.read_text() + "max_batch_sise: 4\n")
    assert any("max_batch_sise" in p for p in check_repository(folder))
    with pytest.raises(Exception, match="not empty"):
        (tmp_path / "other").mkdir()
        (tmp_path / "other" / "notes.txt").write_text("mine")
        export_repository(tmp_path / "other")


def test_remote_outputs_are_the_local_models(server: Server, token: None, portrait) -> None:
    import cv2

    from livecam.inference.onnx_model import FusionModel, ImageModel

    entries = load_manifest()
    remote = _remote(server.port)
    try:
        image = cv2.resize(cv2.imread(str(portrait)), (256, 256))
        local = ImageModel(entries[STYLE], models_dir() / entries[STYLE].file)
        served = ImageModel(entries[STYLE], models_dir() / entries[STYLE].file, server=remote)
        assert remote.up, remote.reason
        assert np.array_equal(served.run(image), local.run(image))
        mask = np.zeros((256, 256), np.float32)
        mask[64:192, 64:192] = 1.0
        fusion = FusionModel(entries[FUSION], models_dir() / entries[FUSION].file)
        served_fusion = FusionModel(entries[FUSION], models_dir() / entries[FUSION].file,
                                    server=remote)
        flipped = image[:, ::-1].copy()
        assert np.array_equal(served_fusion.run(image, flipped, mask),
                              fusion.run(image, flipped, mask))
        assert remote.stats.answered == 2 and remote.stats.fell_back == 0
    finally:
        remote.close()


def test_without_the_token_the_server_is_not_used(server: Server, monkeypatch) -> None:
    monkeypatch.delenv("LIVECAM_TRITON_TOKEN", raising=False)
    remote = _remote(server.port)
    try:
        entry = load_manifest()[STYLE]
        remote.use(entry, "image", "stylized", (1, 3, 128, 128))
        assert remote.state == "down"
        assert remote.infer(STYLE, "image", "stylized", np.zeros((1, 3, 128, 128),
                                                                  np.float32)) is None
    finally:
        remote.close()


def _stream(repository: Path, port: int, frames, on_frame) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    """Frames through a remote fairy-tale effect and a local one in lockstep; returns the
    remote one's outputs and checks each against the local one's."""
    from livecam.effects.stylize import StylizeEffect
    from livecam.preset import load_preset

    base = dataclasses.replace(load_preset("fairy-tale").effect_settings, tier="S",
                               precision="float32", provider="cpu")
    local = StylizeEffect(base)
    # 5 fps of deadline: a loaded CI machine must not be mistaken for a dead server
    remote = StylizeEffect(dataclasses.replace(base, provider=f"triton://127.0.0.1:{port}"),
                           target_fps=5.0)
    outs = []
    try:
        for i, (frame, faces) in enumerate(frames):
            on_frame(i, remote)
            out = remote.apply(frame, faces)
            assert np.array_equal(out, local.apply(frame, faces)), f"frame {i} differs"
            outs.append(out)
    finally:
        local.close()
        remote.close()
    return outs


@pytest.fixture(scope="module")
def tracked_frames():  # type: ignore[no-untyped-def]
    from livecam.frame import Frame
    from livecam.sources.demo import DemoSource
    from livecam.tracking.mediapipe_mesh import MediaPipeTracker
    from livecam.tracking.settings import TrackingSettings

    demo = DemoSource(640, 360, realtime=False)
    tracker = MediaPipeTracker(TrackingSettings(max_faces=1))
    frames = []
    for i in range(40):
        frame = Frame(demo.render(i / 15.0), i, i / 15.0)
        frames.append((frame, tracker.track(frame)))
    tracker.close()
    return frames


def test_a_killed_server_falls_back_at_once_and_is_used_again_when_back(
        repository: Path, tracked_frames, token: None, caplog) -> None:
    server = Server(repository, _free_port(), env={"LIVECAM_TRITON_TOKEN": TOKEN}).start()
    seen: dict[int, tuple[str | None, int, int]] = {}

    def on_frame(i: int, effect) -> None:  # type: ignore[no-untyped-def]
        remote = effect._server
        if i == 12:
            server.kill()                        # mid-stream, like a crash or a pulled cable
        if i == 26:
            server.start()                       # back on the same port
            deadline = time.monotonic() + 15
            while not remote.up and time.monotonic() < deadline:
                time.sleep(0.2)                  # the prober asks every second
        seen[i] = (effect.remote, remote.stats.answered, remote.stats.fell_back)

    try:
        with caplog.at_level(logging.WARNING, logger="livecam.remote"):
            outs = _stream(repository, server.port, tracked_frames, on_frame)
    finally:
        server.kill()
    assert len(outs) == len(tracked_frames)           # every frame came out, each the local one's
    answered_before = seen[12][1]
    assert answered_before >= 12                       # the server did the work until the kill
    assert seen[20][0] is not None and seen[20][0].startswith("local (")
    assert seen[20][1] == answered_before              # nothing answered while it was gone
    assert seen[39][1] > seen[27][1] > answered_before  # and used again once it was back
    went_away = [r for r in caplog.records if "went away" in r.getMessage()
                 or "not reachable" in r.getMessage()]
    assert len(went_away) == 1                         # said once, not every frame


def test_a_server_with_other_weights_is_refused(tmp_path: Path, token: None) -> None:
    from livecam.remote.client import server_for

    folder = tmp_path / "other"
    export_repository(folder, only=(STYLE,))
    entries = load_manifest()
    # the same name, other weights: the int8 variant's file
    int8 = next(e for e in entries.values() if e.style == "fairy-tale" and e.tier == "S"
                and e.precision == "int8")
    shutil.copyfile(models_dir() / int8.file, folder / STYLE / "1" / "model.onnx")
    server = Server(folder, _free_port(), env={"LIVECAM_TRITON_TOKEN": TOKEN}).start()
    try:
        remote = server_for(f"triton://127.0.0.1:{server.port}", 30.0)
        assert remote is not None
        remote.use(entries[STYLE], "image", "stylized", (1, 3, 128, 128))
        assert remote.state == "refused"
        assert entries[STYLE].sha256 in remote.reason and int8.sha256 in remote.reason
        assert "local" in remote.describe()
        remote.close()
    finally:
        server.kill()


def test_tls(tmp_path: Path, token: None, monkeypatch) -> None:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    folder = tmp_path / "repo"
    export_repository(folder, only=(STYLE,))
    server = Server(folder, _free_port(), "--tls-cert", str(cert), "--tls-key", str(key),
                    env={"LIVECAM_TRITON_TOKEN": TOKEN}).start()
    try:
        entry = load_manifest()[STYLE]
        plain = _remote(server.port)                 # plain gRPC to a TLS server: no
        plain.use(entry, "image", "stylized", (1, 3, 128, 128))
        assert plain.state == "down"
        plain.close()
        monkeypatch.setenv("LIVECAM_TRITON_CA", str(cert))
        secure = _remote(server.port, tls=True)
        secure.use(entry, "image", "stylized", (1, 3, 128, 128))
        assert secure.up, secure.reason
        y = secure.infer(STYLE, "image", "stylized", np.zeros((1, 3, 128, 128), np.float32))
        assert y is not None and y.shape == (1, 3, 128, 128)
        secure.close()
    finally:
        server.kill()


def test_addresses_say_what_is_wrong() -> None:
    assert str(parse_address("triton://gpu-box")) == "triton://gpu-box:8001"
    assert parse_address("triton+tls://[::1]:9000").tls
    assert parse_address("triton://127.0.0.1:8001").loopback
    for bad, why in (("triton://", "no host"), ("triton://box:99999", "1 to 65535"),
                     ("triton://u:pw@box:1", "LIVECAM_TRITON_TOKEN"),
                     ("http://box:1", "not a Triton server address")):
        with pytest.raises(ValueError, match=why):
            parse_address(bad)


def test_one_late_answer_is_run_locally_two_running_mark_the_server_down(server: Server,
                                                                         token: None) -> None:
    remote = _remote(server.port, timeout_s=2.0)
    try:
        remote.use(load_manifest()[STYLE], "image", "stylized", (1, 3, 256, 256))
        assert remote.up, remote.reason
        x = np.zeros((1, 3, 256, 256), np.float32)
        remote.timeout_s = 0.0005              # no server answers a 256² crop in half a ms
        assert remote.infer(STYLE, "image", "stylized", x) is None
        assert remote.up                       # a hiccup: that frame ran locally
        assert remote.infer(STYLE, "image", "stylized", x) is None
        assert remote.state == "down" and "2 times running" in remote.reason
        assert remote.stats.fell_back == 2
    finally:
        remote.close()
