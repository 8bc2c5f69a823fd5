"""Aligned face crops from the shared data, cached once so training never re-runs MediaPipe.

Every photo goes through the same MediaPipe mesh and the same `align_face` crop as the live
effect. Each set is split by a hash of the file name, so the held-out faces never change.
"""

from __future__ import annotations

import logging

from typing import Any

import hashlib
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from livecam.geometry.align import align_face, crop_scale

DEFAULT_DATA = Path(os.environ.get("LIVECAM_DATA", "../shared/data"))

REAL_SETS = {
    "selfie2anime-A": "selfie2anime/trainA",
    "faces-utk": "faces-utk",
    "faces-celeba": "faces-celeba-ids",
}
HOLDOUT_PERCENT = 10


log = logging.getLogger("livecam.train")

@dataclass(frozen=True, slots=True)
class FaceSet:
    """Aligned crops with their landmarks in crop pixels."""

    images: npt.NDArray[np.uint8]        # N×side×side×3 BGR
    landmarks: npt.NDArray[np.float32]   # N×478×2
    valid: npt.NDArray[np.uint8]         # N×side×side, 0 where the crop lies outside the photo
    names: npt.NDArray[np.str_]
    depth: npt.NDArray[np.float32] | None = None   # N×478, in crop pixels (older caches: none)

    def subset(self, keep: list[int]) -> FaceSet:
        return FaceSet(self.images[keep], self.landmarks[keep], self.valid[keep],
                       self.names[keep], None if self.depth is None else self.depth[keep])


def is_held_out(name: str) -> bool:
    """Stable split: the same file is always in the same half."""
    if "/test/" in name.replace(os.sep, "/"):
        return True
    if "/faces-celeba-ids/" in name.replace(os.sep, "/"):
        return False
    digest = hashlib.sha1(Path(name).name.encode()).digest()
    return digest[0] * 100 // 256 < HOLDOUT_PERCENT


def list_photos(data_dir: Path, folder: str) -> list[Path]:
    return sorted(p for p in (data_dir / folder).rglob("*") if p.suffix.lower() in
                  (".jpg", ".jpeg", ".png"))


Aligned = tuple[str, npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[Any]]


def _align_many(args: tuple[list[str], int]) -> list[Aligned]:
    import cv2  # noqa: PLC0415 - runs in a worker process
    import mediapipe as mp  # noqa: PLC0415

    from livecam.tracking.mediapipe_mesh import _to_points  # noqa: PLC0415

    paths, side = args
    out = []
    # static mode: every photo is detected afresh, none is tracked from the one before
    mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1,
                                           refine_landmarks=True, min_detection_confidence=0.5)
    for path in paths:
        image = cv2.imread(path)
        if image is None:
            continue
        result = mesh.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
        if not result.multi_face_landmarks:
            continue
        h, w = image.shape[:2]
        landmarks = _to_points(result.multi_face_landmarks[0], w, h)
        aligned = align_face(image, landmarks, side)
        inside = np.full(image.shape[:2], 255, np.uint8)
        valid = cv2.warpAffine(inside, aligned.to_crop, (side, side), flags=cv2.INTER_NEAREST)
        depth = landmarks[:, 2] * crop_scale(aligned.to_crop)   # as x and y are scaled
        out.append((path, aligned.image, aligned.landmarks, valid, depth))
    mesh.close()
    return out


def build_cache(data_dir: Path, cache_dir: Path, side: int = 256, workers: int = 2) -> None:
    """Align every real photo once into `cache_dir/{train,holdout}.npz`."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    paths = [str(p) for folder in REAL_SETS.values() for p in list_photos(data_dir, folder)]
    chunks = [(paths[i:i + 64], side) for i in range(0, len(paths), 64)]
    rows: list[Aligned] = []
    with ProcessPoolExecutor(workers) as pool:
        for done, chunk in enumerate(pool.map(_align_many, chunks)):
            rows.extend(chunk)
            if done % 20 == 0:
                log.info(f"aligned {len(rows)} of {len(paths)} photos")
    for split, keep in (("train", False), ("holdout", True)):
        part = [r for r in rows if is_held_out(r[0]) == keep]
        np.savez(cache_dir / f"{split}.npz",
                 images=np.stack([r[1] for r in part]),
                 landmarks=np.stack([r[2] for r in part]).astype(np.float32),
                 valid=np.stack([r[3] for r in part]),
                 names=np.array([os.path.relpath(r[0], data_dir) for r in part]),
                 depth=np.stack([r[4] for r in part]).astype(np.float32))
        log.info(f"{split}: {len(part)} faces")


def keeps_depth(cache_dir: Path) -> bool:
    """Whether the face cache is there and holds the meshes' depth (older caches do not)."""
    faces = cache_dir / "train.npz"
    if not faces.is_file():
        return False
    with np.load(faces) as cached:
        return "depth" in cached.files


def load_faces(cache_dir: Path, split: str) -> FaceSet:
    data = np.load(cache_dir / f"{split}.npz")
    return FaceSet(data["images"], data["landmarks"], data["valid"], data["names"],
                   data["depth"] if "depth" in data.files else None)


def build_anime_cache(data_dir: Path, cache_dir: Path, side: int = 256) -> None:
    """The anime faces (selfie2anime trainB) as arrays, split like the real faces."""
    import cv2  # noqa: PLC0415

    paths = list_photos(data_dir, "selfie2anime/trainB")
    for split, keep in (("train", False), ("holdout", True)):
        images = []
        for path in paths:
            if is_held_out(str(path)) != keep:
                continue
            image = cv2.imread(str(path))
            if image is not None:
                images.append(cv2.resize(image, (side, side), interpolation=cv2.INTER_AREA))
        np.savez(cache_dir / f"anime-faces-{split}.npz", images=np.stack(images))
        log.info(f"anime {split}: {len(images)} faces")
