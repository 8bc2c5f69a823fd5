"""The `livecam-manifest` model of an exported repository: Triton's Python backend runs this
file as `livecam-manifest/1/model.py`, so it imports nothing from livecam.

Asked anything, it answers with the version and sha256 of every ONNX file the repository
serves, hashed from the files themselves when the server loads it: a client compares them with
its own manifest before it sends a frame, so a server with other weights is found out whatever
its configs say.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

MODEL_FILE = "model.onnx"


def served_manifest(repository: Path) -> dict[str, dict[str, Any]]:
    """Model name → {"version": latest version, "sha256": of its model file}."""
    served: dict[str, dict[str, Any]] = {}
    for config in sorted(repository.glob("*/config.pbtxt")):
        folder = config.parent
        versions = sorted((int(p.name) for p in folder.iterdir()
                           if p.is_dir() and p.name.isdigit()), reverse=True)
        for version in versions:
            path = folder / str(version) / MODEL_FILE
            if path.is_file():
                digest = hashlib.sha256()
                with open(path, "rb") as fh:
                    for block in iter(lambda: fh.read(1 << 20), b""):
                        digest.update(block)
                served[folder.name] = {"version": version, "sha256": digest.hexdigest()}
                break
    return served


class TritonPythonModel:
    """Triton's Python backend interface."""

    def initialize(self, args: dict[str, str]) -> None:
        # model_repository is this model's own folder; its siblings are the served models
        answer = json.dumps(served_manifest(Path(args["model_repository"]).parent))
        self.answer = answer.encode("utf-8")

    def execute(self, requests: list[Any]) -> list[Any]:
        import numpy as np  # noqa: PLC0415
        import triton_python_backend_utils as pb_utils  # noqa: PLC0415 - inside Triton only

        out = np.array([self.answer], dtype=object)
        return [pb_utils.InferenceResponse([pb_utils.Tensor("manifest", out)])
                for _ in requests]
