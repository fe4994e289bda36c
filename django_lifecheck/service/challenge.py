"""The challenge a token carries, and what the H5 page needs to run it.

The flash sequence is drawn here, on the server, with a secure random source: a client
that could choose (or predict) the colours could replay a recorded response.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse

from .. import conf
from ..models import ServiceToken, TokenState
from ..protocol import BRIGHT_COLORS, DARK_COLORS
from .redirect import return_redirect

#: Flash schedule shape: number of steps and duration of each step (milliseconds).
FLASH_MIN_STEPS = 6
FLASH_MAX_STEPS = 8
FLASH_MIN_STEP_MS = 400
FLASH_MAX_STEP_MS = 600


def draw_flash(colors: Sequence[str]) -> list[dict[str, Any]]:
    """Draw a random flash schedule from the integrator's colours.

    Steps alternate bright and dark (which of the two comes first is random, and so is
    the colour picked inside each class). With colours of one class only, the other
    class is the palette's extreme (black or white): a flash with no contrast would
    tell the engine nothing.
    """
    if not colors:
        return []
    wanted = [c.upper() for c in colors]
    bright = [c for c in wanted if c in BRIGHT_COLORS] or [BRIGHT_COLORS[0]]
    dark = [c for c in wanted if c in DARK_COLORS] or [DARK_COLORS[0]]
    classes = (bright, dark) if secrets.randbelow(2) else (dark, bright)
    steps = FLASH_MIN_STEPS + secrets.randbelow(FLASH_MAX_STEPS - FLASH_MIN_STEPS + 1)
    span = FLASH_MAX_STEP_MS - FLASH_MIN_STEP_MS + 1
    return [
        {
            "color": secrets.choice(classes[i % 2]),
            "duration_ms": FLASH_MIN_STEP_MS + secrets.randbelow(span),
        }
        for i in range(steps)
    ]


@dataclass(frozen=True)
class PageState:
    """What the H5 page view needs to know about a token.

    ``status`` is ``"ready"`` (run the check), ``"submitted"`` (frames uploaded, being
    analysed), ``"done"`` (final result; ``config["redirect"]`` is where to go),
    ``"expired"`` or ``"unknown"``. ``config`` is JSON-serialisable, for the page script.
    """

    status: str
    config: dict[str, Any] = field(default_factory=dict)


def page_urls() -> dict[str, str]:
    return {
        "frames": reverse("lifecheck:check-frames"),
        "probe": reverse("lifecheck:check-probe"),
        "fail": reverse("lifecheck:check-fail"),
        "status": reverse("lifecheck:check-status"),
    }


def page_limits() -> dict[str, int]:
    return {
        "max_frames": conf.get("SERVICE_MAX_FRAMES"),
        "max_frame_bytes": conf.get("SERVICE_MAX_FRAME_BYTES"),
        "max_upload_bytes": conf.get("SERVICE_MAX_UPLOAD_BYTES"),
    }


def token_status(token: ServiceToken) -> str:
    """The page-facing status of a token (expiry wins over everything)."""
    if token.is_expired:
        return "expired"
    if token.is_final:
        return "done"
    if token.state == TokenState.SUBMITTED:
        return "submitted"
    return "ready"


def page_state(token: str) -> PageState:
    """The state and page configuration of ``token`` (``"unknown"`` if never issued)."""
    if not token:
        return PageState("unknown")
    row = ServiceToken.objects.filter(token=token).first()
    if row is None:
        return PageState("unknown")
    status = token_status(row)
    config: dict[str, Any] = {
        "token": row.token,
        "mode": row.mode,
        "actions": list(row.actions),
        "flash": [{"color": s["color"], "duration_ms": s["duration_ms"]} for s in row.flash],
        "urls": page_urls(),
        "limits": page_limits(),
        "expires_at": row.expires_at.isoformat(),
        "redirect": return_redirect(row) if status == "done" else None,
    }
    return PageState(status, config)
