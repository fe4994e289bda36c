"""Passive and injection cues: planar motion, frozen faces, duplicates, labels, timing."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from django_lifecheck.engine import passive
from django_lifecheck.engine.geometry import project, rotation_matrix
from django_lifecheck.engine.mesh import track

from .conftest import jpeg


def _tilted_photo(img: Image.Image, ang_y: float, ang_x: float, f: float = 700.0):
    """The photo as a flat sheet turned by (ang_y, ang_x) degrees, seen by a pinhole
    camera: an exact homography of the original."""
    w, h = img.size
    a, b = math.radians(ang_y), math.radians(ang_x)
    ry = np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])
    rx = np.array([[1, 0, 0], [0, math.cos(b), -math.sin(b)], [0, math.sin(b), math.cos(b)]])
    r = ry @ rx
    k = np.array([[f, 0, w / 2], [0, f, h / 2], [0, 0, 1]])
    hm = k @ np.c_[r[:, :2], [0, 0, f]] @ np.array([[1, 0, -w / 2], [0, 1, -h / 2], [0, 0, 1]])
    inv = np.linalg.inv(hm / hm[2, 2])
    inv /= inv[2, 2]
    return np.asarray(img.transform((w, h), Image.PERSPECTIVE, inv.flatten()[:8], Image.BILINEAR))


def test_photo_warped_by_homographies_moves_like_a_plane(astronaut):
    img = Image.fromarray(astronaut)
    tilts = [(0, 0), (25, 0), (-25, 0), (0, 25), (0, -25), (20, 15), (-20, -15), (30, 0)]
    out = track([_tilted_photo(img, a, b) for a, b in tilts], detect_every=1)
    pts = [o.mesh.points for o in out]
    ratio, change, n = passive.planar_evidence(pts, 0, 0.025)
    assert n >= 3 and change > 0.03
    assert ratio <= 0.4, ratio  # the mesh follows one plane


def test_head_with_depth_parallax_is_not_planar():
    rng = np.random.default_rng(3)
    poses = [(0, -10), (12, -10), (-12, -10), (0, 2), (0, -22), (8, -4), (-15, -14)]
    pts = [
        project(rotation_matrix(y, p, 0), 18.0, (320, 240)) + rng.normal(0, 0.4, (468, 3))
        for y, p in poses
    ]
    ratio, _change, n = passive.planar_evidence(pts, 0, 0.025)
    assert n >= 4 and ratio > 0.55, ratio
    # and pairwise: a 15-degree turn breaks a homography by several % of the eye span
    assert passive.parallax(pts[0], pts[6]) > 0.03


def test_still_face_gives_no_planar_evidence():
    base = project(rotation_matrix(0, -10, 0), 18.0, (320, 240))
    rng = np.random.default_rng(0)
    pts = [base + rng.normal(0, 0.3, base.shape) for _ in range(6)]
    ratio, _, n = passive.planar_evidence(pts, 0, 0.025)
    assert n == 0 and math.isnan(ratio)


def test_micro_motion_separates_frozen_from_moving():
    base = project(rotation_matrix(0, -10, 0), 18.0, (320, 240))
    frozen = [base + 0.05 * np.random.default_rng(i).normal(size=base.shape) for i in range(8)]
    moving = [
        project(rotation_matrix(2 * math.sin(i), -10 + math.cos(i), 0), 18.0, (320 + i, 240))
        for i in range(8)
    ]
    assert passive.micro_motion(frozen) < 0.002
    assert passive.micro_motion(moving) > 0.006


def test_duplicates_byte_identical_and_near_identical(astronaut):
    rng = np.random.default_rng(0)
    frames = [
        np.clip(astronaut + rng.normal(0, 3, astronaut.shape), 0, 255).astype(np.uint8)
        for _ in range(4)
    ]
    jp = [jpeg(f) for f in frames]
    thumbs = [passive.grey_thumbnail(f) for f in frames]
    same, near = passive.duplicate_fraction(jp, thumbs, 0.35)
    assert same == 0 and near == 0  # sensor noise: every frame differs
    same, _ = passive.duplicate_fraction([jp[0]] * 3 + [jp[1]], [thumbs[0]] * 3 + [thumbs[1]], 0.35)
    assert same == pytest.approx(2 / 3)
    # the same picture re-encoded at another quality: different bytes, same pixels
    still = [jpeg(astronaut, q) for q in (90, 89, 88, 87)]
    thumbs = [passive.grey_thumbnail(astronaut)] * 4
    assert passive.duplicate_fraction(still, thumbs, 0.35) == (0.0, 1.0)


@pytest.mark.parametrize(
    "label,hit",
    [
        ("OBS Virtual Camera", "obs virtual camera"),
        ("ManyCam Virtual Webcam", "manycam"),
        ("Dummy video device (0x0000) (v4l2loopback)", "v4l2loopback"),
        ("Snap Camera", "snap camera"),
        ("XSplit VCam", "xsplit"),
        ("FaceTime HD Camera", None),
        ("HD Pro Webcam C920 (046d:082d)", None),
        ("", None),
    ],
)
def test_virtual_camera_labels(label, hit):
    from django_lifecheck.engine.config import VIRTUAL_CAMERA_LABELS

    got = passive.virtual_camera(label, VIRTUAL_CAMERA_LABELS)
    assert (got is None) == (hit is None)
    if hit and got != hit:
        assert got in label.lower()


def test_impossible_timing():
    assert not passive.impossible_timing([0, 33, 66, 100, 133], 5)
    assert passive.impossible_timing([0, 33, 34, 66], 5)
    assert passive.impossible_timing([0, 33, 33], 5)
