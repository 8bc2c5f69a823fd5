"""Enrolled faces on disk: one folder per name in the user's data folder, holding the aligned
face (PNG) and what the swap needs about it (JSON: landmarks, pose, quality, source photo)."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from livecam.config_tables import did_you_mean
from livecam.errors import PresetError
from livecam.frame import FrameBGR, HeadPose, Points
from livecam.paths import user_data_dir

NAME_RULE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


@dataclass(frozen=True, slots=True)
class EnrolledFace:
    """A face ready to swap in.

    Attributes:
        name: What presets and `--face` call it.
        image: The aligned crop (SIDE×SIDE, BGR).
        landmarks: 478×3 mesh points in crop pixels (z scaled like x and y).
        pose: Head pose in the photo.
        quality: 0–1 score the best photo was chosen by.
        photo: The photo it came from.
    """

    name: str
    image: FrameBGR
    landmarks: Points
    pose: HeadPose
    quality: float
    photo: str


def faces_dir() -> Path:
    return user_data_dir() / "faces"


def check_name(name: str) -> str:
    if not NAME_RULE.match(name):
        raise PresetError(f"face name {name!r}: use 1-40 letters, digits, '-', '_' or '.', "
                          "starting with a letter or digit")
    return name


def save_face(face: EnrolledFace, folder: Path | None = None) -> Path:
    """Write (or replace) a face; returns its folder."""
    where = (folder or faces_dir()) / check_name(face.name)
    tmp = where.with_name(where.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    cv2.imwrite(str(tmp / "face.png"), face.image)
    (tmp / "face.json").write_text(json.dumps({
        "name": face.name, "quality": face.quality, "photo": face.photo,
        "pose": [face.pose.yaw_deg, face.pose.pitch_deg, face.pose.roll_deg],
        "landmarks": np.round(face.landmarks, 3).tolist()}), encoding="utf-8")
    shutil.rmtree(where, ignore_errors=True)
    tmp.rename(where)
    return where


def list_faces(folder: Path | None = None) -> list[str]:
    root = folder or faces_dir()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "face.json").is_file())


def load_face(name: str, folder: Path | None = None) -> EnrolledFace:
    """A stored face; an unknown name lists the enrolled ones."""
    root = folder or faces_dir()
    where = root / name
    known = list_faces(root)
    if name not in known:
        hint = (f"enrolled: {', '.join(known)}{did_you_mean(name, known)}" if known else
                "none is enrolled yet")
        raise PresetError(f"no enrolled face '{name}' ({hint}); add one with "
                          f"'livecam enroll PHOTO --name {name}'")
    try:
        meta = json.loads((where / "face.json").read_text(encoding="utf-8"))
        image = cv2.imread(str(where / "face.png"), cv2.IMREAD_COLOR)
        landmarks = np.asarray(meta["landmarks"], np.float32)
        if image is None or landmarks.shape != (478, 3):
            raise ValueError("image or landmarks missing")
        return EnrolledFace(meta["name"], image, landmarks, HeadPose(*meta["pose"]),
                            float(meta["quality"]), str(meta["photo"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PresetError(f"enrolled face '{name}' in {where} is damaged ({exc}); enrol it "
                          "again with 'livecam enroll PHOTO --name NAME'") from None
