"""The H5 check page: ``GET v2/check/index?token=...``.

The page is the only part of the service a person sees, often inside a phone's in-app
browser (WeChat) where the app's own language and middleware choices do not apply. So
the view picks the language itself from ``Accept-Language`` (LocaleMiddleware may not be
installed in the host project) and hands the script every string it shows, already
translated, inside ``json_script``: the script needs no JavaScript catalog and no build.

What to show is decided by the token's state alone (see ``challenge.page_state``):
a fresh token gets the check, a used one gets the "processing" screen that polls and
redirects, an expired or unknown one gets a plain page that says what to do.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .challenge import page_state

TEMPLATE_DIR = "django_lifecheck/service"

#: How long each action prompt stays on screen, in ms. Long enough for a slow turn of
#: the head on an old phone, short enough that three prompts take under ten seconds.
ACTION_WINDOW_MS = 2800
#: How long the silent check films the face, in ms.
SILENT_CAPTURE_MS = 3000
#: Capture rate the page aims for; lowered by the script to stay within ``max_frames``.
TARGET_FPS = 12


def _action_prompts() -> dict[str, str]:
    """What the person is asked to do for each protocol action, in their language."""
    return {
        "LookFront": gettext("Look straight at the screen"),
        "LookLeft": gettext("Slowly turn your head to your left"),
        "LookRight": gettext("Slowly turn your head to your right"),
        "LookUp": gettext("Slowly raise your chin and look up"),
        "LookDown": gettext("Slowly lower your chin and look down"),
        "OpenMouth": gettext("Open your mouth wide, then close it"),
        "BlinkEye": gettext("Blink your eyes"),
        "ShakeHead": gettext("Shake your head slowly: left, then right"),
        "NodHead": gettext("Nod your head slowly: down, then up"),
    }


def _strings() -> dict[str, str]:
    """Strings the script puts on screen at run time (the markup has the rest)."""
    return {
        "hint_no_face": gettext("We can't see your face. Move into the oval and find some light."),
        "hint_many_faces": gettext("Only one face should be in view."),
        "hint_hold_still": gettext("Good. Hold still…"),
        "hint_place_face": gettext("Place your face inside the oval."),
        "countdown": gettext("Starting in %(n)s"),
        "silent_prompt": gettext("Look at the screen and hold still"),
        "flash_prompt": gettext("Keep looking at the screen while the colours change"),
        # Translators: progress through the action prompts, e.g. "2 / 3".
        "progress": pgettext("action progress", "%(i)s / %(n)s"),
        "uploading": gettext("Sending…"),
        "analysing": gettext("Checking…"),
        "slow": gettext("This is taking longer than usual. Please keep this page open."),
        "upload_failed": gettext("The upload failed. Check your connection and try again."),
        "rejected": gettext("The check could not be submitted."),
        "redirecting": gettext("Returning to the site…"),
    }


def _expires_in_ms(expires_at: str | None) -> int | None:
    """Milliseconds the token has left, by the server's clock (phones' clocks drift)."""
    if not expires_at:
        return None
    remaining = datetime.fromisoformat(expires_at) - timezone.now()
    return max(0, int(remaining.total_seconds() * 1000))


def _client_config(request: HttpRequest, config: dict[str, Any], initial: str) -> dict[str, Any]:
    """Everything the script needs: the challenge, the endpoints, and the words."""
    return {
        **config,
        "initial": initial,
        "expires_in_ms": _expires_in_ms(config.get("expires_at")),
        "csrf_token": get_token(request),
        "timing": {
            "action_window_ms": ACTION_WINDOW_MS,
            "silent_ms": SILENT_CAPTURE_MS,
            "target_fps": TARGET_FPS,
        },
        "prompts": _action_prompts(),
        "strings": _strings(),
    }


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200):
    response = render(request, f"{TEMPLATE_DIR}/{template}", context, status=status)
    # The token is in the URL: keep it out of Referer headers and shared caches.
    response["Referrer-Policy"] = "no-referrer"
    response["Permissions-Policy"] = "camera=(self)"
    response["Content-Language"] = translation.get_language()
    return response


@never_cache
@require_GET
def check_index(request: HttpRequest) -> HttpResponse:
    """Serve the check for a token, or say plainly why it cannot run."""
    language = translation.get_language_from_request(request)
    with translation.override(language):
        token = request.GET.get("token", "").strip()
        state = page_state(token) if token else None
        status = state.status if state is not None else "unknown"
        base = {"language": translation.get_language()}
        if status == "ready":
            config = _client_config(request, dict(state.config), "intro")
            return _page(request, "check.html", {**base, "config": config})
        if status in ("submitted", "done"):
            config = _client_config(request, dict(state.config), "processing")
            return _page(request, "check.html", {**base, "config": config})
        if status == "expired":
            return _page(request, "expired.html", base, status=410)
        return _page(request, "unknown.html", base, status=404)
