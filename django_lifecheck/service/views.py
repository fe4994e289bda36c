"""HTTP views of the machine API: ``api/init``, ``api/result``, ``api/openapi.yaml``.

CSRF-exempt (machine-to-machine, authenticated by the APPCODE header, no cookies).
Protocol answers are HTTP 200 with the protocol's ``code`` in the JSON body, as the
vendor does; a missing or unknown key is HTTP 401 with the gateway's headers (see
:mod:`.auth`); a method other than POST is HTTP 405; a database outage is HTTP 503
with the protocol's code 500 ("try again later").
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import files

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from ..exceptions import InvalidParameter
from ..models import ApiKey
from ..protocol import Code, envelope
from . import api
from .auth import GATEWAY_BAD_APPCODE, AuthError, authenticate
from .db_errors import DatabaseUnavailable, database_errors

ApiCall = Callable[[ApiKey, object], api.Answer]


def json_answer(body: dict, status: int = 200, headers: dict | None = None) -> JsonResponse:
    return JsonResponse(
        body, status=status, headers=headers, json_dumps_params={"ensure_ascii": False}
    )


def _call(request: HttpRequest, call: ApiCall) -> JsonResponse:
    try:
        with database_errors():
            return _answer(request, call)
    except DatabaseUnavailable:
        # The protocol's "try again later" (code 500, which the jumdata client leaves
        # pending) in its JSON envelope, on HTTP 503 for clients that read the status.
        return json_answer(api.Answer(Code.MAINTENANCE).body(), 503, {"Retry-After": "5"})


def _answer(request: HttpRequest, call: ApiCall) -> JsonResponse:
    if request.method != "POST":
        response = json_answer(
            envelope(Code.OTHER, data={"error": "Method not allowed; use POST."}), 405
        )
        response["Allow"] = "POST"
        return response
    answer = api.maintenance()
    if answer is not None:
        return json_answer(answer.body())
    try:
        api_key = authenticate(request.headers.get("Authorization"))
    except AuthError as exc:
        if exc.disabled:
            return json_answer(api.Answer(Code.DISABLED).body())
        body = envelope(Code.DISABLED, data={"error": str(exc)})
        return json_answer(
            body,
            401,
            {"X-Ca-Error-Code": GATEWAY_BAD_APPCODE, "X-Ca-Error-Message": str(exc)},
        )
    try:
        form = request.POST
    except (BadRequest, MultiPartParserError, SuspiciousOperation) as exc:
        # A body Django refuses to parse (non-UTF-8 form, broken multipart, too many
        # fields): still the protocol's envelope, not Django's HTML 400 page.
        error = InvalidParameter("body", f"the request body could not be read ({exc}).")
        return json_answer(api.parameter_error(error).body())
    answer = call(api_key, form)
    body = answer.body()
    face_url = (body.get("data") or {}).get("faceImageUrl")
    if face_url:
        body["data"]["faceImageUrl"] = request.build_absolute_uri(face_url)
    return json_answer(body)


@csrf_exempt
def init_view(request: HttpRequest) -> JsonResponse:
    """``POST api/init``: returnUrl, colors, actions -> token."""
    return _call(request, api.init)


@csrf_exempt
def result_view(request: HttpRequest) -> JsonResponse:
    """``POST api/result``: token -> 200/201/202/203/301."""
    return _call(request, api.result)


@require_GET
def openapi_view(request: HttpRequest) -> HttpResponse:
    """The OpenAPI 3.1 description of this service (shipped in the package)."""
    text = files("django_lifecheck.service").joinpath("openapi.yaml").read_text("utf-8")
    return HttpResponse(text, content_type="application/yaml; charset=utf-8")
