"""Stable face ids: each new detection takes the id of the box it overlaps most."""

from __future__ import annotations

from dataclasses import dataclass

Box = tuple[float, float, float, float]


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


@dataclass(slots=True)
class _Track:
    box: Box
    last_seen: int


class IdAssigner:
    """Keeps ids for faces that disappear for up to `keep_frames` frames (a blink of occlusion).

    Args:
        min_iou: Least overlap with a previous box to keep its id.
        keep_frames: Frames an unseen face's id stays reserved.
    """

    def __init__(self, min_iou: float = 0.2, keep_frames: int = 15) -> None:
        self.min_iou = min_iou
        self.keep_frames = keep_frames
        self._tracks: dict[int, _Track] = {}
        self._next_id = 1
        self._frame = 0

    def assign(self, boxes: list[Box]) -> list[int]:
        """Ids for this frame's boxes, in the same order; also ages out old tracks."""
        self._frame += 1
        pairs = sorted(((iou(box, track.box), i, face_id)
                        for i, box in enumerate(boxes)
                        for face_id, track in self._tracks.items()), reverse=True)
        ids: list[int | None] = [None] * len(boxes)
        taken: set[int] = set()
        for overlap, i, face_id in pairs:
            if overlap < self.min_iou:
                break
            if ids[i] is None and face_id not in taken:
                ids[i] = face_id
                taken.add(face_id)
        result = []
        for i, box in enumerate(boxes):
            found = ids[i]
            if found is None:
                found = self._next_id
                self._next_id += 1
            self._tracks[found] = _Track(box, self._frame)
            result.append(found)
        self._tracks = {k: t for k, t in self._tracks.items()
                        if self._frame - t.last_seen <= self.keep_frames}
        return result

    def active(self) -> set[int]:
        return set(self._tracks)
