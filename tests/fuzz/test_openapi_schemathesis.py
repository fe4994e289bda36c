"""schemathesis against the service's own OpenAPI document, over real HTTP.

The document is fetched from the running app (``api/openapi.yaml`` on pytest-django's
live server), and every operation in it is called with schema-conforming (positive)
and schema-violating (negative) requests carrying a valid ``APPCODE`` key. Whatever
arrives, the service must not answer 5xx, and every JSON answer must be one the
protocol knows: an envelope whose ``code`` is a protocol code on the machine API, or
``{"ok": ...}`` with an ``error`` on refusal from the page's endpoints.
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

import pytest
import requests
import schemathesis
import yaml
from django.core.cache import cache
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from django_lifecheck.models import ServiceToken
from django_lifecheck.protocol import Code
from django_lifecheck.service.api import init as api_init
from tests.service.helpers import make_key
from tests.test_hostile_uploads import django_reads_latin1_forms

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES_PER_OPERATION = 15
PROTOCOL_CODES = frozenset(int(code) for code in Code)
PACKAGED = yaml.safe_load(
    files("django_lifecheck.service").joinpath("openapi.yaml").read_text("utf-8")
)
#: Every operation of the packaged document, "METHOD /path" (the served one must match),
#: with whether it takes input that can be made invalid (a path parameter of type string
#: cannot: every string is one, so such an operation has no negative cases).
OPERATIONS = sorted(
    (
        f"{method.upper()} {path}",
        bool(spec.get("requestBody")) or any(p["in"] != "path" for p in spec.get("parameters", ())),
    )
    for path, item in PACKAGED["paths"].items()
    for method, spec in item.items()
    if method in ("get", "post", "put", "patch", "delete")
)
CASES = [
    pytest.param(label, mode, id=f"{label}-{mode.value}")
    for label, has_input in OPERATIONS
    for mode in GenerationMode
    if has_input or mode == GenerationMode.POSITIVE
]


@pytest.fixture
def service(live_server) -> dict[str, Any]:
    """The served schema, the service's base URL and a valid, limit-exempt API key."""
    cache.clear()
    api_key, plain = make_key("schemathesis", limits_exempt=True)
    response = requests.get(live_server.url + reverse("lifecheck:api-openapi"), timeout=10)
    assert response.status_code == 200
    document = yaml.safe_load(response.text)
    assert document == PACKAGED
    base_url = live_server.url + document["servers"][0]["url"]
    return {
        "schema": schemathesis.openapi.from_dict(document),
        "base_url": base_url,
        "api_key": api_key,
        "headers": {"Authorization": f"APPCODE {plain}"},
    }


def _issued_token(api_key) -> str:
    """A real token (action + flash), so that page endpoints get past the token check."""
    answer = api_init(
        api_key,
        {
            "returnUrl": "https://example.com/back",
            "colors": "#FFFFFF,#000000",
            "actions": "LookFront,BlinkEye",
        },
    )
    assert answer.code == Code.OK
    return answer.data["token"]


#: Operations whose every answer must be JSON (the machine API and the page's endpoints).
JSON_ONLY = (
    "POST /api/",
    "/v2/check/frames",
    "/v2/check/probe",
    "/v2/check/fail",
    "/v2/check/status",
)


def check_answer(label: str, status: int, headers: dict[str, str], content: bytes) -> None:
    """No 5xx; JSON answers are protocol envelopes (API) or ok/error objects (page).

    ``headers`` have lower-case names.
    """
    assert status < 500, (label, status, content[:500])
    is_json = "json" in headers.get("content-type", "")
    if label.startswith(JSON_ONLY) or label.endswith(JSON_ONLY):
        assert is_json, (label, status, headers.get("content-type"), content[:200])
    if not is_json:
        return
    body = json.loads(content)
    assert isinstance(body, dict), body
    if " /api/" in label:
        assert body.get("code") in PROTOCOL_CODES, body
        assert isinstance(body.get("msg"), str) and isinstance(body.get("taskNo"), str)
        if status == 401:
            assert headers.get("x-ca-error-code") == "A401AC"
    else:
        assert isinstance(body.get("ok"), bool), body
        if not body["ok"]:
            assert isinstance(body.get("error"), str) and body["error"], body
            assert 400 <= status < 500


