"""The integrator's whole flow through the test client and the real sandbox page.

start (POST) -> sandbox page (GET, press a button) -> return view -> success or failure
URL, with the database, the signals and the portrait storage checked at each end.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from django_lifecheck.exceptions import ConfigurationError
from django_lifecheck.integrator import services
from django_lifecheck.models import LivenessCheck, Status
from django_lifecheck.providers import CheckResult, get_provider
from django_lifecheck.providers.sandbox import PORTRAIT_PATH
from django_lifecheck.signals import check_passed
from tests.conftest import FAULTY_BACKEND, SANDBOX_BACKEND, lifecheck_settings, storage_files

pytestmark = pytest.mark.django_db

SUCCESS_URL = "/kyc/welcome/"
FAILURE_URL = "/kyc/sorry/"
START_URL = "/lifecheck/start/"
RETURN_PATH = "/lifecheck/return/"


@pytest.fixture(autouse=True)
def _urls(settings):
    lifecheck_settings(settings, SUCCESS_URL=SUCCESS_URL, FAILURE_URL=FAILURE_URL)


def start(client: Client, **data: str) -> tuple[LivenessCheck, str]:
    """POST the start form; return the new check and the sandbox page's URL."""
    response = client.post(START_URL, {"mode": "silent", **data})
    assert response.status_code == 302, response.content.decode()
    sandbox_url = response["Location"]
    assert urlsplit(sandbox_url).path == reverse("lifecheck:sandbox_page")
    token = parse_qs(urlsplit(sandbox_url).query)["token"][0]
    return LivenessCheck.objects.get(token=token), sandbox_url


def press(client: Client, sandbox_url: str, outcome: str) -> str:
    """Open the sandbox page, press ``outcome``; return where it sends the browser."""
    page = client.get(sandbox_url)
    assert page.status_code == 200
    assert f'value="{outcome}"' in page.content.decode()
    response = client.post(sandbox_url, {"outcome": outcome})
    assert response.status_code == 302
    return response["Location"]


def come_back(client: Client, return_url: str):
    parts = urlsplit(return_url)
    assert parts.path == RETURN_PATH
    return client.get(f"{parts.path}?{parts.query}")


def return_query(return_url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(return_url).query).items()}


# -- the four outcomes ---------------------------------------------------------------


