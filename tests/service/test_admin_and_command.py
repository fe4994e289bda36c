"""API keys: the admin (secret shown once, never the hash, revoke) and the command."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

import django_lifecheck.service.admin  # noqa: F401  (registers, as django_lifecheck.admin does)
from django_lifecheck.models import ApiKey, ServiceToken
from django_lifecheck.service import api
from django_lifecheck.service.auth import AuthError, authenticate

from .helpers import make_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("admin", "a@example.com", "pw")
    client.force_login(user)
    return client


def test_admin_creates_a_key_and_shows_it_once(staff):
    response = staff.post(
        reverse("admin:django_lifecheck_apikey_add"),
        {"name": "partner", "is_active": "on", "rate_limit": "10/m", "daily_quota": "50"},
        follow=True,
    )
    assert response.status_code == 200
    api_key = ApiKey.objects.get(name="partner")
    shown = [str(m) for m in response.context["messages"]]
    plain = next(m for m in shown if api_key.prefix in m).split("<code>")[1].split("</code>")[0]
    assert authenticate(f"APPCODE {plain}") == api_key
    assert api_key.rate_limit == "10/m" and api_key.daily_quota == 50
    change = staff.get(reverse("admin:django_lifecheck_apikey_change", args=[api_key.pk]))
    page = change.content.decode()
    assert api_key.secret_hash not in page and plain not in page
    listing = staff.get(reverse("admin:django_lifecheck_apikey_changelist")).content.decode()
    assert api_key.secret_hash not in listing and api_key.prefix in listing


def test_admin_refuses_a_bad_rate_limit(staff):
    response = staff.post(
        reverse("admin:django_lifecheck_apikey_add"), {"name": "x", "rate_limit": "lots"}
    )
    assert response.status_code == 200  # the form again, with the error
    assert "rate_limit" in response.context["adminform"].form.errors
    assert not ApiKey.objects.exists()


def test_admin_revoke_action(staff):
    api_key, plain = make_key("partner")
    response = staff.post(
        reverse("admin:django_lifecheck_apikey_changelist"),
        {"action": "revoke_keys", "_selected_action": [api_key.pk]},
        follow=True,
    )
    assert response.status_code == 200
    api_key.refresh_from_db()
    assert not api_key.is_active and api_key.revoked_at is not None
    with pytest.raises(AuthError) as info:
        authenticate(f"APPCODE {plain}")
    assert info.value.disabled


def test_admin_tokens_are_read_only_and_hide_the_token(staff):
    api_key, _ = make_key("partner")
    answer = api.init(api_key, {"returnUrl": "https://example.com/", "actions": "BlinkEye"})
    token = ServiceToken.objects.get(token=answer.data["token"])
    listing = staff.get(reverse("admin:django_lifecheck_servicetoken_changelist"))
    assert listing.status_code == 200 and str(token.public_id) in listing.content.decode()
    detail = staff.get(reverse("admin:django_lifecheck_servicetoken_change", args=[token.pk]))
    assert detail.status_code == 200
    assert token.token not in detail.content.decode()
    assert staff.get(reverse("admin:django_lifecheck_servicetoken_add")).status_code == 403
    staff.post(
        reverse("admin:django_lifecheck_servicetoken_change", args=[token.pk]),
        {"reason": "edited"},
    )
    token.refresh_from_db()
    assert token.reason == ""


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("lifecheck_apikey", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_create_list_revoke():
    out, err = run("create", "partner", "--rate-limit", "5/s", "--daily-quota", "7")
    plain = out.strip()
    assert "only this once" in err
    api_key = authenticate(f"APPCODE {plain}")
    assert api_key.name == "partner" and api_key.rate_limit == "5/s"
    assert api_key.daily_quota == 7
    assert plain.split(".", 1)[1] not in api_key.secret_hash
    listing, _ = run("list")
    assert "partner" in listing and "active" in listing and plain not in listing
    assert api_key.secret_hash not in listing
    out, _ = run("revoke", "partner")
    assert "Revoked" in out
    with pytest.raises(AuthError):
        authenticate(f"APPCODE {plain}")
    assert "revoked" in run("list")[0]
    assert "already" in run("revoke", "partner")[0]


def test_command_errors():
    run("create", "partner")
    with pytest.raises(CommandError, match="already exists"):
        run("create", "partner")
    with pytest.raises(CommandError, match="No API key"):
        run("revoke", "nobody")
    with pytest.raises(CommandError, match="60/m"):
        run("create", "other", "--rate-limit", "fast")
    assert ApiKey.objects.count() == 1
    assert run("list")[0].count("\n") == 1


def test_command_list_empty():
    assert "No API keys" in run("list")[0]
