"""An ONNX Runtime session for one checksummed model file, fed BGR uint8 images."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from collections.abc import Sequence

import cv2
import numpy as np

from livecam.errors import ModelError
from livecam.frame import FrameBGR
from livecam.inference.manifest import ModelEntry, verify

if TYPE_CHECKING:
    from livecam.remote.client import TritonServer


WARM_SIDE = 256   # the side a server's copy is first run at, before frames are sent to it


def open_session(entry: ModelEntry, path: Path, threads: int,
                 providers: Sequence[str]) -> tuple[Any, float]:
    """A checksummed onnxruntime session and its load time in ms."""
    import onnxruntime as ort  # noqa: PLC0415

    verify(entry, path)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    started = time.perf_counter()
    try:
        session = ort.InferenceSession(str(path), options, providers=list(providers))
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise ModelError(f"cannot load model {path}: {exc}") from exc
    return session, (time.perf_counter() - started) * 1000


def _to_bgr(y: Any) -> FrameBGR:
    bgr = cv2.merge([y[0, 2], y[0, 1], y[0, 0]])
    return cv2.convertScaleAbs(bgr, alpha=127.5, beta=127.5)


class _Session:
    """A checksummed local session, and the server it defers to while that answers.

    Args:
        entry: Manifest entry of the model.
        path: Its file.
        threads: onnxruntime intra-op threads (1 suits a 2-core machine running tracking too).
        providers: Execution providers in order of preference; defaults to the CPU.
        server: A Triton server to run it on while it answers (this file is the fallback).
    """

    def __init__(self, entry: ModelEntry, path: Path, threads: int = 1,
                 providers: Sequence[str] = ("CPUExecutionProvider",),
                 server: TritonServer | None = None) -> None:
        self.entry = entry
        self._session, self.load_ms = open_session(entry, path, threads, providers)
        self._input = self._session.get_inputs()[0].name
        self._output = self._session.get_outputs()[0].name
        self.server = server
        if server is not None:
            channels = self._session.get_inputs()[0].shape[1]
            server.use(entry, self._input, self._output, (1, int(channels), WARM_SIDE, WARM_SIDE))

    def _infer(self, x: Any) -> Any:
        """The model's output for one input tensor: the server's while it answers, else the
        local session's (the same file, so the same numbers)."""
        if self.server is not None:
            y = self.server.infer(self.entry.name, self._input, self._output, x)
            if y is not None:
                return y
        (y,) = self._session.run(None, {self._input: x})
        return y


class ImageModel(_Session):
    """Runs an image-to-image model (RGB in [-1, 1], N×3×H×W) on BGR uint8 frames.

    The file's sha256 is checked against the manifest before anything is loaded.
    """

    def run(self, images: FrameBGR) -> FrameBGR:
        """Stylise one BGR image whose sides are multiples of 32."""
        h, w = images.shape[:2]
        # min/max_side is the face-crop range the model was measured on; the whole-frame
        # background pass may be up to twice as wide
        longest = 2 * self.entry.max_side
        if h % 32 or w % 32 or min(h, w) < self.entry.min_side or max(h, w) > longest:
            raise ModelError(f"{self.entry.name} needs sides that are multiples of 32, at least "
                             f"{self.entry.min_side} and at most {longest}, got {w}x{h}")
        # one C++ call each way: BGR uint8 HWC ↔ RGB float NCHW in [-1, 1]
        x = cv2.dnn.blobFromImage(images, 1 / 127.5, (w, h), (127.5, 127.5, 127.5),
                                  swapRB=True, crop=False)
        return _to_bgr(self._infer(x))

    def warm_up(self, side: int, height: int | None = None) -> None:
        """Run the local session once at this size (square unless `height`), so that the
        first frame there, or the first after a server goes away, does not pay for it."""
        x = np.zeros((1, 3, height or side, side), np.float32)
        self._session.run(None, {self._input: x})


class FusionModel(_Session):
    """Runs the face-swap fusion model: (target context, warped source, mask) → fused crop."""

    def run(self, context: FrameBGR, source: FrameBGR, mask: Any) -> FrameBGR:
        """All three side×side; the mask float in [0, 1]."""
        side = context.shape[0]
        if side % 32 or not self.entry.min_side <= side <= self.entry.max_side:
            raise ModelError(f"{self.entry.name} needs a side that is a multiple of 32 from "
                             f"{self.entry.min_side} to {self.entry.max_side}, got {side}")
        images = cv2.dnn.blobFromImages([context, source], 1 / 127.5, (side, side),
                                        (127.5, 127.5, 127.5), swapRB=True, crop=False)
        x = np.concatenate([images[0:1], images[1:2],
                            (mask[None, None].astype(np.float32) * 2 - 1)], axis=1)
        return _to_bgr(self._infer(x))
