"""Distils a reference renderer into a stylizer network on the CPU; resumable across sessions.

    livecam train stylizer --style fairy-tale --tier S --size 128 --steps 6000

Pairs come from the aligned-face cache (`livecam train prepare`). Losses: L1 at full
resolution plus the 1/4 and 1/8 heads (multi-scale supervision) and an L1 on image gradients
for crisp line art, all masked to pixels that lay inside the source photo. The optimiser state
lives in training/runs/ (not committed); the weights alone go to training/checkpoints/
(committed), which is enough to continue with a fresh optimiser.
"""

from __future__ import annotations

from typing import Any

import math
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F

from livecam.training.device import cpu_state, training_device
from livecam.training.faces import load_faces
from livecam.training.stylizer_net import TIERS, Stylizer, count_parameters

ROOT = Path("training")


@dataclass(frozen=True, slots=True)
class TrainSettings:
    """One training run."""

    style: str = "fairy-tale"
    tier: str = "S"
    size: int = 128
    steps: int = 6000
    batch: int = 16
    lr: float = 2e-3
    threads: int = 2
    bf16: bool = True
    device: str = "auto"   # "auto" (a GPU when there is one), "cpu" or "cuda"
    seed: int = 0
    eval_every: int = 500
    save_every: int = 200
    log_every: int = 50

    @property
    def name(self) -> str:
        return f"{self.style}-{self.tier}"


def _to_tensor(batch_bgr: npt.NDArray[Any]) -> torch.Tensor:
    rgb = batch_bgr[..., ::-1].astype(np.float32) / 127.5 - 1.0
    return torch.from_numpy(np.ascontiguousarray(rgb.transpose(0, 3, 1, 2)))


def augment(rng: np.random.Generator, arrays: tuple[npt.NDArray[Any], ...], size: int
            ) -> list[npt.NDArray[Any]]:
    """One random scale-crop (80–100 % of the side) and flip, applied identically to each array,
    resized to `size`."""
    side = arrays[0].shape[0]
    crop = int(rng.integers(int(side * 0.8), side + 1))
    x0, y0 = rng.integers(0, side - crop + 1, 2)
    sl = (slice(y0, y0 + crop), slice(x0, x0 + crop))
    flip = rng.random() < 0.5
    parts = []
    for arr in arrays:
        part = cv2.resize(arr[sl], (size, size), interpolation=cv2.INTER_AREA)
        parts.append(part[:, ::-1] if flip else part)
    return parts


class PairSampler:
    """Random scale-crop and flip applied identically to input, target and validity mask."""

    def __init__(self, images: npt.NDArray[Any], targets: npt.NDArray[Any],
                 valid: npt.NDArray[Any], size: int,
                 seed: int) -> None:
        self.images, self.targets, self.valid = images, targets, valid
        self.size = size
        self.rng = np.random.default_rng(seed)

    def batch(self, n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        xs, ys, ms = [], [], []
        for i in self.rng.integers(0, len(self.images), n):
            parts = augment(self.rng, (self.images[i], self.targets[i], self.valid[i]), self.size)
            xs.append(parts[0])
            ys.append(parts[1])
            ms.append(parts[2])
        mask = torch.from_numpy((np.stack(ms) > 128).astype(np.float32))[:, None]
        return _to_tensor(np.stack(xs)), _to_tensor(np.stack(ys)), mask


def _masked_l1(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return (torch.abs(a - b) * mask).sum() / (mask.sum() * a.shape[1] + 1e-6)


def stylizer_loss(outputs: list[torch.Tensor], target: torch.Tensor, mask: torch.Tensor
                  ) -> torch.Tensor:
    full, quarter, eighth = outputs
    loss = _masked_l1(full, target, mask)
    for out, weight in ((quarter, 0.5), (eighth, 0.25)):
        scale = target.shape[-1] // out.shape[-1]
        loss = loss + weight * _masked_l1(out, F.avg_pool2d(target, scale),
                                          F.avg_pool2d(mask, scale))
    for dim in (2, 3):
        grad_out = torch.diff(full, dim=dim)
        grad_tgt = torch.diff(target, dim=dim)
        m = mask.narrow(dim, 0, mask.shape[dim] - 1)
        loss = loss + 0.5 * _masked_l1(grad_out, grad_tgt, m)
    return loss


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    mse = float(torch.mean(((a - b) / 2) ** 2))
    return 10 * math.log10(1.0 / max(mse, 1e-10))


def cosine_lr(lr: float, steps: int, step: int) -> float:
    """Linear warm-up over 200 steps, then cosine decay to 1e-4 at `steps`."""
    warm = 200
    if step < warm:
        return lr * (step + 1) / warm
    progress = (step - warm) / max(1, steps - warm)
    return 1e-4 + (lr - 1e-4) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))


def checkpoint_path(name: str) -> Path:
    return ROOT / "checkpoints" / f"{name}.pt"


