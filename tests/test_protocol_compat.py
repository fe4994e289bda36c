"""Protocol compatibility (issue #4): the integrator's flow against this app's own service.

The integrator only knows the protocol. So the vendor client (``jumdata`` provider) is
pointed over real HTTP at the self-hosted service served by ``live_server``, configured
exactly as a site owner would (endpoint URLs, ``h5_base`` and an APPCODE key issued by
the service), and must get through the same flows as on the sandbox
(``test_integrator_flow``). The in-process ``local`` provider runs the same flows.

Only the APPCODE auth mode is exercised: the self-hosted service accepts APPCODE keys
and nothing else (``spec/protocol.md``, "Transport"), so the direct-contract signature
mode has no counterpart to talk to.

Each flow: the user POSTs the start form (test client, logged in) -> redirect to the
service's H5 page -> the test then acts as that page (over HTTP for ``jumdata``): frames
of a real photo, a ``fail`` report, an expired token, no upload at all, or a verdict
written by the service's own writer (``service.state.finish``) -> the page's status
answer sends the browser to the integrator's return view -> the check's final status,
code, signals and portrait are checked on the integrator's side.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from django_lifecheck.exceptions import ProviderError
from django_lifecheck.models import ApiKey, LivenessCheck, ServiceToken, Status, TokenState
from django_lifecheck.providers import get_provider
from django_lifecheck.providers.jumdata import JumdataProvider
from django_lifecheck.providers.local import LocalProvider
from django_lifecheck.service import state
from django_lifecheck.service.engine_bridge import load_engine
from django_lifecheck.service.portrait import signed_part
from tests.compat_helpers import (
    ClientPage,
    HttpPage,
    Page,
    Reply,
    bona_fide_capture,
    page_config,
    static_photo_capture,
)
from tests.conftest import lifecheck_settings, storage_files
from tests.service.helpers import face_jpeg

# Real commits: the live server's thread must see what the test writes, and the
# integrator's signals are only sent after a commit.
pytestmark = pytest.mark.django_db(transaction=True)

SUCCESS_URL = "/kyc/welcome/"
FAILURE_URL = "/kyc/sorry/"
START_URL = "/lifecheck/start/"
RETURN_PATH = "/lifecheck/return/"
#: Where the start view tells the service to send the browser back (test client host).
RETURN_URL = f"http://testserver{RETURN_PATH}"
PROVIDERS = ("jumdata", "local")
#: Reasons the service may give for a photo held to the camera (all code 202).
NOT_PASSED_REASONS = {"not_live", "actions_not_matched", "injection_suspected"}


def engine_ready() -> bool:
    try:
        load_engine()
    except Exception:
        return False
    return True


needs_engine = pytest.mark.skipif(not engine_ready(), reason="the liveness engine is not installed")


@dataclass
class Flow:
    """One provider configured as a user would, and the browser that runs its page."""

    alias: str
    page: Page
    #: What the start view must redirect to, before the token.
    h5_prefix: str
    #: The service's origin as the integrator reaches it ("" when in-process).
    service_origin: str
    api_key: ApiKey

    @property
    def provider(self) -> JumdataProvider | LocalProvider:
        return get_provider(self.alias)


@pytest.fixture
def flow(request, settings) -> Iterator[Flow]:
    """The ``jumdata`` provider against ``live_server`` over HTTP, or ``local``."""
    cache.clear()
    lifecheck_settings(settings, SUCCESS_URL=SUCCESS_URL, FAILURE_URL=FAILURE_URL)
    h5_path = reverse("lifecheck:check_index")
    if request.param == "jumdata":
        live_server = request.getfixturevalue("live_server")
        # A key as a site owner gets it from the service (printed once, stored hashed).
        api_key, plain = ApiKey.create_key("integrator-site")
        options = {
            "init_url": live_server.url + reverse("lifecheck:api-init"),
            "result_url": live_server.url + reverse("lifecheck:api-result"),
            "h5_base": live_server.url + "/lifecheck/v2",
            "appcode": plain,
            # Nothing to wait for between retries on a local server.
            "retry_backoff": 0,
        }
        entry = {"BACKEND": "django_lifecheck.providers.jumdata.JumdataProvider"}
        page: Page = HttpPage(live_server.url)
        prefix, origin = f"{live_server.url}{h5_path}?token=", live_server.url
    else:
        api_key, _plain = ApiKey.create_key("integrator-site")
        options = {"api_key": "integrator-site"}
        entry = {"BACKEND": "django_lifecheck.providers.local.LocalProvider"}
        page = ClientPage(Client())
        prefix, origin = f"{h5_path}?token=", ""
    lifecheck_settings(
        settings,
        DEFAULT_PROVIDER=request.param,
        PROVIDERS={request.param: {**entry, "OPTIONS": options}},
    )
    flow = Flow(request.param, page, prefix, origin, api_key)
    assert flow.provider.check_configuration() == []
    yield flow
    page.close()
    if isinstance(flow.provider, JumdataProvider):
        flow.provider.session.close()
    cache.clear()


def parametrize_providers(*names: str):
    return pytest.mark.parametrize("flow", names or PROVIDERS, indirect=True)


# -- the steps of a flow --------------------------------------------------------------


def start(flow: Flow, client: Client, **data: str) -> tuple[LivenessCheck, str, dict]:
    """POST the start form; check the redirect and the page it leads to.

    Returns the new check, the H5 URL and the page's ``lc-config``.
    """
    response = client.post(START_URL, {"mode": "silent", **data})
    assert response.status_code == 302, response.content.decode()
    h5_url = response["Location"]
    assert h5_url.startswith(flow.h5_prefix), h5_url
    token = parse_qs(urlsplit(h5_url).query)["token"][0]
    assert h5_url == flow.h5_prefix + token
    check = LivenessCheck.objects.get(token=token)
    assert check.status == Status.PENDING and check.provider == flow.alias
    # The token came from the service, under the site's key (over the wire for jumdata).
    service_token = ServiceToken.objects.get(token=token)
    assert service_token.api_key == flow.api_key
    assert service_token.return_url == RETURN_URL
    assert check.init_task_no == service_token.task_no
    page = flow.page.open(h5_url)
    assert page.status == 200, page.text[:300]
    assert 'id="lc-screen-intro"' in page.text
    config = page_config(page.text)
    assert config["token"] == token and config["initial"] == "intro"
    assert config["mode"] == check.mode
    assert config["actions"] == check.actions
    assert [step["color"] for step in config["flash"]] == [s["color"] for s in service_token.flash]
    assert config["urls"]["frames"] == reverse("lifecheck:check-frames")
    assert config["urls"]["fail"] == reverse("lifecheck:check-fail")
    assert config["urls"]["status"] == reverse("lifecheck:check-status")
    return check, h5_url, config


def page_redirect(flow: Flow, token: str) -> str:
    """Ask the service's status endpoint, as the page does, where the browser goes next."""
    reply = flow.page.status(token)
    assert reply.status == 200, reply.text
    redirect = reply.json()["redirect"]
    assert redirect, reply.json()
    return redirect