def test_pass_flow_stores_portrait_signals_and_redirects(
    user, user_client, signal_log, portrait_storage, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        check, sandbox_url = start(user_client)
    started = signal_log.only("check_started")
    assert started.kwargs["user"] == user and started.kwargs["result"] is None
    assert started.stored_status == Status.PENDING
    assert check.status == Status.PENDING and check.user == user
    assert check.provider == "sandbox" and check.init_task_no and check.init_payload["code"] == 200
    assert check.expires_at > timezone.now()

    return_url = press(user_client, sandbox_url, "pass")
    assert return_query(return_url) == {"token": check.token, "success": "true"}
    # Pressing a button decides nothing on the integrator's side by itself.
    check.refresh_from_db()
    assert check.status == Status.PENDING

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = come_back(user_client, return_url)
        # Queued for after the commit, not sent from inside the transaction.
        assert signal_log.names() == ["check_started"]
    assert len(callbacks) == 1
    assert response.status_code == 302 and response["Location"] == SUCCESS_URL

    check.refresh_from_db()
    assert check.status == Status.PASSED and check.result_code == 200
    assert check.completed_at is not None and check.result_task_no
    assert check.result_payload["code"] == 200
    assert check.portrait.name.endswith(f"{check.public_id}.jpg")
    assert storage_files(portrait_storage) == [check.portrait.name]
    with portrait_storage.open(check.portrait.name) as stored:
        assert stored.read() == PORTRAIT_PATH.read_bytes()

    passed = signal_log.only("check_passed")
    assert passed.check.pk == check.pk and passed.kwargs["user"] == user
    assert passed.stored_status == Status.PASSED
    result = passed.kwargs["result"]
    assert isinstance(result, CheckResult) and result.code == 200
    assert signal_log.names() == ["check_started", "check_passed"]


@pytest.mark.parametrize(
    ("outcome", "status", "code", "signal"),
    [
        ("fail", Status.FAILED, 202, "check_failed"),
        ("detection_failed", Status.ERROR, 203, "check_failed"),
        ("expire", Status.EXPIRED, 301, "check_expired"),
    ],
)
def test_unsuccessful_outcomes(
    outcome,
    status,
    code,
    signal,
    user,
    user_client,
    signal_log,
    portrait_storage,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        check, sandbox_url = start(user_client)
        return_url = press(user_client, sandbox_url, outcome)
        assert return_query(return_url)["success"] == "false"
        response = come_back(user_client, return_url)
    assert response.status_code == 302 and response["Location"] == FAILURE_URL
    check.refresh_from_db()
    assert check.status == status and check.result_code == code
    assert check.completed_at is not None
    assert not check.portrait and storage_files(portrait_storage) == []
    assert signal_log.names() == ["check_started", signal]
    event = signal_log.only(signal)
    assert event.check.pk == check.pk and event.kwargs["user"] == user
    assert event.kwargs["result"].code == code and event.stored_status == status
    if signal == "check_failed":
        assert event.kwargs["code"] == code
        assert event.kwargs["reason"] == check.result_message and event.kwargs["reason"]


def test_forged_success_true_on_failed_check_stays_failed(
    user_client, signal_log, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        check, sandbox_url = start(user_client, next="/kyc/area/")
        return_url = press(user_client, sandbox_url, "fail")
        forged = f"{RETURN_PATH}?{urlencode({'token': check.token, 'success': 'true'})}"
        response = user_client.get(forged)
    assert response.status_code == 302 and response["Location"] == FAILURE_URL
    check.refresh_from_db()
    assert check.status == Status.FAILED
    # Coming back again, honestly or not, changes nothing and sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        assert come_back(user_client, return_url)["Location"] == FAILURE_URL
        assert user_client.get(forged)["Location"] == FAILURE_URL
    assert signal_log.names() == ["check_started", "check_failed"]


def test_second_button_press_is_refused_and_result_kept(user_client):
    check, sandbox_url = start(user_client)
    press(user_client, sandbox_url, "fail")
    response = user_client.post(sandbox_url, {"outcome": "pass"})
    assert response.status_code == 400
    come_back(user_client, f"{RETURN_PATH}?token={check.token}&success=true")
    check.refresh_from_db()
    assert check.status == Status.FAILED


# -- next ------------------------------------------------------------------------------


@pytest.mark.parametrize("next_url", ["/kyc/area/?tab=2", "http://testserver/kyc/area/"])
def test_next_on_this_site_is_honoured_after_pass(user_client, next_url):
    check, sandbox_url = start(user_client, next=next_url)
    assert check.next_url == next_url
    response = come_back(user_client, press(user_client, sandbox_url, "pass"))
    assert response["Location"] == next_url


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/steal",
        "//evil.example/steal",
        "http:///evil.example",
        "javascript:alert(1)",
    ],
)
def test_external_next_is_dropped(user_client, next_url):
    page = user_client.get(START_URL, {"next": next_url})
    assert page.context["form"].initial["next"] == ""
    check, sandbox_url = start(user_client, next=next_url)
    assert check.next_url == ""
    response = come_back(user_client, press(user_client, sandbox_url, "pass"))
    assert response["Location"] == SUCCESS_URL


def test_next_is_not_used_for_a_failed_check(user_client):
    _check, sandbox_url = start(user_client, next="/kyc/area/")
    response = come_back(user_client, press(user_client, sandbox_url, "fail"))
    assert response["Location"] == FAILURE_URL


def test_start_page_prefills_a_safe_next(user_client):
    page = user_client.get(START_URL, {"next": "/kyc/area/?a=1"})
    assert page.status_code == 200
    assert page.context["form"].initial["next"] == "/kyc/area/?a=1"
    assert 'value="/kyc/area/?a=1"' in page.content.decode()


# -- the start form --------------------------------------------------------------------


def test_start_form_offers_only_allowed_modes(settings, user_client):
    lifecheck_settings(settings, ALLOWED_MODES=("silent", "flash"))
    page = user_client.get(START_URL)
    choices = [value for value, _label in page.context["form"].fields["mode"].choices]
    assert choices == ["silent", "flash"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"mode": "bogus"}, "mode"),
        ({"mode": ""}, "mode"),
        ({"mode": "action", "actions": "LookFront,Dance"}, "actions"),
        ({"mode": "action", "actions": "LookFront,,BlinkEye"}, "actions"),
        ({"mode": "flash", "colors": "#FFFFFF,#123456"}, "colors"),
        ({"mode": "flash", "colors": "white"}, "colors"),
    ],
)
def test_start_form_errors(user_client, signal_log, data, field):
    response = user_client.post(START_URL, data)
    assert response.status_code == 400
    assert field in response.context["form"].errors, response.context["form"].errors
    assert LivenessCheck.objects.count() == 0
    assert signal_log.events == []


