"""Preset thumbnails for the control panel: the demo portrait through each preset, made on
first request and cached on disk until the preset or the models change."""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path

import cv2

from livecam.effects.registry import build_effect
from livecam.errors import LivecamError
from livecam.frame import Frame
from livecam.inference.manifest import MANIFEST, models_dir
from livecam.loop.privacy import privacy_card
from livecam.paths import user_cache_dir
from livecam.preset import available_presets, load_preset
from livecam.sources.demo import DemoSource
from livecam.swap.faces_store import list_faces
from livecam.tracking.mediapipe_mesh import MediaPipeTracker

log = logging.getLogger("livecam.control")

SIZE = (320, 180)


class Thumbnails:
    """JPEG bytes per preset name; one is rendered at a time, off the frame loop."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or user_cache_dir() / "thumbnails"
        self._lock = threading.Lock()

    def _key(self, name: str) -> str:
        digest = hashlib.sha256()
        where = Path(available_presets()[name])
        preset = load_preset(name)
        digest.update(preset.path.encode())
        if where.is_file():
            digest.update(where.read_bytes())
        manifest = models_dir() / MANIFEST
        if manifest.is_file():
            digest.update(manifest.read_bytes())
        digest.update(",".join(list_faces()).encode())   # face swap shows an enrolled face
        return digest.hexdigest()[:16]

    def get(self, name: str) -> bytes:
        """The thumbnail of preset `name` (rendered now if not cached).

        Raises:
            PresetError, ModelError: the preset cannot be built.
        """
        with self._lock:
            path = self.folder / f"{name}-{self._key(name)}.jpg"
            if path.is_file():
                return path.read_bytes()
            data = self._render(name)
            self.folder.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            return data

    @staticmethod
    def _render(name: str) -> bytes:
        preset = load_preset(name)
        image = DemoSource(640, 360, realtime=False).render(0.0)
        try:
            effect = build_effect(preset.effect, preset.effect_settings)
        except LivecamError as exc:   # e.g. face swap before any face is enrolled
            log.info("no thumbnail for '%s': %s", name, exc)
            card = privacy_card(*SIZE, text="enrol a face" if "enrol" in str(exc) else name)
            return bytes(cv2.imencode(".jpg", card)[1].tobytes())
        tracker = MediaPipeTracker(preset.tracking)
        try:
            faces = [tracker.track(Frame(image, i, i / 30)) for i in range(3)][-1]
            out = effect.apply(Frame(image, 3, 0.1), faces)
        finally:
            effect.close()
            tracker.close()
        if faces:   # frame the face, not the whole room
            x0, y0, x1, y1 = faces[0].box
            h = min(out.shape[0], int(2.0 * (y1 - y0)))
            w = min(out.shape[1], h * SIZE[0] // SIZE[1])
            cx, cy = int((x0 + x1) / 2), int((y0 + y1) / 2)
            left = min(max(cx - w // 2, 0), out.shape[1] - w)
            top = min(max(cy - h // 2, 0), out.shape[0] - h)
            out = out[top:top + h, left:left + w]
        ok, jpeg = cv2.imencode(".jpg", cv2.resize(out, SIZE, interpolation=cv2.INTER_AREA),
                                [cv2.IMWRITE_JPEG_QUALITY, 85])
        assert ok
        log.debug("rendered the thumbnail of '%s'", name)
        return bytes(jpeg.tobytes())
