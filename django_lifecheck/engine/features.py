"""Per-frame measurements taken from the landmarks and pixels.

Everything an action, flash or passive decision needs is computed once per frame here,
so the decision modules work on plain numbers and can be tested on synthetic series.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from .geometry import head_pose

#: Eye contours for the eye aspect ratio: p1 (outer/inner corner), p2, p3, p4, p5, p6.
RIGHT_EYE = (33, 160, 158, 133, 153, 144)  # the subject's right eye (image left)
LEFT_EYE = (362, 385, 387, 263, 373, 380)
#: Inner lips (upper 13, lower 14) and mouth corners (78, 308).
MOUTH = (13, 14, 78, 308)
#: Skin sample centres: mid-forehead, right cheek, left cheek.
SKIN_POINTS = (151, 50, 280)


def eye_aspect_ratio(points: np.ndarray, eye: tuple[int, ...]) -> float:
    """(|p2-p6| + |p3-p5|) / (2 |p1-p4|): ~0.25-0.35 open, < ~0.15 closed."""
    p = points[list(eye), :2]
    horiz = np.linalg.norm(p[0] - p[3])
    vert = np.linalg.norm(p[1] - p[5]) + np.linalg.norm(p[2] - p[4])
    return float(vert / (2 * horiz)) if horiz > 0 else 0.0


def mouth_openness(points: np.ndarray) -> float:
    """Inner-lip gap over mouth width: ~0-0.05 closed, > ~0.3 wide open."""
    top, bottom, left, right = (points[i, :2] for i in MOUTH)
    width = np.linalg.norm(right - left)
    return float(np.linalg.norm(bottom - top) / width) if width > 0 else 0.0


def _patch_mean(rgb: np.ndarray, cx: float, cy: float, r: float) -> np.ndarray | None:
    h, w = rgb.shape[:2]
    x0, x1 = max(int(cx - r), 0), min(int(cx + r) + 1, w)
    y0, y1 = max(int(cy - r), 0), min(int(cy + r) + 1, h)
    if x1 <= x0 or y1 <= y0:
        return None
    return rgb[y0:y1, x0:x1].reshape(-1, 3).mean(axis=0)


def skin_colour(rgb: np.ndarray, points: np.ndarray, face_width: float) -> np.ndarray:
    """Mean RGB of small patches on the forehead and both cheeks."""
    r = max(2.0, 0.06 * face_width)
    means = [_patch_mean(rgb, points[i, 0], points[i, 1], r) for i in SKIN_POINTS]
    means = [m for m in means if m is not None]
    return np.mean(means, axis=0) if means else np.full(3, np.nan)


def background_colour(
    rgb: np.ndarray, box: tuple[float, float, float, float], step: int = 4
) -> np.ndarray:
    """Mean RGB beside and above the head (away from face, hair and shoulders).

    Uses the frame's upper part left and right of the face box widened by half a face,
    or, when the face fills the width, the strip above the head. Sampled every
    ``step``-th pixel (1 for a thumbnail that is subsampled already): a mean needs no
    more.
    """
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = box
    fw, fh = x1 - x0, y1 - y0
    left, right = int(x0 - 0.5 * fw), int(x1 + 0.5 * fw)
    bottom = int(min(h, y1))
    parts = []
    if left > step and bottom > step:
        parts.append(rgb[0:bottom:step, 0:left:step].reshape(-1, 3))
    if right < w - step and bottom > step:
        parts.append(rgb[0:bottom:step, right:w:step].reshape(-1, 3))
    top = int(y0 - 0.4 * fh)
    if not parts and top > step:
        parts.append(rgb[0:top:step, ::step].reshape(-1, 3))
    if not parts:
        return np.full(3, np.nan)
    return np.concatenate(parts).mean(axis=0)


def sharpness_and_brightness(
    rgb: np.ndarray, box: tuple[float, float, float, float]
) -> tuple[float, float]:
    """Variance of the Laplacian and mean luma of the face box, resampled to 128 px
    so that the sharpness of a near and a far face compare."""
    h, w = rgb.shape[:2]
    x0, y0 = max(int(box[0]), 0), max(int(box[1]), 0)
    x1, y1 = min(int(box[2]), w), min(int(box[3]), h)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return 0.0, 0.0
    grey = Image.fromarray(rgb[y0:y1, x0:x1]).convert("L").resize((128, 128), Image.BILINEAR)
    return _laplacian_stats(np.asarray(grey, dtype=np.float32))


#: ITU-R 601 luma weights (Pillow's "L" conversion).
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def _laplacian_stats(g: np.ndarray) -> tuple[float, float]:
    lap = g[1:-1, :-2] + g[1:-1, 2:] + g[:-2, 1:-1] + g[2:, 1:-1] - 4 * g[1:-1, 1:-1]
    return float(lap.var()), float(g.mean())


def crop_sharpness_and_brightness(crop: np.ndarray) -> tuple[float, float]:
    """:func:`sharpness_and_brightness` on the mesh model's 192x192 input: its ROI is
    1.5 times the face, so the central 128x128 is the face box already resampled to
    128 px, and nothing of the full frame has to be cut out and resized again."""
    n = crop.shape[0]
    m = n // 6  # (192 - 128) / 2
    g = crop[m : n - m, m : n - m] @ _LUMA
    return _laplacian_stats(g)


@dataclass
class FrameFeatures:
    """Measurements of one frame (``face`` False: nothing but the index and timing)."""

    index: int
    t_ms: int
    prompt: str | None = None
    color: str | None = None
    face: bool = False
    face_count: int = -1  # faces the detector saw; -1 when it did not run
    usable: bool = False  # one face, big enough, centred enough
    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
    ear: float = 0.0  # mean of both eyes
    ear_right: float = 0.0
    ear_left: float = 0.0
    mouth: float = 0.0
    box: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    face_width: float = 0.0  # fraction of the frame width
    face_offset: float = 0.0  # distance of the face centre from the frame centre / size
    skin: np.ndarray = field(default_factory=lambda: np.full(3, np.nan))
    background: np.ndarray = field(default_factory=lambda: np.full(3, np.nan))
    sharpness: float = 0.0
    brightness: float = 0.0
    points: np.ndarray | None = field(default=None, repr=False)


def measure(
    rgb: np.ndarray,
    points: np.ndarray,
    features: FrameFeatures,
    crop: np.ndarray | None = None,
    uv: np.ndarray | None = None,
    frame_size: tuple[int, int] | None = None,
) -> FrameFeatures:
    """Fill ``features`` from the frame and its 468 landmarks (image pixels).

    ``rgb`` is the frame, or, when ``frame_size`` gives the frame's (width, height), a
    thumbnail of it subsampled by a whole factor: only the background colour, a mean
    over a wide area, is read from it, so the pipeline hands a 4x nearest-neighbour
    thumbnail (0.07 ms) instead of the full frame's pixels (0.2 ms).

    ``crop``: the mesh model's 192x192 input of this frame, when at hand; sharpness
    and brightness (used to pick the portrait) then come from it (see
    :func:`crop_sharpness_and_brightness`) instead of a second resample of the frame,
    and so does the skin colour when ``uv`` (the landmarks in crop pixels) is given.
    """
    h, w = rgb.shape[:2]
    step = 1
    if frame_size is not None:
        step = max(1, round(frame_size[0] / w))
        w, h = frame_size
    xy = points[:, :2]
    box = (
        float(xy[:, 0].min()),
        float(xy[:, 1].min()),
        float(xy[:, 0].max()),
        float(xy[:, 1].max()),
    )
    fw = box[2] - box[0]
    f = features
    f.face = True
    f.points = points
    f.box = box
    f.face_width = fw / w
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    f.face_offset = float(max(abs(cx / w - 0.5), abs(cy / h - 0.5)))
    f.yaw, f.pitch, f.roll = head_pose(points)
    f.ear_right = eye_aspect_ratio(points, RIGHT_EYE)
    f.ear_left = eye_aspect_ratio(points, LEFT_EYE)
    f.ear = (f.ear_right + f.ear_left) / 2
    f.mouth = mouth_openness(points)
    # The face box in ``rgb``'s pixels; the background is sampled every 4th frame pixel.
    rgb_box = (box[0] / step, box[1] / step, box[2] / step, box[3] / step)
    if crop is not None and uv is not None:
        f.skin = skin_colour(crop, uv, float(uv[:, 0].max() - uv[:, 0].min()))
    else:
        f.skin = skin_colour(rgb, points / step, fw / step)
    f.background = background_colour(rgb, rgb_box, step=max(1, 4 // step))
    if crop is not None and crop.shape[0] >= 12:
        f.sharpness, f.brightness = crop_sharpness_and_brightness(crop)
    else:
        f.sharpness, f.brightness = sharpness_and_brightness(rgb, rgb_box)
    return f