def test_mode_not_in_allowed_modes_is_refused(settings, user_client):
    lifecheck_settings(settings, ALLOWED_MODES=("silent",))
    response = user_client.post(START_URL, {"mode": "action"})
    assert response.status_code == 400
    assert "mode" in response.context["form"].errors
    assert LivenessCheck.objects.count() == 0


def test_mode_not_allowed_is_refused_by_the_service_too(settings, user):
    from django_lifecheck.exceptions import InvalidParameter

    lifecheck_settings(settings, ALLOWED_MODES=("silent",))
    with pytest.raises(InvalidParameter) as info:
        services.start_check(user, return_url="https://example.com/r", mode="flash")
    assert info.value.param == "mode"
    assert LivenessCheck.objects.count() == 0


def test_flash_with_actions_gets_lookfront_first(user_client):
    check, sandbox_url = start(
        user_client, mode="action+flash", actions="BlinkEye,OpenMouth", colors="#FFFFFF,#000000"
    )
    assert check.mode == "action+flash"
    assert check.actions == ["LookFront", "BlinkEye", "OpenMouth"]
    assert check.colors == ["#FFFFFF", "#000000"]
    # What the provider was asked for, as its page shows it.
    page = user_client.get(sandbox_url).content.decode()
    assert "LookFront, BlinkEye, OpenMouth" in page
    assert "#FFFFFF, #000000" in page


@pytest.mark.parametrize(
    ("mode", "actions", "colors"),
    [
        ("silent", [], []),
        ("action", ["LookFront", "BlinkEye", "ShakeHead"], []),
        ("flash", [], ["#FFFFFF", "#000000"]),
    ],
)
def test_modes_fill_defaults(user_client, mode, actions, colors):
    check, _url = start(user_client, mode=mode)
    assert (check.mode, check.actions, check.colors) == (mode, actions, colors)


# -- access ----------------------------------------------------------------------------


