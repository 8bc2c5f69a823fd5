"""The one training loop: every model hands it a task (its data, losses and checks) and gets
the rest (learning-rate schedule, resuming, progress, held-out checks, checkpoints).

A run keeps its resumable state (every module and optimiser of the task) under
`runs/NAME/state.pt`, not committed, and its weights alone under `checkpoints/NAME.pt`,
committed: enough to continue with a fresh optimiser in another session.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import torch

from livecam_train.paths import training_root

log = logging.getLogger("livecam.train")
WARM_STEPS = 200     # linear learning-rate warm-up
FINAL_LR = 1e-4      # where the cosine decay ends


@dataclass(frozen=True, slots=True)
class RunSettings:
    """What every training run is given.

    Attributes:
        steps: Optimiser steps to reach (a resumed run continues to this count).
        batch: Images per step.
        size: Training crop side, pixels (the held-out checks' too).
        sizes: Crop sides the steps take in turn instead (empty: `size` on every step): a
            network that runs at every rung of the resolution controller is trained at them.
        lr: Peak learning rate.
        threads: CPU threads for torch.
        device: "auto" (a GPU when there is one), "cpu" or "cuda".
        seed: Seeds torch and the samplers.
        eval_every: Steps between held-out checks.
        save_every: Steps between checkpoints.
        log_every: Steps between progress lines.
    """

    steps: int
    batch: int = 16
    size: int = 128
    sizes: tuple[int, ...] = ()
    lr: float = 2e-3
    threads: int = 2
    device: str = "auto"
    seed: int = 0
    eval_every: int = 250
    save_every: int = 100
    log_every: int = 50

    def side(self, turn: int) -> int:
        """The crop side of step `turn`."""
        return self.sizes[turn % len(self.sizes)] if self.sizes else self.size


class Task(Protocol):
    """One model's part of training."""

    name: str

    def parts(self) -> Mapping[str, Any]:
        """Everything with a state dict that a resumed run needs (modules, optimisers)."""
        ...

    def optimizers(self) -> list[torch.optim.Optimizer]: ...

    def start(self, weights: Path) -> int:
        """No run state: continue from committed `weights` if there are any, else initialise;
        returns the step reached."""
        ...

    def describe(self) -> str:
        """One line for the log: sizes, data, device."""
        ...

    def train_step(self) -> Mapping[str, torch.Tensor]:
        """One optimisation step; returns the named losses (the first is the total)."""
        ...

    def evaluate(self) -> str:
        """The held-out check, as one line."""
        ...

    def weights(self, step: int) -> dict[str, Any]:
        """What the committed weights file holds at `step` (the model and what rebuilds it)."""
        ...


@dataclass(frozen=True, slots=True)
class RunFiles:
    """Where a run keeps its resumable state (ignored) and its weights (committed)."""

    run_dir: Path
    state: Path
    weights: Path

    @staticmethod
    def of(name: str, root: Path | None = None) -> RunFiles:
        base = root or training_root()
        run_dir = base / "runs" / name
        return RunFiles(run_dir, run_dir / "state.pt", checkpoint_path(name, base))


def checkpoint_path(name: str, root: Path | None = None) -> Path:
    return (root or training_root()) / "checkpoints" / f"{name}.pt"


def cosine_lr(lr: float, steps: int, step: int) -> float:
    """Linear warm-up, then cosine decay to FINAL_LR at `steps`."""
    if step < WARM_STEPS:
        return lr * (step + 1) / WARM_STEPS
    progress = (step - WARM_STEPS) / max(1, steps - WARM_STEPS)
    return FINAL_LR + (lr - FINAL_LR) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))


