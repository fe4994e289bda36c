"""Flash correlation on synthetic colour series with a known response."""

from __future__ import annotations

import numpy as np

from django_lifecheck.engine.config import EngineConfig
from django_lifecheck.engine.features import FrameFeatures
from django_lifecheck.engine.flash import check_flash, correlate, hex_to_rgb
from django_lifecheck.engine.types import FlashStep

CFG = EngineConfig()
SCHEDULE = tuple(
    FlashStep(c, 300 + 400 * k, 700 + 400 * k)
    for k, c in enumerate(["#FFFFFF", "#000000", "#D8D6FF", "#3B3C04", "#CFF9FF", "#060D3C"])
)
ALBEDO = np.array([180.0, 130.0, 110.0])


def series(light, skin_k=0.3, bg_k=0.01, lag=60, noise=1.5, seed=0, schedule=SCHEDULE):
    """Frames every ~55 ms; skin = albedo * (0.8 + k * screen(t - lag)) + noise."""
    rng = np.random.default_rng(seed)
    feats = []
    for i, t in enumerate(range(300, 2700, 55)):
        colour = next((s.color for s in light if s.start_ms <= t - lag < s.end_ms), None)
        screen = hex_to_rgb(colour) / 255 if colour else np.full(3, 0.6)
        skin = ALBEDO * (0.8 + skin_k * screen) + rng.normal(0, noise, 3)
        bg = np.array([90.0, 95, 100]) * (0.8 + bg_k * screen) + rng.normal(0, noise, 3)
        shown = next((s.color for s in schedule if s.start_ms <= t < s.end_ms), None)
        feats.append(
            FrameFeatures(
                index=i, t_ms=t, color=shown, face=True, usable=True, skin=skin, background=bg
            )
        )
    return feats


def test_live_skin_follows_the_flash_with_a_lag():
    res = check_flash(SCHEDULE, series(SCHEDULE, lag=120), CFG)
    assert res.judged and res.passed, res
    assert res.stats.corr > 0.9 and 80 <= res.stats.lag_ms <= 160
    assert res.stats.gain > 10 * res.stats.background_gain


def test_replay_lit_by_another_sequence_fails():
    other = tuple(
        FlashStep(c, s.start_ms, s.end_ms)
        for s, c in zip(
            SCHEDULE, ["#000000", "#FFFFFF", "#3B3C04", "#D8D6FF", "#060D3C", "#CFF9FF"]
        )
    )
    res = check_flash(SCHEDULE, series(other), CFG)
    assert res.judged and not res.passed and res.stats.corr < 0.3, res


def test_unlit_skin_fails():
    res = check_flash(SCHEDULE, series(SCHEDULE, skin_k=0.0), CFG)
    assert res.judged and not res.passed


def test_a_flat_screen_responding_like_its_background_fails():
    res = check_flash(SCHEDULE, series(SCHEDULE, skin_k=0.3, bg_k=0.3 * 180 / 95), CFG)
    assert res.judged and not res.passed and "background" in res.detail


def test_too_few_frames_or_one_colour_is_not_judged():
    few = series(SCHEDULE)[:4]
    assert not check_flash(SCHEDULE, few, CFG).judged
    mono = tuple(FlashStep("#FFFFFF", s.start_ms, s.end_ms) for s in SCHEDULE)
    assert not check_flash(mono, series(mono), CFG).judged


def test_correlate_picks_the_right_lag():
    feats = series(SCHEDULE, lag=200, noise=0.5)
    t = [f.t_ms for f in feats]
    skin = np.array([f.skin for f in feats])
    bg = np.array([f.background for f in feats])
    c = correlate(t, skin, bg, SCHEDULE, 300)
    assert 180 <= c.lag_ms <= 220 and c.corr > 0.97 and c.frames > 20
    assert abs(c.gain - 180 * 0.3 / 255 * (130 / 180 + 110 / 180 + 1) / 3) < 0.05
    assert c.boundary_corr > 0.9 and c.chroma_corr > 0.8


def test_recording_of_another_check_with_the_same_polarity_fails():
    """Bright and dark alternate in every check: another check's recording follows the
    brightness pattern, but its colour changes drift off this schedule's."""
    durations = [250, 560, 270, 530, 520, 420]
    other, t0 = [], 300
    for s, d in zip(SCHEDULE, durations):
        other.append(FlashStep(s.color, t0, t0 + d))
        t0 += d
    res = check_flash(SCHEDULE, series(tuple(other)), CFG)
    assert res.judged and not res.passed, res
    assert res.stats.boundary_corr < CFG.flash_min_boundary_corr


def test_same_timing_other_hues_fails():
    """Same changes, same bright/dark, other hues: only the hue test can tell."""
    swap = {
        "#D8D6FF": "#D8FFCD",
        "#3B3C04": "#060D3C",
        "#CFF9FF": "#FFCEFD",
        "#060D3C": "#3B3C04",
        "#FFFFFF": "#FFF4CB",
        "#000000": "#183C03",
    }
    other = tuple(FlashStep(swap[s.color], s.start_ms, s.end_ms) for s in SCHEDULE)
    res = check_flash(SCHEDULE, series(other, noise=0.5), CFG)
    assert res.judged and not res.passed and "hue" in res.detail, res
