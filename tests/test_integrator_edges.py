"""Edge cases of the integrator found in review: long ``next``, vanished providers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from django_lifecheck.integrator import services
from django_lifecheck.integrator.views import NEXT_URL_MAX_LENGTH
from django_lifecheck.models import LivenessCheck, Status

pytestmark = pytest.mark.django_db


def test_overlong_next_is_dropped_not_stored(user_client):
    long_next = "/" + "a" * NEXT_URL_MAX_LENGTH
    response = user_client.post(reverse("lifecheck:start"), {"mode": "silent", "next": long_next})
    assert response.status_code == 302
    assert LivenessCheck.objects.get().next_url == ""


def test_next_at_the_limit_is_kept(user_client):
    next_url = "/" + "a" * (NEXT_URL_MAX_LENGTH - 1)
    user_client.post(reverse("lifecheck:start"), {"mode": "silent", "next": next_url})
    assert LivenessCheck.objects.get().next_url == next_url


def test_refresh_with_a_provider_gone_keeps_the_check_then_expires_it(user):
    check = services.start_check(user, return_url="https://example.com/r", mode="silent")
    with override_settings(
        DEBUG=False, LIFECHECK={"SANDBOX_ALLOW_WITHOUT_DEBUG": False, "PROVIDERS": {}}
    ):
        assert services.refresh(check).status == Status.PENDING
        LivenessCheck.objects.filter(pk=check.pk).update(
            expires_at=timezone.now() - timedelta(minutes=5)
        )
        check.refresh_from_db()
        assert services.refresh(check).status == Status.EXPIRED


def test_return_view_does_not_crash_when_sandbox_is_switched_off(user_client, user, settings):
    check = services.start_check(user, return_url="https://example.com/r", mode="silent")
    settings.LIFECHECK = {**settings.LIFECHECK, "SANDBOX_ALLOW_WITHOUT_DEBUG": False}
    settings.DEBUG = False
    response = user_client.get(reverse("lifecheck:return"), {"token": check.token})
    assert response.status_code == 202  # still pending: the waiting page, not a 500
