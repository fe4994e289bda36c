"""Head pose from landmarks: a weighted rigid (similarity) fit to a 3D face template.

The 468 mesh points (image pixels, y down, z negative toward the camera) are turned
into a right-handed camera frame (x right, y up, z toward the camera) and fitted to
MediaPipe's canonical face (:data:`CANONICAL`, same axes, centimetres) with the
Umeyama/Procrustes solution, weighted by MediaPipe's landmark weights. The rotation
of that fit is the head's orientation; a 2D guess from eye and nose positions is not
used because it confuses pitch with face shape and yaw with roll.

Sign convention of :func:`head_pose` (degrees), for an UNMIRRORED camera image (the
frame as the camera delivers it, not the mirrored selfie preview):

* yaw > 0: the nose moves toward the image right, i.e. the user turns to THEIR OWN
  LEFT (``LookLeft``). Mirroring the image flips the sign.
* pitch > 0: the user looks up. A frontal face reads about -10 in this frame
  (MediaPipe's template is tilted), so decisions use the user's own baseline.
* roll > 0: the head tilts counter-clockwise as seen in the image.
"""

from __future__ import annotations

import math

import numpy as np

from .canonical_face import PROCRUSTES_WEIGHTS, VERTICES

#: (468, 3) canonical face vertices (cm; x image-right, y up, z toward the camera).
CANONICAL: np.ndarray = np.array(
    [[float(v) for v in line.split()] for line in VERTICES.splitlines()], dtype=np.float64
)
CANONICAL.setflags(write=False)

#: Landmark ids and weights of the pose fit.
FIT_IDS = np.array([i for i, _ in PROCRUSTES_WEIGHTS])
FIT_WEIGHTS = np.array([w for _, w in PROCRUSTES_WEIGHTS])


def to_camera_frame(points: np.ndarray) -> np.ndarray:
    """Image-pixel landmarks (x right, y down, z away-negative) -> x right, y up, z toward."""
    out = np.asarray(points, dtype=np.float64)[:, :3].copy()
    out[:, 1:] *= -1.0
    return out


def similarity_fit(
    src: np.ndarray, dst: np.ndarray, weights: np.ndarray | None = None
) -> tuple[float, np.ndarray, np.ndarray]:
    """Weighted least-squares ``dst ~ s R src + t`` (Umeyama); returns (s, R, t)."""
    w = np.ones(len(src)) if weights is None else np.asarray(weights, dtype=np.float64)
    w = w / w.sum()
    mu_s = w @ src
    mu_d = w @ dst
    a = src - mu_s
    b = dst - mu_d
    cov = (b * w[:, None]).T @ a
    u, sv, vt = np.linalg.svd(cov)
    d = np.ones(3)
    if np.linalg.det(u @ vt) < 0:
        d[2] = -1.0
    rot = u @ np.diag(d) @ vt
    var_s = float(w @ (a * a).sum(axis=1))
    scale = float((sv * d).sum() / var_s) if var_s > 0 else 1.0
    return scale, rot, mu_d - scale * rot @ mu_s


def rotation_to_angles(rot: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees of a head rotation in the camera frame."""
    fwd = rot[:, 2]  # where the template's "toward camera" axis points now
    right = rot[:, 0]
    yaw = math.degrees(math.atan2(fwd[0], fwd[2]))
    pitch = math.degrees(math.atan2(fwd[1], math.hypot(fwd[0], fwd[2])))
    roll = math.degrees(math.atan2(right[1], right[0]))
    return yaw, pitch, roll


def head_pose(points468: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees; see the module docstring for the signs."""
    pts = to_camera_frame(points468)
    _, rot, _ = similarity_fit(CANONICAL[FIT_IDS], pts[FIT_IDS], FIT_WEIGHTS)
    return rotation_to_angles(rot)


def rotation_matrix(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """Camera-frame rotation for (yaw, pitch, roll) degrees: roll about the face's own
    axis, then pitch (up positive), then yaw. :func:`rotation_to_angles` gives yaw
    and pitch back exactly, roll exactly when yaw or pitch is zero."""
    y, p, r = (math.radians(v) for v in (yaw, pitch, roll))
    ry = np.array([[math.cos(y), 0, math.sin(y)], [0, 1, 0], [-math.sin(y), 0, math.cos(y)]])
    rx = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    # pitch up = nose toward +y: rotating about x by -p takes +z toward +y.
    return ry @ rx.T @ rz


def project(rot: np.ndarray, scale: float, center: tuple[float, float]) -> np.ndarray:
    """The canonical face posed by ``rot``, scaled to pixels, as image-pixel landmarks
    (468, 3) (weak perspective): a test and simulation helper."""
    cam = scale * CANONICAL @ rot.T
    out = cam.copy()
    out[:, 0] += center[0]
    out[:, 1] = center[1] - cam[:, 1]
    out[:, 2] = -cam[:, 2]
    return out
