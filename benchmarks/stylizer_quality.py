"""Quality of the shipped stylizers on held-out faces, and their flicker on real video.

- fidelity: PSNR/SSIM of each fairy-tale variant against the reference renderer;
- identity: dlib embedding distance between input and output (same person below 0.6);
- anime: share of anime outputs that a small anime-vs-photo classifier, trained here on
  held-out anime faces and held-out photos, calls anime (the network alone, the `anime`
  preset with its geometry warp, and the reference renderer it learns from);
- flicker: mean frame-to-frame change inside the face box, output over input, on three clips;
- a contact sheet (input | fairy-tale | anime).

Needs `livecam train prepare` (the aligned held-out cache) and the eval extra.

    python benchmarks/stylizer_quality.py [--count 200]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from livecam.effects.stylize import StylizeEffect
from livecam_train.evaluation.identity import SAME_PERSON, FaceEmbedder
from livecam_train.evaluation.metrics import frame_change, psnr, ssim
from livecam.frame import Frame
from livecam.geometry.face_shape import FaceReshaper
from livecam.inference.manifest import load_manifest, models_dir
from livecam.inference.onnx_model import ImageModel
from livecam.preset import load_preset
from livecam.sources.video import VideoFileSource
from livecam.tracking.mediapipe_mesh import MediaPipeTracker
from livecam.tracking.settings import TrackingSettings
from livecam_train.faces import load_faces

HERE = Path(__file__).resolve().parent
CACHE = HERE.parent / "training" / "cache"
DATA = Path(os.environ.get("LIVECAM_DATA", HERE.parent.parent / "shared" / "data"))
CLIPS = ("liveportrait_d9.mp4", "liveportrait_d10.mp4", "sadtalker_WDA_KatieHill_000.mp4")


def _models(style: str) -> dict[str, ImageModel]:
    entries = load_manifest()
    return {e.precision: ImageModel(e, models_dir() / e.file) for e in entries.values()
            if e.family == "stylizer" and e.style == style and e.tier == "S"
            and e.precision != "float16"}


class AnimeClassifier(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, 16, 3, 2, 1), nn.ReLU(), nn.Conv2d(16, 32, 3, 2, 1), nn.ReLU(),
            nn.Conv2d(32, 64, 3, 2, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
            nn.Linear(64, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)[:, 0]


def _tensor(images: np.ndarray) -> torch.Tensor:
    small = np.stack([cv2.resize(im, (64, 64), interpolation=cv2.INTER_AREA) for im in images])
    return torch.from_numpy(small.astype(np.float32) / 127.5 - 1).permute(0, 3, 1, 2)


def train_classifier(anime: np.ndarray, photos: np.ndarray, seed: int = 0
                     ) -> tuple[AnimeClassifier, float]:
    """Train on 70 % of each, report accuracy on the other 30 %."""
    torch.manual_seed(seed)
    na, nph = int(len(anime) * 0.7), int(len(photos) * 0.7)
    x = torch.cat([_tensor(anime[:na]), _tensor(photos[:nph])])
    y = torch.cat([torch.ones(na), torch.zeros(nph)])
    model = AnimeClassifier()
    opt = torch.optim.Adam(model.parameters(), 3e-3)
    for _ in range(600):
        idx = torch.randint(0, len(x), (64,))
        batch = x[idx]
        if torch.rand(1) < 0.5:
            batch = batch.flip(3)
        loss = nn.functional.binary_cross_entropy_with_logits(model(batch), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        xa, xp = _tensor(anime[na:]), _tensor(photos[nph:])
        correct = int((model(xa) > 0).sum()) + int((model(xp) <= 0).sum())
    return model, correct / (len(xa) + len(xp))


def anime_share(model: AnimeClassifier, images: np.ndarray) -> float:
    with torch.no_grad():
        return float((model(_tensor(images)) > 0).float().mean())


def flicker(video: Path, effect: StylizeEffect, frames: int = 90) -> dict[str, float]:
    source = VideoFileSource(video, realtime=False)
    tracker = MediaPipeTracker(TrackingSettings(max_faces=1))
    prev_in = prev_out = None
    d_in, d_out = [], []
    for i in range(frames):
        image = source.read()
        if image is None:
            break
        faces = tracker.track(Frame(image, i, i / source.fps))
        out = effect.apply(Frame(image, i, i / source.fps), faces)
        if faces and prev_in is not None and prev_out is not None:
            x0, y0, x1, y1 = (int(v) for v in faces[0].box)
            box = (max(x0, 0), max(y0, 0), x1, y1)
            d_in.append(frame_change(image, prev_in, box))
            d_out.append(frame_change(out, prev_out, box))
        prev_in, prev_out = image, out
    tracker.close()
    return {"input_change": float(np.mean(d_in)), "output_change": float(np.mean(d_out)),
            "ratio": float(np.mean(d_out) / max(np.mean(d_in), 1e-6))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "stylizer-quality.json")
    args = parser.parse_args()
    torch.set_num_threads(2)
    held = load_faces(CACHE, "holdout")
    teacher = np.load(CACHE / "fairy-tale-holdout.npz")["targets"]
    step = max(1, len(held.images) // args.count)
    pick = np.arange(0, len(held.images), step)[: args.count]
    results: dict[str, object] = {"faces": len(pick)}

    fairy = _models("fairy-tale")
    anime_models = _models("anime")
    outputs: dict[str, list[np.ndarray]] = {}
    for precision, model in fairy.items():
        outs = [model.run(held.images[i]) for i in pick]
        outputs[f"fairy-tale-{precision}"] = outs
        results[f"fairy-tale-{precision}"] = {
            "psnr_vs_renderer": float(np.mean([psnr(o, teacher[i]) for o, i in zip(outs, pick)])),
            "ssim_vs_renderer": float(np.mean([ssim(o, teacher[i]) for o, i in zip(outs, pick)])),
        }
    if anime_models:
        first = next(iter(anime_models.values()))
        outputs["anime"] = [first.run(held.images[i]) for i in pick]
        # as a streamer sees it: the preset's geometry (bigger eyes, slimmer jaw) first
        reshaper = FaceReshaper(load_preset("anime").effect_settings.shape, held.images.shape[1])
        outputs["anime-preset"] = [first.run(reshaper.apply(held.images[i], held.landmarks[i])[0])
                                   for i in pick]

    embedder = FaceEmbedder()
    for name, outs in outputs.items():
        if name.endswith("float32") and len(fairy) > 1:
            continue
        dist = [embedder.distance(held.images[i], o, held.landmarks[i]) for o, i in zip(outs, pick)]
        entry = results.setdefault(name, {})
        assert isinstance(entry, dict)
        entry["identity_median"] = float(np.median(dist))
        entry["identity_share_below_0.6"] = float(np.mean(np.array(dist) < SAME_PERSON))
    dist = [embedder.distance(held.images[i], teacher[i], held.landmarks[i]) for i in pick]
    results["renderer"] = {"identity_median": float(np.median(dist)),
                           "identity_share_below_0.6": float(np.mean(np.array(dist) < SAME_PERSON))}

    anime_held = np.load(CACHE / "anime-faces-holdout.npz")["images"]
    others = np.setdiff1d(np.arange(len(held.images)), pick)
    classifier, accuracy = train_classifier(anime_held, held.images[others])
    results["anime_classifier"] = {"held_out_accuracy": accuracy,
                                   "photos_called_anime": anime_share(classifier,
                                                                      held.images[pick])}
    for name, outs in outputs.items():
        entry = results.setdefault(name, {})
        assert isinstance(entry, dict)
        entry["called_anime"] = anime_share(classifier, np.stack(outs))
    # the anime network's own target: how far a structure-keeping filter gets on its own
    anime_targets = np.load(CACHE / "anime-holdout.npz")["targets"]
    results["anime-renderer"] = {"called_anime": anime_share(classifier, anime_targets[pick])}

    for preset in ("fairy-tale", "anime"):
        effect = StylizeEffect(load_preset(preset).effect_settings)
        results[f"flicker_{preset.replace('-', '_')}"] = {
            clip: flicker(DATA / "videos" / clip, effect) for clip in CLIPS}
        effect.close()

    rows = []
    for i in pick[:: max(1, len(pick) // 8)][:8]:
        j = int(np.where(pick == i)[0][0])
        row = [held.images[i], outputs[next(k for k in outputs if k.startswith("fairy"))][j]]
        if "anime" in outputs:
            row.append(outputs["anime"][j])
        rows.append(np.hstack(row))
    sheet = np.vstack(rows)
    cv2.imwrite(str(args.out.with_name("stylizer-contact-sheet.jpg")),
                cv2.resize(sheet, None, fx=0.75, fy=0.75, interpolation=cv2.INTER_AREA),
                [cv2.IMWRITE_JPEG_QUALITY, 88])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1))
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
