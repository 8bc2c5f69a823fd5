"""Draws the tracked mesh, irises, face box, id and head pose: a view of what the tracker sees."""

from __future__ import annotations

import math
from dataclasses import dataclass
from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt

from livecam.errors import PresetError
from livecam.frame import Face, Frame, FrameBGR
from livecam.tracking.mesh_topology import IRIS_INDICES, TESSELATION_EDGES

NOSE_TIP = 1


@dataclass(frozen=True, slots=True)
class LandmarksSettings:
    """Options of the `landmarks` effect.

    Attributes:
        mesh: Draw the triangle mesh.
        pose_axis: Draw the nose direction and the yaw/pitch/roll readout.
        box: Draw the face box and id.
        color: BGR colour of the mesh.
    """

    mesh: bool = True
    pose_axis: bool = True
    box: bool = True
    color: tuple[int, int, int] = (120, 230, 120)

    def __post_init__(self) -> None:
        if len(self.color) != 3 or not all(0 <= int(c) <= 255 for c in self.color):
            raise PresetError(f"effect.color must be three numbers 0 to 255 (B, G, R), "
                              f"got {list(self.color)}")


class LandmarksEffect:
    """Overlays tracking results on a copy of the frame."""

    name = "landmarks"

    def __init__(self, settings: LandmarksSettings | None = None) -> None:
        self.settings = settings or LandmarksSettings()
        self._edges: npt.NDArray[np.int32] = np.asarray(TESSELATION_EDGES, dtype=np.int32)

    def apply(self, frame: Frame, faces: Sequence[Face]) -> FrameBGR:
        out = frame.image.copy()
        s = self.settings
        for face in faces:
            pts = np.round(face.landmarks[:, :2]).astype(np.int32)
            if s.mesh:
                lines = pts[self._edges]
                cv2.polylines(out, list(lines), False, s.color, 1, cv2.LINE_AA)
                for i in IRIS_INDICES:
                    cv2.circle(out, (int(pts[i, 0]), int(pts[i, 1])), 2, (255, 200, 0), -1,
                               cv2.LINE_AA)
            if s.box:
                x0, y0, x1, y1 = (int(v) for v in face.box)
                cv2.rectangle(out, (x0, y0), (x1, y1), (255, 255, 255), 1)
                cv2.putText(out, f"#{face.face_id}", (x0, max(12, y0 - 6)),
                            cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
            if s.pose_axis:
                self._draw_pose(out, face, pts)
        return out

    @staticmethod
    def _draw_pose(out: FrameBGR, face: Face, pts: npt.NDArray[np.int32]) -> None:
        p = face.pose
        nose = (int(pts[NOSE_TIP, 0]), int(pts[NOSE_TIP, 1]))
        length = face.size_px * 0.6
        tip = (int(nose[0] + length * math.sin(math.radians(p.yaw_deg))),
               int(nose[1] - length * math.sin(math.radians(p.pitch_deg))))
        cv2.arrowedLine(out, nose, tip, (0, 80, 255), 2, cv2.LINE_AA, tipLength=0.15)
        text = f"yaw {p.yaw_deg:+.0f} pitch {p.pitch_deg:+.0f} roll {p.roll_deg:+.0f}"
        x0, _, _, y1 = face.box
        cv2.putText(out, text, (int(x0), int(y1) + 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                    (0, 80, 255), 1, cv2.LINE_AA)

    def close(self) -> None:
        pass
