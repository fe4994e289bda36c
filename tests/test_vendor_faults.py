"""Vendor faults for the Jumdata provider, over real HTTP, seen through the integrator.

tests/test_jumdata.py pins how the provider classifies each fault; this file checks
what a site gets out of it: the start view, :func:`services.refresh`, the return
view and the refresher, against the fake vendor (tests/fakevendor.py) misbehaving on
a real socket. The promises:

* a failed ``init`` leaves the check in ``error`` with a clear message (init is never
  retried: a token may have been issued and billed), and the start page answers 502;
* a retryable ``result`` fault leaves the check ``pending`` (no signal), and a later
  refresh, once the vendor is well again, reaches the vendor's real verdict with
  exactly one signal;
* a non-retryable ``result`` fault is a clear ``error``; nothing ever lands in a
  final status the vendor did not give.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from django_lifecheck.integrator import services
from django_lifecheck.models import LivenessCheck, Status
from django_lifecheck.protocol import Code
from tests.conftest import lifecheck_settings, storage_files
from tests.fakevendor import FakeVendor

#: Real commits, so signals go out when the status change commits (as on a live site).
pytestmark = pytest.mark.django_db(transaction=True)

START_URL = "/lifecheck/start/"
RETURN_PATH = "/lifecheck/return/"
SUCCESS_URL = "/kyc/welcome/"
FAILURE_URL = "/kyc/sorry/"
RESULT_RETRIES = 1  # so a fault repeated twice outlasts one refresh
READ_TIMEOUT = 0.3
SLOW = READ_TIMEOUT + 0.7


@pytest.fixture(autouse=True)
def jumdata_site(settings, fake_vendor: FakeVendor) -> FakeVendor:
    """The site's only provider is Jumdata at the fake vendor: short timeouts, no pause."""
    lifecheck_settings(
        settings,
        DEFAULT_PROVIDER="jumdata",
        PROVIDERS={
            "jumdata": fake_vendor.provider_entry(
                "appcode", timeout=(1.0, READ_TIMEOUT), result_retries=RESULT_RETRIES
            )
        },
        SUCCESS_URL=SUCCESS_URL,
        FAILURE_URL=FAILURE_URL,
        RETURN_POLL_ATTEMPTS=1,
        RETURN_POLL_INTERVAL=0,
    )
    return fake_vendor


def start(client: Client) -> tuple[LivenessCheck, str]:
    """POST the start form; return the pending check and the vendor page it goes to."""
    response = client.post(START_URL, {"mode": "silent"})
    assert response.status_code == 302, response.content.decode()[:500]
    token = parse_qs(urlsplit(response["Location"]).query)["token"][0]
    return LivenessCheck.objects.get(token=token), response["Location"]


def come_back(client: Client, check: LivenessCheck, success: str = "true"):
    return client.get(RETURN_PATH, {"token": check.token, "success": success})


def reload(check: LivenessCheck) -> LivenessCheck:
    check.refresh_from_db()
    return check


# -- init faults: a clear error, never retried ---------------------------------------------

