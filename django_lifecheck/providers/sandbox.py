"""The sandbox provider: the whole flow offline, decided by a developer's button press.

Like django-payments' dummy provider: ``init`` issues a token, the hosted page at
``lifecheck:sandbox_page`` shows pass / fail / detection-failed / expire buttons, and
``result`` answers what was pressed, with the protocol's codes and the vendor's wire
messages. State lives in Django's cache (shared between processes only if the cache
is). It refuses to run with ``DEBUG`` off unless ``SANDBOX_ALLOW_WITHOUT_DEBUG`` is set:
a sandbox reachable in production would let anyone pass a KYC check.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from .. import conf
from ..exceptions import ConfigurationError
from ..protocol import (
    RESULT_PASSED_MESSAGE,
    WIRE_MESSAGES,
    Code,
    new_task_no,
    return_redirect_url,
)
from .base import BaseProvider, CheckResult, InitResult, Portrait

PORTRAIT_PATH = (
    Path(__file__).resolve().parent.parent / "static/django_lifecheck/sandbox-portrait.jpg"
)

#: Button name -> the result code it produces.
OUTCOMES: dict[str, int] = {
    "pass": Code.OK,
    "fail": Code.NOT_PASSED,
    "detection_failed": Code.CHECK_FAILED,
    "expire": Code.EXPIRED,
}


def sandbox_enabled() -> bool:
    return bool(settings.DEBUG or conf.get("SANDBOX_ALLOW_WITHOUT_DEBUG"))


def _key(token: str) -> str:
    return f"django_lifecheck:sandbox:{token}"


class SandboxProvider(BaseProvider):
    """A provider for development and tests; never for real users."""

    def _require_enabled(self) -> None:
        if not sandbox_enabled():
            raise ConfigurationError(
                "The sandbox provider is disabled because DEBUG is off; set "
                "LIFECHECK['SANDBOX_ALLOW_WITHOUT_DEBUG'] = True only for test sites."
            )

    def init(self, return_url, *, colors=(), actions=()) -> InitResult:
        self._require_enabled()
        token = secrets.token_urlsafe(24)
        state = {
            "expires_at": time.time() + conf.get("TOKEN_LIFETIME"),
            "return_url": return_url,
            "colors": list(colors),
            "actions": list(actions),
            "outcome": None,
        }
        _save(token, state)
        task_no = new_task_no()
        return InitResult(
            token=token,
            task_no=task_no,
            raw={
                "code": 200,
                "msg": WIRE_MESSAGES[Code.OK],
                "taskNo": task_no,
                "data": {"token": token},
            },
        )

    def result(self, token: str) -> CheckResult:
        self._require_enabled()
        state = cache.get(_key(token))
        task_no = new_task_no()
        if state is None:
            code = Code.PENDING  # never issued (or long gone): the protocol's 201
        elif _expired(state):
            code = Code.EXPIRED
        else:
            code = OUTCOMES.get(state["outcome"], Code.PENDING)
        message = RESULT_PASSED_MESSAGE if code == Code.OK else WIRE_MESSAGES[code]
        data = {}
        face_url = None
        if code == Code.OK:
            face_url = reverse("lifecheck:sandbox_portrait", args=[token])
            data = {"faceImageUrl": face_url}
        raw = {"code": int(code), "msg": message, "taskNo": task_no}
        if data:
            raw["data"] = data
        return CheckResult(
            code=int(code), message=message, task_no=task_no, face_image_url=face_url, raw=raw
        )

    def h5_base(self) -> str:
        return reverse("lifecheck:sandbox_page").rsplit("/check/index", 1)[0]

    def fetch_portrait(self, result: CheckResult) -> Portrait | None:
        return Portrait(content=PORTRAIT_PATH.read_bytes(), content_type="image/jpeg")


def _save(token: str, state: dict) -> None:
    # Kept for twice the token's lifetime so that an expired token still answers 301
    # (not 201) for a while, as the real service does.
    remaining = state["expires_at"] - time.time()
    cache.set(_key(token), state, timeout=max(int(remaining + conf.get("TOKEN_LIFETIME")), 1))


def _expired(state: dict) -> bool:
    return time.time() >= state["expires_at"]


@require_http_methods(["GET", "POST"])
def sandbox_page(request: HttpRequest) -> HttpResponse:
    """The sandbox's H5 page: buttons that decide the check's result."""
    if not sandbox_enabled():
        raise Http404("The sandbox is disabled.")
    token = request.GET.get("token", "")
    state = cache.get(_key(token)) if token else None
    if state is None or _expired(state):
        return render(request, "django_lifecheck/sandbox_expired.html", status=410)
    if request.method == "POST":
        outcome = request.POST.get("outcome", "")
        if outcome not in OUTCOMES or state["outcome"] is not None:
            return render(
                request,
                "django_lifecheck/sandbox.html",
                {"token": token, "state": state},
                status=400,
            )
        state["outcome"] = outcome
        _save(token, state)
        return HttpResponseRedirect(
            return_redirect_url(state["return_url"], token, outcome == "pass")
        )
    return render(request, "django_lifecheck/sandbox.html", {"token": token, "state": state})


def sandbox_portrait(request: HttpRequest, token: str) -> HttpResponse:
    if not sandbox_enabled() or cache.get(_key(token)) is None:
        raise Http404
    return FileResponse(PORTRAIT_PATH.open("rb"), content_type="image/jpeg")
