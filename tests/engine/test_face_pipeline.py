"""The LiteRT face pipeline on a real photo: detection, rotated crop, mesh, tracking."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PIL import Image

from django_lifecheck.engine import EngineError, runtime
from django_lifecheck.engine.detector import FaceDetector, anchors
from django_lifecheck.engine.mesh import (
    FaceMesh,
    FaceTracker,
    roi_from_detection,
    roi_from_landmarks,
    track,
)


def test_anchor_grid():
    a = anchors()
    assert a.shape == (896, 2)
    assert np.allclose(a[0], [0.5 / 16, 0.5 / 16]) and np.allclose(a[1], a[0])
    assert np.allclose(a[512], [0.5 / 8, 0.5 / 8])  # 16*16*2 = 512 first-layer anchors


def test_one_face_on_the_astronaut(astronaut):
    dets = FaceDetector().detect(astronaut)
    assert len(dets) == 1
    d = dets[0]
    assert d.score > 0.8
    x0, y0, x1, y1 = d.box
    assert 150 < x0 < x1 < 300 and 60 < y0 < y1 < 200  # her face, not the suit or flag
    right_eye, left_eye, nose, mouth = d.keypoints[:4]
    assert right_eye[0] < left_eye[0]  # subject's right eye is on the image left
    assert max(right_eye[1], left_eye[1]) < nose[1] < mouth[1]


def test_blank_image_has_no_face():
    assert FaceDetector().detect(np.zeros((480, 640, 3), np.uint8)) == []
    assert FaceDetector().detect(np.full((300, 200, 3), 200, np.uint8)) == []


def test_two_faces_side_by_side(astronaut):
    face = astronaut[20:320, 50:350]  # 300x300 around the face
    both = np.ascontiguousarray(np.concatenate([face, face[:, ::-1]], axis=1))
    dets = FaceDetector().detect(both)
    assert len(dets) == 2
    assert sorted(d.center[0] < 300 for d in dets) == [False, True]


def _rotated(img: np.ndarray, deg: float) -> np.ndarray:
    return np.asarray(Image.fromarray(img).rotate(deg, resample=Image.BILINEAR))


@pytest.mark.parametrize("variant", ["plain", "mirrored", "rot+20", "rot-20", "portrait"])
def test_mesh_sits_on_eyes_and_mouth(astronaut, variant):
    img = {
        "plain": astronaut,
        "mirrored": np.ascontiguousarray(astronaut[:, ::-1]),
        "rot+20": _rotated(astronaut, 20),
        "rot-20": _rotated(astronaut, -20),
        "portrait": np.ascontiguousarray(astronaut[:, 60:400]),  # non-square: padding maths
    }[variant]
    det = FaceDetector().detect(img)[0]
    res = FaceMesh().landmarks(img, roi_from_detection(det))
    assert res.presence > 0.9
    p = res.points
    assert p.shape == (468, 3)
    eye_r = (p[33, :2] + p[133, :2]) / 2
    eye_l = (p[362, :2] + p[263, :2]) / 2
    mouth = (p[13, :2] + p[14, :2]) / 2
    tol = 0.12 * det.width  # a wrong crop angle puts the mesh 15-55 px off
    assert np.linalg.norm(eye_r - det.keypoints[0]) < tol
    assert np.linalg.norm(eye_l - det.keypoints[1]) < tol
    assert np.linalg.norm(mouth - det.keypoints[3]) < tol
    assert np.linalg.norm(p[1, :2] - det.keypoints[2]) < tol


def test_tracking_roi_is_stable(astronaut, astronaut_landmarks):
    mesh = FaceMesh()
    p = astronaut_landmarks
    for _ in range(3):
        p2 = mesh.landmarks(astronaut, roi_from_landmarks(p)).points
        assert np.abs(p2[:, :2] - p[:, :2]).mean() < 2.0
        p = p2


def test_tracker_detects_on_schedule_and_recovers(astronaut):
    blank = np.zeros_like(astronaut)
    frames = [astronaut] * 4 + [blank] + [astronaut] * 2
    out = track(frames, detect_every=3)
    assert [f.detected for f in out[:4]] == [True, False, False, True]
    assert all(f.mesh is not None for f in out[:4])
    assert out[4].mesh is None  # face gone: presence drops, track dropped
    assert out[5].detected and out[5].mesh is not None  # re-detected
    assert out[0].face_count == 1 and out[1].face_count == -1


def test_tracker_counts_a_second_face(astronaut):
    face = astronaut[20:320, 50:350]
    both = np.ascontiguousarray(np.concatenate([face, face[:, ::-1]], axis=1))
    out = FaceTracker(detect_every=1).process(both)
    assert out.face_count == 2 and out.mesh is not None


def test_wrong_checksum_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(runtime, "_model_bytes", {})
    monkeypatch.setitem(runtime.MODEL_SHA256, "face_landmark.tflite", "0" * 64)
    with pytest.raises(EngineError, match="sha256"):
        runtime.model_bytes("face_landmark.tflite")


def test_one_interpreter_per_thread_reused():
    mine = runtime.interpreter("face_landmark.tflite")
    assert runtime.interpreter("face_landmark.tflite") is mine
    other = []
    t = threading.Thread(target=lambda: other.append(runtime.interpreter("face_landmark.tflite")))
    t.start()
    t.join()
    assert other and other[0] is not mine


def test_mesh_confirms_real_faces_only(astronaut):
    from django_lifecheck.engine.detector import Detection
    from django_lifecheck.engine.mesh import confirmed_faces

    face = FaceDetector().detect(astronaut)[0]
    # The same box moved onto the suit and the background, away from the face: not faces.
    fakes = [
        Detection(
            (x, y, x + face.width, y + face.height),
            face.keypoints + np.array([x - face.box[0], y - face.box[1]]),
            0.45,
        )
        for x, y in ((400, 300), (20, 20))
    ]
    assert confirmed_faces(astronaut, [face, *fakes]) == [face]


@pytest.mark.parametrize("window", [(0, 0, 512, 400), (60, 0, 460, 512), (0, 50, 512, 450)])
def test_detection_maps_back_through_the_letterbox(astronaut, window):
    """The detector letterboxes any frame shape straight into its 128x128 input. A
    non-square cut of the (square) photo keeps the longest side, so the model sees the
    same face at the same scale, only shifted by the padding: the box and keypoints
    must come back where they were in the photo (minus the cut's offset). The cut
    content moves the output by up to ~3.5 px; a padding error would be 50+ px."""
    x0, y0, x1, y1 = window
    ref = FaceDetector().detect(astronaut)[0]
    got = FaceDetector().detect(np.ascontiguousarray(astronaut[y0:y1, x0:x1]))[0]
    shift = np.array([x0, y0])
    assert np.allclose(np.array(got.box) + np.tile(shift, 2), ref.box, atol=5), (
        got.box,
        ref.box,
    )
    # eyes and nose (the ears and mouth move more with the content)
    assert np.allclose(got.keypoints[:3] + shift, ref.keypoints[:3], atol=5)


def test_a_shrinking_crop_averages_fine_detail_instead_of_aliasing():
    """1-px black/white stripes shrunk 2x: an area filter gives even grey; point
    sampling (plain bilinear at pixel centres) would land on one colour and read
    the stripes as a flat black or white face."""
    from django_lifecheck.engine.mesh import INPUT_SIZE, Roi, crop

    stripes = np.zeros((600, 600, 3), np.uint8)
    stripes[:, ::2] = 255
    out = np.asarray(crop(Image.fromarray(stripes), Roi(300.5, 300.5, 2.0 * INPUT_SIZE, 0.0)))
    inner = out[8:-8, 8:-8].astype(float)
    assert abs(inner.mean() - 127.5) < 10
    assert inner.std() < 20


def test_an_enlarging_crop_is_bilinear():
    """A small face (ROI under 192 px) is enlarged smoothly: a horizontal ramp stays a
    ramp with steps of one grey level (half the input step), not nearest-neighbour
    blocks of two."""
    from django_lifecheck.engine.mesh import INPUT_SIZE, Roi, crop

    ramp = np.repeat(np.repeat(np.arange(0, 250, 2, dtype=np.uint8)[None, :, None], 125, 0), 3, 2)
    out = np.asarray(crop(Image.fromarray(ramp), Roi(62.5, 62.5, INPUT_SIZE / 2, 0.0)))
    row = out[96, 8:-8, 0].astype(int)
    assert (np.diff(row) >= 0).all() and np.abs(np.diff(row)).max() <= 1
