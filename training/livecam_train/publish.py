"""Publishes trained weights into models/: ONNX variants, manifest entries and a model card.

For each variant (float32, float16, int8) it measures CPU latency at 256² and the PSNR of its
output against float32 on held-out faces; the CPU variant that measures fastest (within the
1 dB INT8 budget) is listed first, so `precision = "auto"` picks it.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from livecam.inference.manifest import MANIFEST, ModelEntry, load_manifest, sha256_of
from livecam_train.evaluation.metrics import psnr
from livecam_train.export import export_float16, export_float32, export_int8
from livecam_train.faces import load_faces
from livecam_train.stylizer_net import count_parameters
from livecam_train.weights import load_weights

# The resolution controller's rungs run the network from 128² up: it is checked at each
RUNG_SIDES = (128, 192, 256)
CARDS = tomllib.loads(resources.files("livecam_train").joinpath("cards.toml").read_text(
    encoding="utf-8"))
DATA_NOTE: str = CARDS["data"]
LICENCE: str = CARDS["licence"]


@dataclass(frozen=True, slots=True)
class VariantReport:
    precision: str
    path: Path
    size_bytes: int
    latency_ms_256: float
    latency_ms_192: float
    psnr_vs_float32: float
    psnr_vs_teacher: float
    psnr_by_side: tuple[float, ...]   # against the renderer at each of RUNG_SIDES

    @property
    def quality_db(self) -> float:
        """What `auto` ranks tiers by: the mean over the rungs the network will run at (a
        tier that holds only at 256² loses on a machine held at 128²)."""
        return float(np.mean(self.psnr_by_side))


def _session(path: Path):  # type: ignore[no-untyped-def]
    import onnxruntime as ort  # noqa: PLC0415

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def latency_ms(path: Path, side: int, runs: int = 30, channels: int = 3,
               name: str = "image") -> float:
    """Median milliseconds of one run at side², one thread."""
    session = _session(path)
    x = np.random.default_rng(0).uniform(-1, 1, (1, channels, side, side)).astype(np.float32)
    for _ in range(5):
        session.run(None, {name: x})
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, {name: x})
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1000)


def outputs(path: Path, batch: npt.NDArray[Any], name: str = "image") -> npt.NDArray[Any]:
    """The model's outputs for each item of `batch`, one at a time."""
    session = _session(path)
    return np.concatenate([session.run(None, {name: x[None]})[0] for x in batch])


def _as_input(images: npt.NDArray[Any], side: int) -> npt.NDArray[Any]:
    import cv2  # noqa: PLC0415

    rgb = [cv2.cvtColor(cv2.resize(im, (side, side), interpolation=cv2.INTER_AREA),
                        cv2.COLOR_BGR2RGB) for im in images]
    return (np.stack(rgb).astype(np.float32) / 127.5 - 1.0).transpose(0, 3, 1, 2)