def check_requests_answer(label: str, response: requests.Response) -> None:
    headers = {name.lower(): value for name, value in response.headers.items()}
    check_answer(label, response.status_code, headers, response.content)


@pytest.mark.parametrize(("label", "mode"), CASES)
def test_no_server_error_and_only_protocol_answers(service, label, mode):
    operation = service["schema"].find_operation_by_label(label)
    assert operation is not None, f"{label} is not in the served document"
    seen: list[tuple[int, bytes]] = []

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(case=operation.as_strategy(generation_mode=mode), real_token=st.booleans())
    def run(case, real_token):
        # Half of the page calls use a token that exists, to get past the token check.
        if real_token and label.split()[1].startswith("/v2/check/"):
            token = _issued_token(service["api_key"])
            if isinstance(case.body, dict) and "token" in case.body:
                case.body["token"] = token
            if isinstance(case.query, dict) and "token" in case.query:
                case.query["token"] = token
        response = case.call(base_url=service["base_url"], headers=service["headers"])
        headers = {name: values[0] for name, values in response.headers.items()}
        seen.append((response.status_code, response.content[:60]))
        check_answer(label, response.status_code, headers, response.content)

    run()
    assert seen, "no request was made"


def test_tokens_issued_during_fuzzing_are_consistent(service):
    """After a burst of page calls on one real token, it is in exactly one state."""
    token = _issued_token(service["api_key"])
    base = service["base_url"]
    for reason in ("timeout", "camera_error"):
        response = requests.post(
            f"{base}/v2/check/fail", data={"token": token, "reason": reason}, timeout=10
        )
        check_requests_answer("POST /v2/check/fail", response)
    stored = ServiceToken.objects.get(token=token)
    assert stored.result_code == Code.CHECK_FAILED and stored.reason == "timeout"


@pytest.mark.parametrize(
    "return_url",
    ["http://[", "https://[::1/x", "https://exa\uff03mple.com/", "http://h:99999/", "\x00"],
)
def test_hostile_return_urls_are_parameter_errors_over_http(service, return_url):
    """Found by the property tests: these made urlsplit raise ValueError (HTTP 500)."""
    response = requests.post(
        f"{service['base_url']}/api/init",
        data={"returnUrl": return_url},
        headers=service["headers"],
        timeout=10,
    )
    check_requests_answer("POST /api/init", response)
    assert response.status_code == 200 and response.json()["code"] == Code.PARAMETER_ERROR
    assert "returnUrl" in response.json()["msg"]


@pytest.mark.parametrize("operation", ["init", "result"])
@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded; charset=latin-1",  # forms must be UTF-8
        "multipart/form-data",  # no boundary
        "multipart/form-data; boundary=\u00e9",
    ],
)
def test_unreadable_api_body_is_a_protocol_400(service, operation, content_type):
    """Bodies Django refuses to parse still get the protocol's JSON envelope."""
    response = requests.post(
        f"{service['base_url']}/api/{operation}",
        data=b"returnUrl=https%3A%2F%2Fexample.com%2F&token=x",
        headers={**service["headers"], "Content-Type": content_type.encode("utf-8")},
        timeout=10,
    )
    check_requests_answer(f"POST /api/{operation}", response)
    if content_type.endswith("latin-1") and django_reads_latin1_forms():
        # Django 4.2 still decodes latin-1 forms: the body is then simply read, and
        # answered like any other (no 5xx, a protocol code: checked above).
        return
    assert response.json()["code"] == Code.PARAMETER_ERROR
