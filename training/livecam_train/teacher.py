"""Renders the reference style for every cached face once, so training reads pairs from disk."""

from __future__ import annotations

import logging

from typing import Any

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import numpy.typing as npt

from livecam_train.render.anime import render_anime
from livecam_train.render.fairy_tale import render_fairy_tale
from livecam_train.faces import load_faces

RENDERERS = {"fairy-tale": render_fairy_tale, "anime": render_anime}


log = logging.getLogger("livecam.train")

def _render_chunk(args: tuple[str, npt.NDArray[Any], npt.NDArray[Any]]) -> npt.NDArray[Any]:
    style, images, landmarks = args
    render = RENDERERS[style]
    return np.stack([render(img, lm) for img, lm in zip(images, landmarks)])


def build_targets(cache_dir: Path, style: str, workers: int = 2) -> None:
    """Write `cache_dir/<style>-<split>.npz` with the renderer's output for each face."""
    for split in ("holdout", "train"):
        faces = load_faces(cache_dir, split)
        chunks = [(style, faces.images[i:i + 128], faces.landmarks[i:i + 128])
                  for i in range(0, len(faces.images), 128)]
        parts = []
        with ProcessPoolExecutor(workers) as pool:
            for i, part in enumerate(pool.map(_render_chunk, chunks)):
                parts.append(part)
                log.info(f"{style} {split}: {min((i + 1) * 128, len(faces.images))} of "
                         f"{len(faces.images)}")
        np.savez(cache_dir / f"{style}-{split}.npz", targets=np.concatenate(parts))
