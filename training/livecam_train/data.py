"""Training batches: BGR crops to network tensors, with the same random crop and flip applied
to an input and everything paired with it."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import torch


def to_tensor(batch_bgr: npt.NDArray[Any]) -> torch.Tensor:
    """BGR uint8 (N, H, W, 3) → RGB float (N, 3, H, W) in -1..1, the networks' input."""
    rgb = batch_bgr[..., ::-1].astype(np.float32) / 127.5 - 1.0
    return torch.from_numpy(np.ascontiguousarray(rgb.transpose(0, 3, 1, 2)))


def resized(images: npt.NDArray[Any], size: int) -> torch.Tensor:
    """`images` shrunk to `size` (area filter) as one tensor: a held-out batch."""
    return to_tensor(np.stack([cv2.resize(im, (size, size), interpolation=cv2.INTER_AREA)
                               for im in images]))


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
    """Input, target and validity mask, cropped and flipped together."""

    def __init__(self, images: npt.NDArray[Any], targets: npt.NDArray[Any],
                 valid: npt.NDArray[Any], size: int, seed: int) -> None:
        self.images, self.targets, self.valid = images, targets, valid
        self.size = size
        self.rng = np.random.default_rng(seed)

    def batch(self, n: int, size: int | None = None
              ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        xs, ys, ms = [], [], []
        for i in self.rng.integers(0, len(self.images), n):
            parts = augment(self.rng, (self.images[i], self.targets[i], self.valid[i]),
                            size or self.size)
            xs.append(parts[0])
            ys.append(parts[1])
            ms.append(parts[2])
        mask = torch.from_numpy((np.stack(ms) > 128).astype(np.float32))[:, None]
        return to_tensor(np.stack(xs)), to_tensor(np.stack(ys)), mask


class ImageSampler:
    """Random scale-crop and flip of unpaired images."""

    def __init__(self, images: npt.NDArray[np.uint8], size: int, seed: int) -> None:
        self.images = images
        self.size = size
        self.rng = np.random.default_rng(seed)

    def batch(self, n: int, size: int | None = None) -> torch.Tensor:
        picks = self.rng.integers(0, len(self.images), n)
        return to_tensor(np.stack([augment(self.rng, (self.images[i],), size or self.size)[0]
                                   for i in picks]))
