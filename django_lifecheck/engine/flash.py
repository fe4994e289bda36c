"""Flash check: does the skin follow the colours the screen displayed?

The page lights the face with a random sequence of bright and dark colours drawn by
the server. A live face a few decimetres from the screen reflects it: each channel
of the skin colour rises and falls with the screen's. A replayed video was recorded
under other light, so its skin ignores this sequence; a photo or screen held up to the
camera does reflect the flash, but flatly, about as much as its own "background"
does, while a real background (a wall a metre or more away) hardly responds.

Test: for each display-to-capture lag up to ``flash_max_lag_ms``, the displayed
colour of every frame (from the schedule, shifted by the lag) is correlated with the
skin colour, all three channels pooled after removing each channel's mean; the best
lag wins. The check passes when that correlation, the skin's gain (grey levels of
skin per grey level of screen) and its ratio to the background's gain all clear
their thresholds. It cannot tell a live face from a 3D mask under the same light.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .config import EngineConfig
from .features import FrameFeatures
from .types import FlashStep

LAG_STEP_MS = 20


def hex_to_rgb(color: str) -> np.ndarray:
    c = color.lstrip("#")
    return np.array([int(c[i : i + 2], 16) for i in (0, 2, 4)], dtype=np.float64)


def displayed(schedule: Sequence[FlashStep], t_ms: float) -> np.ndarray | None:
    """The colour on screen at ``t_ms`` per the schedule (None outside it)."""
    for step in schedule:
        if step.start_ms <= t_ms < step.end_ms:
            return hex_to_rgb(step.color)
    return None


def _pooled(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(correlation, gain) of y on x, channels pooled after per-channel centring."""
    xc = x - x.mean(axis=0)
    yc = y - y.mean(axis=0)
    sxx = float((xc * xc).sum())
    syy = float((yc * yc).sum())
    sxy = float((xc * yc).sum())
    if sxx <= 0:
        return math.nan, math.nan
    corr = sxy / math.sqrt(sxx * syy) if syy > 0 else 0.0
    return corr, sxy / sxx


@dataclass
class FlashResult:
    judged: bool  # False: too few frames (not passed) or one colour only (passed)
    passed: bool
    corr: float = math.nan
    gain: float = math.nan
    background_gain: float = math.nan
    lag_ms: int = 0
    frames: int = 0
    detail: str = ""

    def scores(self) -> dict[str, float]:
        return {
            "flash_corr": self.corr,
            "flash_gain": self.gain,
            "flash_background_gain": self.background_gain,
            "flash_lag_ms": float(self.lag_ms),
        }


def correlate(
    t_ms: Sequence[float],
    skin: np.ndarray,
    background: np.ndarray,
    schedule: Sequence[FlashStep],
    max_lag_ms: int,
) -> tuple[float, float, float, int, int]:
    """Best-lag (corr, skin gain, background gain, lag, frames) over a colour series.

    ``skin`` and ``background`` are (N, 3) mean RGB per frame (NaN rows skipped).
    """
    best = (math.nan, math.nan, math.nan, 0, 0)
    for lag in range(0, max_lag_ms + 1, LAG_STEP_MS):
        rows, shown = [], []
        for k, t in enumerate(t_ms):
            c = displayed(schedule, t - lag)
            if c is not None and np.isfinite(skin[k]).all():
                rows.append(k)
                shown.append(c)
        if len(rows) < 3:
            continue
        x = np.array(shown)
        corr, gain = _pooled(x, skin[rows])
        if math.isnan(corr):
            continue
        bg_rows = [r for r in rows if np.isfinite(background[r]).all()]
        bg_gain = math.nan
        if len(bg_rows) >= 3:
            xb = np.array([displayed(schedule, t_ms[r] - lag) for r in bg_rows])
            bg_gain = _pooled(xb, background[bg_rows])[1]
        if math.isnan(best[0]) or corr > best[0]:
            best = (corr, gain, bg_gain, lag, len(rows))
    return best


def check_flash(
    schedule: Sequence[FlashStep], feats: Sequence[FrameFeatures], cfg: EngineConfig
) -> FlashResult:
    """Judge the flash response of the usable frames."""
    use = [f for f in feats if f.usable]
    colours = {s.color.upper() for s in schedule}
    if len(colours) < 2:
        return FlashResult(False, True, detail="one colour only: nothing to correlate")
    t = [f.t_ms for f in use]
    skin = np.array([f.skin for f in use]).reshape(-1, 3)
    bg = np.array([f.background for f in use]).reshape(-1, 3)
    corr, gain, bg_gain, lag, n = correlate(t, skin, bg, schedule, cfg.flash_max_lag_ms)
    res = FlashResult(True, False, corr, gain, bg_gain, lag, n)
    if n < cfg.flash_min_frames or math.isnan(corr):
        res.judged = False
        res.detail = f"only {n} usable frames during the flash"
        return res
    bg_ref = 0.0 if math.isnan(bg_gain) else max(bg_gain, 0.0)
    if corr < cfg.flash_min_corr:
        res.detail = f"skin does not follow the flash (correlation {corr:.2f})"
    elif gain < cfg.flash_min_gain:
        res.detail = f"skin barely responds to the flash (gain {gain:.3f})"
    elif gain < cfg.flash_bg_ratio * bg_ref:
        res.detail = f"skin responds no more than the background ({gain:.3f} vs {bg_ref:.3f})"
    else:
        res.passed = True
    return res