#: fault -> (inject kwargs, expected result_code or None, words in the message)
INIT_FAULTS: dict[str, tuple[dict[str, Any], int | None, str]] = {
    "slow": ({"kind": "slow", "delay": SLOW}, None, "did not answer in time"),
    "reset": ({"kind": "reset"}, None, "connection failed"),
    "http 503": ({"kind": "http_error", "status": 503}, None, "HTTP 503"),
    "http 502": ({"kind": "http_error", "status": 502}, None, "HTTP 502"),
    "half json": ({"kind": "half_json"}, None, "not the protocol's JSON"),
    "truncated": ({"kind": "truncated"}, None, "connection failed"),
    "gateway quota": ({"kind": "gateway"}, None, "quota"),
    "gateway throttle": (
        {"kind": "gateway", "status": 429, "error_code": "", "error_message": "Throttled"},
        None,
        "throttled",
    ),
    "gateway bad key": (
        {"kind": "gateway", "status": 401, "error_code": "A401AC", "error_message": "Bad"},
        None,
        "refused the APPCODE",
    ),
    "code 500": ({"kind": "code", "code": 500}, 500, "code 500"),
    "code 604": ({"kind": "code", "code": 604}, 604, "code 604"),
    "code 606": ({"kind": "code", "code": 606}, 606, "code 606"),
    "code 609": ({"kind": "code", "code": 609}, 609, "code 609"),
    "code 610": ({"kind": "code", "code": 610}, 610, "code 610"),
    "code 999": ({"kind": "code", "code": 999}, 999, "code 999"),
    "unknown code": ({"kind": "code", "code": 4242}, 4242, "code 4242"),
    "result code at init": ({"kind": "code", "code": 202}, 202, "code 202"),
}


@pytest.mark.parametrize("fault", sorted(INIT_FAULTS))
def test_init_fault_is_a_clear_error_and_a_502(user_client, fake_vendor, signal_log, fault):
    inject, code, words = INIT_FAULTS[fault]
    fake_vendor.inject("init", **inject)
    response = user_client.post(START_URL, {"mode": "silent"})
    assert response.status_code == 502
    assert response.context["form"].non_field_errors()
    check = LivenessCheck.objects.get()
    assert check.status == Status.ERROR and check.token == ""
    assert check.result_code == code
    assert words in check.result_message, check.result_message
    assert check.completed_at is not None
    assert fake_vendor.hits["init"] == 1  # never retried
    assert signal_log.names() == ["check_failed"]
    event = signal_log.only("check_failed")
    assert event.kwargs["code"] == code and event.stored_status == Status.ERROR
    # Nothing left for the refresher: the error is final.
    assert services.refresh_unfinished() == {}
    assert reload(check).status == Status.ERROR


def test_init_fault_does_not_stick(user_client, fake_vendor, signal_log):
    """After a failed start the next one works: the provider keeps no broken state."""
    fake_vendor.inject("init", "reset")
    assert user_client.post(START_URL, {"mode": "silent"}).status_code == 502
    check, _page = start(user_client)
    assert check.status == Status.PENDING and check.token in fake_vendor.tokens
    assert signal_log.names() == ["check_failed", "check_started"]


def test_init_fault_through_the_service_call_raises_and_records(user, fake_vendor):
    from django_lifecheck.exceptions import ProviderUnavailable

    fake_vendor.inject("init", "http_error", status=500)
    with pytest.raises(ProviderUnavailable):
        services.start_check(user, return_url="https://shop.example.com/return")
    assert LivenessCheck.objects.get().status == Status.ERROR


# -- retryable result faults: pending, then the right verdict once the vendor is back -------

#: fault -> (inject kwargs, how many refreshes' worth of requests it lasts)
RETRYABLE_RESULT_FAULTS: dict[str, dict[str, Any]] = {
    "slow": {"kind": "slow", "delay": SLOW},  # a read timeout is not retried: times=1
    "reset": {"kind": "reset", "times": RESULT_RETRIES + 1},
    "http 503": {"kind": "http_error", "status": 503, "times": RESULT_RETRIES + 1},
    "http 500": {"kind": "http_error", "status": 500, "times": RESULT_RETRIES + 1},
    "half json": {"kind": "half_json", "times": RESULT_RETRIES + 1},
    "truncated": {"kind": "truncated", "times": RESULT_RETRIES + 1},
    "gateway 502": {
        "kind": "gateway",
        "status": 502,
        "error_message": "Backend service error",
        "times": RESULT_RETRIES + 1,
    },
    "gateway 429": {
        "kind": "gateway",
        "status": 429,
        "error_code": "",
        "error_message": "Too Many Requests",
    },
    "code 500 maintenance": {"kind": "code", "code": 500, "times": RESULT_RETRIES + 1},
    "code 610 timeout": {"kind": "code", "code": 610, "times": RESULT_RETRIES + 1},
}

