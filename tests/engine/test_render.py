"""Known geometry through the whole chain: a head rendered at a known pose, with known
blinks, read back by the engine (detector + mesh + pose fit + the blink rule).

The renderer (``engine.eval.render``) maps the astronaut photo on its own 468-point
mesh and rotates it in 3D, with the hair and ears as a shell around it; the engine has
never seen these frames. The read-back is
relative to the frontal frame (MediaPipe's template reads a frontal face at about -10
degrees of pitch, so the engine always works against the user's baseline too).
"""

from __future__ import annotations

import numpy as np
import pytest

from django_lifecheck.engine.config import EngineConfig
from django_lifecheck.engine.eval.render import Camera, HeadRenderer, Pose, _polygon_mask
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


#: Measured 2026-12-04 (seeded camera noise, so reproducible; readings move < 0.5 deg
#: with the noise seed). Before: the engine read the rendered yaw with a gain of
#: ~0.75-0.8 (-30 -> -22.4, +30 -> +24.3; +-15 -> -11.5 / +11.5), while the pose fit
#: on the exact rendered landmarks reads +-32.1. The mesh model's x, y landmarks were
#: off (the near face outline placed inward, the far one outward) and its z turned
#: too little. Causes found in the renderer, each fixed for physical realism:
#:
#: * hair, ears and neck were a flat layer fitted to the face outline, which lies in
#:   front of the rotation axis: it moved *with* the nose, i.e. like a smaller turn.
#:   They are now a 3D shell joined to the mesh rim, out to the head's silhouette at
#:   the depth of the head centre (the widest section of a round head) and around the
#:   back, so the near side comes into view and the far side goes behind the cheek;
#:   the wall seen between jaw and hair is no longer part of the head. Alone, this
#:   took +-30 to -26.4 / +26.4;
#: * the photo's x, y were taken as 3D x, y and projected again (perspective twice:
#:   the neutral frame was not the photo, the nose ~6 % too big); they are lifted
#:   back first. The light is relative to the angle the photo saw each surface at;
#: * triangles the photo sees edge-on along the outline had an arbitrary winding and
#:   were culled when turned into view, and the outline's texture had wall in it:
#:   they face out of the head now, and take the skin just inside.
#:
#: After: -30 -> -28.3, +30 -> +26.6, +-15 -> -13.2 / +13.1, +-40 -> -35.0 / +30.7
#: (mirrored photo: -26.5 / +26.1, -14.2 / +13.0, -37.4 / +32.7; the photo is not
#: frontal, hence the asymmetry). The shell's depths matter little (silhouette
#: +-0.1 face width, back depth 0.5-0.8: < 0.4 deg). What is left (~10 %) is the mesh
#: model's z: with the true z and the model's x, y the fit reads -31.3 / +32.2, with
#: the model's z and the true x, y -27.2 / +26.8. Real-camera data would tell whether
#: the model does the same on real heads (on LFW faces, within +-20 deg, its 3D fit
#: reads 0.98 of its own x, y-only fit; on these renders 0.93).


@pytest.mark.parametrize("yaw", [-30, -15, 0, 15, 30])
def test_engine_reads_the_rendered_yaw(renderer, frontal, yaw):
    """Positive yaw = the subject turns to their own left (nose toward image right in
    the unmirrored frame), the engine's ``LookLeft`` convention."""
    got = head_pose(read_points(shoot(renderer, Pose(yaw=yaw), seed=yaw + 100)))
    assert got[0] - frontal[0] == pytest.approx(yaw, abs=TOLERANCE_DEG), got
    assert got[1] - frontal[1] == pytest.approx(0.0, abs=TOLERANCE_DEG), got


@pytest.mark.parametrize("yaw", [-30, -15, 15, 30])
def test_engine_reads_the_rendered_yaw_of_the_mirrored_photo(yaw):
    """The astronaut photo is not quite frontal: its mirror image turns the other way
    round, so both sides of the face are checked at each sign of the turn."""
    renderer = HeadRenderer(face_source("astronaut_mirrored"))
    base = head_pose(read_points(shoot(renderer, Pose())))
    got = head_pose(read_points(shoot(renderer, Pose(yaw=yaw), seed=yaw + 100)))
    assert got[0] - base[0] == pytest.approx(yaw, abs=TOLERANCE_DEG), got


def test_neutral_pose_reproduces_the_photo(renderer):
    """The photo is the scene at the neutral pose: same landmarks, same face pixels
    (under the page's neutral grey), so every other pose is relative to it."""
    src = renderer.src
    np.testing.assert_allclose(renderer.landmarks(Pose())[:, :2], src.lm[:, :2], atol=1e-6)
    frame = renderer.render(Pose())
    face = _polygon_mask(frame.shape[:2], src.lm[src.rim])
    assert np.abs(frame - src.photo)[face].mean() < 0.5


def test_hair_turns_about_the_head_centre(renderer):
    """Turned, the face (in front of the neck's axis) moves toward the nose; the head's
    silhouette (at the axis) does not (its far side recedes in perspective): the hair
    does not follow the face as a flat layer would."""
    src = renderer.src
    rows = len(src.SHELL_FRONT)
    k = len(src.rim)
    sil = slice((rows - 1) * k, rows * k)  # the silhouette row of the shell
    before = renderer.project(Pose(), src.shell_frontal)
    after = renderer.project(Pose(yaw=30), src.shell_frontal)
    face_shift = renderer.landmarks(Pose(yaw=30))[1, 0] - src.lm[1, 0]  # nose tip
    sil_shift = after[sil, 0].mean() - before[sil, 0].mean()
    assert face_shift > 0.25 * src.face_width
    assert sil_shift < 0.0


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
