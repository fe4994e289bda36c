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

from .helpers import api_init, api_result, make_key

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
