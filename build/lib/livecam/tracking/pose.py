"""Head pose from the 3D face mesh, without a camera model."""

from __future__ import annotations

import math

import numpy as np

from livecam.frame import HeadPose, Points

# MediaPipe face mesh indices
RIGHT_EYE_OUTER = 33   # the subject's right eye, on the image's left in a frontal view
LEFT_EYE_OUTER = 263
FOREHEAD = 10
CHIN = 152

# On an upright frontal face the forehead-to-chin line leans ~11° out of the image plane
# (median over 79 CelebA faces, which are frontal), so pitch is measured from there.
NEUTRAL_PITCH_DEG = 11.0


def head_pose(landmarks: Points) -> HeadPose:
    """Yaw, pitch and roll in degrees from mesh points whose x, y, z share one pixel scale.

    Builds the face's axes from the eye line and the forehead-to-chin line. Zero is a frontal,
    upright face; positive yaw turns the nose toward the image's right, positive pitch lifts
    the chin, positive roll tilts the face clockwise on screen.
    """
    p = landmarks.astype(np.float64)
    ex = p[LEFT_EYE_OUTER] - p[RIGHT_EYE_OUTER]
    ex /= np.linalg.norm(ex) + 1e-9
    ey = p[CHIN] - p[FOREHEAD]
    ey -= ex * float(ey @ ex)
    ey /= np.linalg.norm(ey) + 1e-9
    ez = np.cross(ex, ey)  # points away from the camera for a frontal face
    roll = math.degrees(math.atan2(ex[1], ex[0]))
    yaw = math.degrees(math.atan2(-ez[0], ez[2]))
    pitch = math.degrees(math.atan2(ez[1], ez[2])) + NEUTRAL_PITCH_DEG
    return HeadPose(yaw_deg=yaw, pitch_deg=pitch, roll_deg=roll)
