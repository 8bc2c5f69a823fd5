"""`livecam serve local DIR`: an exported repository served on this machine by a real Triton
server (the `tritonserver` that the `nvidia-pytriton` wheel bundles), for single-machine use,
a second PC without Docker, and tests.

That bundle has Triton's Python backend but not its ONNX Runtime one, so each model is bound
through PyTriton to an onnxruntime session on the repository's own file, with the inputs,
outputs and batching its `config.pbtxt` declares, and the manifest model answers from the same
`served_manifest` the exported `model.py` runs. Clients cannot tell it from the container.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from livecam.errors import ModelError
from livecam.remote.client import MANIFEST_MODEL
from livecam.remote.manifest_model import MODEL_FILE, served_manifest
from livecam.remote.repository import VERSION, check_repository, read_config

log = logging.getLogger("livecam.remote")


@dataclass(frozen=True, slots=True)
class ServeSettings:
    """How `livecam serve local` serves a repository.

    Attributes:
        host: Address to listen on (127.0.0.1: this machine only).
        port: gRPC port.
        batching: Join requests of many streams into one run (Triton's dynamic batcher).
        threads: onnxruntime threads per model.
        token: When set, every request must carry it (the `triton-access-token` of Triton's
            restricted protocols).
        tls_cert, tls_key: PEM files; when both are set the server speaks TLS.
    """

    host: str = "127.0.0.1"
    port: int = 8001
    batching: bool = True
    threads: int = 2
    token: str | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None


def _stub_environment() -> None:
    """Triton's Python backend stub links "libpython3.X"; a pyenv or venv Python's own library
    must be found before the system's older one, which fails with "'_thread.RLock' object has
    no attribute '_recursion_count'"."""
    libdir = sysconfig.get_config_var("LIBDIR")
    paths = os.environ.get("LD_LIBRARY_PATH", "").split(os.pathsep)
    if libdir and libdir not in paths:
        os.environ["LD_LIBRARY_PATH"] = os.pathsep.join([libdir, *filter(None, paths)])


def _onnx_function(path: Path, given: str, made: str, threads: int) -> Any:
    import onnxruntime as ort  # noqa: PLC0415
    from pytriton.decorators import batch  # noqa: PLC0415

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def infer(**inputs: Any) -> dict[str, Any]:
        (y,) = session.run(None, {given: inputs[given]})
        return {made: y}

    return batch(infer)


def _manifest_function(repository: Path) -> Any:
    answer = json.dumps(served_manifest(repository)).encode("utf-8")

    def infer(requests: list[Any]) -> list[dict[str, Any]]:
        return [{"manifest": np.array([answer], dtype=np.bytes_)} for _ in requests]

    return infer


@contextlib.contextmanager
def serving(repository: Path, settings: ServeSettings) -> Iterator[Any]:
    """Serve `repository` until the block ends; yields the PyTriton `Triton`."""
    try:
        from pytriton.model_config import DynamicBatcher, ModelConfig, Tensor  # noqa: PLC0415
        from pytriton.triton import (  # noqa: PLC0415
            VALID_TRITON_ENDPOINTS, Triton, TritonConfig, TritonSecurityConfig)
    except ImportError:
        raise ModelError("'livecam serve local' needs PyTriton: pip install 'livecam[serve]'"
                         ) from None
    problems = check_repository(repository)
    if problems:
        raise ModelError(f"{repository} is not a model repository livecam can serve: "
                         f"{problems[0]} (write one with 'livecam serve export {repository}')")
    _stub_environment()
    tls = settings.tls_cert is not None and settings.tls_key is not None
    config = TritonConfig(
        grpc_address=settings.host, grpc_port=settings.port,
        http_address="127.0.0.1", http_port=settings.port + 1, allow_metrics=False,
        grpc_use_ssl=tls or None, grpc_server_cert=settings.tls_cert if tls else None,
        grpc_server_key=settings.tls_key if tls else None,
        log_verbose=0, exit_timeout_secs=15)
    # PyTriton guards the admin endpoints with a token of its own; a user's token guards all
    # but health (PyTriton's own readiness checks go without one; it tells only "up")
    security = (TritonSecurityConfig(access_token=settings.token, restricted_endpoints=sorted(
                    VALID_TRITON_ENDPOINTS - {"health"}))
                if settings.token else None)
    triton = Triton(config=config, security_config=security)
    try:
        for config_path in sorted(repository.glob("*/config.pbtxt")):
            model = read_config(config_path)
            if model.name == MANIFEST_MODEL:
                continue
            given, made = model.input[0], model.output[0]
            batcher = (DynamicBatcher(max_queue_delay_microseconds=int(
                model.dynamic_batching.max_queue_delay_microseconds))
                if settings.batching and model.HasField("dynamic_batching") else None)
            shape = tuple(int(d) for d in given.dims)
            out_shape = tuple(int(d) for d in made.dims)
            triton.bind(
                model_name=model.name, model_version=VERSION,
                infer_func=_onnx_function(config_path.parent / str(VERSION) / MODEL_FILE,
                                          given.name, made.name, settings.threads),
                inputs=[Tensor(name=given.name, dtype=np.float32,
                               shape=shape if batcher else (-1, *shape))],
                outputs=[Tensor(name=made.name, dtype=np.float32,
                                shape=out_shape if batcher else (-1, *out_shape))],
                config=(ModelConfig(max_batch_size=max(int(model.max_batch_size), 1),
                                    batcher=batcher) if batcher
                        else ModelConfig(batching=False)))
        triton.bind(model_name=MANIFEST_MODEL, model_version=VERSION,
                    infer_func=_manifest_function(repository),
                    inputs=[Tensor(name="query", dtype=np.bytes_, shape=(1,))],
                    outputs=[Tensor(name="manifest", dtype=np.bytes_, shape=(1,))],
                    config=ModelConfig(batching=False))
        triton.run()
        log.info("serving %s on %s:%d (%s, dynamic batching %s)", repository, settings.host,
                 settings.port, "TLS" if tls else "plain gRPC",
                 "on" if settings.batching else "off")
        yield triton
    finally:
        triton.stop()
