"""Structured channel pruning of a trained stylizer, healed by distillation from the unpruned one.

    livecam train prune training/checkpoints/fairy-tale-M.pt --ratio 0.5 --steps 1500

Torch-Pruning's dependency graph removes whole channels (L1 magnitude per coupled group), so
the result is a smaller dense network, not a sparse one, and every layer that shares those
channels (residual adds, the FS concat, depthwise convolutions) shrinks with it. The heads and
the one-channel STA gates keep their outputs. Channel counts are rounded to multiples of 8,
which onnxruntime's CPU kernels run fastest.

The pruned student is then fine-tuned on the teacher-network pairs as well as the renderer:
- the renderer loss of `train stylizer` (multi-scale L1 + gradients);
- output distillation: L1 to the unpruned network's full-resolution output;
- feature distillation: the student's 1/8 and 1/2 decoder features, mapped by 1×1 adapters
  (trained with it, dropped at export), toward the teacher's (FitNets).
The checkpoint keeps each convolution's channel counts beside the weights, so `load_weights`
rebuilds the pruned network without Torch-Pruning.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from livecam_train.data import PairSampler, resized
from livecam_train.device import cpu_state, mixed_precision
from livecam_train.evaluation.metrics import psnr
from livecam_train.faces import load_faces
from livecam_train.loop import ModelTask, RunFiles, RunSettings, fit, seed_run
from livecam_train.losses import multi_scale_loss
from livecam_train.paths import cache_dir
from livecam_train.stylizer_net import count_parameters
from livecam_train.train_stylizer import HELD_OUT
from livecam_train.weights import conv_shapes, load_weights

CPU = torch.device("cpu")   # where pruning runs
DISTILLED = ("dec8", "dec2")
M = TypeVar("M", bound=nn.Module)   # decoder features matched to the teacher's


@dataclass(frozen=True, slots=True)
class PruneSettings:
    """One prune-and-distil run."""

    teacher: Path
    ratio: float = 0.5            # share of each prunable group's channels removed
    output_weight: float = 1.0
    feature_weight: float = 0.5
    run: RunSettings = field(default_factory=lambda: RunSettings(steps=1500, lr=1e-3))

    @property
    def name(self) -> str:
        return f"{self.teacher.stem}-p{round(self.ratio * 100)}"


def prune(model: M, ratio: float, side: int = 128, channels: int = 3) -> M:
    """A channel-pruned copy of `model` (heads and attention gates keep their outputs)."""
    import torch_pruning as tp  # noqa: PLC0415

    student = copy.deepcopy(model).eval()
    keep_outputs = [m for m in student.modules()
                    if isinstance(m, nn.Conv2d) and m.out_channels in (1, 3, 12)]
    pruner = tp.pruner.BasePruner(student, torch.zeros(1, channels, side, side),
                                  importance=tp.importance.GroupMagnitudeImportance(p=1),
                                  pruning_ratio=ratio, ignored_layers=keep_outputs, round_to=8)
    pruner.step()
    return student


class _Features:
    """Forward hooks that keep the named modules' latest outputs."""

    def __init__(self, model: nn.Module, names: tuple[str, ...]) -> None:
        self.values: dict[str, torch.Tensor] = {}
        for name in names:
            model.get_submodule(name).register_forward_hook(self._keep(name))

    def _keep(self, name: str):  # type: ignore[no-untyped-def]
        def hook(_module: nn.Module, _inputs: object, output: torch.Tensor) -> None:
            self.values[name] = output
        return hook


class PruneTask(ModelTask):
    """A pruned copy of a trained stylizer, distilled from it and from its renderer."""

    def __init__(self, settings: PruneSettings, cache: Path) -> None:
        run = settings.run
        self.settings, self.name = settings, settings.name
        saved = torch.load(settings.teacher, weights_only=False)
        self.style, self.tier = saved["style"], saved["tier"]
        self.teacher = load_weights(settings.teacher)
        self.student = prune(self.teacher, settings.ratio)   # traced through autograd first
        for p in self.teacher.parameters():
            p.requires_grad_(False)
        self.adapters = nn.ModuleDict({
            name.replace(".", "_"): nn.Conv2d(_out_channels(self.student, name),
                                              _out_channels(self.teacher, name), 1)
            for name in DISTILLED})
        # what a run keeps: the student with its adapters
        self.model = nn.ModuleDict({"student": self.student, "adapters": self.adapters})
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=run.lr, weight_decay=1e-5)
        faces = load_faces(cache, "train")
        targets = np.load(cache / f"{self.style}-train.npz")["targets"]
        held = load_faces(cache, "holdout")
        held_targets = np.load(cache / f"{self.style}-holdout.npz")["targets"]
        self.eval_x = resized(held.images[:HELD_OUT], run.size)
        self.eval_y = resized(held_targets[:HELD_OUT], run.size)
        self.sampler = PairSampler(faces.images, targets, faces.valid, run.size, run.seed)
        self.teacher_features = _Features(self.teacher, DISTILLED)
        self.student_features = _Features(self.student, DISTILLED)


    def describe(self) -> str:
        return (f"{count_parameters(self.teacher)} → {count_parameters(self.student)} "
                "parameters")

    def train_step(self) -> dict[str, torch.Tensor]:
        s = self.settings
        self.student.train()
        x, y, mask = self.sampler.batch(s.run.batch)
        with torch.no_grad(), mixed_precision(CPU):
            taught = self.teacher(x)
        with mixed_precision(CPU):
            outputs = self.student(x)
            mapped = {name: self.adapters[name.replace(".", "_")](
                self.student_features.values[name]) for name in DISTILLED}
        outputs = [o.float() for o in outputs]
        loss = (multi_scale_loss(outputs, y, mask)
                + s.output_weight * F.l1_loss(outputs[0], taught.float()))
        for name in DISTILLED:
            loss = loss + s.feature_weight * F.mse_loss(
                mapped[name].float(), self.teacher_features.values[name].float())
        return self.step_on(loss)

    def evaluate(self) -> str:
        out = self.held_out(self.student)
        return f"held-out PSNR vs renderer {psnr(out, self.eval_y, peak=2.0):.2f} dB"

    def weights(self, step: int) -> dict[str, Any]:
        return {"model": cpu_state(self.model), "style": self.style, "tier": self.tier,
                "size": self.settings.run.size, "pruned": self.settings.ratio,
                "shapes": conv_shapes(self.student), "teacher": self.settings.teacher.name}


def train_pruned(settings: PruneSettings, cache: Path | None = None) -> Path:
    """Prune the teacher and distil; returns the weights file."""
    seed_run(settings.run)
    return fit(PruneTask(settings, cache or cache_dir()), settings.run,
               RunFiles.of(settings.name))


def _out_channels(model: nn.Module, name: str) -> int:
    convs = [m for m in model.get_submodule(name).modules() if isinstance(m, nn.Conv2d)]
    return convs[-1].out_channels
