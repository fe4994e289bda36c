"""468-point face mesh on a rotated face crop, and tracking across frames.

Recipe (MediaPipe's ``face_landmark`` graph; see NOTICE and the tests): a square ROI
of side ``1.5 * max(box w, h)`` centred on the face, rotated so the eyes are level,
is sampled into a 192x192 crop (RGB / 255); the model returns 468 x (x, y, z) in crop
pixels and a face-presence logit. Points are mapped back to image pixels; ``z`` is
scaled by the same factor (negative = toward the camera).

Public API (used by the evaluation harness; keep stable)::

    roi = roi_from_detection(det)              # detector.Detection -> Roi
    res = FaceMesh().landmarks(rgb, roi)       # -> MeshResult
    res.points    # (468, 3) float64, image pixels (z in the same pixel scale)
    res.presence  # 0..1 face presence
    res.roi       # the Roi used

    tracker = FaceTracker()                    # detection + mesh + tracking
    for rgb in frames:
        fr = tracker.process(rgb)              # -> TrackedFrame
        fr.mesh, fr.face_count, fr.detections, fr.detected

    track(frames) -> list[TrackedFrame]        # the same over a sequence
    confirmed_faces(rgb, detections)           # detections the mesh model confirms

Tracking: after a frame whose presence >= ``min_presence`` the next ROI comes from
that frame's landmarks (box around all 468 points, angle from the eye corners 33 ->
263, side x1.5), as MediaPipe does; the detector runs again only when presence drops,
and every ``detect_every`` frames to count faces (a second face walking in must be
seen: tracking alone follows one face). ``TrackedFrame.face_count`` counts the tracked
face plus every other detection the mesh model confirms.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from . import runtime
from .detector import Detection, FaceDetector, _as_image

MODEL = "face_landmark.tflite"
INPUT_SIZE = 192
ROI_SCALE = 1.5


@dataclass(frozen=True)
class Roi:
    """A rotated square in image pixels: centre, side, rotation (radians, image axes,
    positive = clockwise on screen since y points down)."""

    cx: float
    cy: float
    size: float
    theta: float

    def to_image(self, uv: np.ndarray) -> np.ndarray:
        """Map crop pixel coordinates (N, 2) in 0..192 to image pixels."""
        c, s = math.cos(self.theta), math.sin(self.theta)
        d = (uv / INPUT_SIZE - 0.5) * self.size
        x = self.cx + c * d[:, 0] - s * d[:, 1]
        y = self.cy + s * d[:, 0] + c * d[:, 1]
        return np.stack([x, y], axis=1)


def _normalize_angle(a: float) -> float:
    return a - 2 * math.pi * math.floor((a + math.pi) / (2 * math.pi))


def _angle(p0: np.ndarray, p1: np.ndarray) -> float:
    """Rotation that levels the vector p0 -> p1 (MediaPipe's formula, image pixels)."""
    return _normalize_angle(-math.atan2(-(p1[1] - p0[1]), p1[0] - p0[0]))


def roi_from_detection(det: Detection) -> Roi:
    """ROI for the mesh from a detector result (eyes: keypoints 0 -> 1)."""
    cx, cy = det.center
    side = ROI_SCALE * max(det.width, det.height)
    return Roi(cx, cy, side, _angle(det.keypoints[0], det.keypoints[1]))


def roi_from_landmarks(points: np.ndarray) -> Roi:
    """ROI for the next frame from this frame's landmarks (tracking).

    The box around the points is taken in the rotated frame, so a tilted head keeps a
    tight square.
    """
    theta = _angle(points[33, :2], points[263, :2])
    c, s = math.cos(theta), math.sin(theta)
    xy = points[:, :2]
    # Rotate into the face-aligned frame, take the box, rotate the centre back.
    u = c * xy[:, 0] + s * xy[:, 1]
    v = -s * xy[:, 0] + c * xy[:, 1]
    uc, vc = (u.min() + u.max()) / 2, (v.min() + v.max()) / 2
    side = ROI_SCALE * max(u.max() - u.min(), v.max() - v.min())
    return Roi(c * uc - s * vc, s * uc + c * vc, side, theta)


@dataclass
class MeshResult:
    """Landmarks of one face in one frame."""

    points: np.ndarray  # (468, 3) image pixels; z same scale, negative toward camera
    presence: float
    roi: Roi
    #: The (192, 192, 3) uint8 model input: the face (its box is about the central
    #: 128 px) at a fixed scale, for per-frame pixel measures without another resample.
    crop: np.ndarray | None = field(default=None, repr=False)
    #: (468, 2) the landmarks in ``crop`` pixels (the model's own output), to sample
    #: skin in the crop rather than in the full frame.
    uv: np.ndarray | None = field(default=None, repr=False)


def crop(img: Image.Image, roi: Roi) -> Image.Image:
    """The 192x192 rotated crop of ``roi`` (outside the image: black).

    A face crop shrinks the frame (the ROI is usually 200-500 px): there it is sampled
    at twice the resolution with nearest neighbour and box-averaged 2x2, which is an
    area filter (each crop pixel averages four samples spread over its footprint, where
    bilinear reads one point and aliases once the shrink passes 2x) and costs 0.3 ms
    instead of Pillow's 0.8 ms bilinear affine transform. A small face (ROI under 192 px,
    the crop enlarges) is sampled bilinearly, as MediaPipe does, since nearest
    neighbour would show its pixels as blocks.
    """
    c, s = math.cos(roi.theta), math.sin(roi.theta)
    k = roi.size / INPUT_SIZE
    # Pillow's affine maps output (u, v) to input (x, y) = (a u + b v + c, d u + e v + f),
    # (u, v) at output pixel centres.
    a, b = c * k, -s * k
    d, e = s * k, c * k
    x0 = roi.cx - (a + b) * INPUT_SIZE / 2
    y0 = roi.cy - (d + e) * INPUT_SIZE / 2
    if k < 1.0:
        return img.transform(
            (INPUT_SIZE, INPUT_SIZE), Image.AFFINE, (a, b, x0, d, e, y0), resample=Image.BILINEAR
        )
    n = 2 * INPUT_SIZE
    fine = img.transform(
        (n, n), Image.AFFINE, (a / 2, b / 2, x0, d / 2, e / 2, y0), resample=Image.NEAREST
    )
    return fine.reduce(2)


class FaceMesh:
    """The landmark model; cheap to construct (interpreter is per thread, shared)."""

    def landmarks(self, rgb: np.ndarray | Image.Image, roi: Roi) -> MeshResult:
        img = _as_image(rgb)
        pixels = np.asarray(crop(img, roi))
        x = np.multiply(pixels, np.float32(1 / 255), dtype=np.float32)[None]
        raw, logit_t = runtime.run(MODEL, x, 1404, 1)
        raw = raw.reshape(468, 3).astype(np.float64)
        logit = float(logit_t.reshape(()))
        presence = 1.0 / (1.0 + math.exp(-max(min(logit, 100.0), -100.0)))
        pts = np.empty_like(raw)
        pts[:, :2] = roi.to_image(raw[:, :2])
        pts[:, 2] = raw[:, 2] * roi.size / INPUT_SIZE
        return MeshResult(pts, presence, roi, pixels, raw[:, :2])


def confirmed_faces(
    rgb: np.ndarray | Image.Image,
    detections: list[Detection],
    min_presence: float = 0.5,
    mesh: FaceMesh | None = None,
) -> list[Detection]:
    """The detections the mesh model confirms as faces (presence on their own crop).

    The detector's false positives on patterns score near 0 here, real faces near 1,
    even small or blurred ones the detector scores below its threshold.
    """
    img = _as_image(rgb)
    mesh = mesh or FaceMesh()
    return [
        d for d in detections if mesh.landmarks(img, roi_from_detection(d)).presence >= min_presence
    ]


@dataclass
class TrackedFrame:
    """What the tracker saw in one frame."""

    mesh: MeshResult | None  # None: no face (or presence too low)
    face_count: int  # faces confirmed in this frame; -1 when the detector did not run
    detections: list[Detection] = field(default_factory=list)  # raw detector output
    detected: bool = False  # the detector ran on this frame


class FaceTracker:
    """Detection + mesh + tracking over consecutive frames of one capture.

    Counting faces: every detection away from the tracked face is confirmed by the
    mesh model (face presence >= ``min_presence`` on its own crop) before it counts.
    So the detector may run with a low threshold (``detector``'s ``min_score``) to
    catch a small or blurred bystander, while its false positives on patterns (which
    the mesh model scores near 0) do not count.
    """

    def __init__(
        self,
        min_presence: float = 0.5,
        detect_every: int = 5,
        detector: FaceDetector | None = None,
        mesh: FaceMesh | None = None,
        min_track_score: float = 0.5,
    ) -> None:
        """Only a detection scoring ``min_track_score`` or more starts a track."""
        self.min_presence = min_presence
        self.min_track_score = min_track_score
        self.detect_every = max(1, detect_every)
        self.detector = detector or FaceDetector()
        self.mesh = mesh or FaceMesh()
        self._roi: Roi | None = None
        self._n = 0

    def reset(self) -> None:
        self._roi = None
        self._n = 0

    def _start(self, img: Image.Image, detections: list[Detection]) -> MeshResult | None:
        if detections and detections[0].score >= self.min_track_score:
            return self.mesh.landmarks(img, roi_from_detection(detections[0]))
        return None

    def _count(
        self, img: Image.Image, detections: list[Detection], tracked: MeshResult | None
    ) -> int:
        if tracked is None:
            return len(confirmed_faces(img, detections, self.min_presence, self.mesh))
        xy = tracked.points[:, :2]
        (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
        others = [
            d
            for d in detections
            if not (x0 <= d.center[0] <= x1 and y0 <= d.center[1] <= y1)  # not the tracked one
        ]
        return 1 + len(confirmed_faces(img, others, self.min_presence, self.mesh))

    def process(self, rgb: np.ndarray | Image.Image) -> TrackedFrame:
        img = _as_image(rgb)
        must_detect = self._roi is None or self._n % self.detect_every == 0
        self._n += 1
        detections = self.detector.detect(img) if must_detect else []
        if self._roi is not None:
            result = self.mesh.landmarks(img, self._roi)
            if result.presence < self.min_presence and not must_detect:
                # Lost track: re-detect on this same frame.
                must_detect = True
                detections = self.detector.detect(img)
                result = self._start(img, detections)
        else:
            result = self._start(img, detections)
        if result is not None and result.presence >= self.min_presence:
            self._roi = roi_from_landmarks(result.points)
        else:
            result = None
            self._roi = None
        return TrackedFrame(
            mesh=result,
            face_count=self._count(img, detections, result) if must_detect else -1,
            detections=detections,
            detected=must_detect,
        )


def track(frames: Iterable[np.ndarray | Image.Image], **kwargs) -> list[TrackedFrame]:
    """Run a fresh :class:`FaceTracker` over ``frames`` (keyword args go to it)."""
    tracker = FaceTracker(**kwargs)
    return [tracker.process(f) for f in frames]