#: vendor verdict -> (status, signal, destination)
VERDICTS = {
    Code.OK: (Status.PASSED, "check_passed", SUCCESS_URL),
    Code.NOT_PASSED: (Status.FAILED, "check_failed", FAILURE_URL),
    Code.CHECK_FAILED: (Status.ERROR, "check_failed", FAILURE_URL),
}


#: Every fault once, the verdicts taken in turn (and all three for a reset), to keep the
#: matrix small: the fault decides "pending", the verdict only what comes after.
RETRYABLE_CASES = [
    pytest.param(fault, verdict, id=f"{fault}-{int(verdict)}")
    for i, fault in enumerate(sorted(RETRYABLE_RESULT_FAULTS))
    for verdict in sorted(VERDICTS)
    if fault == "reset" or verdict == sorted(VERDICTS)[i % len(VERDICTS)]
]


@pytest.mark.parametrize(("fault", "verdict"), RETRYABLE_CASES)
def test_retryable_result_fault_keeps_pending_then_reaches_the_verdict(
    user_client, fake_vendor, signal_log, portrait_storage, fault, verdict
):
    check, _page = start(user_client)
    fake_vendor.set_outcome(check.token, verdict)  # the user did the check
    fake_vendor.inject("result", **RETRYABLE_RESULT_FAULTS[fault])

    response = come_back(user_client, check, "true" if verdict == Code.OK else "false")
    assert response.status_code == 202  # the waiting page, polling for the result
    check = reload(check)
    assert check.status == Status.PENDING and check.completed_at is None
    assert check.result_code is None and not check.portrait
    assert signal_log.names() == ["check_started"]

    # The vendor is well again: the return view (or the page's poll) finishes the check.
    status, signal, destination = VERDICTS[verdict]
    assert come_back(user_client, check)["Location"] == destination
    check = reload(check)
    assert check.status == status and check.result_code == verdict
    assert signal_log.names() == ["check_started", signal]
    assert signal_log.only(signal).stored_status == status
    assert bool(check.portrait) is (verdict == Code.OK)
    if verdict == Code.OK:
        assert check.portrait.read() == fake_vendor.portrait_bytes

    # Asked again by anyone, nothing changes and no second signal is sent.
    assert come_back(user_client, check)["Location"] == destination
    assert services.refresh_unfinished() == {}
    assert signal_log.names() == ["check_started", signal]


def test_refresher_finishes_what_the_return_view_could_not(
    user_client, fake_vendor, signal_log, portrait_storage
):
    """The user closed the tab on the waiting page: the refresh command finishes it."""
    check, _page = start(user_client)
    fake_vendor.set_outcome(check.token, Code.OK)
    fake_vendor.inject("result", "reset", times=(RESULT_RETRIES + 1) * 2)
    assert come_back(user_client, check).status_code == 202
    assert services.refresh_unfinished() == {Status.PENDING: 1}  # still down
    assert services.refresh_unfinished() == {Status.PASSED: 1}  # back
    check = reload(check)
    assert check.status == Status.PASSED and check.portrait
    assert signal_log.names() == ["check_started", "check_passed"]
    assert fake_vendor.hits["result"] == (RESULT_RETRIES + 1) * 2 + 1


def test_status_poll_during_an_outage_stays_pending(user_client, fake_vendor, signal_log):
    check, _page = start(user_client)
    fake_vendor.set_outcome(check.token, Code.NOT_PASSED)
    fake_vendor.inject("result", "http_error", status=503, times=RESULT_RETRIES + 1)
    url = f"/lifecheck/status/{check.public_id}/"
    body = user_client.get(url).json()
    assert (body["status"], body["final"], body["redirect"]) == ("pending", False, None)
    body = user_client.get(url).json()
    assert (body["status"], body["final"], body["code"]) == ("failed", True, 202)
    assert body["redirect"] == FAILURE_URL
    assert signal_log.names() == ["check_started", "check_failed"]


