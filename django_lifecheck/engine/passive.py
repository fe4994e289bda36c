"""Passive and injection cues: what the frames give away without any challenge.

Each cue is honest about its reach:

* **Planar motion** (:func:`planar_evidence`): a photo or a screen is a plane, so
  however it is turned or tilted, one homography maps its landmarks in one frame onto
  another. A real head turning shows parallax (the nose moves against the cheeks) that
  no homography absorbs. It needs pose change to say anything: a still head gives no
  evidence either way. It cannot catch a 3D mask or a video of a real head (replays
  are the flash check's job).
* **Frozen face** (:func:`micro_motion`): a live person in front of a camera never
  holds perfectly still; a photo on a stand or a still image fed as video does. It does
  not catch a photo held in a moving hand (the planar test does, once it turns).
* **Duplicates** (:func:`duplicate_fraction`): a camera's sensor noise makes
  consecutive frames differ; byte-identical or near-identical frames come from a still
  image or a looped file. A camera that delivers fewer frames than the page asks for
  repeats some, so only a large share counts.
* **Injection** (:func:`injection_cues`): known virtual-camera labels and impossible
  frame timing. A label is whatever the browser reports: a renamed virtual camera or a
  patched browser passes this cue, it only stops the casual attacker.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence

import numpy as np
from PIL import Image

from .geometry import FIT_IDS

#: Landmarks for the planar test: the pose-fit set plus nose, chin, brow, lips.
PLANAR_IDS = np.unique(np.concatenate([FIT_IDS, [1, 152, 10, 61, 291, 168, 9, 199]]))


def inter_ocular(points: np.ndarray) -> float:
    """Distance between the outer eye corners (33, 263) in pixels."""
    return float(np.linalg.norm(points[33, :2] - points[263, :2]))


def _normalise(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = pts.mean(axis=0)
    d = np.sqrt(((pts - mean) ** 2).sum(axis=1)).mean()
    s = np.sqrt(2) / d if d > 0 else 1.0
    t = np.array([[s, 0, -s * mean[0]], [0, s, -s * mean[1]], [0, 0, 1]])
    h = np.c_[pts, np.ones(len(pts))] @ t.T
    return h, t


def fit_homography(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """3x3 homography ``dst ~ H src`` by normalised DLT (least squares)."""
    a, ta = _normalise(src)
    b, tb = _normalise(dst)
    n = len(src)
    m = np.zeros((2 * n, 9))
    m[0::2, 0:3] = a
    m[0::2, 6:9] = -b[:, 0:1] * a
    m[1::2, 3:6] = a
    m[1::2, 6:9] = -b[:, 1:2] * a
    _, _, vt = np.linalg.svd(m)
    hn = vt[-1].reshape(3, 3)
    h = np.linalg.inv(tb) @ hn @ ta
    return h / h[2, 2] if abs(h[2, 2]) > 1e-12 else h


def homography_residual(src: np.ndarray, dst: np.ndarray) -> float:
    """RMS distance (pixels) of ``dst`` from ``src`` mapped by the best homography."""
    h = fit_homography(src, dst)
    p = np.c_[src, np.ones(len(src))] @ h.T
    z = np.where(np.abs(p[:, 2:3]) < 1e-12, 1e-12, p[:, 2:3])
    return float(np.sqrt(((p[:, :2] / z - dst) ** 2).sum(axis=1).mean()))


def parallax(points_a: np.ndarray, points_b: np.ndarray) -> float:
    """How far two landmark sets are from being one plane seen twice:
    homography residual / inter-ocular distance (~0.01 for a photo, more for a head
    that turned)."""
    a, b = points_a[PLANAR_IDS, :2], points_b[PLANAR_IDS, :2]
    iod = max(inter_ocular(points_a), inter_ocular(points_b), 1e-6)
    return homography_residual(a, b) / iod


def similarity_residual(src: np.ndarray, dst: np.ndarray) -> float:
    """RMS distance (pixels) of ``dst`` from ``src`` mapped by the best 2D similarity."""
    a = src - src.mean(axis=0)
    b = dst - dst.mean(axis=0)
    za = a[:, 0] + 1j * a[:, 1]
    zb = b[:, 0] + 1j * b[:, 1]
    denom = float((np.abs(za) ** 2).sum())
    k = (np.conj(za) * zb).sum() / denom if denom > 0 else 0
    r = zb - k * za
    return float(np.sqrt((np.abs(r) ** 2).mean()))


def planar_evidence(
    points: Sequence[np.ndarray], reference: int, min_change: float
) -> tuple[float, float, int]:
    """(ratio, change, frames) of a sequence against its ``reference`` frame.

    ``change`` of a frame is how far its landmarks moved beyond a 2D similarity (a head
    turning, or a photo tilted so that it foreshortens), over the inter-ocular
    distance; only frames that changed by at least ``min_change`` carry evidence.
    ``ratio`` is the median over them of :func:`parallax` / change: about 0.7 for a
    rigid 3D face (a homography absorbs a third of a turn), near 0.2 for a plane
    (only landmark noise is left). NaN when no frame changed enough: a still face
    says nothing about flatness. The ratio, not the raw residual, is used so that a
    small real head turn is not mistaken for a plane.
    """
    ref = points[reference]
    iod = max(inter_ocular(ref), 1e-6)
    a = ref[PLANAR_IDS, :2]
    change, ratios = 0.0, []
    for i, p in enumerate(points):
        if i == reference:
            continue
        c = similarity_residual(a, p[PLANAR_IDS, :2]) / iod
        change = max(change, c)
        if c >= min_change:
            ratios.append(parallax(ref, p) / c)
    return (float(np.median(ratios)) if ratios else float("nan")), change, len(ratios)


def micro_motion(points: Sequence[np.ndarray]) -> float:
    """Median frame-to-frame landmark motion / inter-ocular distance."""
    if len(points) < 2:
        return 0.0
    steps = []
    for a, b in itertools.pairwise(points):
        d = np.sqrt(((a[PLANAR_IDS, :2] - b[PLANAR_IDS, :2]) ** 2).sum(axis=1)).mean()
        steps.append(d / max(inter_ocular(a), 1e-6))
    return float(np.median(steps))


def thumbnail(img: Image.Image, step: int) -> np.ndarray:
    """Every ``step``-th pixel of a frame as an (H/step, W/step, 3) array: Pillow's
    nearest-neighbour resize picks them without copying the whole frame out first
    (0.07 ms for 640x480 against 0.2 ms for ``np.asarray(img)[::4, ::4]``)."""
    w, h = img.size
    return np.asarray(img.resize((max(1, w // step), max(1, h // step)), Image.NEAREST))


def grey_thumbnail(rgb: np.ndarray, step: int = 4) -> np.ndarray:
    """A subsampled grey image for frame-difference tests."""
    t = rgb[::step, ::step]
    # The channel mean by two float32 adds: 10x faster than astype().mean(axis=2).
    return np.add(np.add(t[..., 0], t[..., 1], dtype=np.float32), t[..., 2]) / np.float32(3)


class DuplicateCounter:
    """Counts byte-identical and near-identical consecutive frames as they stream by
    (only the previous frame's digest and thumbnail are kept)."""

    def __init__(self, near_level: float) -> None:
        self.near_level = near_level
        self.pairs = self.same = self.near = 0
        self._digest: bytes | None = None
        self._thumb: np.ndarray | None = None

    def add(self, jpeg: bytes, thumb: np.ndarray) -> None:
        digest = hashlib.sha256(jpeg).digest()
        if self._digest is not None and self._thumb is not None:
            self.pairs += 1
            if digest == self._digest:
                self.same += 1
            elif thumb.shape == self._thumb.shape:
                self.near += float(np.abs(thumb - self._thumb).mean()) < self.near_level
        self._digest, self._thumb = digest, thumb

    def fractions(self) -> tuple[float, float]:
        """(share of byte-identical, share of near-identical) consecutive pairs."""
        if not self.pairs:
            return 0.0, 0.0
        return self.same / self.pairs, self.near / self.pairs


def duplicate_fraction(
    jpegs: Sequence[bytes], thumbs: Sequence[np.ndarray], near_level: float
) -> tuple[float, float]:
    """:class:`DuplicateCounter` over whole lists."""
    counter = DuplicateCounter(near_level)
    for j, t in zip(jpegs, thumbs, strict=True):
        counter.add(j, t)
    return counter.fractions()


def virtual_camera(label: str, known: Sequence[str]) -> str | None:
    """The known virtual-camera name found in a camera label, if any."""
    low = label.lower()
    return next((k for k in known if k and k in low), None)


def impossible_timing(t_ms: Sequence[int], min_interval_ms: int) -> bool:
    """Frames closer together than any webcam delivers them."""
    return any(b - a < min_interval_ms for a, b in itertools.pairwise(t_ms))
