"""Building :class:`~.types.Verdict` objects with the protocol's codes and reasons."""

from __future__ import annotations

import math

from .types import ActionEvidence, Verdict

PASSED, FAILED, ERROR = 200, 202, 203

#: reason -> (code, default message)
REASONS: dict[str, tuple[int, str]] = {
    "injection_suspected": (FAILED, "the video looks injected, not from a live camera"),
    "actions_not_matched": (FAILED, "the requested actions were not performed in order"),
    "not_live": (FAILED, "the face did not pass the liveness judgement"),
    "no_usable_frames": (ERROR, "too few frames with a clear, well-placed face"),
    "no_face": (ERROR, "no face was found"),
    "multiple_faces": (ERROR, "more than one face was in view"),
    "bad_input": (ERROR, "the upload is not valid"),
}


def _clean(scores: dict[str, float]) -> dict[str, float]:
    """JSON-safe scores: rounded floats, NaN dropped."""
    out = {}
    for k, v in scores.items():
        v = float(v)
        if not math.isnan(v) and not math.isinf(v):
            out[k] = round(v, 4)
    return out


def passed(
    scores: dict[str, float],
    actions: list[ActionEvidence],
    frames_used: int,
    portrait: bytes | None,
) -> Verdict:
    return Verdict(
        status="passed",
        code=PASSED,
        message="live",
        scores=_clean(scores),
        actions=actions,
        frames_used=frames_used,
        portrait_jpeg=portrait,
    )


def rejected(
    reason: str,
    message: str = "",
    scores: dict[str, float] | None = None,
    actions: list[ActionEvidence] | None = None,
    frames_used: int = 0,
) -> Verdict:
    """A failed (202) or error (203) verdict; the code follows from ``reason``."""
    code, default = REASONS[reason]
    return Verdict(
        status="failed" if code == FAILED else "error",
        code=code,
        reason=reason,
        message=message or default,
        scores=_clean(scores or {}),
        actions=actions or [],
        frames_used=frames_used,
    )
