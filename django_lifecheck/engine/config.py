"""The engine's thresholds, with documented defaults.

Every decision threshold lives here so a deployment can tune it from settings
(``EngineConfig.from_mapping(LIFECHECK["ENGINE"])``) and the evaluation harness can
sweep it. The defaults were tuned against the fixed-seed synthetic scenarios of
``engine.eval``; real-camera data may call for different values.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import EngineError

VIRTUAL_CAMERA_LABELS: tuple[str, ...] = (
    "obs virtual camera",
    "obs-camera",
    "obs camera",
    "manycam",
    "v4l2loopback",
    "snap camera",
    "xsplit",
    "splitcam",
    "e2esoft",
    "vcam",
    "virtual cam",
    "droidcam",
    "iriun",
    "camtwist",
    "dummy video device",
)


@dataclass(frozen=True)
class EngineConfig:
    """Thresholds of :func:`~django_lifecheck.engine.analyze`. Angles in degrees,
    times in milliseconds, sizes as fractions of the frame unless stated."""

    # --- input ---------------------------------------------------------------
    min_frames: int = 5
    """Fewer frames than this is bad input (the page always sends more)."""
    max_frames: int = 400
    """More frames than this is bad input (bounds the work per check)."""
    max_frame_pixels: int = 4_000_000
    """Largest decoded frame (width x height); checked from the JPEG header."""

    # --- face ------------------------------------------------------------------
    min_detection_score: float = 0.5
    """BlazeFace score for a face to count (MediaPipe's default)."""
    min_presence: float = 0.5
    """Mesh face-presence below this drops the track and re-runs detection."""
    detect_every: int = 3
    """Run the detector every N frames even while tracking, to count faces."""
    min_face_width: float = 0.12
    """Face narrower than this fraction of the frame width: frame not usable."""
    max_face_width: float = 0.95
    """Face wider than this fraction (cut off by the frame edges): not usable."""
    max_face_offset: float = 0.35
    """Face centre farther than this from the frame centre (per axis): not usable."""
    second_face_min_score: float = 0.35
    """Detector score from which another face is a candidate for ``multiple_faces``
    (lower than ``min_detection_score``: a small or blurred bystander scores low);
    the mesh model must confirm it (presence >= ``min_presence``) before it counts."""
    multiple_faces_min_frames: int = 2
    """Frames with two or more faces needed for a ``multiple_faces`` error."""
    multiple_faces_min_fraction: float = 0.4
    """...and the share of detector runs that must see them: a second face must stay
    in view, a detector false positive on a poster or a pattern comes and goes."""
    min_usable_frames: int = 5
    """Fewer usable frames than this: ``no_usable_frames`` error."""
    min_usable_fraction: float = 0.3
    """Usable frames below this fraction of all frames: ``no_usable_frames`` error."""

    # --- actions -----------------------------------------------------------
    frames_mirrored: bool = False
    """True when frames are mirrored (selfie view) so that yaw signs flip back."""
    baseline_frames: int = 5
    """Frames of LookFront (or the start) whose median is the user's baseline."""
    turn_deg: float = 15.0
    """Yaw change from baseline that counts as LookLeft / LookRight."""
    pitch_deg: float = 10.0
    """Pitch change from baseline that counts as LookUp / LookDown."""
    front_max_yaw: float = 15.0
    """|yaw| at most this for LookFront."""
    front_pitch: float = -10.0
    """The pitch a frontal face reads (MediaPipe's template is tilted)."""
    front_max_pitch: float = 15.0
    """|pitch - front_pitch| at most this for LookFront."""
    front_min_frames: int = 2
    """Consecutive frontal frames needed for LookFront."""
    mouth_open_delta: float = 0.15
    """Rise of mouth openness above baseline that counts as OpenMouth."""
    blink_close_ratio: float = 0.75
    """EAR at or below this fraction of the baseline counts as closed eyes (a real
    blink reaches ~0.3-0.5; the eval's rendered blink only ~0.65)."""
    blink_open_ratio: float = 0.88
    """EAR back above this fraction of the baseline counts as reopened."""
    blink_max_pose_change: float = 10.0
    """Yaw or pitch change during the closed phase above which the EAR dip is a head
    movement (looking down narrows the eyes), not a blink. The pose read while the
    eyes are closed is itself off by a few degrees (the mesh model moves the forehead
    and jaw points with the lids: 2.6-6.9 deg of pitch over 24 rendered blinks of a
    still head), while narrowing the eyes by a quarter takes a much larger head
    movement (tilting a photo back: about 40 deg)."""
    blink_max_ms: int = 1500
    """Longest closed phase of a blink."""
    shake_deg: float = 10.0
    """ShakeHead: yaw must pass this far on both sides of the baseline."""
    nod_deg: float = 8.0
    """NodHead: pitch must drop this far below the baseline and come back up as far."""
    action_lag_ms: int = 1000
    """An action may finish this long after its prompt was replaced..."""
    action_onset_grace_ms: int = 300
    """...but must have started at most this long after: a move that only begins
    under the next prompt belongs to that prompt (a wrong order)."""
    action_min_parallax: float = 0.025
    """Head-turn actions need the landmarks to break a planar homography by this
    much (RMS residual / inter-ocular distance) between baseline and peak."""

    # --- flash -----------------------------------------------------------------
    flash_min_frames: int = 6
    """Frames with a face during the flash needed to judge it."""
    flash_max_lag_ms: int = 200
    """Largest display-to-capture delay searched when correlating (a longer search
    lets a replay lit by a shifted sequence line up with the schedule)."""
    flash_min_corr: float = 0.7
    """Correlation of skin colour with the displayed colours needed to pass."""
    flash_boundary_ms: int = 150
    """Frames this close to a colour change make the boundary correlation."""
    flash_min_boundary_corr: float = 0.83
    """Correlation needed on the frames at the colour changes (eval: live >= 0.90,
    a recording of another check <= 0.76)."""
    flash_min_chroma_corr: float = 0.5
    """Correlation of the skin's hue with the screen's hue, when the schedule has hue
    (eval: live >= 0.85, another check <= 0.35); -1 switches the test off."""
    flash_min_gain: float = 0.015
    """Skin response (grey levels per grey level of the screen colour) needed."""
    flash_bg_ratio: float = 1.5
    """The skin must respond at least this many times more than the background."""

    # --- passive / injection ----------------------------------------------------
    planar_min_change: float = 0.025
    """Landmark deformation beyond a similarity (/ inter-ocular distance) from which a
    frame carries evidence for the planar-motion test."""
    planar_max_ratio: float = 0.6
    """Homography residual / deformation at or below which the motion is called
    planar (a photo or a screen). Measured on the eval (seeds 0 and 1): 0.68-0.98 for
    rendered heads, 0.30-0.50 for a tilted photo; the default sits in the middle."""
    min_motion: float = 0.004
    """Median frame-to-frame landmark motion (/ inter-ocular distance) below which
    the face is called frozen (no natural micro-motion)."""
    near_duplicate_level: float = 0.35
    """Mean absolute grey difference below which two frames are near-duplicates."""
    max_duplicate_fraction: float = 0.34
    """Largest share of byte-identical or near-duplicate consecutive frames."""
    min_frame_interval_ms: int = 5
    """Frames closer than this (more than 200 fps) are impossible for a webcam."""
    virtual_camera_labels: tuple[str, ...] = VIRTUAL_CAMERA_LABELS
    """Camera-label substrings (lowercase) of known virtual cameras."""

    # --- portrait --------------------------------------------------------------
    portrait_margin: float = 0.45
    """Margin around the face box, as a fraction of its size on each side."""
    portrait_max_side: int = 480
    """Longest side of the portrait JPEG in pixels."""
    portrait_quality: int = 90
    """JPEG quality of the portrait."""

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> EngineConfig:
        """Build from a settings dict; keys are field names in any case.

        Unknown keys and values of the wrong type raise :class:`EngineError` naming
        the key, so a typo in settings fails loudly instead of being ignored.
        """
        if not values:
            return cls()
        fields = {f.name: f for f in dataclasses.fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in values.items():
            name = str(key).lower()
            f = fields.get(name)
            if f is None:
                raise EngineError(
                    f"unknown engine setting {key!r}; known: {', '.join(sorted(fields))}"
                )
            kwargs[name] = _coerce(name, f.default, value)
        return cls(**kwargs)


def _coerce(name: str, default: Any, value: Any) -> Any:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise EngineError(f"engine setting {name!r} must be true or false, got {value!r}")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise EngineError(f"engine setting {name!r} must be an integer, got {value!r}")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise EngineError(f"engine setting {name!r} must be a number, got {value!r}")
        return float(value)
    if isinstance(default, tuple):
        if isinstance(value, str) or not all(isinstance(v, str) for v in value):
            raise EngineError(f"engine setting {name!r} must be a list of strings")
        return tuple(v.lower() for v in value)
    return value  # pragma: no cover - every field has one of the types above