def test_outage_past_expiry_expires_not_errors(user_client, fake_vendor, signal_log):
    """A vendor down until after the token's lifetime: expired (honest), not an error."""
    check, _page = start(user_client)
    fake_vendor.set_outcome(check.token, Code.OK)
    past = timezone.now() - services.EXPIRY_GRACE - timedelta(seconds=1)
    LivenessCheck.objects.filter(pk=check.pk).update(expires_at=past)
    fake_vendor.inject("result", "reset", times=RESULT_RETRIES + 1)
    assert come_back(user_client, check)["Location"] == FAILURE_URL
    check = reload(check)
    assert check.status == Status.EXPIRED and check.result_code == Code.EXPIRED
    assert signal_log.names() == ["check_started", "check_expired"]
    # The vendor comes back saying "passed": too late, the first final status stands.
    assert services.refresh(check).status == Status.EXPIRED
    assert signal_log.names() == ["check_started", "check_expired"]


# -- non-retryable result faults: a clear error --------------------------------------------

NON_RETRYABLE_RESULT_FAULTS: dict[str, tuple[dict[str, Any], int | None, str]] = {
    "gateway quota": ({"kind": "gateway"}, None, "quota"),
    "gateway bad key": (
        {"kind": "gateway", "status": 403, "error_code": "A403IK", "error_message": "Invalid"},
        None,
        "refused the APPCODE",
    ),
    "code 400": ({"kind": "code", "code": 400}, 400, "code 400"),
    "code 604": ({"kind": "code", "code": 604}, 604, "code 604"),
    "code 999": ({"kind": "code", "code": 999}, 999, "code 999"),
    "unknown code": ({"kind": "code", "code": 4242}, 4242, "code 4242"),
}


@pytest.mark.parametrize("fault", sorted(NON_RETRYABLE_RESULT_FAULTS))
def test_non_retryable_result_fault_is_a_clear_error(user_client, fake_vendor, signal_log, fault):
    inject, code, words = NON_RETRYABLE_RESULT_FAULTS[fault]
    check, _page = start(user_client)
    fake_vendor.set_outcome(check.token, Code.OK)
    fake_vendor.inject("result", **inject)
    assert come_back(user_client, check)["Location"] == FAILURE_URL
    check = reload(check)
    assert check.status == Status.ERROR and check.result_code == code
    assert words in check.result_message, check.result_message
    assert not check.portrait
    assert fake_vendor.hits["result"] == 1  # not retried
    assert signal_log.names() == ["check_started", "check_failed"]
    assert signal_log.only("check_failed").kwargs["code"] == code
    # The error is final: the vendor's later "passed" does not overturn it.
    assert services.refresh(check).status == Status.ERROR
    assert signal_log.names() == ["check_started", "check_failed"]


# -- the portrait download misbehaves: the verdict stands ----------------------------------


@pytest.mark.parametrize(
    ("inject", "words"),
    [
        ({"kind": "reset"}, "failed"),
        ({"kind": "http_error", "status": 503}, "HTTP 503"),
        ({"kind": "slow", "delay": SLOW}, "timed out"),
        ({"kind": "gateway", "status": 403}, "HTTP 403"),
    ],
    ids=["reset", "http 503", "slow", "gateway"],
)
def test_portrait_fault_keeps_the_pass_without_a_portrait(
    user_client, fake_vendor, signal_log, portrait_storage, inject, words
):
    check, _page = start(user_client)
    fake_vendor.set_outcome(check.token, Code.OK)
    fake_vendor.inject("portrait", **inject)
    assert come_back(user_client, check)["Location"] == SUCCESS_URL
    check = reload(check)
    assert check.status == Status.PASSED and check.result_code == Code.OK
    assert not check.portrait and storage_files(portrait_storage) == []
    assert words in check.result_payload["portrait_error"]
    assert signal_log.names() == ["check_started", "check_passed"]


