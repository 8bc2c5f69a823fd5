"""Mixed training of the anime style: adversarial against real anime faces plus structure.

No paired anime data exists, so the generator (a stylizer tier, started from the distilled
fairy-tale weights so the short budget goes to style, not to learning faces) learns from:
- a structure loss toward livecam's anime reference renderer (`livecam_train/render/anime.py`): the
  paired multi-scale L1 + gradient loss of the fairy-tale distillation, which fixes the cel
  shading, outlines and eyes and keeps identity; with `--structure input` it is instead the
  blurred (1/4 resolution) input, which leaves all texture to the discriminator (tried first:
  3,000 steps gave inked, blotchy faces, not anime);
- a multi-scale patch discriminator (spectral norm, hinge loss) at full and half resolution,
  telling its outputs from selfie2anime's anime faces, weighted low so it adds texture
  without tearing the structure.

    livecam train anime --tier S --steps 2000
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from livecam_train.data import ImageSampler, PairSampler, to_tensor
from livecam_train.device import cpu_state, mixed_precision, training_device
from livecam_train.faces import load_faces
from livecam_train.loop import RunFiles, RunSettings, checkpoint_path, fit, seed_run, update
from livecam_train.losses import multi_scale_loss, structure_loss
from livecam_train.paths import cache_dir
from livecam_train.stylizer_net import TIERS, Stylizer


@dataclass(frozen=True, slots=True)
class AnimeSettings:
    """One anime training run."""

    tier: str = "S"
    structure_weight: float = 10.0
    adversarial_weight: float = 0.2
    structure: str = "renderer"   # "renderer" (paired) or "input" (blurred input)
    init_style: str = "fairy-tale"
    run: RunSettings = field(default_factory=lambda: RunSettings(
        steps=3000, batch=8, lr=2e-4, log_every=25))

    @property
    def name(self) -> str:
        return f"anime-{self.tier}"


class PatchDiscriminator(nn.Module):
    """Patch logits from three stride-2 spectral-norm convolutions (about 46 px receptive field)."""

    def __init__(self, width: int = 32) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin = 3
        for cout in (width, 2 * width, 4 * width):
            layers += [spectral_norm(nn.Conv2d(cin, cout, 4, 2, 1)), nn.LeakyReLU(0.2, True)]
            cin = cout
        layers.append(spectral_norm(nn.Conv2d(cin, 1, 3, 1, 1)))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class MultiScaleDiscriminator(nn.Module):
    """Two patch discriminators: full resolution (lines, texture) and half (shading, shapes)."""

    def __init__(self) -> None:
        super().__init__()
        self.scales = nn.ModuleList([PatchDiscriminator(), PatchDiscriminator()])

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return [d(x if i == 0 else F.avg_pool2d(x, 2)) for i, d in enumerate(self.scales)]


class AnimeTask:
    """A stylizer tier against a discriminator of real anime faces, held to the renderer."""

    def __init__(self, settings: AnimeSettings, cache: Path) -> None:
        run = settings.run
        self.settings, self.name = settings, settings.name
        faces = load_faces(cache, "train")
        targets = (np.load(cache / "anime-train.npz")["targets"]
                   if settings.structure == "renderer" else faces.images)
        self.photos = PairSampler(faces.images, targets, faces.valid, run.size, run.seed)
        self.anime = ImageSampler(np.load(cache / "anime-faces-train.npz")["images"], run.size,
                                  run.seed + 1)
        self.device = training_device(run.device)
        self.gen = Stylizer(TIERS[settings.tier]).to(self.device)
        self.disc = MultiScaleDiscriminator().to(self.device)
        self.opt_g = torch.optim.Adam(self.gen.parameters(), lr=run.lr, betas=(0.5, 0.99))
        self.opt_d = torch.optim.Adam(self.disc.parameters(), lr=run.lr, betas=(0.5, 0.99))
        self.count = nn.Module()   # in the run's state: steps of the weights it continued
        self.count.register_buffer("before", torch.zeros((), dtype=torch.int64))
        self.last: dict[str, torch.Tensor] = {}
        self.turn = 0   # which of the run's sides the next step takes

    def parts(self) -> dict[str, Any]:
        return {"gen": self.gen, "disc": self.disc, "opt_g": self.opt_g, "opt_d": self.opt_d,
                "count": self.count}

    def optimizers(self) -> list[torch.optim.Optimizer]:
        return [self.opt_g, self.opt_d]

    def start(self, weights: Path) -> int:
        if weights.exists():   # continue the committed generator with a new discriminator
            committed = torch.load(weights, weights_only=False, map_location=self.device)
            self.gen.load_state_dict(committed["model"])
            before = committed.get("total_steps", committed.get("step", 0))
            self.count.get_buffer("before").fill_(int(before))
            return 0
        init = checkpoint_path(f"{self.settings.init_style}-{self.settings.tier}")
        self.gen.load_state_dict(torch.load(init, weights_only=False,
                                            map_location=self.device)["model"])
        return 0

    def describe(self) -> str:
        return (f"{self.settings.structure} structure, {len(self.photos.images)} photos, "
                f"{len(self.anime.images)} anime faces, on {self.device}")

    def train_step(self) -> dict[str, torch.Tensor]:
        s = self.settings
        self.gen.train()
        side = s.run.side(self.turn)
        self.turn += 1
        x, target, mask = (t.to(self.device) for t in self.photos.batch(s.run.batch, side))
        real = self.anime.batch(s.run.batch, side).to(self.device)
        with mixed_precision(self.device):
            outs = self.gen(x)
        fake = outs[0].float()
        with mixed_precision(self.device):   # discriminator: hinge loss
            d_real = self.disc(real)
            d_fake = self.disc(fake.detach())
        d_loss = torch.stack([F.relu(1 - r.float()).mean() + F.relu(1 + f.float()).mean()
                              for r, f in zip(d_real, d_fake)]).sum()
        update(self.opt_d, d_loss)
        with mixed_precision(self.device):   # generator: fool it, keep structure
            g_fake = self.disc(fake)
        adv = torch.stack([-f.float().mean() for f in g_fake]).sum()
        if s.structure == "renderer":
            struct = multi_scale_loss([fake] + [o.float() for o in outs[1:]], target, mask)
        else:
            struct = structure_loss(fake, x) + 0.5 * torch.stack([
                structure_loss(o.float(), F.avg_pool2d(x, x.shape[-1] // o.shape[-1]))
                for o in outs[1:]]).sum()
        g_loss = s.adversarial_weight * adv + s.structure_weight * struct
        update(self.opt_g, g_loss)
        self.last = {"g": g_loss, "d": d_loss, "adv": adv, "struct": struct}
        return self.last

    def evaluate(self) -> str:
        return ", ".join(f"{k} {float(v.detach()):.4f}" for k, v in self.last.items())

    def weights(self, step: int) -> dict[str, Any]:
        return {"model": cpu_state(self.gen), "tier": self.settings.tier, "style": "anime",
                "size": self.settings.run.size, "sizes": list(self.settings.run.sizes),
                "total_steps": int(self.count.get_buffer("before")) + step}


def train_anime(settings: AnimeSettings, cache: Path | None = None) -> Path:
    """Run (or continue) the mixed training; returns the weights file."""
    seed_run(settings.run)
    return fit(AnimeTask(settings, cache or cache_dir()), settings.run,
               RunFiles.of(settings.name))


def anime_batch_preview(weights: Path, images: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Outputs of the anime generator for a few BGR crops (for contact sheets)."""
    saved = torch.load(weights, weights_only=False)
    gen = Stylizer(TIERS[saved["tier"]])
    gen.load_state_dict(saved["model"])
    gen.eval()
    with torch.no_grad():
        out = gen(to_tensor(images))
    assert isinstance(out, torch.Tensor)
    rgb = ((out.permute(0, 2, 3, 1).numpy() + 1) * 127.5).clip(0, 255).astype(np.uint8)
    return np.ascontiguousarray(rgb[..., ::-1])
