"""Identity distance between two face images with dlib's 128-D face embeddings.

dlib's own threshold: two faces whose embeddings are closer than 0.6 are the same person.
The models ship in the `face-recognition-models` package; its `__init__` needs the retired
`pkg_resources`, so the files are located without importing it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from livecam.errors import ModelError
from livecam.frame import FrameBGR, Points

SAME_PERSON = 0.6


def _model_file(name: str) -> str:
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("identity metrics need the eval extra: pip install -e 'training[eval]'")
    path = Path(list(spec.submodule_search_locations)[0]) / "models" / name
    if not path.is_file():
        raise ModelError(f"face-recognition-models lacks {name}; reinstall it")
    return str(path)


class FaceEmbedder:
    """dlib ResNet face descriptors for faces whose box is already known."""

    def __init__(self) -> None:
        try:
            import dlib  # noqa: PLC0415
        except ImportError as exc:
            raise ModelError("identity metrics need dlib: pip install -e 'training[eval]'") from exc
        self._dlib: Any = dlib
        self._shape = dlib.shape_predictor(_model_file("shape_predictor_5_face_landmarks.dat"))
        self._net = dlib.face_recognition_model_v1(
            _model_file("dlib_face_recognition_resnet_model_v1.dat"))

    def embed(self, image: FrameBGR, landmarks: Points) -> npt.NDArray[np.float64]:
        """The 128-D descriptor of the face whose mesh is `landmarks`."""
        x0, y0 = landmarks[:, :2].min(axis=0)
        x1, y1 = landmarks[:, :2].max(axis=0)
        rect = self._dlib.rectangle(int(x0), int(y0), int(x1), int(y1))
        rgb = np.ascontiguousarray(image[..., ::-1])
        shape = self._shape(rgb, rect)
        return np.asarray(self._net.compute_face_descriptor(rgb, shape), np.float64)

    def distance(self, a: FrameBGR, b: FrameBGR, landmarks: Points) -> float:
        """Embedding distance between two images of one face in the same place."""
        return float(np.linalg.norm(self.embed(a, landmarks) - self.embed(b, landmarks)))