class Progress:
    """Smoothed losses, images per second and time left, logged and appended to the run's
    log.tsv every `every` steps."""

    def __init__(self, start: int, total: int, every: int, log_file: Path) -> None:
        self.start, self.total, self.every, self.log_file = start, total, every, log_file
        self.t0, self.seen = time.perf_counter(), 0
        self.running: dict[str, float] = {}

    def step(self, step: int, losses: Mapping[str, torch.Tensor], images: int) -> None:
        self.seen += images
        for key, value in losses.items():
            v = float(value.detach())
            self.running[key] = 0.98 * self.running[key] + 0.02 * v if key in self.running \
                else v
        if step % self.every and step != self.total:
            return
        elapsed = time.perf_counter() - self.t0
        left = elapsed / max(step - self.start, 1) * (self.total - step)
        values = " ".join(f"{k} {v:.4f}" for k, v in self.running.items())
        log.info("step %d/%d %s, %.0f img/s, %.0f min left", step, self.total, values,
                 self.seen / max(elapsed, 1e-9), left / 60)
        with open(self.log_file, "a", encoding="utf-8") as out:
            out.write("\t".join([str(step)] + [f"{v:.5f}" for v in self.running.values()])
                      + "\n")


def fit(task: Task, run: RunSettings, files: RunFiles) -> Path:
    """Run (or resume) `task` to `run.steps`; returns the weights file."""
    files.run_dir.mkdir(parents=True, exist_ok=True)
    files.weights.parent.mkdir(parents=True, exist_ok=True)
    if files.state.exists():
        state = torch.load(files.state, weights_only=False, map_location="cpu")
        for key, part in task.parts().items():
            part.load_state_dict(state[key])
        step = int(state["step"])
        log.info("resuming %s at step %d", task.name, step)
    else:
        step = task.start(files.weights)
    log.info("%s: %s", task.name, task.describe())
    progress = Progress(step, run.steps, run.log_every, files.run_dir / "log.tsv")
    while step < run.steps:
        lr = cosine_lr(run.lr, run.steps, step)
        for opt in task.optimizers():
            for group in opt.param_groups:
                group["lr"] = lr
        losses = task.train_step()
        step += 1
        progress.step(step, losses, run.batch)
        if step % run.eval_every == 0 or step == run.steps:
            log.info("step %d: %s", step, task.evaluate())
        if step % run.save_every == 0 or step == run.steps:
            torch.save({**{k: p.state_dict() for k, p in task.parts().items()}, "step": step},
                       files.state)
            torch.save({**task.weights(step), "step": step}, files.weights)
    return files.weights


class ModelTask:
    """The common case: one module whose state a run keeps (`model`), one optimiser, and a
    held-out batch (`eval_x`) to check it on."""

    name: str
    model: torch.nn.Module
    opt: torch.optim.Optimizer
    eval_x: torch.Tensor

    def parts(self) -> dict[str, Any]:
        return {"model": self.model, "opt": self.opt}

    def optimizers(self) -> list[torch.optim.Optimizer]:
        return [self.opt]

    def start(self, weights: Path) -> int:
        if not weights.exists():
            return 0
        saved = torch.load(weights, weights_only=False, map_location="cpu")
        self.model.load_state_dict(saved["model"])
        return int(saved.get("step", 0))

    def step_on(self, loss: torch.Tensor) -> dict[str, torch.Tensor]:
        """One optimiser step on `loss`, reported as the task's loss."""
        update(self.opt, loss)
        return {"loss": loss}

    def held_out(self, net: torch.nn.Module | None = None) -> torch.Tensor:
        """`net` (the model by default) on the held-out batch, in eval mode."""
        net = net or self.model
        net.eval()
        with torch.no_grad():
            out = net(self.eval_x)
        assert isinstance(out, torch.Tensor)
        return out


def seed_run(run: RunSettings) -> None:
    torch.manual_seed(run.seed)
    torch.set_num_threads(run.threads)


def update(opt: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    """One optimiser step on `loss`."""
    opt.zero_grad(set_to_none=True)
    loss.backward()  # type: ignore[no-untyped-call]
    opt.step()
