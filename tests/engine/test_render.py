"""Known geometry through the whole chain: a head rendered at a known pose, with known
blinks, read back by the engine (detector + mesh + pose fit + the blink rule).

The renderer (``engine.eval.render``) maps the astronaut photo on its own 468-point
mesh and rotates it in 3D; the engine has never seen these frames. The read-back is
relative to the frontal frame (MediaPipe's template reads a frontal face at about -10
degrees of pitch, so the engine always works against the user's baseline too).
"""

from __future__ import annotations

import numpy as np
import pytest

from django_lifecheck.engine.config import EngineConfig
from django_lifecheck.engine.eval.render import Camera, HeadRenderer, Pose
from django_lifecheck.engine.eval.scenarios import face_source
from django_lifecheck.engine.features import LEFT_EYE, RIGHT_EYE, eye_aspect_ratio
from django_lifecheck.engine.geometry import head_pose
from django_lifecheck.engine.mesh import FaceTracker

#: "Within a few degrees" (issue #3, Done when).
TOLERANCE_DEG = 5.0


@pytest.fixture(scope="module")
def renderer() -> HeadRenderer:
    return HeadRenderer(face_source("astronaut"))


def shoot(renderer: HeadRenderer, pose: Pose, seed: int = 0) -> np.ndarray:
    return Camera(np.random.default_rng(seed)).capture(renderer.render(pose))


def read_points(rgb: np.ndarray) -> np.ndarray:
    """The engine's landmarks for a still frame: detection, then the tracked ROI
    (the engine's steady state on a capture)."""
    tracker = FaceTracker()
    res = None
    for _ in range(3):
        res = tracker.process(rgb).mesh
        assert res is not None, "the engine lost the rendered face"
    return res.points


@pytest.fixture(scope="module")
def frontal(renderer) -> tuple[float, float, float]:
    return head_pose(read_points(shoot(renderer, Pose())))


@pytest.mark.parametrize("yaw", [-30, -15, 0, 15, 30])
def test_rendered_landmarks_have_the_rendered_yaw(renderer, yaw):
    """The pose fit alone, on the exact rendered landmarks (no image involved)."""
    base = head_pose(renderer.landmarks(Pose()))
    got = head_pose(renderer.landmarks(Pose(yaw=yaw)))
    assert got[0] - base[0] == pytest.approx(yaw, abs=3.0)
    assert got[1] - base[1] == pytest.approx(0.0, abs=1.5)


@pytest.mark.parametrize("pitch", [-20, -10, 10, 20])
def test_rendered_landmarks_have_the_rendered_pitch(renderer, pitch):
    base = head_pose(renderer.landmarks(Pose()))
    got = head_pose(renderer.landmarks(Pose(pitch=pitch)))
    assert got[1] - base[1] == pytest.approx(pitch, abs=3.0)
    assert got[0] - base[0] == pytest.approx(0.0, abs=1.5)


#: Measured 2026-12-04 (seeded camera noise, so reproducible): the engine reads the
#: rendered yaw with a gain of ~0.75-0.8 over the whole range (-40 -> -30.7, -30 ->
#: -22.2, -20 -> -14.8, +20 -> +14.8, +30 -> +23.9, +40 -> +31.3), while the same fit
#: on the exact rendered landmarks reads -32.1 / +32.1. So the gap is in the mesh
#: model's landmarks on the render, not in the pose fit: an xy-only fit (ignoring the
#: mesh z) reads -24.1 / +27.3, fits on other landmark sets (all 468, no face oval)
#: change < 0.5 deg. Part of it is the renderer: without its flat hair/ears/neck layer
#: the reading is -22.0 / +27.0 (and +-15 -> -12.2 / +14.2): a head outline that moves
#: as a plane tells the model "less turn". The rest (mostly at -30) is not explained;
#: real-camera data is needed before re-tuning the fit. Decisions are not affected:
#: LookLeft/Right need 15 deg from the baseline and rendered turns of 28-38 deg read
#: 21-29. Kept asserting the truth, visibly failing.
_YAW_GAP = pytest.mark.xfail(
    strict=True,
    reason="engine reads rendered +-30 yaw as -22.2 / +23.9 (gain ~0.77: mesh landmarks on "
    "the render; the render's flat hair layer accounts for part of it); see _YAW_GAP note",
)


