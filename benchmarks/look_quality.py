"""How the `fairy-tale` and `anime` presets look, measured as issue 12 asks, against the same
presets at an earlier commit.

Each face goes through the whole `stylize` effect as `livecam run` uses it (preset settings,
tracked mesh, paste into the frame). MediaPipe's mesh is read afresh on the input and on the
output, and from the two:
- eye opening: area inside both eyelid contours / inter-ocular distance², output / input;
- eye sharpness: Sobel gradient energy in a box of ±0.28 inter-ocular distances around each
  iris, at the frame's resolution, output / input;
- identity: dlib embedding distance input → output (same person below 0.6);
- face found: share of outputs on which MediaPipe still finds a face;
- anime: share of outputs that the anime-vs-photo classifier of `stylizer_quality.py` calls
  anime (the classifier sees the aligned face crop, as it was trained), averaged over
  classifiers trained from `JUDGES` seeds: one alone moves by a fifth with its seed.
Faces: 200 held-out aligned crops (identities never trained on), each scaled ×2 to 512 px so
the face covers about 300 px, as in a 720p webcam frame; and the shared test photos at their
own resolution. On video (four shared clips, up to 300 frames each: d9 has strong expressions
and blinks, d10 and d0 sideways looks): flicker (face-box change over the input's); edge
contrast (the face box's gradient energy, output over input: a crisper, higher-contrast look
moving as the camera's face does changes more from frame to frame in proportion, flicker
or not) and flicker over it (1: the output's edges move as the camera's do; above: change
no motion explains); the
eye-sharpness ratio on the fastest-moving tenth of frames against the stillest tenth (smear;
also with blink frames set aside, as the fastest tenth of a still head is its blinks);
and how eye opening, mouth opening and each iris's position in its eye on the output follow
the input (Pearson r, with the input's and the output's ranges).

    python benchmarks/look_quality.py [--count 200] [--before e1e8fd7] [--precision float32]
    python benchmarks/look_quality.py --rung lowest \
        --out benchmarks/results/look-quality-lowest.json

`--rung lowest` measures both looks at the resolution controller's lowest rung (128 px face crop
and background), where it holds a 2-core machine; the contact sheet is named after `--out`.

`--before REV` renders the same faces with the presets and models of commit REV (a git worktree
in benchmarks/.cache/) for the comparison columns and the contact sheet
(input | before fairy-tale | fairy-tale | anime). Needs `livecam train prepare` and the eval
extra.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = ROOT / "training" / "cache"
DATA = Path(os.environ.get("LIVECAM_DATA", ROOT.parent / "shared" / "data"))
CLIPS = ("liveportrait_d9.mp4", "liveportrait_d10.mp4", "sadtalker_WDA_KatieHill_000.mp4",
         "liveportrait_d0.mp4")
PRESETS = ("fairy-tale", "anime")
JUDGES = 5   # anime-vs-photo classifiers, each from its own seed
BLINK_OPENING = 0.6   # eye opening under this share of the clip's median: a blink frame


def preset_settings(preset: str, precision: str, rung: str) -> Any:
    """The preset's stylize settings at `rung`: "preset" (its own crop sides) or "lowest" (the
    balanced ladder's first rung, where the resolution controller holds a 2-core machine)."""
    import dataclasses  # noqa: PLC0415

    from livecam.adapt.ladder import QUALITY_BOUNDS, build_ladder  # noqa: PLC0415
    from livecam.preset import load_preset  # noqa: PLC0415

    settings = dataclasses.replace(load_preset(preset).effect_settings, precision=precision)
    if rung == "lowest":
        first = build_ladder(QUALITY_BOUNDS["balanced"])[0]
        settings = dataclasses.replace(settings, face_side=first.face_side,
                                       background_width=first.background_width
                                       if settings.background_width else 0)
    return settings


def render(images: list[np.ndarray], marks: list[np.ndarray], preset: str,
           precision: str = "auto", rung: str = "preset") -> list[np.ndarray]:
    """Each image through the preset's effect with its known mesh (only APIs that earlier
    commits share, so `--before` can run this against an older package)."""
    import dataclasses  # noqa: PLC0415

    from livecam.effects.stylize import StylizeEffect  # noqa: PLC0415
    from livecam.frame import Face, Frame  # noqa: PLC0415
    from livecam.tracking.pose import head_pose  # noqa: PLC0415

    settings = dataclasses.replace(preset_settings(preset, precision, rung), steady=0.0)
    effect = StylizeEffect(settings)
    outs = []
    for i, (image, lm) in enumerate(zip(images, marks)):
        box = (float(lm[:, 0].min()), float(lm[:, 1].min()), float(lm[:, 0].max()),
               float(lm[:, 1].max()))
        face = Face(i, lm.astype(np.float32), box, head_pose(lm))   # a new face each time
        outs.append(effect.apply(Frame(image, i, i / 30.0), [face]))
    effect.close()
    return outs


