"""Quantisation-aware fine-tuning of the fusion model, so its INT8 export stops shimmering.

    livecam train fusion-qat --tier S --steps 600

Static INT8 of the float-trained fusion model kept its accuracy but not its stillness: its
rounding errors, spread through the whole network, change when the face moves by a pixel
(see the model card). Here the trained weights are fine-tuned with INT8 rounding simulated
(PyTorch FX fake quantisation: per-channel weights, per-tensor activations; the output heads
in float as in the export) and with a loss that asks the output to move with the input and
no more: L1 between the outputs for the input and for the input shifted by one pixel, shifted
back. The fake-quantisation wrappers are dropped afterwards; the float weights they leave are
exported and quantised by `livecam train publish` as before, which measures the shimmer again.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from livecam.training.faces import load_faces
from livecam.training.fusion_net import FUSION_TIERS, FusionNet
from livecam.training.swap_pairs import SwapPairSampler
from livecam.training.train_fusion import held_out_batch, region_psnr
from livecam.training.train_stylizer import (ROOT, LossLog, checkpoint_path, cosine_lr,
                                             stylizer_loss)


@dataclass(frozen=True, slots=True)
class QatSettings:
    """One quantisation-aware fine-tuning run."""

    tier: str = "S"
    size: int = 128
    steps: int = 600
    batch: int = 8
    lr: float = 2e-4
    shift_weight: float = 1.0
    threads: int = 2
    seed: int = 0
    eval_every: int = 100
    save_every: int = 50
    log_every: int = 25

    @property
    def name(self) -> str:
        return f"fusion-{self.tier}-qat"


def fake_quantised(model: FusionNet, example: torch.Tensor) -> torch.nn.Module:
    """`model` with INT8 rounding simulated; its heads stay in float, as in the export."""
    from torch.ao.quantization import get_default_qat_qconfig_mapping  # noqa: PLC0415
    from torch.ao.quantization.quantize_fx import prepare_qat_fx  # noqa: PLC0415

    mapping = get_default_qat_qconfig_mapping("x86")
    for head in ("head1", "head4", "head8"):
        mapping = mapping.set_module_name(head, None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # FX quantisation's deprecation notice
        return prepare_qat_fx(model.train(), mapping, (example,))


def float_weights(quantised: torch.nn.Module, model: FusionNet) -> dict[str, torch.Tensor]:
    """The plain network's weights out of the fake-quantised one (same qualified names)."""
    own = quantised.state_dict()
    return {k: own[k].detach().clone() for k in model.state_dict()}


def train_fusion_qat(settings: QatSettings, cache_dir: Path = ROOT / "cache") -> Path:
    """Fine-tune the tier's trained weights with INT8 simulated; returns the weights file."""
    torch.manual_seed(settings.seed)
    torch.set_num_threads(settings.threads)
    weights = checkpoint_path(settings.name)   # committed: float weights, as published
    start = weights if weights.exists() else checkpoint_path(f"fusion-{settings.tier}")
    saved = torch.load(start, weights_only=False)
    model = FusionNet(FUSION_TIERS[settings.tier])
    model.load_state_dict(saved["model"])
    step = int(saved.get("step", 0)) if start == weights else 0
    faces = load_faces(cache_dir, "train")
    sampler = SwapPairSampler(faces, settings.size, settings.seed)
    eval_x, eval_y, eval_region = held_out_batch(cache_dir, settings.size)
    quantised = fake_quantised(model, eval_x[:2])
    opt = torch.optim.AdamW(quantised.parameters(), lr=settings.lr, weight_decay=1e-5)
    run_dir = ROOT / "runs" / settings.name
    run_dir.mkdir(parents=True, exist_ok=True)
    state_file = run_dir / "state.pt"
    if state_file.exists():
        state = torch.load(state_file, weights_only=False)
        quantised.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step = state["step"]
    print(f"{settings.name}: from {start}, {settings.size}², batch {settings.batch}", flush=True)
    progress = LossLog(settings.steps, settings.log_every, run_dir / "log.tsv")
    while step < settings.steps:
        quantised.train()
        x, y, w = sampler.batch(settings.batch)
        for group in opt.param_groups:
            group["lr"] = cosine_lr(settings.lr, settings.steps, step)
        outputs = quantised(x)
        shifted = quantised(torch.roll(x, 1, dims=3))[0]
        loss = (stylizer_loss(outputs, y, w) + settings.shift_weight
                * F.l1_loss(torch.roll(shifted, -1, dims=3)[..., 2:-2], outputs[0][..., 2:-2]))
        opt.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        opt.step()
        step += 1
        progress.step(step, loss, settings.batch)
        if step % settings.eval_every == 0 or step == settings.steps:
            quantised.eval()
            with torch.no_grad():
                out = quantised(eval_x)[0]
            print(f"step {step}: held-out swap region PSNR (INT8 simulated) "
                  f"{region_psnr(out, eval_y, eval_region):.2f} dB", flush=True)
        if step % settings.save_every == 0 or step == settings.steps:
            torch.save({"model": quantised.state_dict(), "opt": opt.state_dict(), "step": step},
                       state_file)
            torch.save({"model": float_weights(quantised, model), "step": step,
                        "tier": settings.tier, "family": "fusion", "size": settings.size,
                        "qat": True}, weights)
    return weights
