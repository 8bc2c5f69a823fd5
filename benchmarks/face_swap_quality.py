"""Face swap quality: livecam's swap against the plain mesh swap, on the same pairs.

The plain pipeline is what the issue measured first: MediaPipe triangle warp of the source
photo onto the target's mesh, the face-oval hull as mask, OpenCV seamlessClone. livecam's:
shape transfer, colour transfer, open-mouth keep, feathered mask, and the fusion model
(reported with and without it). All identities are CelebA identities 80-99, which the fusion
model never saw; photos are upscaled 2x (faces about 200 px, as from a webcam).

- identity: different-person pairs; dlib distance from the output to the source photo and to
  the target photo; "closer to source" share and medians.
- realism: same-person pairs (swap one photo of a person onto another of the same person: the
  right answer is the target photo); PSNR/SSIM over the face region.
- seams: gradient energy on the swap boundary over that just inside it (1 = invisible edge).
- sharpness: same-person pairs, gradient energy inside the face over the real photo's (1 = as
  sharp as a photo); "fused_soft" is the fusion model without the detail pass.
- skin tone: CIE76 colour difference between the swapped cheeks and the target's own neck,
  minus the same for the untouched target (0 = the swap kept the target's tone).
- flicker: on liveportrait_d9 swapped with one source, mean frame-to-frame change in the face
  region over the input's; blinks: MediaPipe on the output finds the eyes shut where the
  input's are (and open where they are open).
- mouth, lips and gaze, on liveportrait_d10 (talking, wide-open mouth, sideways glances), with
  MediaPipe read afresh on each output frame: on open-mouth frames the output's inner-lip
  contour against the input's, in inter-ocular distances; whether the lips' colour (Lab a*,
  b*) is nearer the enrolled face's lips than the streamer's, as it stands and as a tint
  against the cheeks (the room's light moves both); each iris's place along its eye, output
  against input, in eye widths.

    python benchmarks/face_swap_quality.py --out benchmarks/results/face-swap-quality.json

With the code of another commit checked out in DIR, its figures and a "today" column of the
contact sheet:

    PYTHONPATH=DIR python benchmarks/face_swap_quality.py --out X.json --tiles /tmp/today
    python benchmarks/face_swap_quality.py --today /tmp/today
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("LIVECAM_DATA", ROOT.parent / "shared" / "data"))
os.environ["LIVECAM_HOME"] = tempfile.mkdtemp(prefix="livecam-bench-")

from livecam.effects.face_swap import FaceSwapEffect, FaceSwapSettings  # noqa: E402
from livecam_train.evaluation.identity import FaceEmbedder  # noqa: E402
from livecam_train.evaluation.metrics import psnr, ssim  # noqa: E402
from livecam.frame import Face, Frame  # noqa: E402
from livecam.geometry.mesh_warp import warp_mesh  # noqa: E402
from livecam.swap.enroll import _detect, examine  # noqa: E402
from livecam.swap.faces_store import load_face, save_face  # noqa: E402
from livecam.tracking.openness import EYES_SHUT, eyes_open_ratio, mouth_open_ratio  # noqa: E402
from livecam.tracking.mesh_regions import FILLED_TRIANGLES  # noqa: E402
from livecam.tracking.mediapipe_mesh import MediaPipeTracker  # noqa: E402
from livecam.tracking.mesh_regions import INNER_LIPS, OUTER_LIPS  # noqa: E402
from livecam.tracking.mesh_topology import FACE_OVAL  # noqa: E402
from livecam.tracking.pose import head_pose  # noqa: E402
from livecam.tracking.settings import TrackingSettings  # noqa: E402


def load(path: Path) -> np.ndarray:
    image = cv2.imread(str(path))
    return cv2.resize(image, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)


def as_face(marks: np.ndarray) -> Face:
    box = (float(marks[:, 0].min()), float(marks[:, 1].min()), float(marks[:, 0].max()),
           float(marks[:, 1].max()))
    return Face(0, marks, box, head_pose(marks))


def hull_mask(marks: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    mask = np.zeros(shape[:2], np.uint8)
    hull = cv2.convexHull(np.round(marks[list(FACE_OVAL), :2]).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, 255)
    return mask


def plain_swap(source: np.ndarray, src_marks: np.ndarray, target: np.ndarray,
               tgt_marks: np.ndarray) -> np.ndarray:
    """Triangle warp + face-oval mask + seamlessClone: the baseline from the issue."""
    warped, _ = warp_mesh(source, src_marks[:, :2], tgt_marks[:, :2], FILLED_TRIANGLES,
                          out=target.copy())
    mask = hull_mask(tgt_marks, target.shape)
    x, y, w, h = cv2.boundingRect(mask)
    return cv2.seamlessClone(warped, target, mask, (x + w // 2, y + h // 2), cv2.NORMAL_CLONE)


def seam_ratio(image: np.ndarray, mask: np.ndarray) -> float:
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float64)
    grad = np.hypot(cv2.Sobel(gray, cv2.CV_64F, 1, 0), cv2.Sobel(gray, cv2.CV_64F, 0, 1))
    k5, k11 = np.ones((5, 5), np.uint8), np.ones((11, 11), np.uint8)
    edge = cv2.dilate(mask, k5) - cv2.erode(mask, k5)
    band = cv2.erode(mask, k5) - cv2.erode(mask, k11)
    return float(grad[edge > 0].mean() / max(grad[band > 0].mean(), 1e-6))


def sharpness(image: np.ndarray, reference: np.ndarray, mask: np.ndarray) -> float:
    inside = cv2.erode(mask, np.ones((11, 11), np.uint8)) > 0

    def energy(im: np.ndarray) -> float:
        gray = cv2.cvtColor(im, cv2.COLOR_BGR2GRAY).astype(np.float64)
        return float(np.hypot(cv2.Sobel(gray, cv2.CV_64F, 1, 0),
                              cv2.Sobel(gray, cv2.CV_64F, 0, 1))[inside].mean())

    return energy(image) / max(energy(reference), 1e-6)


def tone_delta(image: np.ndarray, marks: np.ndarray) -> float:
    """CIE76 between cheek skin and the neck just under the chin."""
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB).astype(np.float64)
    lab[..., 0] *= 100 / 255
    lab[..., 1:] -= 128
    cheeks = np.concatenate([lab[int(marks[i, 1]) - 4:int(marks[i, 1]) + 5,
                                 int(marks[i, 0]) - 4:int(marks[i, 0]) + 5].reshape(-1, 3)
                             for i in (205, 425)])
    chin = marks[152, :2]
    height = float(np.ptp(marks[:, 1]))
    neck = lab[int(chin[1] + 0.08 * height):int(chin[1] + 0.2 * height),
               int(chin[0] - 0.1 * height):int(chin[0] + 0.1 * height)].reshape(-1, 3)
    if len(neck) == 0:
        return float("nan")
    return float(np.linalg.norm(cheeks.mean(0) - neck.mean(0)))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="benchmarks/results/face-swap-quality.json")
    parser.add_argument("--sheet", default="benchmarks/results/face-swap-contact-sheet.jpg")
    parser.add_argument("--pairs", type=int, default=40)
    parser.add_argument("--tiles", help="write this run's contact-sheet tiles here")
    parser.add_argument("--today", help="a column of tiles from another run (--tiles)")
    parser.add_argument("--no-video", action="store_true", help="pairs only")
    parser.add_argument("--video-faces", type=int, default=3,
                        help="enrolled faces worn in turn on the clips")
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"shared data not found at {DATA}", file=sys.stderr)
        return 1
    people: dict[str, list[Path]] = {}
    for split in ("train", "validation", "test"):
        for folder in sorted((DATA / "faces-celeba-ids" / split).glob("celeb_*")):
            if 80 <= int(folder.name.split("_")[1]) < 100:
                people.setdefault(folder.name, []).extend(sorted(folder.glob("*.jpg")))
    rng = np.random.default_rng(0)
    enrolled: dict[str, np.ndarray] = {}
    names = []

    def enrol(path: Path) -> str | None:
        key = f"{path.parent.name}-{path.stem}"
        if key in enrolled:
            return key
        image = load(path)
        tmp = Path(os.environ["LIVECAM_HOME"]) / f"{key}.png"
        cv2.imwrite(str(tmp), image)
        verdict = examine(tmp, key)
        # frontal photos only, as every version of enrolment took them
        if verdict.face is None or abs(verdict.face.pose.yaw_deg) > 25.0:
            return None
        save_face(verdict.face)
        enrolled[key] = image
        names.append(key)
        return key

    def target(path: Path) -> tuple[np.ndarray, np.ndarray] | None:
        image = load(path)
        found = _detect(image)
        return (image, found[0]) if len(found) == 1 else None

    ids = sorted(people)
    same, different = [], []
    while len(same) < args.pairs or len(different) < args.pairs:
        a, b = rng.choice(ids, 2, replace=False)
        pa, pb = rng.choice(people[a], 2, replace=False)
        qb = rng.choice(people[b])
        if len(same) < args.pairs:
            same.append((pa, pb))
        if len(different) < args.pairs:
            different.append((pa, qb))
    methods = ("plain", "livecam", "fused", "fused_soft")
    results: dict[str, dict[str, list[float]]] = {m: {} for m in methods}
    effects = {}
    sheet_rows = []
    embedder = FaceEmbedder()

    def add(method: str, key: str, value: float) -> None:
        results[method].setdefault(key, []).append(value)

    for kind, pairs in (("same", same), ("different", different)):
        for src_path, tgt_path in pairs:
            key = enrol(src_path)
            tgt = target(tgt_path)
            if key is None or tgt is None:
                continue
            tgt_img, tgt_marks = tgt
            src_img = enrolled[key]
            src_marks = _detect(src_img)[0]
            if not effects:
                # stills: no temporal filter (one pair's frame says nothing of the next)
                effects["livecam"] = FaceSwapEffect(FaceSwapSettings(faces=(key,), fusion="off",
                                                                     steady=0.0))
                effects["fused"] = FaceSwapEffect(FaceSwapSettings(faces=(key,), fusion="on",
                                                                   steady=0.0))
                effects["fused_soft"] = FaceSwapEffect(FaceSwapSettings(faces=(key,), fusion="on",
                                                                        detail=0.0, steady=0.0))
            outs = {"plain": plain_swap(src_img, src_marks, tgt_img, tgt_marks)}
            for method in methods[1:]:
                effects[method].wear(load_face(key))
                outs[method] = effects[method].apply(Frame(tgt_img, 0, 0.0), [as_face(tgt_marks)])
            mask = hull_mask(tgt_marks, tgt_img.shape)
            for method, out in outs.items():
                if kind == "same":
                    add(method, "psnr", psnr(out, tgt_img, mask[..., None] > 0))
                    x, y, w, h = cv2.boundingRect(mask)
                    add(method, "ssim", ssim(out[y:y + h, x:x + w], tgt_img[y:y + h, x:x + w]))
                    add(method, "sharpness", sharpness(out, tgt_img, mask))
                else:
                    e_out = embedder.embed(out, tgt_marks)
                    d_src = float(np.linalg.norm(e_out - embedder.embed(src_img, src_marks)))
                    d_tgt = float(np.linalg.norm(e_out - embedder.embed(tgt_img, tgt_marks)))
                    add(method, "to_source", d_src)
                    add(method, "to_target", d_tgt)
                    add(method, "closer_to_source", float(d_src < d_tgt))
                add(method, "seam", seam_ratio(out, mask))
                add(method, "tone", tone_delta(out, tgt_marks) - tone_delta(tgt_img, tgt_marks))
            if kind == "different" and len(sheet_rows) < 6:
                x0, y0 = (max(0, int(v) - 40) for v in tgt_marks[:, :2].min(0))
                x1, y1 = (int(v) + 40 for v in tgt_marks[:, :2].max(0))
                tiles = [cv2.resize(src_img, (256, 256))] + [
                    cv2.resize(im[y0:y1, x0:x1], (256, 256))
                    for im in (tgt_img, outs["plain"], outs["fused"])]
                if args.tiles:   # this code's output, for another run's sheet
                    Path(args.tiles).mkdir(parents=True, exist_ok=True)
                    cv2.imwrite(f"{args.tiles}/{len(sheet_rows)}.png", tiles[-1])
                if args.today:   # source | target | plain | today | this code
                    tiles.insert(3, cv2.imread(f"{args.today}/{len(sheet_rows)}.png"))
                sheet_rows.append(np.hstack(tiles))
    summary = {}
    for method, metrics in results.items():
        summary[method] = {k: (float(np.nanmean(v)) if k in ("closer_to_source",) else
                               float(np.nanmedian(v))) for k, v in metrics.items()}
        summary[method]["pairs_same"] = len(metrics.get("psnr", []))
        summary[method]["pairs_different"] = len(metrics.get("to_source", []))
    # "auto" picks the fusion variant from this machine's device profile: name the one measured
    fusion = effects["fused"].model if "fused" in effects else None
    summary["fusion_model"] = fusion.entry.name if fusion is not None else None
    if not args.no_video:
        summary["video"] = video_checks(names[:args.video_faces])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(summary, indent=1))
    if sheet_rows:
        cv2.imwrite(args.sheet, np.vstack(sheet_rows), [cv2.IMWRITE_JPEG_QUALITY, 88])
    print(json.dumps(summary, indent=1))
    return 0


EYES = ((468, 33, 133), (473, 263, 362))   # iris centre, outer and inner corner


def lip_band(marks: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The lips themselves: inside the outer lip line, outside the inner one."""
    band = np.zeros(shape[:2], np.uint8)
    cv2.fillPoly(band, [np.round(marks[list(OUTER_LIPS), :2]).astype(np.int32)], 255)
    cv2.fillPoly(band, [np.round(marks[list(INNER_LIPS), :2]).astype(np.int32)], 0)
    return cv2.erode(band, np.ones((3, 3), np.uint8)) > 0