def come_back(client: Client, redirect: str):
    """The browser follows the service's redirect to the integrator's return view."""
    assert redirect.startswith(f"{RETURN_URL}?"), redirect
    parts = urlsplit(redirect)
    return client.get(f"{parts.path}?{parts.query}")


def success_hint(redirect: str) -> str:
    return parse_qs(urlsplit(redirect).query)["success"][0]


def upload_photo(flow: Flow, token: str) -> Reply:
    jpegs, meta = static_photo_capture(face_jpeg())
    return flow.page.upload(token, jpegs, meta)


# -- (a) a photo held to the camera: not passed -----------------------------------------


@needs_engine
@parametrize_providers()
def test_static_photo_ends_failed_202(flow, user, user_client, signal_log, portrait_storage):
    check, _h5_url, _config = start(flow, user_client)
    reply = upload_photo(flow, check.token)
    assert reply.status == 202, reply.text
    assert reply.json()["ok"] is True
    # The analysis ran inline (ImmediateBackend): the page's status is already final.
    status = flow.page.status(check.token).json()
    assert status["state"] == "done" and status["success"] is False
    redirect = status["redirect"]
    assert success_hint(redirect) == "false"
    assert parse_qs(urlsplit(redirect).query)["token"] == [check.token]

    response = come_back(user_client, redirect)
    assert response.status_code == 302 and response["Location"] == FAILURE_URL
    check.refresh_from_db()
    assert check.status == Status.FAILED and check.result_code == 202
    assert check.result_message == "活体检测未通过"
    assert check.result_payload["data"]["reason"] in NOT_PASSED_REASONS
    assert check.completed_at is not None and check.result_task_no
    assert not check.portrait and storage_files(portrait_storage) == []
    assert signal_log.names() == ["check_started", "check_failed"]
    event = signal_log.only("check_failed")
    assert event.check.pk == check.pk and event.kwargs["user"] == user
    assert event.kwargs["code"] == 202 and event.kwargs["result"].code == 202
    assert event.stored_status == Status.FAILED and not event.in_atomic_block

    # A forged success=true changes nothing and sends nothing more.
    forged = f"{RETURN_PATH}?token={check.token}&success=true"
    assert user_client.get(forged)["Location"] == FAILURE_URL
    check.refresh_from_db()
    assert check.status == Status.FAILED
    assert signal_log.names() == ["check_started", "check_failed"]