@dataclass(frozen=True, slots=True)
class RunFiles:
    """Where a run keeps its resumable state (ignored) and its weights (committed)."""

    run_dir: Path
    state: Path
    weights: Path


def resume(name: str, model: torch.nn.Module, opt: torch.optim.Optimizer
           ) -> tuple[RunFiles, int]:
    """Load the run's state, else its committed weights with a fresh optimiser; the step."""
    run_dir = ROOT / "runs" / name
    run_dir.mkdir(parents=True, exist_ok=True)
    files = RunFiles(run_dir, run_dir / "state.pt", checkpoint_path(name))
    files.weights.parent.mkdir(parents=True, exist_ok=True)
    step = 0
    if files.state.exists():
        state = torch.load(files.state, weights_only=False, map_location="cpu")
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step = state["step"]
        print(f"resuming {name} at step {step}")
    elif files.weights.exists():
        saved = torch.load(files.weights, weights_only=False, map_location="cpu")
        model.load_state_dict(saved["model"])
        step = saved.get("step", 0)
        print(f"continuing {name} from committed weights at step {step}")
    return files, step


def save_run(files: RunFiles, model: torch.nn.Module, opt: torch.optim.Optimizer, step: int,
             **meta: Any) -> None:
    """The resumable state, and the weights with `meta` (tier, style or family, size)."""
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step},
               files.state)
    torch.save({"model": cpu_state(model), "step": step, **meta}, files.weights)


class LossLog:
    """The smoothed loss and images per second, printed and appended to the run's log.tsv
    every `every` steps: one progress line for every trainer."""

    def __init__(self, total: int, every: int, log_file: Path) -> None:
        self.total, self.every, self.log_file = total, every, log_file
        self.t0, self.seen, self.running = time.perf_counter(), 0, 0.0

    def step(self, step: int, loss: torch.Tensor, images: int) -> None:
        self.seen += images
        value = float(loss.detach())
        self.running = 0.98 * self.running + 0.02 * value if self.running else value
        if step % self.every == 0:
            rate = self.seen / (time.perf_counter() - self.t0)
            print(f"step {step}/{self.total} loss {self.running:.4f} {rate:.0f} img/s",
                  flush=True)
            with open(self.log_file, "a", encoding="utf-8") as log:
                log.write(f"{step}\t{self.running:.5f}\n")


def train(settings: TrainSettings, cache_dir: Path = ROOT / "cache") -> Path:
    """Run (or continue) training; returns the weights file."""
    torch.manual_seed(settings.seed)
    torch.set_num_threads(settings.threads)
    faces = load_faces(cache_dir, "train")
    targets = np.load(cache_dir / f"{settings.style}-train.npz")["targets"]
    held = load_faces(cache_dir, "holdout")
    held_targets = np.load(cache_dir / f"{settings.style}-holdout.npz")["targets"]
    eval_x = _to_tensor(np.stack([cv2.resize(im, (settings.size, settings.size),
                                             interpolation=cv2.INTER_AREA)
                                  for im in held.images[:64]]))
    eval_y = _to_tensor(np.stack([cv2.resize(im, (settings.size, settings.size),
                                             interpolation=cv2.INTER_AREA)
                                  for im in held_targets[:64]]))
    sampler = PairSampler(faces.images, targets, faces.valid, settings.size, settings.seed)

    device = training_device(settings.device)
    model = Stylizer(TIERS[settings.tier]).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=1e-5)
    files, step = resume(settings.name, model, opt)
    eval_x, eval_y = eval_x.to(device), eval_y.to(device)
    print(f"{settings.name}: {count_parameters(model)} parameters, {len(faces.images)} faces, "
          f"{settings.size}², batch {settings.batch}, on {device}", flush=True)

    progress = LossLog(settings.steps, settings.log_every, files.run_dir / "log.tsv")
    while step < settings.steps:
        model.train()
        x, y, mask = (t.to(device) for t in sampler.batch(settings.batch))
        for group in opt.param_groups:
            group["lr"] = cosine_lr(settings.lr, settings.steps, step)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=settings.bf16):
            outputs = model(x)
        outputs = [o.float() for o in outputs]
        loss = stylizer_loss(outputs, y, mask)
        opt.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        opt.step()
        step += 1
        progress.step(step, loss, settings.batch)
        if step % settings.eval_every == 0 or step == settings.steps:
            model.eval()
            with torch.no_grad():
                out = model(eval_x)
            assert isinstance(out, torch.Tensor)
            print(f"step {step}: held-out PSNR vs teacher {psnr(out, eval_y):.2f} dB "
                  f"(input vs teacher {psnr(eval_x, eval_y):.2f} dB)", flush=True)
        if step % settings.save_every == 0 or step == settings.steps:
            save_run(files, model, opt, step, tier=settings.tier, style=settings.style,
                     size=settings.size)
    return files.weights