@pytest.mark.parametrize(
    "yaw",
    [pytest.param(-30, marks=_YAW_GAP), -15, 0, 15, pytest.param(30, marks=_YAW_GAP)],
)
def test_engine_reads_the_rendered_yaw(renderer, frontal, yaw):
    """Positive yaw = the subject turns to their own left (nose toward image right in
    the unmirrored frame), the engine's ``LookLeft`` convention."""
    got = head_pose(read_points(shoot(renderer, Pose(yaw=yaw), seed=yaw + 100)))
    assert got[0] - frontal[0] == pytest.approx(yaw, abs=TOLERANCE_DEG), got
    assert got[1] - frontal[1] == pytest.approx(0.0, abs=TOLERANCE_DEG), got


@pytest.mark.parametrize("pitch", [-20, -10, 10, 20])
def test_engine_reads_the_rendered_pitch(renderer, frontal, pitch):
    """Positive pitch = looking up."""
    got = head_pose(read_points(shoot(renderer, Pose(pitch=pitch), seed=pitch + 200)))
    assert got[1] - frontal[1] == pytest.approx(pitch, abs=TOLERANCE_DEG), got
    assert got[0] - frontal[0] == pytest.approx(0.0, abs=TOLERANCE_DEG), got


def test_engine_reads_a_combined_pose(renderer, frontal):
    got = head_pose(read_points(shoot(renderer, Pose(yaw=-20, pitch=10), seed=7)))
    assert got[0] - frontal[0] == pytest.approx(-20, abs=TOLERANCE_DEG), got
    assert got[1] - frontal[1] == pytest.approx(10, abs=TOLERANCE_DEG), got


def blink_series(n_blinks: int, fps: float = 20.0, seconds: float = 3.0) -> list[Pose]:
    """Poses at ``fps`` with ``n_blinks`` blinks (each ~350 ms closed) spread out."""
    times = np.arange(0, seconds * 1000, 1000 / fps)
    starts = [600 + k * (seconds * 1000 - 1000) / max(n_blinks, 1) for k in range(n_blinks)]
    poses = []
    for t in times:
        closed = any(s <= t < s + 350 for s in starts)
        ramp = any(s - 50 <= t < s or s + 350 <= t < s + 400 for s in starts)
        poses.append(Pose(blink=1.0 if closed else 0.5 if ramp else 0.0, yaw=0.5 * np.sin(t / 500)))
    return poses


def count_blinks(ears: list[float], cfg: EngineConfig) -> int:
    """The engine's blink rule (closed below ``blink_close_ratio`` of the baseline,
    reopened above ``blink_open_ratio``) applied to a whole series."""
    base = float(np.median(ears[:5]))
    count, closed = 0, False
    for e in ears:
        if not closed and e <= cfg.blink_close_ratio * base:
            closed = True
        elif closed and e >= cfg.blink_open_ratio * base:
            closed = False
            count += 1
    return count


@pytest.mark.parametrize("n_blinks", [0, 2])
def test_engine_counts_rendered_blinks(renderer, n_blinks):
    cam = Camera(np.random.default_rng(n_blinks))
    tracker = FaceTracker()
    ears = []
    for pose in blink_series(n_blinks):
        res = tracker.process(cam.capture(renderer.render(pose))).mesh
        assert res is not None
        p = res.points
        ears.append((eye_aspect_ratio(p, RIGHT_EYE) + eye_aspect_ratio(p, LEFT_EYE)) / 2)
    assert count_blinks(ears, EngineConfig()) == n_blinks, [round(e, 3) for e in ears]


def test_open_mouth_is_read_as_open(renderer):
    from django_lifecheck.engine.features import mouth_openness

    closed = mouth_openness(read_points(shoot(renderer, Pose())))
    opened = mouth_openness(read_points(shoot(renderer, Pose(mouth=1.0))))
    assert opened - closed >= EngineConfig().mouth_open_delta, (closed, opened)


def test_flash_lights_the_face_more_than_the_background(renderer):
    """The reflection model: a white screen brightens the skin, the far wall barely."""
    white = renderer.render(Pose(), "#FFFFFF")
    black = renderer.render(Pose(), "#000000")
    pts = renderer.landmarks(Pose())
    x, y = pts[1, :2].astype(int)  # nose tip
    nose = (slice(y - 3, y + 3), slice(x - 3, x + 3))
    face_gain = white[nose].mean() / black[nose].mean()
    wall_gain = white[5:40, 5:40].mean() / black[5:40, 5:40].mean()
    assert face_gain > 1.25
    assert 1.0 < wall_gain < 1.05