def _render_child(args: argparse.Namespace) -> None:
    data = np.load(args.render_child, allow_pickle=True)
    images, marks = list(data["images"]), list(data["marks"])
    result = {p: _objects(render(images, marks, p, args.precision, args.rung)) for p in PRESETS}
    np.savez(args.render_child.with_suffix(".out.npz"), **result)


def _objects(arrays: list[np.ndarray]) -> np.ndarray:
    """A 1-D object array of `arrays`, however alike their shapes (np.array would stack them)."""
    out = np.empty(len(arrays), dtype=object)
    out[:] = arrays
    return out


def render_before(rev: str, images: list[np.ndarray], marks: list[np.ndarray],
                  precision: str, rung: str) -> dict[str, list[np.ndarray]]:
    tree = HERE / ".cache" / f"before-{rev}"
    if not tree.is_dir():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), rev],
                       check=True)
    job = HERE / ".cache" / "before-job.npz"
    np.savez(job, images=_objects(images), marks=_objects(marks))
    env = dict(os.environ, PYTHONPATH=str(tree))
    subprocess.run([sys.executable, __file__, "--render-child", str(job), "--precision",
                    precision, "--rung", rung], check=True, env=env, cwd=str(tree))
    out = np.load(job.with_suffix(".out.npz"), allow_pickle=True)
    return {p: list(out[p]) for p in PRESETS}


