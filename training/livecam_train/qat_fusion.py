"""Quantisation-aware fine-tuning of the fusion model, and its INT8 export, so INT8 holds still.

    livecam train fusion-qat --tier S --steps 1500

Static INT8 of the float-trained fusion model kept its accuracy but not its stillness: rounding
errors spread through the whole network change when the face moves by a pixel (see the model
card). Here INT8 is simulated as onnxruntime's CPU INT8 computes it (activations uint8 per
tensor, weights int8 symmetric per output channel) on the network's residual only: the plain
paste it corrects and the output add stay in float, or the paste's own rounding steps would
land in the output; so do the heads and the last half-resolution decoder block, whose
rounding reached the output most. The fine-tuning loss is the training loss, plus
L1 to the float network's output (the rounding error itself), plus L1 between the outputs for
the input and for the input shifted by one pixel, shifted back (what shows as shimmer).

The INT8 file is exported from this fake-quantised graph itself (QuantizeLinear /
DequantizeLinear with the trained ranges), so what ships is what was trained; a second
calibration would pick other ranges and lose what the fine-tuning learned.

Weights use 7 of their 8 bits: on x86 CPUs without VNNI, onnxruntime's uint8 × int8 kernels
sum pairs of products in 16 bits (VPMADDUBSW), which saturates with full-range weights and
shifted the face's colour by several grey levels (benchmarks/README.md, Face swap).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper
from torch import nn

from livecam_train.evaluation.metrics import psnr
from livecam_train.faces import load_faces
from livecam_train.fusion_net import FUSION_TIERS, FusionNet, add_to_paste
from livecam_train.loop import (ModelTask, RunFiles, RunSettings, checkpoint_path, fit,
                                seed_run)
from livecam_train.losses import multi_scale_loss
from livecam_train.paths import cache_dir
from livecam_train.swap_pairs import SwapPairSampler
from livecam_train.train_fusion import held_out_batch


@dataclass(frozen=True, slots=True)
class QatSettings:
    """One quantisation-aware fine-tuning run."""

    tier: str = "S"
    teacher_weight: float = 10.0
    shift_weight: float = 40.0
    # FusionNet modules left in float besides the heads: the last half-resolution decoder block,
    # whose rounding reached the output most (keeping its STA block `fuse2` in float as well
    # shimmered less but cost all of INT8's speed; see the model card)
    float_parts: tuple[str, ...] = ("dec2",)
    run: RunSettings = field(default_factory=lambda: RunSettings(
        steps=1500, batch=4, size=256, lr=1e-4, eval_every=50, save_every=50, log_every=25))

    @property
    def name(self) -> str:
        return f"fusion-{self.tier}-qat"


class _Residuals(nn.Module):
    def __init__(self, net: FusionNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.net.residuals(x)


WEIGHT_LEVEL = 64   # int8 weights kept within ±64: no 16-bit saturation in onnxruntime's kernels


def _qconfig_mapping(float_parts: tuple[str, ...]) -> Any:
    """onnxruntime's CPU INT8 (QDQ, uint8 activations, int8 per-channel weights); the heads and
    `float_parts` float."""
    from torch.ao.quantization import (  # noqa: PLC0415
        FakeQuantize, MovingAverageMinMaxObserver, MovingAveragePerChannelMinMaxObserver,
        QConfig, QConfigMapping)

    activation = FakeQuantize.with_args(
        observer=MovingAverageMinMaxObserver, quant_min=0, quant_max=255, dtype=torch.quint8,
        qscheme=torch.per_tensor_affine)  # type: ignore[no-untyped-call]
    weight = FakeQuantize.with_args(
        observer=MovingAveragePerChannelMinMaxObserver, quant_min=-WEIGHT_LEVEL,
        quant_max=WEIGHT_LEVEL - 1,
        dtype=torch.qint8, qscheme=torch.per_channel_symmetric, ch_axis=0)  # type: ignore[no-untyped-call]
    qconfig = QConfig(activation=activation, weight=weight)  # type: ignore[no-untyped-call]
    mapping = QConfigMapping().set_global(qconfig)
    for part in ("head1", "head4", "head8", *float_parts):
        mapping = mapping.set_module_name(f"net.{part}", None)
    return mapping


class QuantisedFusion(nn.Module):
    """`net` with INT8 rounding simulated on its residual network; the paste stays float."""

    def __init__(self, net: FusionNet, example: torch.Tensor,
                 float_parts: tuple[str, ...] = ()) -> None:
        super().__init__()
        from torch.ao.quantization.quantize_fx import prepare_qat_fx  # noqa: PLC0415

        for module in net.modules():   # in-place activations do not trace to ONNX
            if isinstance(module, nn.LeakyReLU):
                module.inplace = False
        self._names = list(net.state_dict())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # FX quantisation's deprecation notice
            self.residuals = prepare_qat_fx(_Residuals(net).train(), _qconfig_mapping(float_parts),
                                            (example,))

    def forward(self, x: torch.Tensor) -> torch.Tensor | list[torch.Tensor]:
        outputs = add_to_paste(x, tuple(self.residuals(x)))
        return outputs if self.training else outputs[0]

    def freeze(self) -> QuantisedFusion:
        """Stop the ranges moving: evaluation and export use them as trained."""
        from torch.ao.quantization import disable_observer  # noqa: PLC0415

        self.apply(disable_observer)
        return self.eval()

    def float_weights(self) -> dict[str, torch.Tensor]:
        """The plain network's weights (FusionNet's own names)."""
        own = self.residuals.state_dict()
        return {k: own[f"net.{k}"].detach().clone() for k in self._names}


def load_quantised(saved: dict[str, Any], side: int = 256) -> QuantisedFusion:
    """The fake-quantised network of a `fusion-qat` weights file, frozen."""
    net = FusionNet(FUSION_TIERS[saved["tier"]])
    net.load_state_dict(saved["model"])
    quantised = QuantisedFusion(net, torch.zeros(2, 7, side, side),
                                tuple(saved.get("float_parts", ())))
    quantised.residuals.load_state_dict(saved["qat_state"])
    if saved.get("weight_level") != WEIGHT_LEVEL:   # fine-tuned with full-range weights
        _weight_ranges_from_weights(quantised)
    return quantised.freeze()


def _weight_ranges_from_weights(quantised: QuantisedFusion) -> None:
    """Each weight's quantisation range taken afresh from the weight itself (a constant), at
    today's WEIGHT_LEVEL."""
    with torch.no_grad():
        for module in quantised.modules():
            fake = getattr(module, "weight_fake_quant", None)
            if fake is None:
                continue
            fake.activation_post_process.reset_min_max_vals()
            fake.activation_post_process(module.weight)
            scale, zero = fake.calculate_qparams()
            fake.scale.resize_(scale.shape).copy_(scale)
            fake.zero_point.resize_(zero.shape).copy_(zero)


