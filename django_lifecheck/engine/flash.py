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
lag wins. The check passes when that correlation, the correlation at the colour
changes and of the hues (see :func:`correlate`), the skin's gain (grey levels of skin
per grey level of screen) and its ratio to the background's gain all clear their
thresholds. It cannot tell a live face from a 3D mask under the same light. The hue
test assumes the camera's white balance does not chase the flash within a step; on
cameras where it does, lower ``flash_min_chroma_corr``.
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


def chroma(rgb: np.ndarray) -> np.ndarray:
    """Each row minus its own mean over the channels: colour without brightness."""
    return rgb - rgb.mean(axis=1, keepdims=True)


@dataclass
class Correlation:
    """How a skin-colour series follows a schedule, at the best lag."""

    corr: float = math.nan  # all frames, channels pooled
    gain: float = math.nan  # skin grey levels per screen grey level
    background_gain: float = math.nan
    lag_ms: int = 0
    frames: int = 0
    boundary_corr: float = math.nan  # frames near the colour changes only
    chroma_corr: float = math.nan  # hue without brightness (NaN: schedule has no hue)


def correlate(
    t_ms: Sequence[float],
    skin: np.ndarray,
    background: np.ndarray,
    schedule: Sequence[FlashStep],
    max_lag_ms: int,
    boundary_ms: int = 150,
) -> Correlation:
    """Correlate (N, 3) mean skin RGB per frame (NaN rows skipped) with the schedule.

    The lag that maximises the pooled correlation wins. At that lag two sharper
    statistics are taken, because a recording of *another* check alternates bright
    and dark just like this one and so correlates well overall:

    * ``boundary_corr``: only frames within ``boundary_ms`` of a colour change. A live
      face changes exactly when the screen does; another check's steps have other
      lengths, so its changes drift off this schedule's by a growing random offset.
    * ``chroma_corr``: brightness removed (each channel of the skin divided by its
      mean, then each frame's mean over channels subtracted from it, and likewise for
      the displayed colour): the hue of the light. Another check drew other hues.
      NaN when the schedule has next to no hue (e.g. only white and black).
    """
    best = Correlation()
    t = np.asarray(t_ms, dtype=np.float64)
    for lag in range(0, max_lag_ms + 1, LAG_STEP_MS):
        rows, shown = [], []
        for k, tk in enumerate(t):
            c = displayed(schedule, tk - lag)
            if c is not None and np.isfinite(skin[k]).all():
                rows.append(k)
                shown.append(c)
        if len(rows) < 3:
            continue
        x = np.array(shown)
        corr, gain = _pooled(x, skin[rows])
        if math.isnan(corr) or (not math.isnan(best.corr) and corr <= best.corr):
            continue
        best = Correlation(corr, gain, math.nan, lag, len(rows))
        bg_rows = [r for r in rows if np.isfinite(background[r]).all()]
        if len(bg_rows) >= 3:
            xb = np.array([displayed(schedule, t[r] - lag) for r in bg_rows])
            best.background_gain = _pooled(xb, background[bg_rows])[1]
        changes = np.array([s.start_ms + lag for s in schedule[1:]], dtype=np.float64)
        if changes.size:
            near = np.abs(t[rows][:, None] - changes[None, :]).min(axis=1) <= boundary_ms
            if near.sum() >= 4:
                best.boundary_corr = _pooled(x[near], skin[rows][near])[0]
        xc = chroma(x)
        if xc.std() >= 5.0:  # grey levels of hue in the schedule
            y = skin[rows]
            best.chroma_corr = _pooled(xc, chroma(y / y.mean(axis=0)))[0]
    return best


@dataclass
class FlashResult:
    judged: bool  # False: too few frames (not passed) or one colour only (passed)
    passed: bool
    stats: Correlation
    detail: str = ""

    @property
    def frames(self) -> int:
        return self.stats.frames

    def scores(self) -> dict[str, float]:
        s = self.stats
        return {
            "flash_corr": s.corr,
            "flash_boundary_corr": s.boundary_corr,
            "flash_chroma_corr": s.chroma_corr,
            "flash_gain": s.gain,
            "flash_background_gain": s.background_gain,
            "flash_lag_ms": float(s.lag_ms),
        }


def check_flash(
    schedule: Sequence[FlashStep], feats: Sequence[FrameFeatures], cfg: EngineConfig
) -> FlashResult:
    """Judge the flash response of the usable frames."""
    use = [f for f in feats if f.usable]
    colours = {s.color.upper() for s in schedule}
    if len(colours) < 2:
        return FlashResult(False, True, Correlation(), "one colour only: nothing to correlate")
    t = [f.t_ms for f in use]
    skin = np.array([f.skin for f in use]).reshape(-1, 3)
    bg = np.array([f.background for f in use]).reshape(-1, 3)
    st = correlate(t, skin, bg, schedule, cfg.flash_max_lag_ms, cfg.flash_boundary_ms)
    res = FlashResult(True, False, st)
    if st.frames < cfg.flash_min_frames or math.isnan(st.corr):
        res.judged = False
        res.detail = f"only {st.frames} usable frames during the flash"
        return res
    bg_ref = 0.0 if math.isnan(st.background_gain) else max(st.background_gain, 0.0)
    if st.corr < cfg.flash_min_corr:
        res.detail = f"skin does not follow the flash (correlation {st.corr:.2f})"
    elif not st.boundary_corr >= cfg.flash_min_boundary_corr:  # NaN fails too
        res.detail = (
            f"skin changes colour off the flash's timing (at the changes: {st.boundary_corr:.2f})"
        )
    elif not math.isnan(st.chroma_corr) and st.chroma_corr < cfg.flash_min_chroma_corr:
        res.detail = f"skin does not take the flash's hues (correlation {st.chroma_corr:.2f})"
    elif st.gain < cfg.flash_min_gain:
        res.detail = f"skin barely responds to the flash (gain {st.gain:.3f})"
    elif st.gain < cfg.flash_bg_ratio * bg_ref:
        res.detail = f"skin responds no more than the background ({st.gain:.3f} vs {bg_ref:.3f})"
    else:
        res.passed = True
    return res
