"""Head pose: the canonical template, the similarity fit, the sign conventions."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from django_lifecheck.engine.detector import FaceDetector
from django_lifecheck.engine.geometry import (
    CANONICAL,
    FIT_IDS,
    head_pose,
    project,
    rotation_matrix,
    similarity_fit,
)
from django_lifecheck.engine.mesh import FaceMesh, roi_from_detection


def test_canonical_template_is_the_mirror_symmetric_mediapipe_face():
    assert CANONICAL.shape == (468, 3)
    mirrored = CANONICAL * [-1, 1, 1]
    gap = np.linalg.norm(CANONICAL[:, None] - mirrored[None], axis=2).min(axis=1)
    assert gap.max() < 1e-9  # every vertex has its mirror twin: no transcription slip
    assert CANONICAL[1, 2] > CANONICAL[33, 2]  # nose tip in front of the eye corners
    assert CANONICAL[33, 0] < 0 < CANONICAL[263, 0]  # subject's right eye at image left
    assert CANONICAL[10, 1] > CANONICAL[152, 1]  # forehead above chin (y up)
    assert len(FIT_IDS) == 33


def test_similarity_fit_recovers_a_known_transform():
    rng = np.random.default_rng(1)
    rot = rotation_matrix(20, -15, 7)
    dst = 3.0 * CANONICAL @ rot.T + [5, -2, 1] + rng.normal(0, 1e-3, CANONICAL.shape)
    s, r, t = similarity_fit(CANONICAL, dst)
    assert s == pytest.approx(3.0, rel=1e-3)
    assert np.allclose(r, rot, atol=1e-3)
    assert np.allclose(t, [5, -2, 1], atol=1e-2)


@pytest.mark.parametrize(
    "yaw,pitch,roll", [(0, 0, 0), (25, 0, 0), (-25, 0, 0), (0, 15, 0), (0, -20, 0), (0, 0, 12)]
)
def test_pose_round_trip_on_projected_template(yaw, pitch, roll):
    pts = project(rotation_matrix(yaw, pitch, roll), 18.0, (320, 240))
    got = head_pose(pts)
    assert got == pytest.approx((yaw, pitch, roll), abs=0.01)


def test_signs_in_image_terms():
    # yaw > 0: nose toward image right; pitch > 0: nose up (image y smaller)
    front = project(rotation_matrix(0, 0, 0), 18.0, (320, 240))
    left = project(rotation_matrix(20, 0, 0), 18.0, (320, 240))
    up = project(rotation_matrix(0, 20, 0), 18.0, (320, 240))
    assert left[1, 0] > front[1, 0]
    assert up[1, 1] < front[1, 1]


def _pose(img):
    det = FaceDetector().detect(img)[0]
    return head_pose(FaceMesh().landmarks(img, roi_from_detection(det)).points)


def test_real_photo_frontal_and_roll(astronaut):
    yaw, pitch, roll = _pose(astronaut)
    assert abs(yaw) < 8 and -20 < pitch < 0 and abs(roll) < 8
    # Pillow rotates counter-clockwise: roll grows by about the angle
    _, _, roll_ccw = _pose(np.asarray(Image.fromarray(astronaut).rotate(20)))
    assert 12 < roll_ccw - roll < 28
    _, _, roll_cw = _pose(np.asarray(Image.fromarray(astronaut).rotate(-20)))
    assert -28 < roll_cw - roll < -12


def test_turned_head_and_its_mirror_image():
    """A face rendered turned to the subject's left reads yaw > 0; mirrored, yaw < 0."""
    render = pytest.importorskip("django_lifecheck.engine.eval.render")
    scenarios = pytest.importorskip("django_lifecheck.engine.eval.scenarios")
    renderer = render.HeadRenderer(scenarios.face_source("astronaut"))
    for yaw in (20, 30):
        frame = np.clip(renderer.render(render.Pose(yaw=yaw)), 0, 255).astype(np.uint8)
        y, _, _ = _pose(frame)
        y_m, _, _ = _pose(np.ascontiguousarray(frame[:, ::-1]))
        assert y > 10, y
        assert y_m < -10, y_m
        assert abs(y + y_m) < 6