def export_qat_int8(quantised: QuantisedFusion, out: Path, names: tuple[str, str]) -> Path:
    """ONNX QDQ straight from the fake-quantised graph; weights stored as int8."""
    from torch.ao.quantization import FakeQuantize  # noqa: PLC0415

    from livecam_train.export import export_float32  # noqa: PLC0415

    quantised.freeze()
    # ONNX's QuantizeLinear knows only the full int8 range; the weights' scales keep them
    # within ±WEIGHT_LEVEL all the same
    narrow = [m.activation_post_process for m in quantised.modules()   # what forward reads
              if isinstance(m, FakeQuantize) and m.quant_min == -WEIGHT_LEVEL]
    for observer in narrow:
        observer.quant_min, observer.quant_max = -128, 127
    try:
        raw = export_float32(quantised, out.with_suffix(".qdq.onnx"), channels=7,
                             names=names)   # the same export; fake quantisers become Q/DQ pairs
    finally:
        for observer in narrow:
            observer.quant_min, observer.quant_max = -WEIGHT_LEVEL, WEIGHT_LEVEL - 1
    model = _fold_weight_quantisation(onnx.load(str(raw)))
    onnx.checker.check_model(model)
    onnx.save(model, str(out))
    raw.unlink()
    return out


def _constants(graph: onnx.GraphProto) -> dict[str, np.ndarray[Any, Any]]:
    """Every constant value in the graph by name, through Constant and Identity nodes."""
    consts = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    for node in graph.node:   # in order, so an Identity sees what feeds it
        if node.op_type == "Constant":
            consts[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
        elif node.op_type == "Identity" and node.input[0] in consts:
            consts[node.output[0]] = consts[node.input[0]]
    return consts


def _fold_weight_quantisation(model: onnx.ModelProto) -> onnx.ModelProto:
    """QuantizeLinear of a constant float weight → the int8 weight itself (a quarter the size;
    onnxruntime would do the same at every load), and per-tensor scales and zero points as
    scalars: onnxruntime fuses DequantizeLinear → Add / Mul → QuantizeLinear into its integer
    kernels only then (PyTorch writes them as one-element vectors)."""
    graph = model.graph
    consts = _constants(graph)
    added: dict[str, np.ndarray[Any, Any]] = {}
    drop = []
    for node in graph.node:
        if node.op_type not in ("QuantizeLinear", "DequantizeLinear"):
            continue
        for k in (1, 2):
            value = consts.get(node.input[k]) if k < len(node.input) else None
            if value is not None and value.shape == (1,):
                name = f"{node.input[k]}.scalar"
                added[name] = value.reshape(())
                node.input[k] = name
        if node.op_type != "QuantizeLinear" or not all(i in consts for i in node.input[:1]):
            continue
        w = consts[node.input[0]]
        if w.ndim != 4:   # convolution weights only
            continue
        scale, zero = (added.get(i, consts.get(i)) for i in node.input[1:])
        assert scale is not None and zero is not None
        axis = next((a.i for a in node.attribute if a.name == "axis"), 1)
        shape = [1] * w.ndim
        if scale.ndim:
            shape[axis] = -1
        q = np.round(w / scale.reshape(shape)) + zero.reshape(shape).astype(np.int32)
        info = np.iinfo(zero.dtype)
        added[node.output[0]] = np.clip(q, info.min, info.max).astype(zero.dtype)
        drop.append(node)
    for node in drop:
        graph.node.remove(node)
    graph.initializer.extend(numpy_helper.from_array(v, k) for k, v in added.items())
    while True:   # what no longer feeds anything: the float weights, their Identity copies
        used = {i for n in graph.node for i in n.input} | {o.name for o in graph.output}
        dead = [n for n in graph.node if n.op_type in ("Identity", "Constant")
                and n.output[0] not in used]
        for node in dead:
            graph.node.remove(node)
        if not dead:
            break
    for init in [i for i in graph.initializer if i.name not in used]:
        graph.initializer.remove(init)
    return model


def _shimmer(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Output change beyond the motion when the input moves by one pixel (grey levels / 127.5)."""
    still = model(x)
    moved = torch.roll(model(torch.roll(x, 1, dims=3)), -1, dims=3)
    out = still[0] if isinstance(still, list) else still
    mv = moved[0] if isinstance(moved, list) else moved
    return (mv - out)[..., 2:-2].abs().mean()


class QatTask(ModelTask):
    """The trained fusion tier, fine-tuned with INT8 simulated, held to its float self."""

    def __init__(self, settings: QatSettings, cache: Path) -> None:
        run = settings.run
        self.settings, self.name = settings, settings.name
        self.start_weights = checkpoint_path(f"fusion-{settings.tier}")
        self.saved = torch.load(self.start_weights, weights_only=False)
        self.teacher = FusionNet(FUSION_TIERS[settings.tier])
        self.teacher.load_state_dict(self.saved["model"])
        self.teacher.eval()
        net = FusionNet(FUSION_TIERS[settings.tier])
        net.load_state_dict(self.saved["model"])
        self.sampler = SwapPairSampler(load_faces(cache, "train"), run.size, run.seed)
        self.eval_x, self.eval_y, self.eval_region = held_out_batch(cache, run.size, count=16)
        self.quantised = QuantisedFusion(net, self.eval_x[:2], settings.float_parts)
        self.model = self.quantised
        with torch.no_grad():   # ranges from real faces before the first step
            for _ in range(4):
                self.quantised(self.sampler.batch(run.batch)[0])
        self.opt = torch.optim.AdamW(self.quantised.parameters(), lr=run.lr, weight_decay=1e-5)

    def start(self, weights: Path) -> int:
        return 0   # always from the float tier's weights: a committed QAT file is an output

    def describe(self) -> str:
        run = self.settings.run
        return f"from {self.start_weights}, {run.size}², batch {run.batch}"

    def train_step(self) -> dict[str, torch.Tensor]:
        s = self.settings
        self.quantised.train()
        x, y, w = self.sampler.batch(s.run.batch)
        outputs = self.quantised(x)
        assert isinstance(outputs, list)
        with torch.no_grad():
            reference = self.teacher(x)
        shifted = self.quantised(torch.roll(x, 1, dims=3))[0]
        loss = (multi_scale_loss(outputs, y, w)
                + s.teacher_weight * F.l1_loss(outputs[0], reference)
                + s.shift_weight * F.l1_loss(torch.roll(shifted, -1, dims=3)[..., 2:-2],
                                             outputs[0][..., 2:-2]))
        return self.step_on(loss)

    def evaluate(self) -> str:
        out = self.held_out()
        with torch.no_grad():
            shimmer = float(_shimmer(self.quantised, self.eval_x[:8])) * 127.5
            float_shimmer = float(_shimmer(self.teacher, self.eval_x[:8])) * 127.5
        return (f"held-out swap region PSNR (INT8 simulated) "
                f"{psnr(out, self.eval_y, self.eval_region, peak=2.0):.2f} dB, shimmer "
                f"{shimmer:.2f} (float {float_shimmer:.2f})")

    def weights(self, step: int) -> dict[str, Any]:
        return {"model": self.quantised.float_weights(),
                "qat_state": self.quantised.residuals.state_dict(),
                "tier": self.settings.tier, "family": "fusion", "size": self.settings.run.size,
                "qat": True, "float_parts": self.settings.float_parts,
                "weight_level": WEIGHT_LEVEL,
                "base_steps": int(self.saved.get("step", 0))}


def train_fusion_qat(settings: QatSettings, cache: Path | None = None) -> Path:
    """Fine-tune the tier's trained weights with INT8 simulated; returns the weights file."""
    seed_run(settings.run)
    return fit(QatTask(settings, cache or cache_dir()), settings.run,
               RunFiles.of(settings.name))
