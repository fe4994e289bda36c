"""The endpoints the H5 page's script calls: frames, probe, fail, status, portrait.

Same origin, no login: the token in the request is the capability. CSRF-exempt for
that reason (there is no cookie-based authority to forge). Answers are JSON with
``ok`` and, on refusal, a clear ``error``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from ..exceptions import EngineUnavailable
from ..models import ServiceToken, TokenState
from ..protocol import Code, return_redirect_url
from . import state
from .challenge import token_status
from .db_errors import DatabaseUnavailable, database_errors
from .engine_bridge import engine_config, load_engine
from .limits import LimitsUnavailable, throttle
from .portrait import load_portrait
from .redirect import return_redirect
from .upload import UploadError, check_content_length, check_jpeg, parse_upload, read_file

#: Reasons the page may report through ``fail`` (all end the check with code 203).
FAIL_REASONS = frozenset(
    {"no_camera_api", "permission_denied", "camera_error", "photosensitivity_declined", "timeout"}
)
PROBE_MAX_BYTES = 100 * 1024
PROBE_RATE = (5, 1)  # probes per second per token


def refuse(error: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"ok": False, "error": error}, status=status)


def allow(method: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Like ``require_http_methods``, but the 405 is JSON like every other answer.

    A database that cannot be reached (an outage, a restart) is a JSON 503: the page
    tells the user to try again, instead of parsing Django's HTML 500 page.

    A body Django cannot parse (a multipart without a valid boundary, a negative
    Content-Length, a non-UTF-8 form, too many files or fields) is answered as JSON
    too, instead of Django's HTML 400 page: every view reads ``request.POST`` before it
    changes anything, so nothing has been changed when these are raised.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method != method:
                response = refuse(f"Method not allowed; use {method}.", 405)
                response["Allow"] = method
                return response
            try:
                with database_errors():
                    return view(request, *args, **kwargs)
            except (RequestDataTooBig, TooManyFilesSent):
                return refuse("The upload is too large or has too many files.")
            except (MultiPartParserError, BadRequest, TooManyFieldsSent):
                return refuse("The request body could not be read.")
            except DatabaseUnavailable:
                # Logged by database_errors; the page shows "try again" on any 5xx.
                return refuse("The service is temporarily unavailable.", 503)

        return wrapper

    return decorator


def _token_or_refusal(value: str | None) -> ServiceToken | JsonResponse:
    """The token if it may still be used by the page (issued, not expired)."""
    if not value:
        return refuse("The 'token' field is required.")
    token = ServiceToken.objects.filter(token=value).first()
    if token is None:
        return refuse("Unknown token.", 404)
    if token.is_expired:
        return refuse("This token has expired.", 410)
    if token.state != TokenState.ISSUED or token.is_final:
        return refuse("This token has already been used.", 409)
    return token


def _conflict(exc: state.StateConflict) -> JsonResponse:
    if exc.reason == "expired":
        return refuse("This token has expired.", 410)
    return refuse("This token has already been used.", 409)


@csrf_exempt
@allow("POST")
@never_cache
def frames_view(request: HttpRequest) -> JsonResponse:
    """Receive the one upload of a token and start its analysis."""
    try:
        check_content_length(request.META)
        token_value = request.POST.get("token")
        files = request.FILES.getlist("frame")
    except UploadError as exc:
        return refuse(str(exc))
    except (RequestDataTooBig, TooManyFilesSent):
        return refuse("The upload is too large or has too many files.")
    except SuspiciousOperation:
        return refuse("The upload could not be read.")
    token = _token_or_refusal(token_value)
    if isinstance(token, JsonResponse):
        return token
    try:
        parsed = parse_upload(token, request.POST.get("meta"), files)
        load_engine()
    except UploadError as exc:
        return refuse(str(exc))
    except EngineUnavailable as exc:
        return refuse(str(exc), 503)

    from .tasks import enqueue_analysis

    pk = token.pk
    try:
        state.submit(pk, parsed.frames, parsed.capture, on_commit=lambda: enqueue_analysis(pk))
    except state.StateConflict as exc:
        return _conflict(exc)
    status_url = f"{reverse('lifecheck:check-status')}?{urlencode({'token': token.token})}"
    return JsonResponse({"ok": True, "status_url": status_url}, status=202)


@csrf_exempt
@allow("POST")
@never_cache
def probe_view(request: HttpRequest) -> JsonResponse:
    """Count the faces in one small preview frame (to guide the user before capture)."""
    token = _token_or_refusal(request.POST.get("token"))
    if isinstance(token, JsonResponse):
        return token
    try:
        if throttle(f"probe:{token.pk}", *PROBE_RATE):
            return refuse("Too many probes; slow down.", 429)
    except LimitsUnavailable:
        return refuse("The service is busy; try again shortly.", 503)
    upload = request.FILES.get("frame")
    if upload is None:
        return refuse("The 'frame' file is required.")
    try:
        data = read_file(upload, PROBE_MAX_BYTES, "frame")
        check_jpeg(data, "frame")
        engine = load_engine()
    except UploadError as exc:
        return refuse(str(exc))
    except EngineUnavailable as exc:
        return refuse(str(exc), 503)
    try:
        found = engine.probe(data, engine_config(engine))
    except engine.EngineError as exc:
        return refuse(str(exc))
    return JsonResponse({"ok": True, "faces": found.faces, "hint": found.hint})


@csrf_exempt
@allow("POST")
@never_cache
def fail_view(request: HttpRequest) -> JsonResponse:
    """The page could not run the check (no camera, permission refused, ...): 203."""
    reason = request.POST.get("reason") or ""
    if reason not in FAIL_REASONS:
        return refuse(f"'reason' must be one of: {', '.join(sorted(FAIL_REASONS))}.")
    token = _token_or_refusal(request.POST.get("token"))
    if isinstance(token, JsonResponse):
        return token
    try:
        token = state.finish(token.pk, Code.CHECK_FAILED, reason, require_issued=True)
    except state.StateConflict as exc:
        return _conflict(exc)
    return JsonResponse({"ok": True, "redirect": return_redirect(token)})


_STATES = {"ready": "waiting", "submitted": "analysing", "done": "done", "expired": "expired"}


@allow("GET")
@never_cache
def status_view(request: HttpRequest) -> JsonResponse:
    """Where the check is: waiting, analysing, done or expired.

    ``redirect`` is set when done (success hint true/false) and when expired (false):
    either way the browser's next stop is the integrator's returnUrl.
    """
    value = request.GET.get("token")
    if not value:
        return refuse("The 'token' parameter is required.")
    token = ServiceToken.objects.filter(token=value).first()
    if token is None:
        return refuse("Unknown token.", 404)
    if not token.is_expired:
        token = state.end_stale_analysis(token)
    status = _STATES[token_status(token)]
    done = status == "done"
    redirect = return_redirect(token) if done else None
    if status == "expired":
        # Back to the integrator all the same: its ``result`` call will say 301.
        redirect = return_redirect_url(token.return_url, token.token, False)
    return JsonResponse(
        {
            "ok": True,
            "state": status,
            "success": (token.result_code == Code.OK) if done else None,
            "redirect": redirect,
        }
    )


@allow("GET")
def portrait_view(request: HttpRequest, signed: str) -> HttpResponse:
    """The portrait of a passed check, for a signed URL that has not expired."""
    portrait = load_portrait(signed)
    if portrait is None:
        return refuse("Not found.", 404)
    response = HttpResponse(portrait.content, content_type=portrait.content_type)
    response["Cache-Control"] = "private, no-store"
    return response
