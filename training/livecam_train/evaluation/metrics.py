"""Image quality and temporal stability measures."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from livecam.frame import FrameBGR


def psnr(a: npt.ArrayLike, b: npt.ArrayLike, region: npt.ArrayLike | None = None,
         peak: float = 255.0) -> float:
    """Peak signal-to-noise ratio of `a` against `b`, over the pixels where `region` > 0.5
    when given (a mask broadcast over the channels). `peak` is the value range: 255 for 8-bit
    images, 2 for network tensors in -1..1 (torch tensors are taken as arrays)."""
    x, y = _array(a), _array(b)
    err = (x - y) ** 2
    if region is None:
        mse = float(err.mean())
    else:
        inside = np.broadcast_to(_array(region) > 0.5, err.shape)
        mse = float(err[inside].mean()) if inside.any() else 0.0
    return float(10 * np.log10(peak ** 2 / max(mse, 1e-12 * peak ** 2)))


def _array(value: npt.ArrayLike) -> npt.NDArray[np.float64]:
    detach = getattr(value, "detach", None)   # a torch tensor, without importing torch here
    if detach is not None:
        value = detach().float().cpu().numpy()
    return np.asarray(value, dtype=np.float64)


def ssim(a: FrameBGR, b: FrameBGR) -> float:
    """Mean SSIM over channels with the standard 11-pixel Gaussian window (Wang et al. 2004)."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    values = []
    for ch in range(a.shape[2]):
        x = a[..., ch].astype(np.float64)
        y = b[..., ch].astype(np.float64)

        def blur(img: np.ndarray) -> np.ndarray:  # type: ignore[type-arg]
            return cv2.GaussianBlur(img, (11, 11), 1.5)

        mx, my = blur(x), blur(y)
        vx, vy, cov = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
        m = ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
        values.append(float(m.mean()))
    return float(np.mean(values))


def frame_change(a: FrameBGR, b: FrameBGR, box: tuple[int, int, int, int]) -> float:
    """Mean absolute change between two frames inside `box` (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = box
    return float(np.abs(a[y0:y1, x0:x1].astype(np.int16) - b[y0:y1, x0:x1]).mean())
