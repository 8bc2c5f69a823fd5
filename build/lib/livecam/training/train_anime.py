"""Mixed training of the anime style: adversarial against real anime faces plus structure.

No paired anime data exists, so the generator (a stylizer tier, started from the distilled
fairy-tale weights so the short budget goes to style, not to learning faces) learns from:
- a structure loss toward livecam's anime reference renderer (`livecam/render/anime.py`): the
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

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from livecam.training.device import cpu_state, training_device
from livecam.training.faces import load_faces
from livecam.training.stylizer_net import TIERS, Stylizer
from livecam.training.train_stylizer import (ROOT, PairSampler, _to_tensor, augment,
                                             checkpoint_path, stylizer_loss)


@dataclass(frozen=True, slots=True)
class AnimeSettings:
    """One anime training run."""

    tier: str = "S"
    size: int = 128
    steps: int = 3000
    batch: int = 8
    lr: float = 2e-4
    structure_weight: float = 10.0
    adversarial_weight: float = 0.2
    structure: str = "renderer"   # "renderer" (paired) or "input" (blurred input)
    threads: int = 2
    device: str = "auto"   # "auto" (a GPU when there is one), "cpu" or "cuda"
    seed: int = 0
    save_every: int = 100
    log_every: int = 25
    init_style: str = "fairy-tale"


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


def structure_loss(out: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
    return torch.mean(torch.abs(F.avg_pool2d(out, 4) - F.avg_pool2d(source, 4)))


class ImageSampler:
    """Random scale-crop and flip of unpaired images."""

    def __init__(self, images: npt.NDArray[np.uint8], size: int, seed: int) -> None:
        self.images = images
        self.size = size
        self.rng = np.random.default_rng(seed)

    def batch(self, n: int) -> torch.Tensor:
        picks = self.rng.integers(0, len(self.images), n)
        return _to_tensor(np.stack([augment(self.rng, (self.images[i],), self.size)[0]
                                    for i in picks]))


def train_anime(settings: AnimeSettings, cache_dir: Path = ROOT / "cache") -> Path:
    torch.manual_seed(settings.seed)
    torch.set_num_threads(settings.threads)
    faces = load_faces(cache_dir, "train")
    if settings.structure == "renderer":
        targets = np.load(cache_dir / "anime-train.npz")["targets"]
    else:
        targets = faces.images
    photos = PairSampler(faces.images, targets, faces.valid, settings.size, settings.seed)
    anime = ImageSampler(np.load(cache_dir / "anime-faces-train.npz")["images"], settings.size,
                         settings.seed + 1)
    device = training_device(settings.device)
    gen = Stylizer(TIERS[settings.tier]).to(device)
    disc = MultiScaleDiscriminator().to(device)
    opt_g = torch.optim.Adam(gen.parameters(), lr=settings.lr, betas=(0.5, 0.99))
    opt_d = torch.optim.Adam(disc.parameters(), lr=settings.lr, betas=(0.5, 0.99))
    name = f"anime-{settings.tier}"
    run_dir = ROOT / "runs" / name
    run_dir.mkdir(parents=True, exist_ok=True)
    state_file = run_dir / "state.pt"
    weights = checkpoint_path(name)
    step = 0
    before = 0   # steps of the committed weights this run continues (for the model card)
    if state_file.exists():
        state = torch.load(state_file, weights_only=False, map_location=device)
        gen.load_state_dict(state["gen"])
        disc.load_state_dict(state["disc"])
        opt_g.load_state_dict(state["opt_g"])
        opt_d.load_state_dict(state["opt_d"])
        step = state["step"]
        before = state.get("before", 0)
        print(f"resuming {name} at step {step}")
    elif weights.exists():
        committed = torch.load(weights, weights_only=False, map_location=device)
        gen.load_state_dict(committed["model"])
        before = committed.get("total_steps", committed.get("step", 0))
        print(f"continuing {name} from committed weights (new discriminator)")
    else:
        init = checkpoint_path(f"{settings.init_style}-{settings.tier}")
        gen.load_state_dict(torch.load(init, weights_only=False, map_location=device)["model"])
        print(f"starting {name} from {init}")
    t0, seen = time.perf_counter(), 0
    while step < settings.steps:
        gen.train()
        x, target, mask = (t.to(device) for t in photos.batch(settings.batch))
        real = anime.batch(settings.batch).to(device)
        with torch.autocast(device.type, dtype=torch.bfloat16):
            outs = gen(x)
        fake = outs[0].float()
        # discriminator: hinge loss
        with torch.autocast(device.type, dtype=torch.bfloat16):
            d_real = disc(real)
            d_fake = disc(fake.detach())
        d_loss = torch.stack([F.relu(1 - r.float()).mean() + F.relu(1 + f.float()).mean()
                              for r, f in zip(d_real, d_fake)]).sum()
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()  # type: ignore[no-untyped-call]
        opt_d.step()
        # generator: fool the discriminator, keep the structure
        with torch.autocast(device.type, dtype=torch.bfloat16):
            g_fake = disc(fake)
        adv = torch.stack([-f.float().mean() for f in g_fake]).sum()
        if settings.structure == "renderer":
            struct = stylizer_loss([fake] + [o.float() for o in outs[1:]], target, mask)
        else:
            struct = structure_loss(fake, x) + 0.5 * torch.stack([
                structure_loss(o.float(), F.avg_pool2d(x, x.shape[-1] // o.shape[-1]))
                for o in outs[1:]]).sum()
        g_loss = settings.adversarial_weight * adv + settings.structure_weight * struct
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()  # type: ignore[no-untyped-call]
        opt_g.step()
        step += 1
        seen += settings.batch
        if step % settings.log_every == 0:
            rate = seen / (time.perf_counter() - t0)
            d, a, st = (float(v.detach()) for v in (d_loss, adv, struct))
            print(f"step {step}/{settings.steps} d {d:.3f} adv {a:.3f} struct {st:.4f} "
                  f"{rate:.0f} img/s", flush=True)
            with open(run_dir / "log.tsv", "a", encoding="utf-8") as log:
                log.write(f"{step}\t{d:.4f}\t{a:.4f}\t{st:.5f}\n")
        if step % settings.save_every == 0 or step == settings.steps:
            torch.save({"gen": gen.state_dict(), "disc": disc.state_dict(),
                        "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(), "step": step,
                        "before": before}, state_file)
            torch.save({"model": cpu_state(gen), "step": step, "total_steps": before + step,
                        "tier": settings.tier, "style": "anime", "size": settings.size}, weights)
    return weights


def anime_batch_preview(weights: Path, images: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Outputs of the anime generator for a few BGR crops (for contact sheets)."""
    saved = torch.load(weights, weights_only=False)
    gen = Stylizer(TIERS[saved["tier"]])
    gen.load_state_dict(saved["model"])
    gen.eval()
    with torch.no_grad():
        out = gen(_to_tensor(images))
    assert isinstance(out, torch.Tensor)
    rgb = ((out.permute(0, 2, 3, 1).numpy() + 1) * 127.5).clip(0, 255).astype(np.uint8)
    return np.ascontiguousarray(rgb[..., ::-1])