def still_faces(count: int, reader: Any
                ) -> tuple[list[np.ndarray], list[np.ndarray], list[str], int]:
    """Held-out faces (scaled ×2) then the test photos; and how many are held-out faces."""
    from livecam_train.faces import load_faces  # noqa: PLC0415

    held = load_faces(CACHE, "holdout")
    step = max(1, len(held.images) // max(count, 1))
    images, marks, names = [], [], []
    for i in range(0, len(held.images), step):
        if len(images) >= count:
            break
        big = cv2.resize(held.images[i], (512, 512), interpolation=cv2.INTER_CUBIC)
        lm = reader.read(big)
        if lm is not None:
            images.append(big)
            marks.append(lm)
            names.append(str(held.names[i]))
    n_held = len(images)
    for path in sorted((DATA / "test-photos").glob("*.jpg")):
        image = cv2.imread(str(path))
        lm = reader.read(image) if image is not None else None
        if lm is not None:
            images.append(image)
            marks.append(lm)
            names.append(path.name)
    print(f"{n_held} held-out faces and {len(images) - n_held} test photos", flush=True)
    return images, marks, names, n_held


def measure_stills(images: list[np.ndarray], marks: list[np.ndarray],
                   outs: list[np.ndarray], reader: Any, embedder: Any, classifiers: list[Any]
                   ) -> dict[str, Any]:
    from livecam_train.evaluation.identity import SAME_PERSON  # noqa: PLC0415
    from livecam_train.evaluation.look import eye_opening, eye_sharpness  # noqa: PLC0415
    from livecam.geometry.align import align_face  # noqa: PLC0415
    from stylizer_quality import anime_share  # noqa: PLC0415

    opening, sharp, dist, crops = [], [], [], []
    found = 0
    for image, lm, out in zip(images, marks, outs):
        dist.append(embedder.distance(image, out, lm))
        crops.append(align_face(out, lm, 256).image)
        got = reader.read(out)
        if got is None:
            continue
        found += 1
        opening.append(eye_opening(got) / max(eye_opening(lm), 1e-6))
        sharp.append(eye_sharpness(out, got) / max(eye_sharpness(image, lm), 1e-6))
    d = np.array(dist)
    shares = [anime_share(c, np.stack(crops)) for c in classifiers]
    return {"faces": len(images), "face_found": found / len(images),
            "eye_opening_median": float(np.median(opening)),
            "eye_sharpness_median": float(np.median(sharp)),
            "identity_median": float(np.median(d)),
            "identity_share_below_0.6": float(np.mean(d < SAME_PERSON)),
            "called_anime": float(np.mean(shares)), "called_anime_by_judge": shares}


def measure_video(clip: Path, preset: str, reader: Any, frames: int = 300,
                  precision: str = "auto", rung: str = "preset") -> dict[str, Any]:
    """Flicker, smear and how blinks, gaze and the mouth follow, on one clip."""

    from livecam.effects.stylize import StylizeEffect  # noqa: PLC0415
    from livecam_train.evaluation.look import (eye_opening, eye_sharpness,  # noqa: PLC0415
                                         inter_ocular, iris_positions, mouth_opening)
    from livecam_train.evaluation.metrics import frame_change  # noqa: PLC0415
    from livecam.frame import Frame  # noqa: PLC0415
    from livecam.sources.video import VideoFileSource  # noqa: PLC0415
    from livecam.tracking.mediapipe_mesh import MediaPipeTracker  # noqa: PLC0415
    from livecam.tracking.settings import TrackingSettings  # noqa: PLC0415

    source = VideoFileSource(clip, realtime=False)
    tracker = MediaPipeTracker(TrackingSettings(max_faces=1))
    effect = StylizeEffect(preset_settings(preset, precision, rung))
    model = effect.model_name
    prev_in = prev_out = prev_lm = None
    d_in, d_out, motion, sharp, out_sharp, edges = [], [], [], [], [], []
    follow: dict[str, list[tuple[float, float]]] = {"eye": [], "mouth": [], "iris": []}
    for i in range(frames):
        image = source.read()
        if image is None:
            break
        frame = Frame(image, i, i / source.fps)
        faces = tracker.track(frame)
        out = effect.apply(frame, faces)
        if not faces:
            prev_in = None
            continue
        lm = faces[0].landmarks
        if prev_in is not None and prev_out is not None and prev_lm is not None:
            x0, y0, x1, y1 = (int(v) for v in faces[0].box)
            box = (max(x0, 0), max(y0, 0), x1, y1)
            d_in.append(frame_change(image, prev_in, box))
            d_out.append(frame_change(out, prev_out, box))
            edges.append(edge_energy(out, box) / max(edge_energy(image, box), 1e-6))
            got = reader.read(out)
            raw = reader.read(image)
            if got is not None and raw is not None:
                motion.append(float(np.linalg.norm(lm[:, :2] - prev_lm[:, :2], axis=1).mean())
                              / max(inter_ocular(lm), 1e-6))
                sharp.append(eye_sharpness(out, got) / max(eye_sharpness(image, raw), 1e-6))
                out_sharp.append(eye_sharpness(out, got))
                follow["eye"].append((eye_opening(raw), eye_opening(got)))
                follow["mouth"].append((mouth_opening(raw), mouth_opening(got)))
                for a, b in zip(iris_positions(raw), iris_positions(got)):
                    follow["iris"].append((a, b))
        prev_in, prev_out, prev_lm = image, out, lm
    tracker.close()
    effect.close()
    flicker = float(np.mean(d_out) / max(np.mean(d_in), 1e-6))
    edge = float(np.mean(edges))
    result: dict[str, Any] = {"model": model, "flicker": flicker, "edge_contrast": edge,
                              "flicker_per_edge_contrast": flicker / max(edge, 1e-6)}
    if len(motion) >= 20:
        order = np.argsort(motion)
        tenth = max(2, len(order) // 10)
        s = np.array(sharp)
        still, fast = float(np.median(s[order[:tenth]])), float(np.median(s[order[-tenth:]]))
        result.update(sharpness_still=still, sharpness_fast=fast, smear=fast / max(still, 1e-6))
        # the output's own eye sharpness, fast over still: below 1 is a smear (the ratio above
        # also moves when the camera image itself blurs with motion)
        o = np.array(out_sharp)
        result["output_sharpness_fast_over_still"] = float(
            np.median(o[order[-tenth:]]) / max(np.median(o[order[:tenth]]), 1e-6))
        # a blink moves the lid points fast: on a clip whose head hardly moves the fastest
        # tenth is its blinks, and the ratio then compares closed eyes with open ones
        opening = np.array([a for a, _ in follow["eye"]])
        blinking = opening < BLINK_OPENING * np.median(opening)
        result["blink_frames_in_fastest_tenth"] = int(blinking[order[-tenth:]].sum())
        open_order = [i for i in order if not blinking[i]]
        if len(open_order) >= 20:
            k = max(2, len(open_order) // 10)
            result["smear_eyes_open"] = float(np.median(s[open_order[-k:]])
                                              / max(np.median(s[open_order[:k]]), 1e-6))
        for name, pairs in follow.items():
            a = np.array(pairs)
            spread = a.std(axis=0)
            result[f"{name}_follow_r"] = (float(np.corrcoef(a.T)[0, 1])
                                          if spread.min() > 1e-9 else None)
            result[f"{name}_input_range"] = float(np.ptp(a[:, 0]))
            result[f"{name}_output_range"] = float(np.ptp(a[:, 1]))
    return result


def edge_energy(image: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """The gradient energy in `box`, lightly blurred first: camera noise is not an edge."""
    from livecam.swap.detail import gradient_energy  # noqa: PLC0415

    x0, y0, x1, y1 = box
    crop = cv2.GaussianBlur(image[y0:y1, x0:x1], (0, 0), 1.0)
    return gradient_energy(crop, np.ones(crop.shape[:2], bool))


def contact_sheet(images: list[np.ndarray], marks: list[np.ndarray],
                  columns: list[list[np.ndarray]], path: Path) -> None:
    from livecam.geometry.align import align_face  # noqa: PLC0415

    rows = []
    for j in range(len(images)):
        lm = marks[j]
        rows.append(np.hstack([align_face(c[j], lm, 320).image for c in columns]))
    cv2.imwrite(str(path), np.vstack(rows), [cv2.IMWRITE_JPEG_QUALITY, 88])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--before", default=None, help="commit to compare against")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "look-quality.json")
    parser.add_argument("--precision", default="auto",
                        help="the stylizers' precision (auto: as `livecam run` picks it here)")
    parser.add_argument("--rung", choices=("preset", "lowest"), default="preset",
                        help="crop sides: the preset's own, or the resolution controller's "
                             "lowest rung (where it holds 30 fps on a 2-core machine)")
    parser.add_argument("--render-child", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.render_child is not None:
        _render_child(args)
        return

    import torch  # noqa: PLC0415

    from livecam_train.evaluation.identity import FaceEmbedder  # noqa: PLC0415
    from livecam_train.evaluation.look import MeshReader  # noqa: PLC0415
    from livecam_train.faces import load_faces  # noqa: PLC0415
    from stylizer_quality import train_classifier  # noqa: PLC0415

    torch.set_num_threads(2)
    reader = MeshReader()
    images, marks, names, n_held = still_faces(args.count, reader)
    held = load_faces(CACHE, "holdout")
    used = set(names)
    others = np.array([i for i, n in enumerate(held.names) if str(n) not in used])
    anime_held = np.load(CACHE / "anime-faces-holdout.npz")["images"]
    judges = [train_classifier(anime_held, held.images[others], seed) for seed in range(JUDGES)]
    classifiers = [c for c, _ in judges]
    accuracy = [a for _, a in judges]
    embedder = FaceEmbedder()
    results: dict[str, Any] = {"held_out_faces": n_held, "test_photos": len(images) - n_held,
                               "classifier_accuracy": accuracy, "precision": args.precision,
                               "rung": args.rung}

    outputs = {p: render(images, marks, p, args.precision, args.rung) for p in PRESETS}
    runs = {f"now {p}": o for p, o in outputs.items()}
    if args.before:
        for p, o in render_before(args.before, images, marks, args.precision, args.rung).items():
            runs[f"{args.before} {p}"] = o
    for name, outs in runs.items():
        results[name] = {
            "held_out": measure_stills(images[:n_held], marks[:n_held], outs[:n_held], reader,
                                       embedder, classifiers),
            "test_photos": measure_stills(images[n_held:], marks[n_held:], outs[n_held:],
                                          reader, embedder, classifiers)}
        print(name, json.dumps(results[name]), flush=True)
    for p in PRESETS:
        results[f"now {p}"]["video"] = {
            clip: measure_video(DATA / "videos" / clip, p, reader, precision=args.precision,
                                rung=args.rung)
            for clip in CLIPS}
        print(p, json.dumps(results[f"now {p}"]["video"]), flush=True)

    pick = list(range(0, n_held, max(1, n_held // 6)))[:6] + list(range(n_held, len(images)))[:4]
    columns = [[images[i] for i in pick]]
    if args.before:
        columns.append([runs[f"{args.before} fairy-tale"][i] for i in pick])
    columns += [[outputs[p][i] for i in pick] for p in PRESETS]
    contact_sheet([images[i] for i in pick], [marks[i] for i in pick], columns,
                  args.out.with_name(args.out.name.replace("look-quality", "look-contact-sheet")
                                     .replace(".json", ".jpg")))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1))
    reader.close()


if __name__ == "__main__":
    main()