# -- (b) the page reports a refused camera: check failed 203 ----------------------------


@parametrize_providers()
def test_permission_denied_ends_error_203(flow, user, user_client, signal_log):
    check, _h5_url, _config = start(flow, user_client, mode="flash")
    assert check.mode == "flash"
    reply = flow.page.fail(check.token, "permission_denied")
    assert reply.status == 200, reply.text
    redirect = reply.json()["redirect"]
    assert success_hint(redirect) == "false"
    assert page_redirect(flow, check.token) == redirect

    response = come_back(user_client, redirect)
    assert response.status_code == 302 and response["Location"] == FAILURE_URL
    check.refresh_from_db()
    assert check.status == Status.ERROR and check.result_code == 203
    assert check.result_payload["data"] == {"reason": "permission_denied"}
    event = signal_log.only("check_failed")
    assert event.kwargs["code"] == 203 and event.kwargs["reason"] == check.result_message
    assert event.stored_status == Status.ERROR
    assert signal_log.names() == ["check_started", "check_failed"]
    # The page cannot report twice, nor upload after reporting.
    assert flow.page.fail(check.token, "timeout").status == 409
    assert upload_photo(flow, check.token).status == 409


# -- (c) an expired token: 301 ------------------------------------------------------------


@parametrize_providers()
def test_expired_token_ends_expired_301(flow, user_client, signal_log):
    check, h5_url, _config = start(flow, user_client)
    ServiceToken.objects.filter(token=check.token).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    # The page now says so, refuses uploads, and still sends the browser back.
    page = flow.page.open(h5_url)
    assert page.status == 410 and "lc-config" not in page.text
    assert upload_photo(flow, check.token).status == 410
    status = flow.page.status(check.token).json()
    assert status["state"] == "expired"
    assert success_hint(status["redirect"]) == "false"

    response = come_back(user_client, status["redirect"])
    assert response.status_code == 302 and response["Location"] == FAILURE_URL
    check.refresh_from_db()
    assert check.status == Status.EXPIRED and check.result_code == 301
    assert check.result_message == "token 已过期"
    assert signal_log.names() == ["check_started", "check_expired"]
    assert signal_log.only("check_expired").kwargs["result"].code == 301


# -- (d) back before any upload: pending ----------------------------------------------------


@parametrize_providers()
def test_return_before_upload_is_pending_then_finished_by_status(flow, user_client, signal_log):
    check, _h5_url, _config = start(flow, user_client)
    response = user_client.get(f"{RETURN_PATH}?token={check.token}&success=true")
    assert response.status_code == 202
    assert "django_lifecheck/waiting.html" in [t.name for t in response.templates]
    status_url = reverse("lifecheck:status", args=[check.public_id])
    assert status_url in response.content.decode()
    assert user_client.get(status_url).json() == {
        "id": str(check.public_id),
        "status": "pending",
        "final": False,
        "code": None,
        "redirect": None,
    }
    check.refresh_from_db()
    assert check.status == Status.PENDING and check.completed_at is None
    assert flow.page.status(check.token).json()["state"] == "waiting"
    assert signal_log.names() == ["check_started"]
    # The page then ends the check; the waiting page's poll picks the result up.
    assert flow.page.fail(check.token, "camera_error").status == 200
    data = user_client.get(status_url).json()
    assert data["status"] == Status.ERROR and data["final"] is True
    assert data["code"] == 203 and data["redirect"] == FAILURE_URL
    assert signal_log.names() == ["check_started", "check_failed"]


