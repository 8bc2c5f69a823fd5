"""Trains the face-swap fusion model on the CPU, self-supervised; resumable across sessions.

    livecam train fusion --tier S --size 128 --steps 4000

Pairs from `swap_pairs.SwapPairSampler` (same-person CelebA pairs and perturbed self pairs),
losses as the stylizer's (L1 at three scales + gradients), weighted to the swap region. The
held-out check uses CelebA identities never trained on: PSNR inside the swap region of the
model's output and of the plain paste, both against the real photo.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from livecam.training.faces import load_faces
from livecam.training.fusion_net import FUSION_TIERS, FusionNet
from livecam.training.stylizer_net import count_parameters
from livecam.training.swap_pairs import HELD_OUT_IDS, SwapPairSampler, identity_of
from livecam.training.train_stylizer import (ROOT, LossLog, cosine_lr, resume, save_run,
                                             stylizer_loss)


@dataclass(frozen=True, slots=True)
class FusionSettings:
    """One fusion training run."""

    tier: str = "S"
    size: int = 128
    steps: int = 4000
    batch: int = 16
    lr: float = 2e-3
    threads: int = 2
    seed: int = 0
    eval_every: int = 250
    save_every: int = 100
    log_every: int = 25

    @property
    def name(self) -> str:
        return f"fusion-{self.tier}"


def region_psnr(out: torch.Tensor, answer: torch.Tensor, region: torch.Tensor) -> float:
    """PSNR over the pixels where `region` > 0.5 (images in [-1, 1])."""
    inside = (region > 0.5).float()
    mse = float((((out - answer) / 2) ** 2 * inside).sum() / (inside.sum() * 3 + 1e-6))
    return float(10 * np.log10(1.0 / max(mse, 1e-10)))


def held_out_batch(cache_dir: Path, size: int, count: int = 48, seed: int = 1234
                   ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Swap pairs of identities the model never sees in training (CelebA test photos)."""
    held = load_faces(cache_dir, "holdout")
    keep = [i for i, n in enumerate(held.names) if identity_of(str(n)) in HELD_OUT_IDS]
    subset = type(held)(held.images[keep], held.landmarks[keep], held.valid[keep],
                        held.names[keep])
    sampler = SwapPairSampler(subset, size, seed=seed, same_person_share=1.0, held_out=True)
    x, y, w = sampler.batch(count)
    return x, y, (x[:, 6:7] + 1) / 2


def train_fusion(settings: FusionSettings, cache_dir: Path = ROOT / "cache") -> Path:
    """Run (or continue) training; returns the weights file."""
    torch.manual_seed(settings.seed)
    torch.set_num_threads(settings.threads)
    faces = load_faces(cache_dir, "train")
    sampler = SwapPairSampler(faces, settings.size, settings.seed)
    eval_x, eval_y, eval_region = held_out_batch(cache_dir, settings.size)
    model = FusionNet(FUSION_TIERS[settings.tier])
    opt = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=1e-5)
    files, step = resume(settings.name, model, opt)
    print(f"{settings.name}: {count_parameters(model)} parameters, {len(sampler.indices)} "
          f"faces ({len(sampler.same_person)} with same-person pairs), {settings.size}², "
          f"batch {settings.batch}", flush=True)
    progress = LossLog(settings.steps, settings.log_every, files.run_dir / "log.tsv")
    while step < settings.steps:
        model.train()
        x, y, w = sampler.batch(settings.batch)
        for group in opt.param_groups:
            group["lr"] = cosine_lr(settings.lr, settings.steps, step)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            outputs = model(x)
        loss = stylizer_loss([o.float() for o in outputs], y, w)
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
            mask = (eval_x[:, 6:7] + 1) / 2
            paste = mask * eval_x[:, 3:6] + (1 - mask) * eval_x[:, 0:3]
            print(f"step {step}: held-out identities, swap region PSNR "
                  f"{region_psnr(out, eval_y, eval_region):.2f} dB (plain paste "
                  f"{region_psnr(paste, eval_y, eval_region):.2f} dB)", flush=True)
        if step % settings.save_every == 0 or step == settings.steps:
            save_run(files, model, opt, step, tier=settings.tier, family="fusion",
                     size=settings.size)
    return files.weights
