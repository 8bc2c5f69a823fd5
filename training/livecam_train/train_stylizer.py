"""Distils a reference renderer into a stylizer network on the CPU; resumable across sessions.

    livecam train stylizer --style fairy-tale --tier S --size 128 --steps 6000

Pairs come from the aligned-face cache (`livecam train prepare`). Losses: L1 at full
resolution plus the 1/4 and 1/8 heads (multi-scale supervision) and an L1 on image gradients
for crisp line art, all masked to pixels that lay inside the source photo. The optimiser state
lives in training/runs/ (not committed); the weights alone go to training/checkpoints/
(committed), which is enough to continue with a fresh optimiser (`livecam_train.loop`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from livecam_train.data import PairSampler, resized
from livecam_train.device import cpu_state, mixed_precision, training_device
from livecam_train.evaluation.metrics import psnr
from livecam_train.faces import load_faces
from livecam_train.loop import ModelTask, RunFiles, RunSettings, fit, seed_run
from livecam_train.losses import multi_scale_loss
from livecam_train.paths import cache_dir
from livecam_train.stylizer_net import TIERS, Stylizer, count_parameters

HELD_OUT = 64   # held-out faces in the periodic check


@dataclass(frozen=True, slots=True)
class StylizerSettings:
    """One distillation run: which style and tier, and the loop's settings."""

    style: str = "fairy-tale"
    tier: str = "S"
    run: RunSettings = field(default_factory=lambda: RunSettings(
        steps=6000, eval_every=500, save_every=200))

    @property
    def name(self) -> str:
        return f"{self.style}-{self.tier}"


class StylizerTask(ModelTask):
    """A stylizer tier learning a reference renderer's pairs."""

    def __init__(self, settings: StylizerSettings, cache: Path) -> None:
        run = settings.run
        self.settings, self.name = settings, settings.name
        faces = load_faces(cache, "train")
        targets = np.load(cache / f"{settings.style}-train.npz")["targets"]
        held = load_faces(cache, "holdout")
        held_targets = np.load(cache / f"{settings.style}-holdout.npz")["targets"]
        self.device = training_device(run.device)
        self.eval_x = resized(held.images[:HELD_OUT], run.size).to(self.device)
        self.eval_y = resized(held_targets[:HELD_OUT], run.size).to(self.device)
        self.sampler = PairSampler(faces.images, targets, faces.valid, run.size, run.seed)
        self.faces = len(faces.images)
        self.model = Stylizer(TIERS[settings.tier]).to(self.device)
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=run.lr, weight_decay=1e-5)
        self.turn = 0   # which of the run's sides the next step takes

    def describe(self) -> str:
        run = self.settings.run
        return (f"{count_parameters(self.model)} parameters, {self.faces} faces, {run.size}², "
                f"batch {run.batch}, on {self.device}")

    def train_step(self) -> dict[str, torch.Tensor]:
        self.model.train()
        run = self.settings.run
        side = run.side(self.turn)
        self.turn += 1
        x, y, mask = (t.to(self.device) for t in self.sampler.batch(run.batch, side))
        with mixed_precision(self.device):
            outputs = self.model(x)
        return self.step_on(multi_scale_loss([o.float() for o in outputs], y, mask))

    def evaluate(self) -> str:
        out = self.held_out()
        return (f"held-out PSNR vs renderer {psnr(out, self.eval_y, peak=2.0):.2f} dB (input "
                f"vs renderer {psnr(self.eval_x, self.eval_y, peak=2.0):.2f} dB)")

    def weights(self, step: int) -> dict[str, Any]:
        return {"model": cpu_state(self.model), "tier": self.settings.tier,
                "style": self.settings.style, "size": self.settings.run.size,
                "sizes": list(self.settings.run.sizes)}


def train_stylizer(settings: StylizerSettings, cache: Path | None = None) -> Path:
    """Run (or continue) the distillation; returns the weights file."""
    seed_run(settings.run)
    return fit(StylizerTask(settings, cache or cache_dir()), settings.run,
               RunFiles.of(settings.name))