def chroma(image: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Mean Lab a*, b* (colour, not brightness) over `where`."""
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB).astype(np.float64)
    return lab[where][:, 1:].mean(0)


def cheeks(image: np.ndarray, marks: np.ndarray) -> np.ndarray:
    """The skin's mean Lab a*, b*, from a patch on each cheek."""
    r = max(2, int(0.08 * interocular(marks)))
    where = np.zeros(image.shape[:2], bool)
    for i in (205, 425):
        x, y = (int(v) for v in marks[i, :2])
        where[max(y - r, 0):y + r + 1, max(x - r, 0):x + r + 1] = True
    return chroma(image, where)


def gaze(marks: np.ndarray) -> np.ndarray:
    """Each iris's place along its eye, in eye widths from the eye's centre."""
    out = []
    for iris, outer, inner in EYES:
        a, b = marks[outer, :2], marks[inner, :2]
        axis = b - a
        out.append(float(np.dot(marks[iris, :2] - (a + b) / 2, axis) / np.dot(axis, axis)))
    return np.asarray(out)


def interocular(marks: np.ndarray) -> float:
    return float(np.linalg.norm(marks[468, :2] - marks[473, :2]))


class OutputMesh:
    """MediaPipe's mesh read off an output frame, as a viewer's eye would: a fresh look at
    every frame (no tracking carried over from the input)."""

    def __init__(self) -> None:
        import mediapipe as mp  # noqa: PLC0415
        self._mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1,
                                                     refine_landmarks=True)

    def find(self, image: np.ndarray) -> np.ndarray | None:
        from livecam.tracking.mediapipe_mesh import _to_points  # noqa: PLC0415
        found = self._mesh.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB)).multi_face_landmarks
        return _to_points(found[0], image.shape[1], image.shape[0]) if found else None


