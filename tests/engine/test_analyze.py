"""analyze() and probe(): input contract, verdicts, config."""

from __future__ import annotations

import json

import numpy as np
import pytest

from django_lifecheck.engine import EngineConfig, EngineError, analyze, probe
from django_lifecheck.engine.types import Challenge, ClientInfo, FlashStep, Frame

from .conftest import jpeg


@pytest.fixture(scope="module")
def noisy_astronaut_frames(astronaut):
    rng = np.random.default_rng(0)
    return [
        Frame(
            jpeg(np.clip(astronaut + rng.normal(0, 3, astronaut.shape), 0, 255).astype(np.uint8)),
            t_ms=66 * i,
        )
        for i in range(8)
    ]


BLANK = jpeg(np.zeros((240, 320, 3), np.uint8))


def frames_of(data: bytes, n: int = 6, **kw) -> list[Frame]:
    return [Frame(data, t_ms=66 * i, **kw) for i in range(n)]


@pytest.mark.parametrize(
    "challenge,frames,match",
    [
        (Challenge(), frames_of(BLANK, 2), "at least"),
        (Challenge(), frames_of(BLANK, 500), "at most"),
        (Challenge(actions=("LookSideways",)), frames_of(BLANK), "unknown action"),
        (Challenge(flash=(FlashStep("#123456", 0, 100),)), frames_of(BLANK), "palette"),
        (Challenge(flash=(FlashStep("#FFFFFF", 100, 50),)), frames_of(BLANK), "ends before"),
        (Challenge(), frames_of(BLANK, color="#ABCDEF"), "palette"),
        (Challenge(), frames_of(BLANK, prompt="Dance"), "unknown prompt"),
        (Challenge(), frames_of(b"not a jpeg at all"), "not a JPEG"),
        (Challenge(), frames_of(b"\xff\xd8\xff\xe0garbage"), "cannot decode"),
        (Challenge(), [Frame(BLANK, t) for t in (0, 66, 132, 100, 200, 266)], "back in time"),
        ("nope", frames_of(BLANK), "Challenge"),
        (Challenge(), ["frame"] * 6, "must be a Frame"),
    ],
)
def test_bad_input_raises_engine_error(challenge, frames, match):
    with pytest.raises(EngineError, match=match):
        analyze(challenge, frames)


def test_bad_config_type():
    with pytest.raises(EngineError, match="EngineConfig"):
        analyze(Challenge(), frames_of(BLANK), config={"turn_deg": 3})


def test_no_face():
    v = analyze(
        Challenge(),
        [Frame(jpeg(np.full((240, 320, 3), 40 + i, np.uint8)), 66 * i) for i in range(6)],
    )
    assert (v.status, v.code, v.reason) == ("error", 203, "no_face")
    json.dumps(v.to_dict())


def test_virtual_camera_label_is_injection(noisy_astronaut_frames):
    v = analyze(Challenge(), noisy_astronaut_frames, ClientInfo(camera_label="OBS Virtual Camera"))
    assert (v.code, v.reason) == (202, "injection_suspected")


def test_byte_identical_frames_are_injection(noisy_astronaut_frames):
    same = [Frame(noisy_astronaut_frames[0].jpeg, 66 * i) for i in range(8)]
    v = analyze(Challenge(), same)
    assert (v.code, v.reason) == (202, "injection_suspected")


def test_impossible_timing_is_injection(noisy_astronaut_frames):
    frames = [Frame(f.jpeg, 2 * i) for i, f in enumerate(noisy_astronaut_frames)]
    assert analyze(Challenge(), frames).reason == "injection_suspected"


def test_a_still_photo_is_not_live(noisy_astronaut_frames):
    v = analyze(Challenge(), noisy_astronaut_frames)
    assert (v.code, v.reason) == (202, "not_live")
    assert v.scores["usable_frames"] == 8 and v.portrait_jpeg is None
    assert set(json.loads(json.dumps(v.to_dict()))) >= {"status", "code", "reason", "scores"}


def test_two_faces(astronaut):
    rng = np.random.default_rng(0)
    face = astronaut[20:320, 50:350]
    both = np.ascontiguousarray(np.concatenate([face, face[:, ::-1]], axis=1))
    frames = [
        Frame(jpeg(np.clip(both + rng.normal(0, 3, both.shape), 0, 255).astype(np.uint8)), 66 * i)
        for i in range(6)
    ]
    v = analyze(Challenge(), frames)
    assert (v.code, v.reason) == (203, "multiple_faces")


