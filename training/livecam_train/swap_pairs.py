"""Self-supervised training pairs for the fusion model: real faces with swap artefacts made on
purpose, and the real face as the answer.

- Same-person pairs (CelebA identities): another photo of the same person is warped onto this
  photo's mesh, as the live swap warps an enrolled face; the answer is this photo, so the model
  learns light and colour transfer across photos and the warp's own artefacts.
- Self pairs (every face): the face warped onto its own mesh moved a little (misalignment),
  then given a colour cast, a gamma, a directional light, blur or sharpening and noise.
Both are then dressed by the run-time `dress` (colour and light transfer, in 3D where the cache
holds depth, the target's own eyes and mouth laid in, the mask), so training sees what the live
swap gives the model.
Identities listed in HELD_OUT_IDS never appear (they are for evaluation).
"""

from __future__ import annotations

from collections import defaultdict

import cv2
import numpy as np
import numpy.typing as npt
import torch

from livecam.frame import FrameBGR
from livecam.effects.face_swap import FaceSwapSettings
from livecam.swap.fusion_input import dress, target_context
from livecam.swap.interiors import iris_chroma
from livecam.swap.relight import photo_light
from livecam.swap.worn import enrolled_skin
from livecam_train.faces import FaceSet

DRESSING = FaceSwapSettings().dressing   # the face swap's own (the preset keeps these)
HELD_OUT_IDS = frozenset(f"celeb_{i}" for i in range(80, 100))   # 20 identities for evaluation


def identity_of(name: str) -> str | None:
    """The CelebA identity folder of a cached face, or None for other sets."""
    parts = name.replace("\\", "/").split("/")
    return parts[-2] if "faces-celeba-ids" in parts else None


def perturb(rng: np.random.Generator, image: FrameBGR) -> FrameBGR:
    """A different camera and room: colour cast, gamma, directional light, blur or sharpen,
    noise."""
    out = image.astype(np.float32) / 255.0
    out *= rng.uniform(0.8, 1.2, 3).astype(np.float32)
    out = np.clip(out, 0, 1) ** rng.uniform(0.75, 1.35)
    h, w = image.shape[:2]
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * np.linspace(-1, 1, w)[None, :]
            + np.sin(angle) * np.linspace(-1, 1, h)[:, None])
    out *= (1 + rng.uniform(0.0, 0.35) * ramp)[..., None].astype(np.float32)
    pick = rng.integers(0, 3)
    if pick == 0:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.6, 1.6))
    elif pick == 1:
        soft = cv2.GaussianBlur(out, (0, 0), 1.5)
        out = out + rng.uniform(0.3, 1.0) * (out - soft)
    out += rng.normal(0, rng.uniform(0, 0.02), out.shape).astype(np.float32)
    return (np.clip(out, 0, 1) * 255).astype(np.uint8)


class SwapPairSampler:
    """Random batches of (model input, answer, loss weight) at `size`; `held_out` draws from
    the held-out identities only (evaluation)."""

    def __init__(self, faces: FaceSet, size: int, seed: int, same_person_share: float = 0.5,
                 held_out: bool = False) -> None:
        self.faces = faces
        self.size = size
        self.rng = np.random.default_rng(seed)
        self.share = same_person_share
        by_id: dict[str, list[int]] = defaultdict(list)
        keep = []
        for i, name in enumerate(faces.names):
            person = identity_of(str(name))
            if (person in HELD_OUT_IDS) != held_out:
                continue   # training never sees the held-out identities; evaluation only them
            keep.append(i)
            if person is not None:
                by_id[person].append(i)
        self.indices = np.asarray(keep)
        self.same_person = {i: ids for ids in by_id.values() for i in ids if len(ids) > 1}

    def sample(self, i: int) -> tuple[npt.NDArray[np.float32], FrameBGR, npt.NDArray[np.float32]]:
        """One pair at the cache's side: 7-channel input in [-1, 1], answer, weight."""
        image, marks, valid, depth = self._scaled(i)
        side = image.shape[0]
        if i in self.same_person and self.rng.random() < self.share:
            j = int(self.rng.choice([k for k in self.same_person[i] if k != i]))
            src_img, src_marks, _, src_depth = self._scaled(j)
        else:
            src_img = perturb(self.rng, image)
            src_marks = marks + self.rng.normal(0, side / 200, marks.shape).astype(np.float32)
            src_marks += self.rng.uniform(-side / 80, side / 80, 2).astype(np.float32)
            src_depth = depth
        # worn on the target's own mesh: a same-person pair has no shape to transfer. With
        # depth in the cache the light is fitted in 3D as the live swap does; an older cache
        # has none, and the light is moved by the brightness ratio alone
        light = None
        if depth is not None and src_depth is not None:
            marks = np.column_stack([marks, depth])
            light = photo_light(src_img, np.column_stack([src_marks, src_depth]))
        dressed = dress(image, marks, marks[:, :2], src_img, src_marks,
                        enrolled_skin(src_img, src_marks, side)[0], DRESSING,
                        iris_chroma(src_img, src_marks),
                        light)
        mask = dressed.mask
        context = target_context(image, mask)
        x = np.concatenate([context.astype(np.float32) / 127.5 - 1,
                            dressed.warped.astype(np.float32) / 127.5 - 1,
                            mask[..., None] * 2 - 1], axis=2)
        weight = valid * (1.0 + 4.0 * mask)
        return x, image, weight

    def _scaled(self, i: int) -> tuple[FrameBGR, npt.NDArray[np.float32],
                                       npt.NDArray[np.float32], npt.NDArray[np.float32] | None]:
        """Face `i` at the sampler's side: image, mesh (N×2), valid pixels and depth (N)."""
        image, marks = self.faces.images[i], self.faces.landmarks[i]
        depth = None if self.faces.depth is None else self.faces.depth[i]
        valid = (self.faces.valid[i] > 128).astype(np.float32)
        if image.shape[0] != self.size:
            scale = self.size / image.shape[0]
            size = (self.size, self.size)
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
            valid = cv2.resize(valid, size, interpolation=cv2.INTER_AREA)
            marks = marks * scale
            depth = None if depth is None else depth * np.float32(scale)
        return image, marks.astype(np.float32), valid, depth

    def batch(self, n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        xs, ys, ws = [], [], []
        for i in self.rng.choice(self.indices, n):
            x, y, w = self.sample(int(i))
            xs.append(x)
            ys.append(y[..., ::-1].astype(np.float32) / 127.5 - 1)   # answers in RGB
            ws.append(w)
        x_t = torch.from_numpy(np.stack(xs)).permute(0, 3, 1, 2).contiguous()
        # the model takes RGB: swap the two images' channel order (BGR in the cache)
        x_t = x_t[:, [2, 1, 0, 5, 4, 3, 6]]
        y_t = torch.from_numpy(np.stack(ys)).permute(0, 3, 1, 2).contiguous()
        w_t = torch.from_numpy(np.stack(ws))[:, None]
        return x_t, y_t, w_t
