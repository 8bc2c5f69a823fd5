"""The models run on a Triton Inference Server instead of here, with this machine's own copy
always ready to take over.

One `TritonServer` per address holds the gRPC connection and its state. A request waits at
most one frame interval (the gRPC deadline, so nothing queues past it); a request that fails
or runs late is answered by the local model in the same frame; a failure, or a second late
answer running, marks the server down, said once, and from then on frames go straight to the
local model while a prober asks the server every second whether it is back. On connecting
(and reconnecting) the server's `livecam-manifest` model is asked for the sha256 of the files
it serves: a server whose weights differ from this machine's manifest is refused, with both
checksums.

What is sent: the face crops (and the low-resolution background pass) the network would
otherwise see here, as float32 tensors, to the address the user set and nowhere else. With
`triton+tls://` the channel is TLS (`LIVECAM_TRITON_CA` names a CA bundle for a private
certificate); `LIVECAM_TRITON_TOKEN` is sent with every request as the key Triton checks
when started with `--grpc-restricted-protocol=metadata,inference,model-config:
triton-access-token=TOKEN`.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from livecam.errors import ModelError
from livecam.inference.manifest import ModelEntry
from livecam.remote.address import ServerAddress

log = logging.getLogger("livecam.remote")

MANIFEST_MODEL = "livecam-manifest"
TOKEN_KEY = "triton-access-token"                  # the key of Triton's restricted protocols
TOKEN_HEADER = f"triton-grpc-protocol-{TOKEN_KEY}"  # as gRPC metadata
RETRY_S = 1.0          # how often a server that went away is asked again
MAX_IN_FLIGHT = 8      # requests out at once across a server's models; more run locally
ROUND_TRIPS = 9000     # round trips kept for the statistics (5 minutes at 30 fps)
MAX_MESSAGE = 64 << 20
SAY_EVERY_S = 30.0     # a server coming and going is said at most this often
LATE_IN_A_ROW = 2      # late answers running (each frame answered locally) that mark it down

State = Literal["connecting", "up", "down", "refused"]
Tensor = npt.NDArray[np.float32]


@dataclass(slots=True)
class RemoteStats:
    """What the server did for this stream, for the API, the OSD and benchmarks."""

    sent: int = 0
    answered: int = 0
    fell_back: int = 0
    round_trips_ms: deque[float] = field(default_factory=lambda: deque(maxlen=ROUND_TRIPS))

    def round_trip_p50(self) -> float | None:
        """Over the last 120 round trips (shown with every frame, so it stays cheap)."""
        recent = list(itertools.islice(reversed(self.round_trips_ms), 120))
        return float(np.median(recent)) if recent else None


class TritonServer:
    """A Triton server the models may run on, and whether they do right now."""

    def __init__(self, address: ServerAddress, timeout_s: float,
                 local_sha256: Callable[[str], str]) -> None:
        import tritonclient.grpc as grpcclient  # noqa: PLC0415 - the `remote` extra

        self.address = address
        self.timeout_s = timeout_s
        self.stats = RemoteStats()
        self.state: State = "connecting"
        self.reason = ""
        self._grpc = grpcclient
        self._local_sha256 = local_sha256
        self._models: set[str] = set()
        self._versions: dict[str, str] = {}   # the checked version of each model
        self._warm: dict[str, tuple[str, str, tuple[int, ...]]] = {}   # model → its request
        self._lock = threading.Lock()
        self._in_flight = 0
        self._stop = threading.Event()
        self._said_at = -SAY_EVERY_S
        self._late = 0
        token = os.environ.get("LIVECAM_TRITON_TOKEN")
        self._headers = {TOKEN_HEADER: token} if token else None
        self._client = self._connect()
        self._prober = threading.Thread(target=self._probe_loop, name="livecam-triton",
                                        daemon=True)

    def _connect(self) -> Any:
        options = [("grpc.max_send_message_length", MAX_MESSAGE),
                   ("grpc.max_receive_message_length", MAX_MESSAGE)]
        root = os.environ.get("LIVECAM_TRITON_CA") if self.address.tls else None
        if root and not os.path.isfile(root):
            raise ModelError(f"LIVECAM_TRITON_CA={root}: no such file (a PEM bundle of the CA "
                             "that signed the server's certificate)")
        return self._grpc.InferenceServerClient(self.address.target, ssl=self.address.tls,
                                                root_certificates=root or None,
                                                channel_args=options)

    def use(self, entry: ModelEntry, name_in: str, name_out: str,
            shape: tuple[int, ...]) -> None:
        """Add a model this stream will run here, and a request of the shape it will mostly
        get: checked and warmed on every (re)connection, so the first frame after one does not
        wait for the server to allocate."""
        with self._lock:
            self._models.add(entry.name)
            self._warm[entry.name] = (name_in, name_out, shape)
        if self._prober.ident is None:
            self._check_now()
            self._prober.start()
        elif self.state == "up":
            self._check_now()

    @property
    def up(self) -> bool:
        return self.state == "up"

    def describe(self) -> str:
        """The server and its state in words, for the OSD, the API and logs."""
        if self.state == "up":
            p50 = self.stats.round_trip_p50()
            return f"{self.address}" + (f" ({p50:.1f} ms round trip)" if p50 else "")
        return f"local ({self.address} {self.state}: {self.reason})"

    def infer(self, model: str, name_in: str, name_out: str, x: Tensor) -> Tensor | None:
        """The server's answer for one request, or None for "run it locally" (the server is
        down, refused, busy, late or failed; the last two mark it down)."""
        if self.state != "up":
            return None
        with self._lock:
            if self._in_flight >= MAX_IN_FLIGHT:
                self.stats.fell_back += 1
                return None
            self._in_flight += 1
        done = threading.Event()
        answer: list[Any] = [None, None]

        def callback(result: Any, error: Any) -> None:
            answer[0], answer[1] = result, error
            done.set()

        started = time.perf_counter()
        try:
            tensor = self._grpc.InferInput(name_in, list(x.shape), "FP32")
            tensor.set_data_from_numpy(x)
            self._client.async_infer(model, [tensor], callback,
                                     model_version=self._versions.get(model, ""),
                                     outputs=[self._grpc.InferRequestedOutput(name_out)],
                                     client_timeout=self.timeout_s, headers=self._headers)
            self.stats.sent += 1
            in_time = done.wait(self.timeout_s + 0.005)
        except Exception as exc:  # noqa: BLE001 - gRPC and tritonclient raise their own
            answer[1], in_time = exc, True
        finally:
            with self._lock:
                self._in_flight -= 1
        if not in_time or answer[1] is not None or answer[0] is None:
            self.stats.fell_back += 1
            late = not in_time or "DEADLINE_EXCEEDED" in _error_text(answer[1])
            self._late = self._late + 1 if late else LATE_IN_A_ROW
            if self._late >= LATE_IN_A_ROW:   # a failure, or lateness that is not a hiccup
                self._down(f"no answer within {self.timeout_s * 1000:.0f} ms "
                           f"{LATE_IN_A_ROW} times running" if late else _error_text(answer[1]))
            return None
        self._late = 0
        y = answer[0].as_numpy(name_out)
        self.stats.answered += 1
        self.stats.round_trips_ms.append((time.perf_counter() - started) * 1000.0)
        return None if y is None else np.asarray(y, np.float32)

    def summary(self) -> dict[str, Any]:
        trips = np.array(self.stats.round_trips_ms, np.float64)
        spread = ({f"p{q}": float(np.percentile(trips, q)) for q in (50, 95, 99)}
                  if len(trips) else {})
        return {"server": str(self.address), "state": self.state, "reason": self.reason,
                "sent": self.stats.sent, "answered": self.stats.answered,
                "run_locally": self.stats.fell_back, "round_trip_ms": spread}

    def close(self) -> None:
        self._stop.set()
        if self._prober.is_alive():
            self._prober.join(timeout=2.0)
        with contextlib.suppress(Exception):   # closing a dead channel
            self._client.close()

    # state ---------------------------------------------------------------------------------
    def _say(self, level: int, message: str, *args: object) -> None:
        """Log a change of state; a server that keeps coming and going (an overloaded one)
        is said at most every SAY_EVERY_S, the changes between at debug level."""
        now = time.monotonic()
        if level > logging.INFO and now - self._said_at < SAY_EVERY_S:
            level = logging.DEBUG
        elif level > logging.INFO:
            self._said_at = now
        log.log(level, message, *args)

    def _down(self, reason: str) -> None:
        with self._lock:
            was, self.state, self.reason = self.state, "down", reason
        if was != "down":
            self._say(logging.WARNING, "remote inference: %s went away (%s); the local model "
                      "runs, and the server is asked again every %.0f s", self.address,
                      reason, RETRY_S)

    def _check_now(self) -> None:
        """Connect and compare checksums; sets the state and says what changed."""
        was = self.state
        try:
            state, reason = self._check()
        except Exception as exc:  # noqa: BLE001 - unreachable, refused, malformed
            state, reason = "down", _error_text(exc)
        with self._lock:
            self.state, self.reason = state, reason
        if state == was and was != "connecting":
            return
        if state == "up":
            quiet = time.monotonic() - self._said_at < SAY_EVERY_S and was == "down"
            self._say(logging.DEBUG if quiet else logging.INFO,
                      "remote inference: the models run on %s%s", self.address,
                      " (loopback)" if self.address.loopback else "")
        elif state == "refused":
            self._say(logging.ERROR, "remote inference: %s refused: %s; the local model runs",
                      self.address, reason)
        elif was != "down":
            self._say(logging.WARNING, "remote inference: %s is not reachable (%s); the local "
                      "model runs, and the server is asked again every %.0f s", self.address,
                      reason, RETRY_S)

    def _check(self) -> tuple[State, str]:
        t = min(max(self.timeout_s * 10, 0.5), 3.0)
        if not self._client.is_server_ready(headers=self._headers, client_timeout=t):
            return "down", "the server is not ready"
        served = self.manifest(t)
        with self._lock:
            wanted = sorted(self._models)
        for name in wanted:
            if name not in served:
                return "refused", (f"it does not serve {name} (export the model repository "
                                   "again with 'livecam serve export')")
            ours, theirs = self._local_sha256(name), served[name]["sha256"]
            if theirs != ours:
                return "refused", (f"its {name} (version {served[name]['version']}) has sha256 "
                                   f"{theirs}, this machine's has {ours}: other weights (export "
                                   "the repository again from this livecam's models)")
            version = str(served[name]["version"])
            if not self._client.is_model_ready(name, version, headers=self._headers,
                                               client_timeout=t):
                return "down", f"{name} version {version} is not loaded yet"
            with self._lock:
                self._versions[name] = version
                name_in, name_out, shape = self._warm[name]
            x = self._grpc.InferInput(name_in, list(shape), "FP32")
            x.set_data_from_numpy(np.zeros(shape, np.float32))
            self._client.infer(name, [x], model_version=version, headers=self._headers,
                               outputs=[self._grpc.InferRequestedOutput(name_out)],
                               client_timeout=max(t, 5.0))
        return "up", ""

    def manifest(self, timeout_s: float) -> dict[str, dict[str, Any]]:
        """Model name → {"version", "sha256"} of the file the server serves, from its
        manifest model."""
        query = self._grpc.InferInput("query", [1], "BYTES")
        query.set_data_from_numpy(np.array([b"sha256"], dtype=object))
        result = self._client.infer(MANIFEST_MODEL, [query], headers=self._headers,
                                    client_timeout=timeout_s)
        raw = result.as_numpy("manifest")
        if raw is None or raw.size != 1:
            raise ModelError(f"{self.address}: its {MANIFEST_MODEL} model answered nothing")
        data = json.loads(bytes(raw.reshape(-1)[0]).decode("utf-8"))
        if not isinstance(data, dict) or not all(
                isinstance(v, dict) and {"version", "sha256"} <= set(v) for v in data.values()):
            raise ModelError(f"{self.address}: its {MANIFEST_MODEL} model answered something "
                             "that is not a livecam manifest")
        return {str(k): v for k, v in data.items()}

    def _probe_loop(self) -> None:
        while not self._stop.wait(RETRY_S):
            if self.state != "up":
                self._check_now()


def _error_text(exc: object) -> str:
    """A gRPC error in one line: its status and message, without the stack of details."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    status = getattr(exc, "status", None)
    code = status() if callable(status) else None
    return f"{code}: {text}" if code and str(code) not in text else text[:300]


def server_for(provider: str, target_fps: float) -> TritonServer | None:
    """The server a provider setting names (None for a local provider), with requests given
    one frame interval."""
    from livecam.inference.manifest import load_manifest  # noqa: PLC0415
    from livecam.remote.address import is_server, parse_address  # noqa: PLC0415

    if not is_server(provider):
        return None
    address = parse_address(provider)
    try:
        import tritonclient.grpc  # noqa: F401, PLC0415
    except ImportError:
        raise ModelError(f"--provider {address} needs the Triton client: pip install "
                         "'livecam[remote]' (or drop --provider to run the models here)") from None
    entries = load_manifest()

    def local_sha256(name: str) -> str:
        return entries[name].sha256

    return TritonServer(address, timeout_s=1.0 / target_fps, local_sha256=local_sha256)