# -- no fault at all: the baseline the fault tests are measured against ----------------------


def test_baseline_without_faults(user_client, fake_vendor, signal_log, portrait_storage):
    check, _page = start(user_client)
    fake_vendor.set_outcome(check.token, Code.OK)
    assert come_back(user_client, check)["Location"] == SUCCESS_URL
    check = reload(check)
    assert check.status == Status.PASSED and check.portrait
    assert fake_vendor.hits["init"] == 1 and fake_vendor.hits["result"] == 1
    assert signal_log.names() == ["check_started", "check_passed"]


# -- "try again later" on result ---------------------------------------------------------


@pytest.mark.parametrize(
    "inject",
    [
        {"kind": "code", "code": 609},
        {"kind": "code", "code": 606},
        {"kind": "gateway", "status": 403, "error_code": "A403PR", "error_message": "Flow Control"},
    ],
    ids=["code 609", "code 606", "gateway throttle"],
)
def test_try_again_later_on_result_keeps_the_check_pending(user_client, fake_vendor, inject):
    check, _page = start(user_client)
    fake_vendor.set_outcome(check.token, Code.OK)
    fake_vendor.inject("result", **inject)
    come_back(user_client, check)
    assert reload(check).status == Status.PENDING


# -- any answer at all to result: never a crash, never a verdict the vendor did not give -----