def clip_frames(name: str, limit: int):
    """(index, frame, face) for each tracked frame of a shared clip."""
    video = cv2.VideoCapture(str(DATA / "videos" / name))
    tracker = MediaPipeTracker(TrackingSettings(max_faces=1))
    index = 0
    while index < limit:
        ok, frame = video.read()
        if not ok:
            break
        faces = tracker.track(Frame(frame, index, index / 30))
        index += 1
        if faces:
            yield index, frame, faces[0]
    tracker.close()


def video_checks(names: list[str]) -> dict[str, dict[str, float]]:
    """On the shared clips, the effects as shipped (temporal filter on), wearing each of
    `names` in turn: flicker and blinks on liveportrait_d9 (blinks, a man with glasses);
    mouth, lips and gaze on liveportrait_d10 (talking, a wide-open mouth, sideways glances)."""
    looker = OutputMesh()
    methods = ("plain", "livecam", "fused")
    stats: dict[str, dict[str, list[float]]] = {m: {} for m in ("input",) + methods}
    for name in names:
        clip_stats(name, looker, stats)
    base = float(np.mean(stats["input"]["change"]))
    summary: dict[str, dict[str, float]] = {}
    for method in methods:
        got = stats[method]
        gaze_err = np.asarray(got.get("gaze_error", [np.nan]))
        lips = np.asarray(got.get("inner_lip_error", [np.nan]))

        def share(key: str, got: dict[str, list[float]] = got) -> float:
            return float(np.mean(got.get(key, [np.nan])))

        summary[method] = {
            "worn_faces": len(names),
            "flicker_ratio": float(np.mean(got["change"])) / base,
            "blinks_followed": share("blink_followed"),
            "blink_frames": len(got.get("blink_followed", [])),
            "open_eyes_kept_open": share("open_followed"),
            "gaze_error_median": float(np.median(gaze_err)),
            "gaze_within_10pct": float(np.mean(gaze_err <= 0.10)),
            "open_mouth_frames": len(got.get("inner_lip_error", [])),
            "inner_lip_error_median": float(np.median(lips)),
            "inner_lip_within_5pct": float(np.mean(lips <= 0.05)),
            "lips_closer_to_source": share("lips_closer_to_source"),
            "lip_tint_closer_to_source": share("lip_tint_closer_to_source"),
            "output_face_found": share("found"),
        }
    return summary