def held_out_batch(cache_dir: Path, style: str, side: int, count: int, offset: int = 0
                   ) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """Held-out inputs and their reference renderings, N×3×side×side in [-1, 1]."""
    faces = load_faces(cache_dir, "holdout")
    targets = np.load(cache_dir / f"{style}-holdout.npz")["targets"]
    step = max(1, len(faces.images) // count)
    picks = slice(offset, None, step)
    return (_as_input(faces.images[picks][:count], side),
            _as_input(targets[picks][:count], side))


def publish(weights: Path, models: Path, cache_dir: Path) -> list[VariantReport]:
    """Export all variants of `weights` into `models` and record them in the manifest."""
    import torch  # noqa: PLC0415

    saved = torch.load(weights, weights_only=False)
    style, tier, pruned = saved["style"], saved["tier"], float(saved.get("pruned", 0.0))
    model = load_weights(weights)
    variant = f"{tier}-p{round(pruned * 100)}" if pruned else tier
    base = f"stylizer-{style}-{variant}"
    models.mkdir(parents=True, exist_ok=True)
    fp32 = export_float32(model, models / f"{base}-fp32.onnx")
    fp16 = export_float16(fp32, models / f"{base}-fp16.onnx")
    calibration, _ = held_out_batch(cache_dir, style, 256, 64, offset=1)
    int8 = export_int8(fp32, models / f"{base}-int8.onnx", calibration)
    by_side = {side: held_out_batch(cache_dir, style, side, 100) for side in RUNG_SIDES}
    teacher = by_side[256][1]
    variants = (("float32", fp32), ("float16", fp16), ("int8", int8))
    ran = {path: {side: outputs(path, x) for side, (x, _) in by_side.items()}
           for _, path in variants}
    reference = ran[fp32][256]
    reports = []
    for precision, path in variants:
        outs = ran[path]
        out = outs[256]
        reports.append(VariantReport(precision, path, path.stat().st_size,
                                     latency_ms(path, 256), latency_ms(path, 192),
                                     psnr(out, reference, peak=2.0) if path != fp32
                                     else float("inf"),
                                     psnr(out, teacher, peak=2.0),
                                     tuple(psnr(outs[side], y, peak=2.0)
                                           for side, (_, y) in by_side.items())))
    budget = reports[0].psnr_vs_teacher - 1.0  # INT8 must stay within 1 dB of float32
    cpu = [r for r in reports if r.precision != "float16"
           and (r.precision == "float32" or r.psnr_vs_teacher >= budget)]
    order = sorted(cpu, key=lambda r: r.latency_ms_256) + [r for r in reports if r not in cpu]
    ours = {f"{base}-{r.precision}" for r in reports}
    entries = {k: v for k, v in load_manifest_or_empty(models).items() if k not in ours}
    params = count_parameters(model)
    for r in order:
        name = f"{base}-{r.precision}"
        entries[name] = ModelEntry(
            name=name, file=r.path.name, family="stylizer", style=style, tier=tier,
            precision=r.precision, min_side=128, max_side=512, size_bytes=r.size_bytes,
            sha256=sha256_of(r.path), params=params, data=DATA_NOTE.format(style=style),
            licence=LICENCE, card=f"{base}.md", quality_db=round(r.quality_db, 2),
            pruned=pruned)
    write_manifest(models, entries)
    steps = saved.get("total_steps", saved.get("step", 0))   # runs that continued others count all
    write_card(models / f"{base}.md", style, variant, params, steps, reports,
               order[0].precision, _pruning_note(saved))
    return reports


def load_manifest_or_empty(models: Path) -> dict[str, ModelEntry]:
    return load_manifest(models) if (models / MANIFEST).is_file() else {}


def _toml_value(value: object) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


def write_manifest(models: Path, entries: dict[str, ModelEntry]) -> None:
    lines = ["# Models shipped with livecam. Written by 'livecam train publish'; the first entry",
             "# of a style/tier is its fastest CPU variant, which precision = \"auto\" picks.",
             ""]
    for name, e in entries.items():
        lines.append(f"[model.{name}]")
        for key in ModelEntry.__dataclass_fields__:
            if key != "name":
                lines.append(f"{key} = {_toml_value(getattr(e, key))}")
        lines.append("")
    (models / MANIFEST).write_text("\n".join(lines), encoding="utf-8")


def _pruning_note(saved: dict[str, Any]) -> str:
    if not saved.get("pruned"):
        return ""
    return (f"\n\n**Pruning.** Structured channel pruning of `{saved['teacher']}` (Torch-Pruning, "
            f"L1 magnitude per coupled channel group, {saved['pruned']:.0%} of each group's "
            "channels removed, multiples of 8 kept; heads and attention gates keep their "
            "outputs), then healed by distillation from the unpruned network: the renderer "
            "loss plus L1 to the teacher's output and MSE between 1×1-adapted decoder features "
            "(1/8 and 1/2) and the teacher's (`training/livecam_train/prune.py`).")


def write_card(path: Path, style: str, tier: str, params: int, steps: int,
               reports: list[VariantReport], default: str, pruning: str = "") -> None:
    rows = "\n".join(
        f"| {r.precision} | {r.path.name} | {r.size_bytes / 1e6:.2f} MB | "
        f"{r.latency_ms_192:.1f} | {r.latency_ms_256:.1f} | {r.psnr_vs_teacher:.2f} dB | "
        f"{'reference' if r.precision == 'float32' else f'{r.psnr_vs_float32:.1f} dB'} | "
        + " / ".join(f"{db:.1f}" for db in r.psnr_by_side) + " |"
        for r in reports)
    recipe = CARDS["recipes"].get(f"{style}-{tier}", "see `livecam train --help`")
    look = CARDS["looks"][style]
    sides = " / ".join(f"{side}²" for side in RUNG_SIDES)
    path.write_text(f"""# Model card: stylizer {style}, tier {tier}

**What it does.** Turns an aligned face crop (or a whole frame at low resolution) into
{look["look"]}. Geometry is not learned: the `stylize` effect plans it on the mesh.

**Architecture.** livecam's STA/FS encoder–decoder (`training/livecam_train/stylizer_net.py`): pixel
unshuffle to half resolution, encoder to 1/16, {params:,} parameters, FS blocks (three parallel
separable-conv branches of depth 1, 2 and dilated, projected, residual) at the bottleneck and in
the decoder, STA pixel attention at every shallow/deep fusion, heads at 1/8, 1/4 and full
resolution for multi-scale supervision (only the full head is exported), output = input +
predicted residual. Fully convolutional: any side that is a multiple of 32 from 128 to 512.{pruning}

**Training.** On aligned crops of {DATA_NOTE.split(';')[0]}: 9,135 training faces, 1,003 held
out by a fixed hash of the file name (CelebA: its test split). {look["training"]}; random
scale-crop and flip; trained on a 2-core CPU (bfloat16 autocast where the processor has bfloat16
arithmetic), {steps} steps in all. No
pretrained network is used anywhere. Reproduce: {recipe}, then
`livecam train publish training/checkpoints/{style}-{tier}.pt`.

**Variants** (onnxruntime CPU, 1 thread, median of 30 runs; PSNR at 256² on 100 held-out faces
against the reference renderer and against the float32 model; "by side": against the renderer,
in dB, at crop sides the resolution controller runs it at, {sides}, whose mean is the quality
`tier = "auto"` ranks tiers by). `precision = "auto"` takes
float32 unless a variant within 1 dB of it is at least 10 % faster on the machine; fastest
here at publishing: **{default}**.

| precision | file | size | ms at 192² | ms at 256² | PSNR vs renderer | PSNR vs float32 | by side |
|---|---|---|---|---|---|---|---|
{rows}

float16 is for GPU providers; on the CPU provider it is slower (casts around every op).
INT8 keeps the STA sigmoid and its products, the output residual and the clamp in float;
its weights use 7 bits (`reduce_range`): on x86 CPUs without VNNI onnxruntime's integer
kernels add pairs of products in 16 bits, which full-range weights saturate; each activation's
range is the 99.99th percentile of its calibration values, not their extremes (which made the
looks shimmer from frame to frame). The files have a free batch dimension, so a Triton server
can batch requests from several streams.

**Data and licence.** {LICENCE}. The training photos are research sets (UTKFace, CelebA,
selfie2anime); the weights may be used for research and non-commercial purposes only.

**Limits.** Trained on mostly frontal, well-lit faces; strong profiles, heavy occlusion and very
dark scenes are stylised less faithfully. The network learns appearance only; identity is kept
because it predicts a residual on the input.
""", encoding="utf-8")
