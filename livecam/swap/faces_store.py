"""Enrolled faces on disk: one folder per name in the user's data folder, holding each kept
view's aligned face (PNG), what the swap needs about them (JSON: landmarks, pose, quality,
source photo) and a preview of the views for the user to check."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from livecam.config_tables import did_you_mean
from livecam.errors import PresetError
from livecam.frame import FrameBGR, HeadPose, Points
from livecam.paths import user_data_dir
from livecam.swap.cover import hair_cover

PREVIEW = "preview.jpg"
NAME_RULE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


@dataclass(frozen=True, slots=True, eq=False)   # compared by identity: it holds arrays
class FaceView:
    """One photo (or clip frame) of an enrolled face.

    Attributes:
        image: The aligned crop (SIDE×SIDE, BGR).
        landmarks: 478×3 mesh points in crop pixels (z scaled like x and y).
        pose: Head pose in the photo.
        quality: 0–1 score the views were chosen by.
        photo: Where it came from (a photo, or a clip and the time in it).
    """

    image: FrameBGR
    landmarks: Points
    pose: HeadPose
    quality: float
    photo: str


@dataclass(frozen=True, slots=True, eq=False)
class EnrolledFace:
    """A face ready to swap in: its best frontal view first, then views turned to either
    side, each worn when the streamer's head turns its way.

    Attributes:
        name: What presets and `--face` call it.
        views: The views, the frontal one first.
    """

    name: str
    views: tuple[FaceView, ...]

    def __post_init__(self) -> None:
        if not self.views:
            raise PresetError(f"enrolled face '{self.name}' has no view")

    @property
    def front(self) -> FaceView:
        return self.views[0]

    @property
    def image(self) -> FrameBGR:
        return self.front.image

    @property
    def landmarks(self) -> Points:
        return self.front.landmarks

    @property
    def pose(self) -> HeadPose:
        return self.front.pose

    @property
    def quality(self) -> float:
        return self.front.quality

    @property
    def photo(self) -> str:
        return self.front.photo


def faces_dir() -> Path:
    return user_data_dir() / "faces"


def check_name(name: str) -> str:
    if not NAME_RULE.match(name):
        raise PresetError(f"face name {name!r}: use 1-40 letters, digits, '-', '_' or '.', "
                          "starting with a letter or digit")
    return name


def save_face(face: EnrolledFace, folder: Path | None = None) -> Path:
    """Write (or replace) a face, with a preview of the views it kept; returns its folder."""
    where = (folder or faces_dir()) / check_name(face.name)
    tmp = where.with_name(where.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    views = []
    for i, view in enumerate(face.views):   # view 0 is face.png, as before there were views
        file = "face.png" if i == 0 else f"view-{i}.png"
        cv2.imwrite(str(tmp / file), view.image)
        views.append({"image": file, "quality": view.quality, "photo": view.photo,
                      "pose": [view.pose.yaw_deg, view.pose.pitch_deg, view.pose.roll_deg],
                      "landmarks": np.round(view.landmarks, 3).tolist()})
    meta = {"name": face.name, **{k: v for k, v in views[0].items() if k != "image"},
            "views": views[1:]}
    (tmp / "face.json").write_text(json.dumps(meta), encoding="utf-8")
    cv2.imwrite(str(tmp / PREVIEW), preview(face), [cv2.IMWRITE_JPEG_QUALITY, 90])
    shutil.rmtree(where, ignore_errors=True)
    tmp.rename(where)
    return where


def preview(face: EnrolledFace) -> FrameBGR:
    """The kept views side by side, each labelled with its head turn and where it came from;
    hair found over a face is greyed and outlined: the camera's own face shows there."""
    tiles = []
    for view in sorted(face.views, key=lambda v: v.pose.yaw_deg):
        tile = view.image.copy()
        cover = hair_cover(view.image, view.landmarks)
        if cover is not None:
            left_out = (cover > 0.5).astype(np.uint8)
            tile[left_out > 0] = tile[left_out > 0] // 3 + 85
            edges, _ = cv2.findContours(left_out, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
            cv2.drawContours(tile, edges, -1, (255, 255, 255), 1, cv2.LINE_AA)
        label = f"yaw {view.pose.yaw_deg:+.0f}  q {view.quality:.2f}"
        for colour, width in (((0, 0, 0), 3), ((255, 255, 255), 1)):
            cv2.putText(tile, label, (6, tile.shape[0] - 10), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                        colour, width, cv2.LINE_AA)
        tiles.append(tile)
    return np.hstack(tiles)


def list_faces(folder: Path | None = None) -> list[str]:
    root = folder or faces_dir()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "face.json").is_file())


def load_face(name: str, folder: Path | None = None) -> EnrolledFace:
    """A stored face; an unknown name lists the enrolled ones."""
    root = folder or faces_dir()
    if not NAME_RULE.match(name):   # a path or a file name: it has to be enrolled first
        stem = re.sub(r"[^A-Za-z0-9_.-]", "-", Path(name).stem).strip("-._")[:40] or "me"
        raise PresetError(f"no enrolled face {name!r}: --face takes the name of an enrolled "
                          f"face, not a photo; enrol the photo first with 'livecam enroll "
                          f"{name} --name {stem}', then use --face {stem}")
    where = root / name
    known = list_faces(root)
    if name not in known:
        hint = (f"enrolled: {', '.join(known)}{did_you_mean(name, known)}" if known else
                "none is enrolled yet")
        raise PresetError(f"no enrolled face '{name}' ({hint}); add one with "
                          f"'livecam enroll PHOTO --name {name}'")
    try:
        meta = json.loads((where / "face.json").read_text(encoding="utf-8"))
        views = tuple(_view(where, entry) for entry in
                      [{**meta, "image": "face.png"}, *meta.get("views", [])])
        return EnrolledFace(meta["name"], views)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PresetError(f"enrolled face '{name}' in {where} is damaged ({exc}); enrol it "
                          "again with 'livecam enroll PHOTO --name NAME'") from None


def _view(where: Path, entry: dict[str, Any]) -> FaceView:
    image = cv2.imread(str(where / Path(str(entry["image"])).name), cv2.IMREAD_COLOR)
    landmarks = np.asarray(entry["landmarks"], np.float32)
    if image is None or landmarks.shape != (478, 3):
        raise ValueError(f"{entry['image']}: image or landmarks missing")
    return FaceView(image, landmarks, HeadPose(*entry["pose"]), float(entry["quality"]),
                    str(entry["photo"]))