def clip_stats(name: str, looker: OutputMesh, stats: dict[str, dict[str, list[float]]]
               ) -> None:
    effects = {"livecam": FaceSwapEffect(FaceSwapSettings(faces=(name,), fusion="off")),
               "fused": FaceSwapEffect(FaceSwapSettings(faces=(name,), fusion="on"))}
    source_img = effects["livecam"].source.image
    src_marks = effects["livecam"].source.landmarks
    src_lips = chroma(source_img, lip_band(src_marks, source_img.shape))
    src_tint = src_lips - cheeks(source_img, src_marks)   # the lips' colour against the skin
    methods = ("plain", "livecam", "fused")

    def add(method: str, key: str, value: float) -> None:
        stats[method].setdefault(key, []).append(value)

    def outputs(index: int, frame: np.ndarray, face: Face) -> dict[str, np.ndarray]:
        return {"plain": plain_swap(source_img, src_marks, frame, face.landmarks),
                "livecam": effects["livecam"].apply(Frame(frame, index, 0.0), [face]),
                "fused": effects["fused"].apply(Frame(frame, index, 0.0), [face])}

    prev: dict[str, np.ndarray] = {}
    for index, frame, face in clip_frames("liveportrait_d9.mp4", 150):
        outs = {"input": frame, **outputs(index, frame, face)}
        x0, y0, x1, y1 = (int(v) for v in face.box)
        for method, out in outs.items():
            region = out[y0:y1, x0:x1].astype(np.float64)
            if method in prev and prev[method].shape == region.shape:
                add(method, "change", float(np.abs(region - prev[method]).mean()))
            prev[method] = region
        tgt = looker.find(frame)   # read the same way as the outputs
        if tgt is None:
            continue
        shut = eyes_open_ratio(tgt) < EYES_SHUT
        for method in methods:
            seen = looker.find(outs[method])
            if seen is not None:
                add(method, "blink_followed" if shut else "open_followed",
                    float((eyes_open_ratio(seen) < EYES_SHUT) == shut))
    for index, frame, face in clip_frames("liveportrait_d10.mp4", 448):
        if index % 2:
            continue
        outs = outputs(index, frame, face)
        tgt = looker.find(frame)
        if tgt is None:
            continue
        iod = interocular(tgt)
        opened = mouth_open_ratio(tgt) > 0.15
        tgt_lips = chroma(frame, lip_band(tgt, frame.shape)) if opened else None
        tgt_tint = tgt_lips - cheeks(frame, tgt) if tgt_lips is not None else None
        for method, out in outs.items():
            seen = looker.find(out)
            add(method, "found", float(seen is not None))
            if seen is None:
                continue
            add(method, "gaze_error", float(np.abs(gaze(seen) - gaze(tgt)).max()))
            if tgt_lips is not None:
                err = np.linalg.norm(seen[list(INNER_LIPS), :2] - tgt[list(INNER_LIPS), :2], axis=1)
                add(method, "inner_lip_error", float(err.mean()) / iod)
                mine = chroma(out, lip_band(seen, out.shape))
                add(method, "lips_closer_to_source",
                    float(np.linalg.norm(mine - src_lips) < np.linalg.norm(mine - tgt_lips)))
                tint = mine - cheeks(out, seen)
                add(method, "lip_tint_closer_to_source",
                    float(np.linalg.norm(tint - src_tint) < np.linalg.norm(tint - tgt_tint)))


if __name__ == "__main__":
    raise SystemExit(main())
