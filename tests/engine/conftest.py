"""Shared images for the engine tests: real photos from scikit-image."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image


def jpeg(rgb: np.ndarray, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    from skimage import data

    return np.ascontiguousarray(data.astronaut())


@pytest.fixture(scope="session")
def astronaut_landmarks(astronaut):
    from django_lifecheck.engine.detector import FaceDetector
    from django_lifecheck.engine.mesh import FaceMesh, roi_from_detection

    det = FaceDetector().detect(astronaut)[0]
    return FaceMesh().landmarks(astronaut, roi_from_detection(det)).points
