"""Per-frame measurements on known geometry and a real photo."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageFilter

from django_lifecheck.engine.features import (
    LEFT_EYE,
    RIGHT_EYE,
    FrameFeatures,
    background_colour,
    eye_aspect_ratio,
    measure,
    mouth_openness,
    sharpness_and_brightness,
)


def test_eye_aspect_ratio_formula():
    pts = np.zeros((468, 3))
    # corners 10 apart, lids 3 and 3 apart -> (3 + 3) / (2 * 10) = 0.3
    for idx, xy in zip(RIGHT_EYE, [(0, 0), (3, -1.5), (7, -1.5), (10, 0), (7, 1.5), (3, 1.5)]):
        pts[idx, :2] = xy
    assert eye_aspect_ratio(pts, RIGHT_EYE) == pytest.approx(0.3)
    pts[list(RIGHT_EYE), 1] = 0  # lids together
    assert eye_aspect_ratio(pts, RIGHT_EYE) == 0


def test_real_photo_ranges(astronaut, astronaut_landmarks):
    p = astronaut_landmarks
    assert 0.2 < eye_aspect_ratio(p, RIGHT_EYE) < 0.4
    assert 0.2 < eye_aspect_ratio(p, LEFT_EYE) < 0.4
    assert 0.05 < mouth_openness(p) < 0.3  # a smile with teeth, not a wide-open mouth
    f = measure(astronaut, p, FrameFeatures(index=0, t_ms=0))
    assert f.face and 0.15 < f.face_width < 0.35 and f.face_offset < 0.35
    assert np.isfinite(f.skin).all() and f.skin[0] > f.skin[2]  # skin is reddish
    assert f.sharpness > 10 and 60 < f.brightness < 220


def test_background_and_sharpness_on_synthetic_frame():
    rgb = np.zeros((200, 300, 3), np.uint8)
    rgb[:, :] = (10, 200, 30)
    rgb[60:140, 110:190] = (250, 0, 0)  # the "face"
    assert np.allclose(background_colour(rgb, (110, 60, 190, 140)), (10, 200, 30))
    flat = sharpness_and_brightness(rgb, (110, 60, 190, 140))[0]
    rgb[60:140:2, 110:190] = 0  # stripes: very sharp
    assert sharpness_and_brightness(rgb, (110, 60, 190, 140))[0] > flat + 100


def test_sharpness_from_the_mesh_crop_matches_the_frame_measure(astronaut):
    """The portrait's sharpness and brightness come from the mesh model's 192 px input
    (the central 128 px is the face box): the same scale as the full-frame measure."""
    from django_lifecheck.engine.detector import FaceDetector
    from django_lifecheck.engine.features import crop_sharpness_and_brightness
    from django_lifecheck.engine.mesh import FaceMesh, roi_from_detection, roi_from_landmarks

    det = FaceDetector().detect(astronaut)[0]
    first = FaceMesh().landmarks(astronaut, roi_from_detection(det))
    res = FaceMesh().landmarks(astronaut, roi_from_landmarks(first.points))  # tracked ROI
    assert res.crop is not None and res.crop.shape == (192, 192, 3)
    xy = res.points[:, :2]
    box = (*xy.min(axis=0), *xy.max(axis=0))
    s_full, b_full = sharpness_and_brightness(astronaut, box)
    s_crop, b_crop = crop_sharpness_and_brightness(res.crop)
    assert b_crop == pytest.approx(b_full, rel=0.1)
    assert 0.5 < s_crop / s_full < 2.0
    f = measure(astronaut, res.points, FrameFeatures(index=0, t_ms=0), res.crop)
    assert (f.sharpness, f.brightness) == (s_crop, b_crop)
    # A blurred face is less sharp by the crop measure too.
    blurred = np.asarray(Image.fromarray(res.crop).filter(ImageFilter.GaussianBlur(2)))
    assert crop_sharpness_and_brightness(blurred)[0] < 0.5 * s_crop


def test_the_pipeline_measures_match_the_full_frame_ones(astronaut):
    """The pipeline reads skin from the mesh crop and the background from a 4x
    thumbnail, never copying the whole frame: the colours the flash check correlates
    must be those of the full frame."""
    from django_lifecheck.engine.detector import FaceDetector
    from django_lifecheck.engine.mesh import FaceMesh, roi_from_detection, roi_from_landmarks
    from django_lifecheck.engine.passive import thumbnail

    img = Image.fromarray(astronaut)
    det = FaceDetector().detect(img)[0]
    first = FaceMesh().landmarks(img, roi_from_detection(det))
    res = FaceMesh().landmarks(img, roi_from_landmarks(first.points))
    full = measure(astronaut, res.points, FrameFeatures(index=0, t_ms=0))
    fast = measure(thumbnail(img, 4), res.points, FrameFeatures(0, 0), res.crop, res.uv, img.size)
    assert (fast.face_width, fast.face_offset, fast.yaw) == (
        full.face_width,
        full.face_offset,
        full.yaw,
    )
    assert np.abs(fast.skin - full.skin).max() < 4  # grey levels
    assert np.abs(fast.background - full.background).max() < 4
