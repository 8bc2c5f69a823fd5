"""Trains the face-swap fusion model on the CPU, self-supervised; resumable across sessions.

    livecam train fusion --tier S --size 128 --steps 4000

Pairs from `swap_pairs.SwapPairSampler` (same-person CelebA pairs and perturbed self pairs),
losses as the stylizer's (L1 at three scales + gradients), weighted to the swap region. The
held-out check uses CelebA identities never trained on: PSNR inside the swap region of the
model's output and of the plain paste, both against the real photo.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from livecam_train.device import cpu_state, mixed_precision, training_device
from livecam_train.evaluation.metrics import psnr
from livecam_train.faces import load_faces
from livecam_train.fusion_net import FUSION_TIERS, FusionNet
from livecam_train.loop import ModelTask, RunFiles, RunSettings, fit, seed_run
from livecam_train.losses import multi_scale_loss
from livecam_train.paths import cache_dir
from livecam_train.stylizer_net import count_parameters
from livecam_train.swap_pairs import HELD_OUT_IDS, SwapPairSampler, identity_of


@dataclass(frozen=True, slots=True)
class FusionSettings:
    """One fusion training run: the tier and the loop's settings."""

    tier: str = "S"
    run: RunSettings = field(default_factory=lambda: RunSettings(
        steps=4000, log_every=25))

    @property
    def name(self) -> str:
        return f"fusion-{self.tier}"


def held_out_batch(cache: Path, size: int, count: int = 48, seed: int = 1234
                   ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Swap pairs of identities the model never sees in training (CelebA test photos)."""
    held = load_faces(cache, "holdout")
    keep = [i for i, n in enumerate(held.names) if identity_of(str(n)) in HELD_OUT_IDS]
    sampler = SwapPairSampler(held.subset(keep), size, seed=seed, same_person_share=1.0,
                              held_out=True)
    x, y, w = sampler.batch(count)
    return x, y, (x[:, 6:7] + 1) / 2


def plain_paste(x: torch.Tensor) -> torch.Tensor:
    """What the fusion model improves on: the warped face pasted through its mask."""
    mask = (x[:, 6:7] + 1) / 2
    return mask * x[:, 3:6] + (1 - mask) * x[:, 0:3]


class FusionTask(ModelTask):
    """The fusion model learning self-supervised swap pairs."""

    def __init__(self, settings: FusionSettings, cache: Path) -> None:
        run = settings.run
        self.settings, self.name = settings, settings.name
        self.sampler = SwapPairSampler(load_faces(cache, "train"), run.size, run.seed)
        self.device = training_device(run.device)
        self.eval_x, self.eval_y, self.eval_region = (
            t.to(self.device) for t in held_out_batch(cache, run.size))
        self.model = FusionNet(FUSION_TIERS[settings.tier]).to(self.device)
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=run.lr, weight_decay=1e-5)

    def describe(self) -> str:
        run = self.settings.run
        return (f"{count_parameters(self.model)} parameters, {len(self.sampler.indices)} faces "
                f"({len(self.sampler.same_person)} with same-person pairs), {run.size}², "
                f"batch {run.batch}, on {self.device}")

    def train_step(self) -> dict[str, torch.Tensor]:
        self.model.train()
        x, y, w = (t.to(self.device) for t in self.sampler.batch(self.settings.run.batch))
        with mixed_precision(self.device):
            outputs = self.model(x)
        return self.step_on(multi_scale_loss([o.float() for o in outputs], y, w))

    def evaluate(self) -> str:
        out = self.held_out()
        region = self.eval_region
        return (f"held-out identities, swap region PSNR "
                f"{psnr(out, self.eval_y, region, peak=2.0):.2f} dB (plain paste "
                f"{psnr(plain_paste(self.eval_x), self.eval_y, region, peak=2.0):.2f} dB)")

    def weights(self, step: int) -> dict[str, Any]:
        return {"model": cpu_state(self.model), "tier": self.settings.tier, "family": "fusion",
                "size": self.settings.run.size}


def train_fusion(settings: FusionSettings, cache: Path | None = None) -> Path:
    """Run (or continue) training; returns the weights file."""
    seed_run(settings.run)
    return fit(FusionTask(settings, cache or cache_dir()), settings.run,
               RunFiles.of(settings.name))
