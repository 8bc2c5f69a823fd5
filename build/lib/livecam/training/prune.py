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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F
from torch import nn

from livecam.training.faces import load_faces
from livecam.training.stylizer_net import Stylizer, count_parameters
from livecam.training.train_stylizer import (ROOT, LossLog, PairSampler, _to_tensor, cosine_lr,
                                             psnr, resume, save_run, stylizer_loss)

DISTILLED = ("dec8", "dec2")
M = TypeVar("M", bound=nn.Module)   # decoder features matched to the teacher's


@dataclass(frozen=True, slots=True)
class PruneSettings:
    """One prune-and-distil run."""

    teacher: Path
    ratio: float = 0.5            # share of each prunable group's channels removed
    size: int = 128
    steps: int = 1500
    batch: int = 16
    lr: float = 1e-3
    output_weight: float = 1.0
    feature_weight: float = 0.5
    threads: int = 2
    seed: int = 0
    save_every: int = 100
    log_every: int = 50
    eval_every: int = 250

    @property
    def name(self) -> str:
        return f"{self.teacher.stem}-p{round(self.ratio * 100)}"


def conv_shapes(model: nn.Module) -> dict[str, tuple[int, int]]:
    """Each convolution's (in, out) channels: all a pruned stylizer's shape needs."""
    return {name: (m.in_channels, m.out_channels) for name, m in model.named_modules()
            if isinstance(m, nn.Conv2d)}


def reshape(model: Stylizer, shapes: dict[str, tuple[int, int]]) -> Stylizer:
    """Replace `model`'s convolutions by ones with the recorded channel counts."""
    for name, (cin, cout) in shapes.items():
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        old = getattr(parent, child)
        if (old.in_channels, old.out_channels) == (cin, cout):
            continue
        depthwise = old.groups == old.in_channels and old.groups > 1
        setattr(parent, child, nn.Conv2d(cin, cout, old.kernel_size, old.stride, old.padding,
                                         old.dilation, groups=cin if depthwise else 1,
                                         bias=old.bias is not None))
    return model


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


def train_pruned(settings: PruneSettings, cache_dir: Path = ROOT / "cache") -> Path:
    """Prune the teacher (or resume the pruned student) and distil; returns the weights file."""
    from livecam.training.export import load_weights  # noqa: PLC0415

    torch.manual_seed(settings.seed)
    torch.set_num_threads(settings.threads)
    saved = torch.load(settings.teacher, weights_only=False)
    style, tier = saved["style"], saved["tier"]
    teacher = load_weights(settings.teacher)
    student = prune(teacher, settings.ratio)   # traced through autograd: before freezing
    for p in teacher.parameters():
        p.requires_grad_(False)
    adapters = nn.ModuleDict({
        name.replace(".", "_"): nn.Conv2d(_out_channels(student, name),
                                          _out_channels(teacher, name), 1)
        for name in DISTILLED})
    params = list(student.parameters()) + list(adapters.parameters())
    opt = torch.optim.AdamW(params, lr=settings.lr, weight_decay=1e-5)
    holder = nn.ModuleDict({"student": student, "adapters": adapters})
    files, step = resume(settings.name, holder, opt)
    print(f"{settings.name}: {count_parameters(teacher)} → {count_parameters(student)} "
          f"parameters", flush=True)

    faces = load_faces(cache_dir, "train")
    targets = np.load(cache_dir / f"{style}-train.npz")["targets"]
    held = load_faces(cache_dir, "holdout")
    held_targets = np.load(cache_dir / f"{style}-holdout.npz")["targets"]
    import cv2  # noqa: PLC0415

    def _small(images: npt.NDArray[Any]) -> torch.Tensor:
        return _to_tensor(np.stack([cv2.resize(im, (settings.size, settings.size),
                                               interpolation=cv2.INTER_AREA) for im in images]))
    eval_x, eval_y = _small(held.images[:64]), _small(held_targets[:64])
    sampler = PairSampler(faces.images, targets, faces.valid, settings.size, settings.seed)
    teacher_features = _Features(teacher, DISTILLED)
    student_features = _Features(student, DISTILLED)

    progress = LossLog(settings.steps, settings.log_every, files.run_dir / "log.tsv")
    while step < settings.steps:
        student.train()
        x, y, mask = sampler.batch(settings.batch)
        for group in opt.param_groups:
            group["lr"] = cosine_lr(settings.lr, settings.steps, step)
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
            taught = teacher(x)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            outputs = student(x)
            mapped = {name: adapters[name.replace(".", "_")](student_features.values[name])
                      for name in DISTILLED}
        outputs = [o.float() for o in outputs]
        assert isinstance(taught, torch.Tensor)
        loss = (stylizer_loss(outputs, y, mask)
                + settings.output_weight * F.l1_loss(outputs[0], taught.float()))
        for name in DISTILLED:
            loss = loss + settings.feature_weight * F.mse_loss(
                mapped[name].float(), teacher_features.values[name].float())
        opt.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        opt.step()
        step += 1
        progress.step(step, loss, settings.batch)
        if step % settings.eval_every == 0 or step == settings.steps:
            student.eval()
            with torch.no_grad():
                out = student(eval_x)
            assert isinstance(out, torch.Tensor)
            print(f"step {step}: held-out PSNR vs renderer {psnr(out, eval_y):.2f} dB",
                  flush=True)
        if step % settings.save_every == 0 or step == settings.steps:
            save_run(files, holder, opt, step, style=style, tier=tier, size=settings.size,
                     pruned=settings.ratio, shapes=conv_shapes(student),
                     teacher=settings.teacher.name)
    return files.weights


def _out_channels(model: nn.Module, name: str) -> int:
    convs = [m for m in model.get_submodule(name).modules() if isinstance(m, nn.Conv2d)]
    return convs[-1].out_channels