_json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=20),
)
_any_json = st.recursive(
    _json_scalar,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
_codes = st.one_of(
    st.sampled_from([200, 201, 202, 203, 301, 400, 500, 604, 606, 609, 610, 999]),
    _json_scalar,
)


@st.composite
def vendor_answers(draw) -> tuple[int, dict[str, str], bytes]:
    """(HTTP status, headers, body) of a result answer: mostly envelope-shaped JSON."""
    status = draw(st.sampled_from([200, 200, 200, 201, 400, 403, 404, 429, 500, 502, 503]))
    headers = {}
    if draw(st.integers(0, 4)) == 0:
        headers["X-Ca-Error-Code"] = draw(st.sampled_from(["A403QE", "A401AC", "", "X"]))
        headers["X-Ca-Error-Message"] = draw(
            st.text(max_size=20).map(lambda t: t.encode("ascii", "ignore").decode())
        )
    shape = draw(st.sampled_from(["envelope", "envelope", "envelope", "json", "bytes"]))
    if shape == "bytes":
        return status, headers, draw(st.binary(max_size=80))
    if shape == "json":
        return status, headers, json.dumps(draw(_any_json)).encode()
    body: dict[str, Any] = {"code": draw(_codes)}
    for key, value in (
        ("msg", _any_json),
        ("taskNo", st.text(max_size=100) | _json_scalar),
        ("data", _any_json | st.fixed_dictionaries({"faceImageUrl": _any_json})),
    ):
        if draw(st.booleans()):
            body[key] = draw(value)
    return status, headers, json.dumps(body).encode()


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@settings(
    max_examples=80,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(answer=vendor_answers())
@example(answer=(200, {}, b'{"code": -1}'))  # CHECK constraint failed: result_code
@example(answer=(200, {}, b'{"code": 1000000000000000000000}'))  # integer overflow
@example(answer=(200, {}, b'{"code": true}'))
@example(answer=(400, {}, b'{"code": 200}'))  # was taken as "passed"
@example(answer=(404, {}, b'{"code": 202}'))
@example(answer=(200, {}, json.dumps({"code": 202, "taskNo": "9" * 100}).encode()))
def test_any_result_answer_never_crashes_nor_invents_a_verdict(user, fake_vendor, answer):
    status_code, headers, content = answer
    check = LivenessCheck.objects.create(
        user=user,
        provider="jumdata",
        status=Status.PENDING,
        token=f"tok-{LivenessCheck.objects.count()}",
        expires_at=timezone.now() + timedelta(minutes=10),
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(
            responses.POST,
            fake_vendor.result_url,
            body=content,
            status=status_code,
            headers=headers,
            content_type="application/json",
        )
        check = services.refresh(check)  # must not raise
    check.refresh_from_db()
    try:
        body = json.loads(content)
    except ValueError:
        body = None
    code = body.get("code") if isinstance(body, dict) else None
    verdict_allowed = status_code < 400 and _is_int(code)
    expected_final = {Status.PASSED: 200, Status.FAILED: 202, Status.EXPIRED: 301}
    if check.status in expected_final:
        assert verdict_allowed and code == expected_final[check.status], (check.status, answer)
    if check.status == Status.ERROR and code == 203 and verdict_allowed:
        assert check.result_code == 203
    if check.status == Status.PENDING:
        assert check.result_code is None and check.completed_at is None
    # What is stored fits its columns on every database (SQLite does not enforce these).
    assert check.result_code is None or 0 <= check.result_code <= 2**31 - 1
    assert len(check.result_task_no) <= LivenessCheck._meta.get_field("result_task_no").max_length
    assert len(check.result_message) <= LivenessCheck._meta.get_field("result_message").max_length


# -- init answers that do not fit the site's columns ------------------------------------------


def _init_answer(fake_vendor: FakeVendor, body: dict[str, Any]) -> responses.RequestsMock:
    mock = responses.RequestsMock(assert_all_requests_are_fired=True)
    mock.add(responses.POST, fake_vendor.init_url, json=body, status=200)
    return mock


def test_init_with_an_overlong_task_number_is_kept_truncated(user_client, fake_vendor):
    body = {"code": 200, "msg": "成功", "taskNo": "9" * 100, "data": {"token": "t" * 32}}
    with _init_answer(fake_vendor, body):
        response = user_client.post(START_URL, {"mode": "silent"})
    assert response.status_code == 302
    check = LivenessCheck.objects.get()
    assert check.status == Status.PENDING and check.token == "t" * 32
    assert check.init_task_no == "9" * 64


def test_init_with_an_overlong_token_is_a_clear_error(user_client, fake_vendor, signal_log):
    """A token longer than the column cannot be stored whole, and a cut one would never
    find its result: the start fails cleanly instead (PostgreSQL raised DataError)."""
    max_length = LivenessCheck._meta.get_field("token").max_length
    body = {"code": 200, "msg": "成功", "taskNo": "1", "data": {"token": "t" * (max_length + 1)}}
    with _init_answer(fake_vendor, body):
        response = user_client.post(START_URL, {"mode": "silent"})
    assert response.status_code == 502
    check = LivenessCheck.objects.get()
    assert check.status == Status.ERROR and check.token == ""
    assert "token" in check.result_message
    assert signal_log.names() == ["check_failed"]


def test_init_token_on_an_http_error_is_not_trusted(user_client, fake_vendor):
    mock = responses.RequestsMock()
    body = {"code": 200, "msg": "成功", "taskNo": "1", "data": {"token": "t" * 32}}
    mock.add(responses.POST, fake_vendor.init_url, json=body, status=403)
    with mock:
        assert user_client.post(START_URL, {"mode": "silent"}).status_code == 502
    check = LivenessCheck.objects.get()
    assert check.status == Status.ERROR and check.token == ""
    assert "HTTP 403 with code 200" in check.result_message


@pytest.mark.parametrize("code", [-1, 10**21])
def test_init_answering_an_impossible_code_is_a_clear_error(user_client, fake_vendor, code):
    fake_vendor.inject("init", "code", code=code)
    assert user_client.post(START_URL, {"mode": "silent"}).status_code == 502
    check = LivenessCheck.objects.get()
    assert check.status == Status.ERROR and check.result_code is None
    assert str(code) in check.result_message
