"""Management commands: lifecheck_refresh and lifecheck_purge on a real database."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from django_lifecheck.integrator import services
from django_lifecheck.models import LivenessCheck, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("erin", "e@example.com", "pw")


def test_refresh_finishes_decided_and_expires_stale(user, client):
    decided = services.start_check(user, return_url="https://example.com/r", mode="silent")
    client.post(reverse("lifecheck:sandbox_page") + f"?token={decided.token}", {"outcome": "pass"})
    stale = services.start_check(user, return_url="https://example.com/r", mode="silent")
    LivenessCheck.objects.filter(pk=stale.pk).update(
        expires_at=timezone.now() - timedelta(minutes=5)
    )
    waiting = services.start_check(user, return_url="https://example.com/r", mode="silent")

    out = StringIO()
    call_command("lifecheck_refresh", stdout=out)

    statuses = {c.pk: c.status for c in LivenessCheck.objects.all()}
    assert statuses[decided.pk] == Status.PASSED
    assert statuses[stale.pk] == Status.EXPIRED
    assert statuses[waiting.pk] == Status.PENDING
    assert "Refreshed 3 checks" in out.getvalue()


def test_purge_removes_portraits_and_payloads_of_old_checks(user):
    old = LivenessCheck.objects.create(
        user=user,
        provider="sandbox",
        status=Status.PASSED,
        result_payload={"code": 200},
        init_payload={"code": 200},
    )
    old.portrait.save("p.jpg", ContentFile(b"\xff\xd8\xff fake"))
    name = old.portrait.name
    LivenessCheck.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    recent = LivenessCheck.objects.create(
        user=user, provider="sandbox", status=Status.PASSED, result_payload={"code": 200}
    )
    storage = old.portrait.storage
    assert storage.exists(name)

    out = StringIO()
    call_command("lifecheck_purge", "--older-than", "30", stdout=out)

    old.refresh_from_db()
    recent.refresh_from_db()
    assert not old.portrait and not storage.exists(name)
    assert old.result_payload == {} and old.init_payload == {} and old.purged_at
    assert old.status == Status.PASSED  # the audit row stays
    assert recent.result_payload == {"code": 200} and recent.purged_at is None
    assert "Purged personal data of 1 checks" in out.getvalue()


def test_purge_dry_run_changes_nothing(user):
    check = LivenessCheck.objects.create(user=user, provider="sandbox", result_payload={"a": 1})
    LivenessCheck.objects.filter(pk=check.pk).update(created_at=timezone.now() - timedelta(days=9))
    out = StringIO()
    call_command("lifecheck_purge", "--older-than", "5", "--dry-run", stdout=out)
    check.refresh_from_db()
    assert check.result_payload == {"a": 1}
    assert "1 checks would be purged" in out.getvalue()


def test_purge_rejects_negative_days():
    with pytest.raises(CommandError):
        call_command("lifecheck_purge", "--older-than", "-1")