def test_bona_fide_render_passes_with_portrait():
    """A rendered head turning left on cue (the eval harness's renderer)."""
    render = pytest.importorskip("django_lifecheck.engine.eval.render")
    scenarios = pytest.importorskip("django_lifecheck.engine.eval.scenarios")
    rng = np.random.default_rng(5)
    renderer = render.HeadRenderer(scenarios.face_source("astronaut"))
    cam = render.Camera(rng)
    frames = []
    for i in range(24):
        t = 70 * i
        prompt = "LookFront" if i < 6 else "LookLeft"
        yaw = 0.0 if i < 9 else min(30.0, 6.0 * (i - 8))
        pose = render.Pose(yaw=yaw + 0.8 * np.sin(i), pitch=0.6 * np.cos(i), dx=0.5 * i)
        frames.append(Frame(cam.shoot(renderer.render(pose)), t, prompt=prompt))
    v = analyze(Challenge(actions=("LookFront", "LookLeft")), frames)
    assert v.status == "passed", v
    assert [a.matched for a in v.actions] == [True, True]
    assert v.actions[1].peak > 15
    assert v.portrait_jpeg and v.portrait_jpeg[:2] == b"\xff\xd8"
    assert v.to_dict()["has_portrait"] is True


def test_probe(astronaut):
    assert probe(jpeg(astronaut)).hint == "ok"
    assert probe(jpeg(astronaut)).faces == 1
    assert probe(BLANK).to_dict() == {"faces": 0, "hint": "no_face", "face_width": 0.0}
    face = astronaut[20:320, 50:350]
    assert probe(jpeg(np.concatenate([face, face], axis=1))).hint == "multiple_faces"
    with pytest.raises(EngineError):
        probe(b"nope")


def test_config_from_mapping():
    cfg = EngineConfig.from_mapping(
        {"TURN_DEG": 20, "frames_mirrored": True, "virtual_camera_labels": ["MyCam"]}
    )
    assert cfg.turn_deg == 20.0 and isinstance(cfg.turn_deg, float)
    assert cfg.frames_mirrored is True and cfg.virtual_camera_labels == ("mycam",)
    assert EngineConfig.from_mapping(None) == EngineConfig()
    with pytest.raises(EngineError, match="unknown engine setting 'turn_degrees'"):
        EngineConfig.from_mapping({"turn_degrees": 20})
    with pytest.raises(EngineError, match="must be a number"):
        EngineConfig.from_mapping({"turn_deg": "20"})
    with pytest.raises(EngineError, match="must be an integer"):
        EngineConfig.from_mapping({"min_frames": 2.5})
    with pytest.raises(EngineError, match="true or false"):
        EngineConfig.from_mapping({"frames_mirrored": 1})


def test_engine_palette_and_actions_match_the_protocol():
    from django_lifecheck import protocol
    from django_lifecheck.engine import validate

    assert frozenset(protocol.PALETTE) == validate.PALETTE
    assert frozenset(protocol.ACTIONS) == validate.ACTIONS


def test_engine_imports_no_django():
    import subprocess
    import sys

    code = (
        "import sys, django_lifecheck.engine as e; e.analyze; e.EngineConfig; "
        "import django_lifecheck.engine.pipeline; "
        "assert not [m for m in sys.modules if m.split('.')[0] == 'django'], 'django imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_planar_test_leaves_out_blink_frames():
    """Closing eyes move the landmarks in a way no rigid motion explains (and read as
    a few degrees of pitch): blink frames are not evidence about flatness. Narrowed
    eyes with a large change of pose (looking down, a photo tilted back), an open
    mouth, or a photo turned (its eye and mouth ratios rise) stay in."""
    from django_lifecheck.engine.features import FrameFeatures
    from django_lifecheck.engine.pipeline import _rigid

    cfg = EngineConfig()

    def frame(i: int, ear: float = 0.32, mouth: float = 0.05, pitch: float = -8.0):
        return FrameFeatures(
            index=i, t_ms=50 * i, face=True, usable=True, ear=ear, mouth=mouth, pitch=pitch
        )

    live = [frame(i) for i in range(10)]
    live[3].ear = live[4].ear = 0.2  # a blink
    live[5].ear = 0.29  # reopening: 0.91 of the median, open enough
    live[6].ear, live[6].pitch = 0.22, -30.0  # looking down
    live[7].mouth = 0.5  # the mouth open
    assert [f.index for f in _rigid(live, cfg)] == [0, 1, 2, 5, 6, 7, 8, 9]

    photo = [frame(i, 0.3, 0.2) for i in range(10)]
    photo[2].ear, photo[2].mouth = 0.35, 0.3  # turned 30 degrees
    photo[3].ear, photo[3].pitch = 0.24, -30.0  # tilted back
    assert _rigid(photo, cfg) == photo
