"""Action events on synthetic feature series (known poses, blinks, mouth)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from django_lifecheck.engine.actions import match_actions, segments
from django_lifecheck.engine.config import EngineConfig
from django_lifecheck.engine.features import FrameFeatures
from django_lifecheck.engine.geometry import project, rotation_matrix

CFG = EngineConfig()
DT = 66  # ~15 fps


def frame(i, prompt=None, yaw=0.0, pitch=-10.0, ear=0.3, mouth=0.02, flat=False):
    """A usable frame whose landmarks are the template posed at (yaw, pitch): real 3D
    parallax, or with ``flat`` the frontal face warped as a turned picture."""
    if flat:
        front = project(rotation_matrix(0, -10, 0), 18.0, (320, 240))
        pts = front.copy()
        k = np.cos(np.radians(yaw))
        pts[:, 0] = 320 + (front[:, 0] - 320) * k  # foreshortened like a turned sheet
        pts[:, 1] = 240 + (front[:, 1] - 240) * (1 + 0.0004 * (front[:, 0] - 320) * np.sign(yaw))
    else:
        pts = project(rotation_matrix(yaw, pitch, 0), 18.0, (320, 240))
    return FrameFeatures(
        index=i,
        t_ms=i * DT,
        prompt=prompt,
        face=True,
        face_count=1,
        usable=True,
        yaw=yaw,
        pitch=pitch,
        ear=ear,
        mouth=mouth,
        points=pts,
    )


def script(parts):
    """parts: [(prompt, n_frames, {field: value or per-frame list})] -> frames."""
    out = []
    for prompt, n, values in parts:
        for k in range(n):
            kw = {key: (v[k] if isinstance(v, list) else v) for key, v in values.items()}
            out.append(frame(len(out), prompt, **kw))
    return out


def bump(n, peak, rise=3):
    """0 -> peak -> 0 over n frames."""
    up = list(np.linspace(0, peak, rise + 1)[1:])
    return [0.0] * 3 + up + [peak] * (n - 6 - 2 * rise) + up[::-1] + [0.0] * 3


def test_segments_follow_prompt_runs():
    fs = script([(None, 3, {}), ("LookLeft", 4, {}), ("LookRight", 2, {}), ("LookLeft", 2, {})])
    assert [(s.prompt, s.start, s.end) for s in segments(fs)] == [
        ("LookLeft", 3, 6),
        ("LookRight", 7, 8),
        ("LookLeft", 9, 10),
    ]


def test_look_left_is_a_yaw_increase_and_right_a_decrease():
    fs = script(
        [
            (None, 5, {}),
            ("LookLeft", 20, {"yaw": bump(20, 30)}),
            ("LookRight", 20, {"yaw": bump(20, -30)}),
        ]
    )
    ev, _ = match_actions(("LookLeft", "LookRight"), fs, CFG)
    assert [e.matched for e in ev] == [True, True]
    assert ev[0].peak == pytest.approx(30) and ev[1].peak == pytest.approx(-30)
    assert ev[0].frames and max(ev[0].frames) < min(ev[1].frames)
    # The same frames from a mirrored camera: the user's left is now a yaw decrease.
    ev_m, _ = match_actions(("LookLeft", "LookRight"), fs, replace(CFG, frames_mirrored=True))
    assert not ev_m[0].matched


def test_wrong_order_fails_even_though_both_moves_happen():
    fs = script(
        [
            (None, 5, {}),
            ("LookLeft", 20, {"yaw": bump(20, -30)}),  # turned right when asked left
            ("LookRight", 20, {"yaw": bump(20, 30)}),
        ]
    )
    ev, _ = match_actions(("LookLeft", "LookRight"), fs, CFG)
    assert not ev[0].matched and not ev[1].matched


def test_order_enforced_without_prompts():
    fs = script([(None, 20, {"yaw": bump(20, -30)}), (None, 20, {"yaw": bump(20, 30)})])
    ev, _ = match_actions(("LookRight", "LookLeft"), fs, CFG)
    assert [e.matched for e in ev] == [True, True]
    ev, _ = match_actions(("LookLeft", "LookRight"), fs, CFG)
    assert [e.matched for e in ev] == [True, False]  # the right turn came before


def test_small_turn_is_not_an_action():
    fs = script([(None, 5, {}), ("LookLeft", 20, {"yaw": bump(20, 8)})])
    assert not match_actions(("LookLeft",), fs, CFG)[0][0].matched


def test_up_down_relative_to_baseline():
    fs = script(
        [
            ("LookFront", 8, {"pitch": -4.0}),  # this user's neutral pitch is -4
            ("LookUp", 20, {"pitch": [-4 + v for v in bump(20, 18)]}),
            ("LookDown", 20, {"pitch": [-4 + v for v in bump(20, -18)]}),
        ]
    )
    ev, scores = match_actions(("LookFront", "LookUp", "LookDown"), fs, CFG)
    assert [e.matched for e in ev] == [True, True, True]
    assert scores["baseline_pitch"] == pytest.approx(-4)
    assert ev[1].peak == pytest.approx(18)


def test_blinks_are_counted_as_close_then_open():
    ear = [0.3] * 5 + [0.1, 0.08] + [0.3] * 5 + [0.12] + [0.3] * 7
    fs = script([(None, 5, {}), ("BlinkEye", 20, {"ear": ear})])
    ev, _ = match_actions(("BlinkEye",), fs, CFG)
    assert ev[0].matched and ev[0].peak == pytest.approx(0.08)
    assert [fs[i].ear for i in ev[0].frames] == [0.1, 0.08, 0.3]
    # Two blinks asked: both found, the second after the first.
    fs2 = script(
        [
            (None, 5, {}),
            ("BlinkEye", 12, {"ear": ear[:12]}),
            ("OpenMouth", 3, {}),
            ("BlinkEye", 8, {"ear": ear[12:]}),
        ]
    )
    ev2, _ = match_actions(("BlinkEye", "OpenMouth", "BlinkEye"), fs2, CFG)
    assert [e.matched for e in ev2] == [True, False, False]  # mouth never opened
    # Looking down narrows the eyes: an EAR dip while the head pitches is no blink.
    down = script(
        [
            (None, 5, {}),
            (
                "BlinkEye",
                12,
                {
                    "ear": [0.3] * 4 + [0.2] * 4 + [0.3] * 4,
                    "pitch": [-10.0] * 4 + [-25.0] * 4 + [-10.0] * 4,
                },
            ),
        ]
    )
    assert not match_actions(("BlinkEye",), down, CFG)[0][0].matched
    # Eyes that close and never reopen are not a blink; nor is a half-closed squint.
    assert not match_actions(
        ("BlinkEye",),
        script([(None, 5, {}), ("BlinkEye", 10, {"ear": [0.3] * 5 + [0.1] * 5})]),
        CFG,
    )[0][0].matched
    assert not match_actions(
        ("BlinkEye",),
        script([(None, 5, {}), ("BlinkEye", 10, {"ear": [0.3, 0.25, 0.25, 0.3] + [0.3] * 6})]),
        CFG,
    )[0][0].matched


def test_open_mouth_shake_and_nod():
    fs = script(
        [
            (None, 5, {}),
            ("OpenMouth", 20, {"mouth": [0.02 + v for v in bump(20, 0.5)]}),
            ("ShakeHead", 24, {"yaw": [0] * 4 + [15, 25, 15, 0, -15, -25, -15, 0] + [0] * 12}),
            ("NodHead", 24, {"pitch": [-10] * 4 + [-20, -28, -20, -10, -5] + [-10] * 15}),
        ]
    )
    ev, _ = match_actions(("OpenMouth", "ShakeHead", "NodHead"), fs, CFG)
    assert [e.matched for e in ev] == [True, True, True]
    assert ev[0].peak == pytest.approx(0.52)
    assert ev[2].peak == pytest.approx(-18)
    # A shake to one side only is not a shake; a head that goes down and stays is no nod.
    one_side = script([(None, 5, {}), ("ShakeHead", 20, {"yaw": bump(20, 25)})])
    assert not match_actions(("ShakeHead",), one_side, CFG)[0][0].matched
    stays = script([(None, 5, {}), ("NodHead", 20, {"pitch": [-10] * 5 + [-25] * 15})])
    assert not match_actions(("NodHead",), stays, CFG)[0][0].matched


def test_look_front_needs_a_frontal_face():
    assert match_actions(("LookFront",), script([("LookFront", 6, {})]), CFG)[0][0].matched
    away = script([("LookFront", 6, {"yaw": 35.0})])
    assert not match_actions(("LookFront",), away, CFG)[0][0].matched


def test_turn_that_moves_like_a_flat_picture_does_not_count():
    flat = script(
        [(None, 5, {"flat": True}), ("LookLeft", 20, {"yaw": bump(20, 30), "flat": True})]
    )
    ev, _ = match_actions(("LookLeft",), flat, CFG)
    assert not ev[0].matched and "flat picture" in ev[0].detail


def test_look_front_does_not_swallow_a_prompt_blink():
    """LookFront then BlinkEye 0.3 s after its prompt: the frontal frames run on into
    the BlinkEye prompt (the face stays frontal), yet the blink is found."""
    ear = [0.3] * 4 + [0.1, 0.1] + [0.3] * 14
    fs = script([("LookFront", 15, {}), ("BlinkEye", 20, {"ear": ear})])
    ev, _ = match_actions(("LookFront", "BlinkEye"), fs, CFG)
    assert [e.matched for e in ev] == [True, True]
    assert max(ev[0].frames) < 15  # LookFront: frames under its own prompt only
    assert ev[1].frames[0] == 19
    # The same with OpenMouth: the next action's search starts
    # at its prompt's onset.
    fs = script(
        [("LookFront", 15, {}), ("OpenMouth", 20, {"mouth": [0.02 + v for v in bump(20, 0.5)]})]
    )
    assert all(e.matched for e in match_actions(("LookFront", "OpenMouth"), fs, CFG)[0])


def test_blink_at_the_prompt_onset_with_a_half_closed_first_frame():
    """At ~9 fps the frame before the closed run is often half-closed; when it is the
    prompt's first frame the open frame lies before the window: still a blink."""
    fs = script(
        [
            ("LookLeft", 15, {"yaw": bump(15, 30)}),
            ("BlinkEye", 10, {"ear": [0.24, 0.1, 0.1, 0.3] + [0.3] * 6}),
        ]
    )
    ev, _ = match_actions(("LookLeft", "BlinkEye"), fs, CFG)
    assert [e.matched for e in ev] == [True, True]
    assert ev[1].frames == [16, 17, 18]


def test_blink_before_its_prompt_does_not_count():
    """Eyes already closed before the BlinkEye prompt, or a blink done entirely under
    the previous prompt: no blink in the BlinkEye window (order is still enforced)."""
    early = script(
        [
            ("LookFront", 10, {"ear": [0.3] * 8 + [0.1, 0.1]}),
            ("BlinkEye", 10, {"ear": [0.1] + [0.3] * 9}),
        ]
    )
    assert not match_actions(("LookFront", "BlinkEye"), early, CFG)[0][1].matched
    before = script(
        [("LookFront", 10, {"ear": [0.3] * 4 + [0.1, 0.1] + [0.3] * 4}), ("BlinkEye", 10, {})]
    )
    assert not match_actions(("LookFront", "BlinkEye"), before, CFG)[0][1].matched