# -- (e) passed: verdict from the service's own writer ----------------------------------------


@parametrize_providers()
def test_passed_copies_the_portrait_and_ignores_other_users(
    flow, settings, user, user_client, other_client, signal_log, portrait_storage
):
    check, _h5_url, _config = start(flow, user_client, next="/kyc/area/")
    service_token = ServiceToken.objects.get(token=check.token)
    photo = face_jpeg()
    state.finish(service_token.pk, 200, portrait_jpeg=photo)
    redirect = page_redirect(flow, check.token)
    assert success_hint(redirect) == "true"

    # Someone else's browser with this token: 404, and the check is not even refreshed.
    assert come_back(other_client, redirect).status_code == 404
    assert other_client.get(reverse("lifecheck:status", args=[check.public_id])).status_code == 404
    check.refresh_from_db()
    assert check.status == Status.PENDING
    assert signal_log.names() == ["check_started"]

    response = come_back(user_client, redirect)
    assert response.status_code == 302 and response["Location"] == "/kyc/area/"
    check.refresh_from_db()
    assert check.status == Status.PASSED and check.result_code == 200
    assert check.result_message == "活体检测通过"
    assert "portrait_error" not in check.result_payload
    face_url = check.result_payload["data"]["faceImageUrl"]
    # Absolute over HTTP (the integrator may be elsewhere), a path in-process.
    assert face_url.startswith(flow.service_origin + "/lifecheck/v2/portrait/"), face_url
    assert signed_part(face_url) != str(service_token.public_id)  # signed, not the bare id
    # Copied into the integrator's own storage, byte for byte, under its own name.
    service_token.refresh_from_db()
    assert check.portrait.name != service_token.portrait.name
    assert check.portrait.name in storage_files(portrait_storage)
    with portrait_storage.open(check.portrait.name) as stored:
        assert stored.read() == photo
    passed = signal_log.only("check_passed")
    assert passed.check.pk == check.pk and passed.kwargs["user"] == user
    assert passed.kwargs["result"].face_image_url == face_url
    assert passed.stored_status == Status.PASSED and not passed.in_atomic_block
    # Back again (and with a forged hint): same answer, no second signal, no second copy.
    assert come_back(user_client, redirect)["Location"] == "/kyc/area/"
    assert user_client.get(f"{RETURN_PATH}?token={check.token}&success=false").status_code == 302
    assert signal_log.names() == ["check_started", "check_passed"]
    assert len(storage_files(portrait_storage)) == 2  # the service's and the integrator's

    if flow.alias == "jumdata":
        assert_portrait_url_is_a_signed_expiring_capability(settings, face_url, photo)


def assert_portrait_url_is_a_signed_expiring_capability(settings, face_url: str, photo: bytes):
    """The URL needs no auth, breaks if tampered with, and stops working once too old."""
    import requests

    response = requests.get(face_url, timeout=30)
    assert response.status_code == 200 and response.content == photo
    assert response.headers["Content-Type"] == "image/jpeg"
    assert "no-store" in response.headers["Cache-Control"]
    signed = signed_part(face_url)
    tampered = face_url.removesuffix(signed) + signed[:-1] + ("A" if signed[-1] != "A" else "B")
    assert requests.get(tampered, timeout=30).status_code == 404
    lifecheck_settings(settings, SERVICE_PORTRAIT_URL_MAX_AGE=1)
    time.sleep(2.1)
    assert requests.get(face_url, timeout=30).status_code == 404


@needs_engine
@parametrize_providers()
def test_forged_success_true_on_a_failed_check(flow, user_client, signal_log):
    check, _h5_url, _config = start(flow, user_client, next="/kyc/area/")
    assert upload_photo(flow, check.token).status == 202
    redirect = page_redirect(flow, check.token)
    assert success_hint(redirect) == "false"
    forged = redirect.replace("success=false", "success=true")
    response = come_back(user_client, forged)
    assert response.status_code == 302 and response["Location"] == FAILURE_URL
    check.refresh_from_db()
    assert check.status == Status.FAILED and check.result_code == 202
    assert signal_log.names() == ["check_started", "check_failed"]


