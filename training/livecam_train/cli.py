"""`livecam train ...`: the training commands, reached through livecam's own CLI."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from livecam.config_tables import choices
from livecam.inference.choices import FusionTier, Tier
from livecam_train.loop import RunSettings
from livecam_train.paths import cache_dir

log = logging.getLogger("livecam.train")


def _run_args(p: argparse.ArgumentParser, defaults: RunSettings) -> None:
    """The loop's settings, with this trainer's defaults."""
    p.add_argument("--steps", type=int, default=defaults.steps,
                   help=f"total steps; a run resumes toward it (default {defaults.steps})")
    p.add_argument("--batch", type=int, default=defaults.batch,
                   help=f"images per step (default {defaults.batch})")
    p.add_argument("--size", type=int, default=defaults.size,
                   help=f"training crop side (default {defaults.size})")
    p.add_argument("--sizes", type=_sides, default=defaults.sizes,
                   help="crop sides the steps take in turn, e.g. 128,192,256 (a network for "
                        "every rung of the resolution controller); --size is the held-out "
                        "checks' side")
    p.add_argument("--lr", type=float, default=defaults.lr,
                   help=f"peak learning rate (default {defaults.lr:g})")
    p.add_argument("--threads", type=int, default=defaults.threads,
                   help=f"CPU threads (default {defaults.threads})")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default=defaults.device,
                   help="where to train (auto: a GPU when PyTorch sees one)")


def _sides(text: str) -> tuple[int, ...]:
    try:
        sides = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected sides like 128,192,256, got {text!r}") from None
    if any(side < 64 or side % 32 for side in sides):
        raise argparse.ArgumentTypeError(f"sides must be multiples of 32 from 64, got {text!r}")
    return sides


def _run(args: argparse.Namespace, defaults: RunSettings) -> RunSettings:
    return dataclasses.replace(defaults, steps=args.steps, batch=args.batch, size=args.size,
                               sizes=args.sizes,
                               lr=args.lr, threads=args.threads, device=args.device)


def _default_run(settings: type) -> RunSettings:
    run = next(f for f in dataclasses.fields(settings) if f.name == "run")
    assert run.default_factory is not dataclasses.MISSING
    made = run.default_factory()
    assert isinstance(made, RunSettings)
    return made


def build_parser() -> argparse.ArgumentParser:
    from livecam_train.prune import PruneSettings  # noqa: PLC0415
    from livecam_train.qat_fusion import QatSettings  # noqa: PLC0415
    from livecam_train.train_anime import AnimeSettings  # noqa: PLC0415
    from livecam_train.train_fusion import FusionSettings  # noqa: PLC0415
    from livecam_train.train_stylizer import StylizerSettings  # noqa: PLC0415

    parser = argparse.ArgumentParser(prog="livecam train",
                                     description="train the project's models")
    sub = parser.add_subparsers(dest="train_command", required=True)
    prepare = sub.add_parser("prepare", help="align the shared faces and render the reference "
                             "styles once")
    prepare.add_argument("--data", default=None, help="shared data folder (default "
                         "$LIVECAM_DATA or ../shared/data)")
    prepare.add_argument("--style", default=None, help="render one style (default: every "
                         "style whose targets are not cached yet)")
    stylizer = sub.add_parser("stylizer", help="distil a style into a stylizer tier")
    stylizer.add_argument("--style", default="fairy-tale")
    stylizer.add_argument("--tier", default="S", choices=choices(Tier))
    _run_args(stylizer, _default_run(StylizerSettings))
    anime = sub.add_parser("anime", help="adversarial anime training from the fairy-tale "
                           "weights")
    anime.add_argument("--tier", default="S", choices=choices(Tier))
    anime.add_argument("--structure-weight", type=float, default=10.0)
    anime.add_argument("--adversarial-weight", type=float, default=0.2)
    anime.add_argument("--structure", choices=("renderer", "input"), default="renderer",
                       help="structure target: the anime reference renderer (paired) or the "
                            "blurred input")
    _run_args(anime, _default_run(AnimeSettings))
    prune = sub.add_parser("prune", help="prune a trained stylizer's channels and heal it by "
                           "distillation from the unpruned one")
    prune.add_argument("weights", help="the teacher: training/checkpoints/STYLE-TIER.pt")
    prune.add_argument("--ratio", type=float, default=0.5,
                       help="share of channels removed from each prunable group")
    _run_args(prune, _default_run(PruneSettings))
    fusion = sub.add_parser("fusion", help="self-supervised face-swap fusion model")
    fusion.add_argument("--tier", default="S", choices=choices(FusionTier))
    _run_args(fusion, _default_run(FusionSettings))
    qat = sub.add_parser("fusion-qat", help="fine-tune the fusion model with INT8 simulated, "
                         "so its INT8 export holds still")
    qat.add_argument("--tier", default="S", choices=choices(FusionTier))
    _run_args(qat, _default_run(QatSettings))
    publish = sub.add_parser("publish", help="export weights to ONNX variants in models/")
    publish.add_argument("weights", help="training/checkpoints/STYLE-TIER.pt")
    publish.add_argument("--models", default="models")
    return parser


def _prepare(args: argparse.Namespace, cache: Path) -> None:
    from livecam_train.faces import (DEFAULT_DATA, build_anime_cache, build_cache,  # noqa: PLC0415
                                     keeps_depth)
    from livecam_train.teacher import RENDERERS, build_targets  # noqa: PLC0415

    data = Path(args.data) if args.data else DEFAULT_DATA
    if not data.is_dir():
        raise SystemExit(f"livecam train: error: shared data not found at {data}; pass --data")
    if not keeps_depth(cache):
        build_cache(data, cache)   # a cache from before depth was kept is aligned again
    if not (cache / "anime-faces-train.npz").is_file():
        build_anime_cache(data, cache)
    for style in [args.style] if args.style else list(RENDERERS):
        if args.style or not (cache / f"{style}-train.npz").is_file():
            build_targets(cache, style)


def _train(args: argparse.Namespace, cache: Path) -> Path:
    """The trainer the command names, with its settings from the arguments."""
    from livecam_train.prune import PruneSettings, train_pruned  # noqa: PLC0415
    from livecam_train.qat_fusion import QatSettings, train_fusion_qat  # noqa: PLC0415
    from livecam_train.train_anime import AnimeSettings, train_anime  # noqa: PLC0415
    from livecam_train.train_fusion import FusionSettings, train_fusion  # noqa: PLC0415
    from livecam_train.train_stylizer import StylizerSettings, train_stylizer  # noqa: PLC0415

    command = args.train_command
    if command == "prune" and not 0.0 < args.ratio < 0.9:
        raise SystemExit("livecam train: error: --ratio must be between 0 and 0.9 (the share "
                         "of channels removed)")
    trainers: dict[str, tuple[type, Callable[..., Path], Callable[[], dict[str, Any]]]] = {
        "stylizer": (StylizerSettings, train_stylizer,
                     lambda: {"style": args.style, "tier": args.tier}),
        "anime": (AnimeSettings, train_anime, lambda: {
            "tier": args.tier, "structure": args.structure,
            "structure_weight": args.structure_weight,
            "adversarial_weight": args.adversarial_weight}),
        "prune": (PruneSettings, train_pruned,
                  lambda: {"teacher": Path(args.weights), "ratio": args.ratio}),
        "fusion": (FusionSettings, train_fusion, lambda: {"tier": args.tier}),
        "fusion-qat": (QatSettings, train_fusion_qat, lambda: {"tier": args.tier}),
    }
    settings_type, trainer, own = trainers[command]
    settings = settings_type(**own(), run=_run(args, _default_run(settings_type)))
    return trainer(settings, cache)


def _publish(args: argparse.Namespace, cache: Path) -> None:
    import torch  # noqa: PLC0415

    if torch.load(args.weights, weights_only=False).get("family") == "fusion":
        from livecam_train.publish_fusion import publish_fusion  # noqa: PLC0415

        reports, plain = publish_fusion(Path(args.weights), Path(args.models), cache)
        for f in reports:
            log.info("%s: %.2f MB, %.1f ms at 256², swap-region PSNR %.2f dB (plain paste "
                     "%.2f dB)", f.path.name, f.size_bytes / 1e6, f.latency_ms_256,
                     f.psnr_region, plain)
        return
    from livecam_train.publish import publish  # noqa: PLC0415

    for r in publish(Path(args.weights), Path(args.models), cache):
        log.info("%s: %.2f MB, %.1f ms at 192², %.1f ms at 256², PSNR vs renderer %.2f dB",
                 r.path.name, r.size_bytes / 1e6, r.latency_ms_192, r.latency_ms_256,
                 r.psnr_vs_teacher)


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    cache = cache_dir()
    if args.train_command == "prepare":
        _prepare(args, cache)
    elif args.train_command == "publish":
        _publish(args, cache)
    else:
        weights = _train(args, cache)
        print(weights, file=sys.stdout)
    return 0
