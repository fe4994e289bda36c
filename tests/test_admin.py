"""The reviewers' admin: list, detail, portrait view and actions, on a real database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from django_lifecheck.models import LivenessCheck, Status
from django_lifecheck.providers.sandbox import PORTRAIT_PATH

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    admin = get_user_model().objects.create_superuser("reviewer", "r@example.com", "pw")
    client.force_login(admin)
    return client


@pytest.fixture
def passed_check(django_user_model):
    user = django_user_model.objects.create_user("alice", "a@example.com", "pw")
    check = LivenessCheck.objects.create(
        user=user,
        provider="sandbox",
        token="tok-passed",
        status=Status.PASSED,
        result_code=200,
        result_payload={"code": 200, "msg": "活体检测通过"},
        completed_at=timezone.now(),
    )
    check.portrait.save("p.jpg", ContentFile(PORTRAIT_PATH.read_bytes()))
    return check


def test_changelist_shows_user_status_and_thumbnail(staff_client, passed_check):
    response = staff_client.get(reverse("admin:django_lifecheck_livenesscheck_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "alice" in html
    assert reverse("admin:django_lifecheck_livenesscheck_portrait", args=[passed_check.pk]) in html


def test_search_by_username_and_token(staff_client, passed_check, django_user_model):
    other = django_user_model.objects.create_user("bob", "b@example.com", "pw")
    LivenessCheck.objects.create(user=other, provider="sandbox", token="tok-bob")
    url = reverse("admin:django_lifecheck_livenesscheck_changelist")
    html = staff_client.get(url, {"q": "alice"}).content.decode()
    assert "tok-bob" not in html and str(passed_check.public_id) in html
    html = staff_client.get(url, {"q": "tok-bob"}).content.decode()
    assert str(passed_check.public_id) not in html


def test_detail_is_read_only_with_pretty_payload(staff_client, passed_check):
    url = reverse("admin:django_lifecheck_livenesscheck_change", args=[passed_check.pk])
    response = staff_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "活体检测通过" in html  # payload shown unescaped-unicode, pretty-printed
    assert 'name="_save"' not in html
    # A POST cannot change anything: every field is read-only.
    staff_client.post(url, {"status": "failed"})
    passed_check.refresh_from_db()
    assert passed_check.status == Status.PASSED


def test_no_add_permission(staff_client):
    response = staff_client.get(reverse("admin:django_lifecheck_livenesscheck_add"))
    assert response.status_code == 403


def test_portrait_view_needs_staff(client, staff_client, passed_check):
    url = reverse("admin:django_lifecheck_livenesscheck_portrait", args=[passed_check.pk])
    response = staff_client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PORTRAIT_PATH.read_bytes()
    assert "no-store" in response["Cache-Control"]
    client.logout()
    assert client.get(url).status_code == 302  # to the admin login


def test_mark_expired_action_only_touches_unfinished(staff_client, passed_check, django_user_model):
    user = django_user_model.objects.create_user("carol", "c@example.com", "pw")
    pending = LivenessCheck.objects.create(
        user=user,
        provider="sandbox",
        token="t2",
        status=Status.PENDING,
        expires_at=timezone.now() + timedelta(minutes=5),
    )
    url = reverse("admin:django_lifecheck_livenesscheck_changelist")
    response = staff_client.post(
        url,
        {"action": "mark_expired", "_selected_action": [pending.pk, passed_check.pk]},
        follow=True,
    )
    assert response.status_code == 200
    pending.refresh_from_db()
    passed_check.refresh_from_db()
    assert pending.status == Status.EXPIRED
    assert passed_check.status == Status.PASSED


def test_refresh_action_finishes_a_sandbox_check(staff_client, django_user_model, client):
    from django_lifecheck.integrator import services

    user = django_user_model.objects.create_user("dave", "d@example.com", "pw")
    check = services.start_check(user, return_url="https://example.com/back", mode="silent")
    # Decide the outcome on the sandbox page, as a developer would.
    page = reverse("lifecheck:sandbox_page") + f"?token={check.token}"
    assert client.post(page, {"outcome": "fail"}).status_code == 302
    url = reverse("admin:django_lifecheck_livenesscheck_changelist")
    staff_client.post(url, {"action": "refresh_result", "_selected_action": [check.pk]})
    check.refresh_from_db()
    assert check.status == Status.FAILED and check.result_code == 202
