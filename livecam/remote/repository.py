"""A Triton model repository made from the manifest: what `livecam serve export DIR` writes.

One folder per model variant, `NAME/config.pbtxt` and `NAME/1/model.onnx` (the manifest's
own file, its sha256 checked on the way), for Triton's ONNX Runtime backend: free batch, height
and width, dynamic batching of requests from many streams. Beside them, `livecam-manifest`
(Python backend) tells clients what the repository holds. NVIDIA's Triton container serves the
folder as it is; `livecam serve local DIR` serves it here.
"""

from __future__ import annotations

import shutil
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from livecam.config_tables import did_you_mean
from livecam.errors import ModelError
from livecam.inference.manifest import ModelEntry, load_manifest, models_dir, verify
from livecam.remote import manifest_model
from livecam.remote.client import MANIFEST_MODEL

MAX_BATCH = 8          # requests of one model Triton may join into one run
QUEUE_DELAY_US = 500   # how long it may hold a request for others to join it
VERSION = 1


@dataclass(frozen=True, slots=True)
class TensorSpec:
    """One input or output as Triton declares it."""

    name: str
    channels: int


def _io(entry: ModelEntry, path: Path) -> tuple[TensorSpec, TensorSpec]:
    """The model file's input and output, read from the file itself."""
    import onnxruntime as ort  # noqa: PLC0415

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (given,), (made,) = session.get_inputs(), session.get_outputs()
    for tensor in (given, made):
        shape = tensor.shape
        if len(shape) != 4 or isinstance(shape[0], int) or not isinstance(shape[1], int):
            raise ModelError(f"{entry.name}: {tensor.name} has shape {shape}; Triton batching "
                             "needs N×C×H×W with a free batch (re-publish it with 'livecam "
                             "train publish')")
    return TensorSpec(given.name, int(given.shape[1])), TensorSpec(made.name, int(made.shape[1]))


def config_text(name: str, given: TensorSpec, made: TensorSpec, *, max_batch: int = MAX_BATCH,
                queue_delay_us: int = QUEUE_DELAY_US, batching: bool = True) -> str:
    """A model's config.pbtxt for the ONNX Runtime backend."""
    lines = [f'name: "{name}"', 'platform: "onnxruntime_onnx"',
             f"max_batch_size: {max_batch}",
             f"version_policy: {{ specific: {{ versions: [ {VERSION} ] }} }}"]
    for kind, spec in (("input", given), ("output", made)):
        lines += [f"{kind} [", "  {", f'    name: "{spec.name}"', "    data_type: TYPE_FP32",
                  f"    dims: [ {spec.channels}, -1, -1 ]", "  }", "]"]
    if batching:
        lines += ["dynamic_batching {", f"  max_queue_delay_microseconds: {queue_delay_us}", "}"]
    return "\n".join(lines) + "\n"


MANIFEST_CONFIG = f"""name: "{MANIFEST_MODEL}"
backend: "python"
max_batch_size: 0
input [
  {{
    name: "query"
    data_type: TYPE_STRING
    dims: [ 1 ]
  }}
]
output [
  {{
    name: "manifest"
    data_type: TYPE_STRING
    dims: [ 1 ]
  }}
]
instance_group [ {{ kind: KIND_CPU count: 1 }} ]
"""


def export_repository(out: Path, *, folder: Path | None = None, max_batch: int = MAX_BATCH,
                      queue_delay_us: int = QUEUE_DELAY_US, batching: bool = True,
                      only: Collection[str] = ()) -> list[str]:
    """Write the repository for every model in the manifest (or the ones named in `only`);
    returns the model names.

    Raises:
        ModelError: a model file is missing or corrupt, a name is unknown, or `out` holds
            something else.
    """
    folder = folder or models_dir()
    entries = load_manifest(folder)
    unknown = sorted(set(only) - set(entries))
    if unknown:
        raise ModelError(f"no model {unknown[0]} in {folder}{did_you_mean(unknown[0], entries)}"
                         f"; the manifest has {', '.join(sorted(entries))}")
    if only:
        entries = {name: e for name, e in entries.items() if name in only}
    if out.exists() and any(out.iterdir()) and not (out / MANIFEST_MODEL).is_dir():
        raise ModelError(f"{out} is not empty and is not a livecam model repository; choose "
                         "an empty or new folder")
    written = []
    for entry in entries.values():
        path = folder / entry.file
        verify(entry, path)
        given, made = _io(entry, path)
        model = out / entry.name
        (model / str(VERSION)).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, model / str(VERSION) / manifest_model.MODEL_FILE)
        verify(entry, model / str(VERSION) / manifest_model.MODEL_FILE)
        (model / "config.pbtxt").write_text(
            config_text(entry.name, given, made, max_batch=max_batch,
                        queue_delay_us=queue_delay_us, batching=batching), encoding="utf-8")
        written.append(entry.name)
    # stale variants from an earlier export would be served and listed: remove them
    for stale in out.iterdir():
        if stale.is_dir() and stale.name not in written and stale.name != MANIFEST_MODEL \
                and (stale / "config.pbtxt").is_file():
            shutil.rmtree(stale)
    manifest = out / MANIFEST_MODEL
    (manifest / str(VERSION)).mkdir(parents=True, exist_ok=True)
    (manifest / "config.pbtxt").write_text(MANIFEST_CONFIG, encoding="utf-8")
    shutil.copyfile(manifest_model.__file__, manifest / str(VERSION) / "model.py")
    return written


def read_config(path: Path) -> Any:
    """A config.pbtxt parsed with the model-config schema tritonclient ships (the one the
    server reads); an unknown field or a malformed value is a ModelError."""
    from google.protobuf import text_format  # noqa: PLC0415
    from tritonclient.grpc import model_config_pb2  # noqa: PLC0415

    try:
        return text_format.Parse(path.read_text(encoding="utf-8"),
                                 model_config_pb2.ModelConfig())
    except text_format.ParseError as exc:
        raise ModelError(f"{path}: not a valid Triton model config: {exc}") from None


def check_repository(root: Path) -> list[str]:
    """What is wrong with an exported repository as the Triton container would load it (an
    empty list when nothing is)."""
    problems = []
    for config_path in sorted(root.glob("*/config.pbtxt")):
        try:
            config = read_config(config_path)
        except ModelError as exc:
            problems.append(str(exc))
            continue
        folder = config_path.parent
        if config.name != folder.name:
            problems.append(f"{config_path}: name '{config.name}' is not its folder's")
        if folder.name == MANIFEST_MODEL:
            if config.backend != "python" or not (folder / "1" / "model.py").is_file():
                problems.append(f"{folder}: the manifest model needs the python backend and "
                                "1/model.py")
            continue
        if config.platform != "onnxruntime_onnx":
            problems.append(f"{config_path}: platform '{config.platform}'")
        if not (folder / str(VERSION) / manifest_model.MODEL_FILE).is_file():
            problems.append(f"{folder}: no {VERSION}/{manifest_model.MODEL_FILE}")
        for tensor in (*config.input, *config.output):
            if list(tensor.dims)[1:] != [-1, -1]:
                problems.append(f"{config_path}: {tensor.name} dims {list(tensor.dims)}")
    if not (root / MANIFEST_MODEL / "config.pbtxt").is_file():
        problems.append(f"{root}: no {MANIFEST_MODEL} model")
    return problems
