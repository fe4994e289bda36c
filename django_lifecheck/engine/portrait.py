"""The portrait: the best frame of the check, cropped around the face, as JPEG."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

import numpy as np
from PIL import Image

from .config import EngineConfig
from .features import FrameFeatures


def frame_quality(f: FrameFeatures, cfg: EngineConfig) -> float:
    """Higher is better: frontal, eyes open, sharp, well lit (mid-grey face)."""
    frontal = -((f.yaw / 10.0) ** 2) - (((f.pitch - cfg.front_pitch) / 10.0) ** 2)
    eyes = min(f.ear / 0.25, 1.0)
    sharp = 0.3 * math.log1p(max(f.sharpness, 0.0))
    light = -abs(f.brightness - 140.0) / 60.0
    return frontal + 2.0 * eyes + sharp + light - f.mouth  # mouth closed preferred


def best_frame(feats: Sequence[FrameFeatures], cfg: EngineConfig) -> FrameFeatures | None:
    """The usable frame of highest :func:`frame_quality` (frames under a flash colour
    are avoided when others exist: tinted light makes a poor ID photo)."""
    usable = [f for f in feats if f.usable]
    plain = [f for f in usable if f.color is None] or usable
    return max(plain, key=lambda f: frame_quality(f, cfg), default=None)


def portrait_jpeg(rgb: np.ndarray, f: FrameFeatures, cfg: EngineConfig) -> bytes:
    """Crop the face box with ``portrait_margin`` (clamped to the frame), shrink to
    ``portrait_max_side``, encode JPEG."""
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = f.box
    mx, my = cfg.portrait_margin * (x1 - x0), cfg.portrait_margin * (y1 - y0)
    box = (
        max(int(x0 - mx), 0),
        max(int(y0 - my * 1.2), 0),  # a little more room above for the hair
        min(int(x1 + mx), w),
        min(int(y1 + my), h),
    )
    img = Image.fromarray(rgb).crop(box)
    img.thumbnail((cfg.portrait_max_side, cfg.portrait_max_side), Image.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=cfg.portrait_quality)
    return buf.getvalue()