# -- (f) idempotent result, single-use token ------------------------------------------------


@needs_engine
@parametrize_providers()
def test_result_is_idempotent_and_the_token_single_use(flow, user_client, signal_log):
    check, _h5_url, _config = start(flow, user_client)
    assert flow.provider.result(check.token).code == 201
    assert upload_photo(flow, check.token).status == 202
    # A second upload, a fail report after the upload: refused, result unchanged.
    second = upload_photo(flow, check.token)
    assert second.status == 409 and second.json()["ok"] is False
    assert flow.page.fail(check.token, "timeout").status == 409
    first, again = flow.provider.result(check.token), flow.provider.result(check.token)
    assert first.code == again.code == 202
    assert (first.message, first.face_image_url) == (again.message, again.face_image_url)
    assert first.raw["data"] == again.raw["data"]
    assert first.raw["data"]["reason"] in NOT_PASSED_REASONS
    assert first.task_no != again.task_no  # unique per request, as the protocol says
    redirect = page_redirect(flow, check.token)
    assert come_back(user_client, redirect)["Location"] == FAILURE_URL
    assert come_back(user_client, redirect)["Location"] == FAILURE_URL
    check.refresh_from_db()
    assert check.result_code == 202 and check.result_payload["data"] == first.raw["data"]
    assert signal_log.names() == ["check_started", "check_failed"]
    assert ServiceToken.objects.get(token=check.token).state == TokenState.DONE


@parametrize_providers("jumdata")
def test_wire_answers_are_the_protocol_envelope(flow, user_client):
    """What the vendor client parsed is what went over the wire: the raw JSON."""
    import requests

    check, _h5_url, _config = start(flow, user_client)
    assert check.init_payload["code"] == 200
    assert check.init_payload["data"] == {"token": check.token}
    assert len(check.init_payload["taskNo"]) == 24 and check.init_payload["taskNo"].isdigit()
    # No secret kept with the check.
    options = flow.provider.options
    assert options["appcode"] not in repr(check.init_payload)
    answer = requests.post(
        options["result_url"],
        data={"token": check.token},
        headers={"Authorization": f"APPCODE {options['appcode']}"},
        timeout=30,
    )
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/json")
    body = answer.json()
    assert body["code"] == 201 and body["msg"] == "未查询到检测结果"
    # A wrong key is the gateway's refusal, which the vendor client reports as such.
    wrong = requests.post(
        options["result_url"],
        data={"token": check.token},
        headers={"Authorization": "APPCODE nope.nope"},
        timeout=30,
    )
    assert wrong.status_code == 401 and wrong.headers.get("X-Ca-Error-Code")


# -- the service's public codes reach the integrator as the vendor's would -------------------

#: case -> (how to provoke it, protocol code, whether the integrator may retry)
REFUSALS = {
    "disabled key": ("revoke", 604, False),
    "maintenance": ("maintenance", 500, True),
    "rate limit": ("rate", 609, True),
    "daily quota": ("quota", 606, True),
}


@parametrize_providers()
@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_service_refusal_at_start_is_502_and_an_error_check(
    flow, case, settings, user_client, signal_log
):
    how, code, retryable = REFUSALS[case]
    if how == "revoke":
        flow.api_key.revoke()
    elif how == "maintenance":
        lifecheck_settings(settings, SERVICE_MAINTENANCE=True)
    else:
        # One call allowed: the first check starts, the second is refused.
        field = {"rate": ("rate_limit", "1/d"), "quota": ("daily_quota", 1)}[how]
        ApiKey.objects.filter(pk=flow.api_key.pk).update(**dict([field]))
        start(flow, user_client)
        signal_log.events.clear()
    response = user_client.post(START_URL, {"mode": "silent"})
    assert response.status_code == 502
    assert response.context["form"].non_field_errors()
    check = LivenessCheck.objects.order_by("-created_at").first()
    assert check.status == Status.ERROR and check.token == ""
    assert check.result_code == code, check.result_message
    assert signal_log.names() == ["check_failed"]
    assert signal_log.only("check_failed").kwargs["code"] == code
    with pytest.raises(ProviderError) as info:
        flow.provider.init(RETURN_URL)
    assert info.value.code == code
    assert info.value.retryable is retryable


