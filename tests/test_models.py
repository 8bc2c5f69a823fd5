"""Model files: manifest, checksums, sessions; tiny ONNX graphs built here, no model file needed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from livecam.errors import ModelError
from livecam.inference.manifest import ModelEntry, find_model, load_manifest, sha256_of
from livecam.inference.onnx_model import ImageModel


def _negate_model(path: Path) -> Path:
    """A one-node image model: output = -input."""
    onnx = pytest.importorskip("onnx", reason="building a test graph needs onnx (in "
                                               "livecam-train: pip install -e training)")
    helper, TensorProto = onnx.helper, onnx.TensorProto
    graph = helper.make_graph(
        [helper.make_node("Neg", ["image"], ["stylized"])], "neg",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, None, None])],
        [helper.make_tensor_value_info("stylized", TensorProto.FLOAT, [1, 3, None, None])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def _entry(path: Path, sha: str | None = None) -> ModelEntry:
    return ModelEntry(name="t", file=path.name, family="stylizer", style="test", tier="S",
                      precision="float32", min_side=32, max_side=512,
                      size_bytes=path.stat().st_size, sha256=sha or sha256_of(path), params=0,
                      data="none", licence="none", card="none")


def test_image_model_runs_bgr_frames_through_the_graph(tmp_path):
    path = _negate_model(tmp_path / "neg.onnx")
    model = ImageModel(_entry(path), path)
    image = np.zeros((64, 96, 3), np.uint8)
    image[..., 2] = 255  # red in BGR
    out = model.run(image)
    assert out.shape == (64, 96, 3)
    assert out[0, 0, 2] == 0 and out[0, 0, 0] == 255  # -1 → 0 and +1 → 255


def test_corrupt_model_is_refused_with_its_checksum(tmp_path):
    path = _negate_model(tmp_path / "neg.onnx")
    entry = _entry(path)
    path.write_bytes(path.read_bytes() + b"tampered")
    with pytest.raises(ModelError, match=rf"corrupt: sha256 {sha256_of(path)} but the manifest "
                                         rf"says {entry.sha256}"):
        ImageModel(entry, path)


def test_wrong_input_size_is_explained(tmp_path):
    path = _negate_model(tmp_path / "neg.onnx")
    with pytest.raises(ModelError, match="multiples of 32"):
        ImageModel(_entry(path), path).run(np.zeros((50, 64, 3), np.uint8))


def test_missing_manifest_and_unknown_model_say_what_to_do(tmp_path):
    with pytest.raises(ModelError, match="no model manifest"):
        load_manifest(tmp_path)
    (tmp_path / "manifest.toml").write_text("")
    with pytest.raises(ModelError, match="no stylizer model anime/S"):
        find_model("stylizer", "anime", "S", folder=tmp_path)


def test_shipped_manifest_matches_the_files():
    from livecam.inference.manifest import models_dir, verify

    entries = load_manifest(models_dir())
    assert entries, "models/manifest.toml lists no model"
    for entry in entries.values():
        verify(entry, models_dir() / entry.file)
        assert (models_dir() / entry.card).is_file()


def _shipped_int8() -> list[str]:
    from livecam.inference.manifest import models_dir

    return sorted(n for n, e in load_manifest(models_dir()).items() if e.precision == "int8")


@pytest.mark.parametrize("name", _shipped_int8())
def test_shipped_int8_weights_cannot_saturate_the_integer_kernels(name):
    """On x86 CPUs without VNNI onnxruntime adds pairs of uint8 × int8 products in 16 bits:
    full-range weights saturated them (the swapped face came out tinted; benchmarks/README.md)."""
    onnx = pytest.importorskip("onnx", reason="reading the weights needs onnx (in "
                                               "livecam-train: pip install -e training)")
    from onnx import numpy_helper

    from livecam.inference.manifest import models_dir

    entry = load_manifest(models_dir())[name]
    graph = onnx.load(str(models_dir() / entry.file)).graph
    weights = [numpy_helper.to_array(i) for i in graph.initializer
               if i.data_type == onnx.TensorProto.INT8 and len(i.dims) == 4]
    assert weights, f"{name} holds no int8 convolution weights"
    assert max(int(np.abs(w.astype(np.int32)).max()) for w in weights) <= 64


def _shipped_stylizers() -> list[str]:
    from livecam.inference.manifest import models_dir

    return sorted(n for n, e in load_manifest(models_dir()).items()
                  if e.family == "stylizer" and e.precision != "float16")


@pytest.mark.parametrize("name", _shipped_stylizers())
def test_shipped_stylizers_paint_the_same_look_at_the_lowest_rung(name, demo_face_720p):
    """On a 2-core machine the resolution controller holds the 128 px rung: a network that
    only learnt 256 px faces painted the anime look there as dark blotches (15.6 dB from its
    own 256 px look, 16 grey levels darker; benchmarks/README.md, The looks)."""
    import cv2

    from livecam.geometry.align import crop_transform
    from livecam.inference.manifest import models_dir

    image, face = demo_face_720p
    crop = cv2.warpAffine(image, crop_transform(face.landmarks, 256), (256, 256),
                          flags=cv2.INTER_AREA)
    entry = load_manifest(models_dir())[name]
    model = ImageModel(entry, models_dir() / entry.file)
    top = cv2.resize(model.run(crop), (128, 128), interpolation=cv2.INTER_AREA)
    lowest = model.run(cv2.resize(crop, (128, 128), interpolation=cv2.INTER_AREA))
    error = np.mean((top.astype(np.float64) - lowest) ** 2)
    assert 10 * np.log10(255.0 ** 2 / error) > 19.0
    grey = [cv2.cvtColor(im, cv2.COLOR_BGR2GRAY).mean() for im in (top, lowest)]
    assert abs(grey[0] - grey[1]) < 6.0