def test_csrf_is_enforced_on_start(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(START_URL, {"mode": "silent"})
    assert response.status_code == 403
    assert LivenessCheck.objects.count() == 0
    # With the token from the form the same POST goes through.
    page = client.get(START_URL)
    token = page.context["csrf_token"]
    response = client.post(START_URL, {"mode": "silent", "csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302
    assert LivenessCheck.objects.count() == 1


def test_login_required(client, user):
    check = services.start_check(user, return_url="https://example.com/r")
    urls = [
        ("get", START_URL),
        ("post", START_URL),
        ("get", f"{RETURN_PATH}?token={check.token}"),
        ("get", reverse("lifecheck:status", args=[check.public_id])),
    ]
    for method, url in urls:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next="), url
    assert LivenessCheck.objects.count() == 1


def test_another_users_token_is_404_and_not_refreshed(
    user_client, other_client, signal_log, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        check, sandbox_url = start(user_client)
        return_url = press(user_client, sandbox_url, "pass")
        assert come_back(other_client, return_url).status_code == 404
        status_url = reverse("lifecheck:status", args=[check.public_id])
        assert other_client.get(status_url).status_code == 404
    check.refresh_from_db()
    assert check.status == Status.PENDING
    assert signal_log.names() == ["check_started"]
    # The owner still finishes it.
    assert come_back(user_client, return_url)["Location"] == SUCCESS_URL


@pytest.mark.parametrize("query", ["", "?token=", "?token=nope", "?success=true"])
def test_missing_or_unknown_token_is_404(user, user_client, query):
    services.start_check(user, return_url="https://example.com/r")
    assert user_client.get(f"{RETURN_PATH}{query}").status_code == 404


def test_return_view_refuses_post(user_client):
    check, _url = start(user_client)
    assert user_client.post(f"{RETURN_PATH}?token={check.token}").status_code == 405


# -- signals ---------------------------------------------------------------------------


def test_raising_receiver_is_logged_and_flow_goes_on(
    user_client, signal_log, caplog, django_capture_on_commit_callbacks
):
    calls = []

    def broken(sender, **kwargs):
        calls.append(kwargs["check"].pk)
        raise RuntimeError("receiver exploded")

    check_passed.connect(broken, weak=False, dispatch_uid="test-broken-receiver")
    try:
        with (
            caplog.at_level(logging.ERROR),
            django_capture_on_commit_callbacks(execute=True),
        ):
            check, sandbox_url = start(user_client)
            response = come_back(user_client, press(user_client, sandbox_url, "pass"))
    finally:
        check_passed.disconnect(dispatch_uid="test-broken-receiver")
    assert response.status_code == 302 and response["Location"] == SUCCESS_URL
    check.refresh_from_db()
    assert check.status == Status.PASSED
    assert calls == [check.pk]
    assert signal_log.names() == ["check_started", "check_passed"]
    records = [
        r
        for r in caplog.records
        if r.name == "django_lifecheck.integrator" and "receiver exploded" in r.getMessage()
    ]
    assert len(records) == 1
    assert records[0].levelno == logging.ERROR and "check_passed" in records[0].getMessage()
    assert str(check.public_id) in records[0].getMessage()
    # The traceback is logged once, by Django's send_robust, not twice.
    tracebacks = [
        r for r in caplog.records if r.exc_info and "receiver exploded" in str(r.exc_info[1])
    ]
    assert [r.name for r in tracebacks] == ["django.dispatch"]


# -- pending and expiry ----------------------------------------------------------------


def test_pending_shows_waiting_page_and_status_json(
    user_client, signal_log, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        check, _url = start(user_client)
        response = come_back(user_client, f"{RETURN_PATH}?token={check.token}&success=true")
        assert response.status_code == 202
        assert "django_lifecheck/waiting.html" in [t.name for t in response.templates]
        status_url = reverse("lifecheck:status", args=[check.public_id])
        assert status_url in response.content.decode()
        data = user_client.get(status_url).json()
    assert data == {
        "id": str(check.public_id),
        "status": "pending",
        "final": False,
        "code": None,
        "redirect": None,
    }
    check.refresh_from_db()
    assert check.status == Status.PENDING and check.completed_at is None
    assert signal_log.names() == ["check_started"]


def test_return_view_polls_the_configured_number_of_times(settings, user_client, monkeypatch):
    lifecheck_settings(settings, RETURN_POLL_ATTEMPTS=3)
    check, _url = start(user_client)
    provider = get_provider("sandbox")
    calls = []
    original = provider.result
    monkeypatch.setattr(provider, "result", lambda token: calls.append(token) or original(token))
    assert come_back(user_client, f"{RETURN_PATH}?token={check.token}").status_code == 202
    assert calls == [check.token] * 3


def test_return_view_sleeps_between_polls_only(settings, user_client, monkeypatch):
    lifecheck_settings(settings, RETURN_POLL_ATTEMPTS=3, RETURN_POLL_INTERVAL=0.25)
    sleeps: list[float] = []
    monkeypatch.setattr(services.time, "sleep", sleeps.append)
    check, sandbox_url = start(user_client)
    assert come_back(user_client, f"{RETURN_PATH}?token={check.token}").status_code == 202
    assert sleeps == [0.25, 0.25]  # between the three attempts, not after the last
    sleeps.clear()
    assert come_back(user_client, press(user_client, sandbox_url, "pass")).status_code == 302
    assert sleeps == []  # final at the first attempt


def test_status_json_finishes_a_check_and_return_view_does_not_repeat_it(
    user_client, signal_log, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        check, sandbox_url = start(user_client, next="/kyc/area/")
        return_url = press(user_client, sandbox_url, "pass")
        status_url = reverse("lifecheck:status", args=[check.public_id])
        data = user_client.get(status_url).json()
    assert data["status"] == "passed" and data["final"] is True
    assert data["code"] == 200 and data["redirect"] == "/kyc/area/"
    with django_capture_on_commit_callbacks(execute=True):
        assert come_back(user_client, return_url)["Location"] == "/kyc/area/"
        assert user_client.get(status_url).json()["status"] == "passed"
    assert signal_log.names() == ["check_started", "check_passed"]


def test_status_json_of_failed_check_redirects_to_failure_url(user_client):
    check, sandbox_url = start(user_client)
    press(user_client, sandbox_url, "fail")
    data = user_client.get(reverse("lifecheck:status", args=[check.public_id])).json()
    assert data["status"] == "failed" and data["code"] == 202
    assert data["redirect"] == FAILURE_URL


def test_pending_past_expiry_and_grace_is_expired_locally(
    user_client, signal_log, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        check, _url = start(user_client)
        # Past expires_at but inside the grace period (a minute): still pending.
        almost = timezone.now() - timedelta(seconds=30)
        LivenessCheck.objects.filter(pk=check.pk).update(expires_at=almost)
        response = come_back(user_client, f"{RETURN_PATH}?token={check.token}")
        assert response.status_code == 202
        # Past expires_at + grace: expired, although the provider still says 201.
        past = timezone.now() - services.EXPIRY_GRACE - timedelta(seconds=1)
        LivenessCheck.objects.filter(pk=check.pk).update(expires_at=past)
        response = come_back(user_client, f"{RETURN_PATH}?token={check.token}&success=true")
    assert response.status_code == 302 and response["Location"] == FAILURE_URL
    check.refresh_from_db()
    assert check.status == Status.EXPIRED and check.result_code == 301
    assert check.completed_at is not None
    assert signal_log.names() == ["check_started", "check_expired"]
    assert signal_log.only("check_expired").kwargs["result"] is None


def test_refresh_unfinished_expires_and_finishes(
    user, user_client, signal_log, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        stale, _url = start(user_client)
        done, done_url = start(user_client)
        waiting, _url = start(user_client)
        press(user_client, done_url, "pass")
        past = timezone.now() - services.EXPIRY_GRACE - timedelta(minutes=1)
        LivenessCheck.objects.filter(pk=stale.pk).update(expires_at=past)
        counts = services.refresh_unfinished()
    assert counts == {"expired": 1, "passed": 1, "pending": 1}
    statuses = dict(LivenessCheck.objects.values_list("pk", "status"))
    assert statuses == {stale.pk: "expired", done.pk: "passed", waiting.pk: "pending"}
    assert sorted(signal_log.names()) == sorted(
        ["check_started"] * 3 + ["check_expired", "check_passed"]
    )


# -- provider errors -------------------------------------------------------------------


def faulty_settings(settings, **options: str) -> None:
    lifecheck_settings(
        settings,
        DEFAULT_PROVIDER="faulty",
        PROVIDERS={
            "sandbox": {"BACKEND": SANDBOX_BACKEND, "OPTIONS": {}},
            "faulty": {"BACKEND": FAULTY_BACKEND, "OPTIONS": options},
        },
    )


@pytest.mark.parametrize("error", ["unavailable", "disabled"])
def test_provider_error_in_start_gives_502_and_an_error_check(
    settings, user_client, signal_log, caplog, django_capture_on_commit_callbacks, error
):
    faulty_settings(settings, init_error=error)
    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(START_URL, {"mode": "silent"})
    assert response.status_code == 502
    assert response.context["form"].non_field_errors()
    check = LivenessCheck.objects.get()
    assert check.status == Status.ERROR and check.token == ""
    assert check.completed_at is not None and check.result_message
    assert signal_log.names() == ["check_failed"]
    event = signal_log.only("check_failed")
    assert event.kwargs["code"] == check.result_code
    assert event.kwargs["reason"] == check.result_message


def test_disabled_sandbox_start_gives_502(settings, user_client):
    settings.DEBUG = False
    lifecheck_settings(settings, SANDBOX_ALLOW_WITHOUT_DEBUG=False)
    response = user_client.post(START_URL, {"mode": "silent"})
    assert response.status_code == 502
    assert LivenessCheck.objects.get().status == Status.ERROR


def test_retryable_result_error_keeps_check_pending_until_it_answers(
    settings, user_client, signal_log, django_capture_on_commit_callbacks
):
    faulty_settings(settings, result_error="timeout")
    with django_capture_on_commit_callbacks(execute=True):
        check, sandbox_url = start(user_client)
        return_url = press(user_client, sandbox_url, "pass")
        response = come_back(user_client, return_url)
        assert response.status_code == 202
        check.refresh_from_db()
        assert check.status == Status.PENDING
        # The vendor is back: the same check now finishes.
        faulty_settings(settings)
        assert come_back(user_client, return_url)["Location"] == SUCCESS_URL
    check.refresh_from_db()
    assert check.status == Status.PASSED
    assert signal_log.names() == ["check_started", "check_passed"]


def test_retryable_result_error_past_expiry_expires(settings, user_client):
    faulty_settings(settings, result_error="unavailable")
    check, _url = start(user_client)
    past = timezone.now() - services.EXPIRY_GRACE - timedelta(seconds=1)
    LivenessCheck.objects.filter(pk=check.pk).update(expires_at=past)
    assert come_back(user_client, f"{RETURN_PATH}?token={check.token}")["Location"] == FAILURE_URL
    check.refresh_from_db()
    assert check.status == Status.EXPIRED


def test_non_retryable_result_error_is_an_error(
    settings, user_client, signal_log, django_capture_on_commit_callbacks
):
    faulty_settings(settings, result_error="disabled")
    with django_capture_on_commit_callbacks(execute=True):
        check, sandbox_url = start(user_client)
        response = come_back(user_client, press(user_client, sandbox_url, "pass"))
    assert response["Location"] == FAILURE_URL
    check.refresh_from_db()
    assert check.status == Status.ERROR and check.result_code == 604
    assert signal_log.only("check_failed").kwargs["code"] == 604


# -- services directly -----------------------------------------------------------------


def test_first_final_status_wins(user, signal_log, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        check = services.start_check(user, return_url="https://example.com/r")
        services.record_result(check, CheckResult(code=202, message="not live"))
        again = services.record_result(check, CheckResult(code=200, message="ok"))
        services.expire(check)
        services.refresh(check)
    assert again.status == Status.FAILED and again.result_code == 202
    check.refresh_from_db()
    assert check.status == Status.FAILED and check.result_message == "not live"
    assert not check.portrait
    assert signal_log.names() == ["check_started", "check_failed"]


def test_unknown_result_code_is_an_error(user):
    check = services.start_check(user, return_url="https://example.com/r")
    check = services.record_result(check, CheckResult(code=999, message="??"))
    assert check.status == Status.ERROR and check.result_code == 999


def test_purge_clears_portrait_and_payloads(user_client, portrait_storage):
    check, sandbox_url = start(user_client)
    come_back(user_client, press(user_client, sandbox_url, "pass"))
    other, other_url = start(user_client)
    come_back(user_client, press(user_client, other_url, "fail"))
    check.refresh_from_db()
    name = check.portrait.name
    assert portrait_storage.exists(name)

    assert services.purge(LivenessCheck.objects.filter(pk__in=[check.pk, other.pk])) == 2
    check.refresh_from_db()
    other.refresh_from_db()
    assert not portrait_storage.exists(name) and storage_files(portrait_storage) == []
    assert check.portrait.name == "" and not check.portrait
    for purged in (check, other):
        assert purged.init_payload == {} and purged.result_payload == {}
        assert purged.purged_at is not None
    # The audit record stays.
    assert check.status == Status.PASSED and check.result_code == 200
    assert other.status == Status.FAILED


def test_sandbox_page_unknown_or_expired_token_is_gone(user_client):
    assert user_client.get(reverse("lifecheck:sandbox_page")).status_code == 410
    _check, sandbox_url = start(user_client)
    assert user_client.get(f"{reverse('lifecheck:sandbox_page')}?token=x").status_code == 410
    assert user_client.get(sandbox_url).status_code == 200


def test_disabled_sandbox_page_is_404_and_provider_refuses(settings, user, user_client):
    check, sandbox_url = start(user_client)
    settings.DEBUG = False
    lifecheck_settings(settings, SANDBOX_ALLOW_WITHOUT_DEBUG=False)
    assert user_client.get(sandbox_url).status_code == 404
    assert user_client.post(sandbox_url, {"outcome": "pass"}).status_code == 404
    provider = get_provider()
    with pytest.raises(ConfigurationError, match="SANDBOX_ALLOW_WITHOUT_DEBUG"):
        provider.init("https://example.com/r")
    with pytest.raises(ConfigurationError):
        provider.result(check.token)
    # DEBUG on is enough by itself.
    settings.DEBUG = True
    assert user_client.get(sandbox_url).status_code == 200


def test_check_stuck_before_init_expires_from_its_creation_time(user, signal_log):
    old = timezone.now() - timedelta(seconds=600) - services.EXPIRY_GRACE - timedelta(seconds=1)
    stuck = LivenessCheck.objects.create(user=user, provider="sandbox", created_at=old)
    fresh = LivenessCheck.objects.create(user=user, provider="sandbox")
    assert services.refresh(stuck).status == Status.EXPIRED
    assert services.refresh(fresh).status == Status.CREATED


def test_final_check_is_not_asked_again(settings, user_client):
    check, sandbox_url = start(user_client)
    return_url = press(user_client, sandbox_url, "pass")
    assert come_back(user_client, return_url)["Location"] == SUCCESS_URL
    # The provider breaking afterwards changes nothing: a final check is not re-fetched.
    lifecheck_settings(
        settings,
        PROVIDERS={"sandbox": {"BACKEND": FAULTY_BACKEND, "OPTIONS": {"result_error": "disabled"}}},
    )
    assert come_back(user_client, return_url)["Location"] == SUCCESS_URL
    check.refresh_from_db()
    assert check.status == Status.PASSED


def test_portrait_storage_setting_is_honoured(settings, user_client):
    from django.core.files.storage import storages

    settings.STORAGES = {
        **settings.STORAGES,
        "portraits": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    lifecheck_settings(settings, PORTRAIT_STORAGE="portraits")
    check, sandbox_url = start(user_client)
    come_back(user_client, press(user_client, sandbox_url, "pass"))
    check.refresh_from_db()
    assert check.portrait
    assert storages["portraits"].exists(check.portrait.name)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("outcome", "signal", "status"),
    [
        ("pass", "check_passed", Status.PASSED),
        ("fail", "check_failed", Status.FAILED),
        ("expire", "check_expired", Status.EXPIRED),
    ],
)
def test_signals_follow_real_commits(user, user_client, signal_log, outcome, signal, status):
    check, sandbox_url = start(user_client)
    come_back(user_client, press(user_client, sandbox_url, outcome))
    assert signal_log.names() == ["check_started", signal]
    for event in signal_log.events:
        # Sent after the commit (no transaction open), with the row already stored.
        assert event.in_atomic_block is False
        assert event.check.pk == check.pk and event.kwargs["user"] == user
    assert signal_log.events[0].stored_status == Status.PENDING
    assert signal_log.events[1].stored_status == status
