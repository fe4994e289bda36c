"""The service's answers to the production faults, fast and in-process.

The same behaviours run against real PostgreSQL, Redis and killed workers in
``tests/load/test_server_faults.py`` (slow); these pin the rules themselves.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from django_lifecheck.models import ServiceToken, TokenState
from django_lifecheck.service import limits

from .helpers import api_init, api_result, face_jpeg, make_key, upload

pytestmark = pytest.mark.django_db


def _submitted(client: Client, plain: str, seconds_ago: float) -> ServiceToken:
    """A token whose upload was stored ``seconds_ago`` and never analysed (a dead worker)."""
    token = api_init(client, plain)["data"]["token"]
    ServiceToken.objects.filter(token=token).update(
        state=TokenState.SUBMITTED, submitted_at=timezone.now() - timedelta(seconds=seconds_ago)
    )
    return ServiceToken.objects.get(token=token)


def _lifecheck(**overrides):
    from django.conf import settings

    return override_settings(LIFECHECK={**settings.LIFECHECK, **overrides})


def _page_status(client: Client, token: str) -> dict:
    return client.get(reverse("lifecheck:check-status"), {"token": token}).json()


@_lifecheck(SERVICE_ANALYSIS_TIMEOUT=60)
def test_an_overdue_analysis_ends_203_analysis_timeout(client):
    _, plain = make_key()
    fresh = _submitted(client, plain, 30)
    overdue = _submitted(client, plain, 61)
    assert api_result(client, plain, fresh.token)["code"] == 201
    assert _page_status(client, fresh.token)["state"] == "analysing"
    answer = api_result(client, plain, overdue.token)
    assert (answer["code"], answer["data"]["reason"]) == (203, "analysis_timeout")
    again = api_result(client, plain, overdue.token)  # idempotent from now on
    assert (again["code"], again["data"]) == (answer["code"], answer["data"])
    assert _page_status(client, overdue.token)["state"] == "done"
    overdue.refresh_from_db()
    assert (overdue.state, overdue.result_code) == (TokenState.DONE, 203)


@_lifecheck(SERVICE_ANALYSIS_TIMEOUT=60)
def test_the_page_poll_alone_ends_an_overdue_analysis(client):
    _, plain = make_key()
    overdue = _submitted(client, plain, 120)
    status = _page_status(client, overdue.token)
    assert (status["state"], status["success"]) == ("done", False)
    overdue.refresh_from_db()
    assert overdue.reason == "analysis_timeout"


@_lifecheck(SERVICE_ANALYSIS_TIMEOUT=None)
def test_no_analysis_timeout_when_turned_off(client):
    _, plain = make_key()
    overdue = _submitted(client, plain, 590)
    assert api_result(client, plain, overdue.token)["code"] == 201


def test_a_late_verdict_does_not_overwrite_the_timeout(client):
    from django_lifecheck.service import state

    _, plain = make_key()
    overdue = _submitted(client, plain, 10_000)
    with _lifecheck(SERVICE_ANALYSIS_TIMEOUT=60):
        assert api_result(client, plain, overdue.token)["code"] == 203
    state.finish(overdue.pk, 200, "")  # the killed worker's twin finishing after all
    assert api_result(client, plain, overdue.token)["code"] == 203


class _DeadCache:
    """Stands for a cache whose server is down: every call raises its client's error."""

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

        return fail


def test_limits_fail_closed_when_the_cache_is_down(client, monkeypatch):
    _, plain = make_key()
    _, exempt = make_key("local-ish", limits_exempt=True)
    monkeypatch.setattr(limits, "cache", _DeadCache())
    assert api_init(client, plain)["code"] == 500
    assert api_result(client, plain, "whatever")["code"] == 500
    # An exempt key counts nothing, so it keeps working.
    assert api_init(client, exempt)["code"] == 200


class _DatabaseDown:
    """Every query fails the way a restarting server fails it, through Django's own
    query path (``connection.execute_wrapper``); the real thing runs in tests/load."""

    def __init__(self) -> None:
        self.queries = 0

    def __call__(self, execute, sql, params, many, context):
        from django.db import OperationalError

        self.queries += 1
        raise OperationalError("server closed the connection unexpectedly")


def test_a_database_outage_is_the_protocols_try_again_later_not_an_html_page(client, caplog):
    from django.db import connection

    _, plain = make_key()
    token = api_init(client, plain)["data"]["token"]
    down = _DatabaseDown()
    with connection.execute_wrapper(down):
        init = client.post(
            reverse("lifecheck:api-init"),
            {"returnUrl": "https://example.com/back"},
            HTTP_AUTHORIZATION=f"APPCODE {plain}",
        )
        result = client.post(
            reverse("lifecheck:api-result"), {"token": token}, HTTP_AUTHORIZATION=f"APPCODE {plain}"
        )
        page = client.get(reverse("lifecheck:check-status"), {"token": token})
        frames = upload(client, token, [face_jpeg()] * 3)
    assert down.queries >= 4
    for response in (init, result):
        assert (response.status_code, response["Content-Type"]) == (503, "application/json")
        assert response.json()["code"] == 500 and response["Retry-After"] == "5"
    for response in (page, frames):
        assert response.status_code == 503
        assert response.json() == {"ok": False, "error": "The service is temporarily unavailable."}
    assert "server closed the connection unexpectedly" in caplog.text
    # Back up: the same token still works, nothing was half-done.
    assert api_result(client, plain, token)["code"] == 201
    after = upload(client, token, [face_jpeg()] * 3)
    assert after.status_code == 202, after.content