# -- the user never comes back: the refresh command finishes the check ---------------------


@parametrize_providers()
def test_refresh_command_finishes_a_check_the_user_abandoned(flow, user_client, signal_log):
    from io import StringIO

    from django.core.management import call_command

    abandoned, _h5_url, _config = start(flow, user_client)
    waiting, _h5_url, _config = start(flow, user_client)
    assert flow.page.fail(abandoned.token, "no_camera_api").status == 200
    out = StringIO()
    call_command("lifecheck_refresh", stdout=out)
    assert "error: 1" in out.getvalue() and "pending: 1" in out.getvalue()
    abandoned.refresh_from_db()
    waiting.refresh_from_db()
    assert abandoned.status == Status.ERROR and abandoned.result_code == 203
    assert abandoned.result_payload["data"] == {"reason": "no_camera_api"}
    assert waiting.status == Status.PENDING
    assert signal_log.names() == ["check_started", "check_started", "check_failed"]
    # Run again: nothing changes, nothing is sent twice.
    call_command("lifecheck_refresh", stdout=StringIO())
    assert signal_log.names() == ["check_started", "check_started", "check_failed"]


# -- a real pass through the engine -----------------------------------------------------------


#: Challenges the engine's renderer can act out. Its rendered blinks are not detected
#: by the engine yet ("BlinkEye: not found in its window"), so the default action set
#: (LookFront, BlinkEye, ShakeHead) is left out.
LIVE_CHALLENGES = {
    "flash": {"mode": "flash"},
    "action": {"mode": "action", "actions": "LookLeft,OpenMouth"},
    "action+flash": {"mode": "action+flash", "actions": "LookFront,ShakeHead,OpenMouth"},
}


@needs_engine
@parametrize_providers("jumdata")
@pytest.mark.parametrize("challenge", sorted(LIVE_CHALLENGES))
def test_simulated_live_subject_passes_over_http(
    flow, challenge, user, user_client, signal_log, portrait_storage
):
    """Frames rendered by the engine's evaluation renderer for this token's own
    challenge (read from the page, as the page's script reads it: the flash the service
    drew, the actions in order), uploaded over HTTP; a real 200 end to end."""
    form = LIVE_CHALLENGES[challenge]
    check, _h5_url, config = start(flow, user_client, **form)
    assert config["mode"] == challenge
    assert ",".join(config["actions"]) == form.get("actions", "")
    assert (6 <= len(config["flash"]) <= 8) == ("flash" in challenge)
    jpegs, meta = bona_fide_capture(config, seed=1)
    reply = flow.page.upload(check.token, jpegs, meta)
    assert reply.status == 202, reply.text
    redirect = page_redirect(flow, check.token)
    response = come_back(user_client, redirect)
    check.refresh_from_db()
    service_token = ServiceToken.objects.get(token=check.token)
    # Whatever the engine said, the integrator recorded exactly that.
    assert check.result_code == service_token.result_code
    assert success_hint(redirect) == ("true" if service_token.result_code == 200 else "false")
    if service_token.result_code != 200:
        pytest.skip(
            f"the engine rejected the simulated live subject: {service_token.result_code} "
            f"{service_token.reason}; actions={verdict_actions(service_token.verdict)} "
            f"scores={service_token.verdict.get('scores')}"
        )
    assert response.status_code == 302 and response["Location"] == SUCCESS_URL
    assert check.status == Status.PASSED
    passed = signal_log.only("check_passed")
    assert passed.check.pk == check.pk and passed.kwargs["user"] == user
    with service_token.portrait.open("rb") as handle:
        service_portrait = handle.read()
    with portrait_storage.open(check.portrait.name) as stored:
        assert stored.read() == service_portrait
    assert service_portrait.startswith(b"\xff\xd8\xff")


def verdict_actions(verdict: dict) -> list[tuple[str, bool, str]]:
    """The engine's per-action findings, short enough for a skip reason."""
    return [(a["action"], a["matched"], a.get("detail", "")) for a in verdict.get("actions", [])]
