"""liveness_required and LivenessRequiredMixin: who gets through, who is sent where."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone
from django.views import View

from django_lifecheck.integrator.decorators import (
    LivenessRequiredMixin,
    has_recent_check,
    liveness_required,
)
from django_lifecheck.models import LivenessCheck, Status

pytestmark = pytest.mark.django_db

PAGE = "/kyc/vault/?tab=2&x=%C3%A9"


@liveness_required
def bare_view(request, pk=None):
    return HttpResponse(f"vault {pk}")


@liveness_required(max_age=timedelta(days=30))
def recent_view(request, pk=None):
    return HttpResponse(f"recent vault {pk}")


class VaultView(LivenessRequiredMixin, View):
    def get(self, request, pk=None):
        return HttpResponse(f"class vault {pk}")


class RecentVaultView(VaultView):
    liveness_max_age = timedelta(days=30)


VIEWS = {
    "bare": bare_view,
    "recent": recent_view,
    "class": VaultView.as_view(),
    "class-recent": RecentVaultView.as_view(),
}


def call(view_name: str, user):
    request = RequestFactory().get(PAGE)
    request.user = user
    return VIEWS[view_name](request, pk=7)


def make_check(user, status: str = Status.PASSED, age: timedelta | None = timedelta(0)):
    return LivenessCheck.objects.create(
        user=user,
        provider="sandbox",
        token=f"t-{LivenessCheck.objects.count()}",
        status=status,
        completed_at=None if age is None else timezone.now() - age,
    )


def assert_sent_to_start(response) -> None:
    assert response.status_code == 302
    parts = urlsplit(response["Location"])
    assert parts.path == "/lifecheck/start/"
    assert parse_qs(parts.query) == {"next": [PAGE]}


@pytest.mark.parametrize("view_name", VIEWS)
def test_anonymous_goes_to_login(view_name):
    response = call(view_name, AnonymousUser())
    assert response.status_code == 302
    parts = urlsplit(response["Location"])
    assert parts.path == "/accounts/login/"
    assert parse_qs(parts.query) == {"next": [PAGE]}


@pytest.mark.parametrize("view_name", VIEWS)
def test_unverified_goes_to_start_page_with_next(view_name, user):
    assert_sent_to_start(call(view_name, user))


@pytest.mark.parametrize("view_name", VIEWS)
@pytest.mark.parametrize(
    "status", [Status.CREATED, Status.PENDING, Status.FAILED, Status.ERROR, Status.EXPIRED]
)
def test_checks_that_did_not_pass_do_not_count(view_name, user, status):
    make_check(
        user, status, age=None if status in (Status.CREATED, Status.PENDING) else timedelta(0)
    )
    assert_sent_to_start(call(view_name, user))


@pytest.mark.parametrize("view_name", VIEWS)
def test_another_users_pass_does_not_count(view_name, user, other_user):
    make_check(other_user)
    assert_sent_to_start(call(view_name, user))


@pytest.mark.parametrize("view_name", VIEWS)
def test_verified_user_gets_the_view_with_its_arguments(view_name, user):
    make_check(user, age=timedelta(days=29))
    response = call(view_name, user)
    assert response.status_code == 200
    assert response.content.decode().endswith("vault 7")


@pytest.mark.parametrize(
    ("view_name", "limited"),
    [("bare", False), ("recent", True), ("class", False), ("class-recent", True)],
)
def test_max_age(view_name, limited, user):
    make_check(user, age=timedelta(days=31))
    response = call(view_name, user)
    if limited:
        assert_sent_to_start(response)
    else:
        assert response.status_code == 200
    # A newer pass counts again, whatever older ones say.
    make_check(user, age=timedelta(days=1))
    make_check(user, Status.FAILED, age=timedelta(0))
    assert call(view_name, user).status_code == 200


def test_has_recent_check(user):
    assert has_recent_check(AnonymousUser()) is False
    assert has_recent_check(user) is False
    make_check(user, age=timedelta(hours=2))
    assert has_recent_check(user) is True
    assert has_recent_check(user, timedelta(hours=3)) is True
    assert has_recent_check(user, timedelta(hours=1)) is False


def test_wraps_keeps_the_view_name():
    assert bare_view.__name__ == "bare_view"
    assert recent_view.__name__ == "recent_view"


def test_start_page_reached_from_the_decorator_keeps_next(user, user_client):
    response = call("bare", user)
    page = user_client.get(response["Location"])
    assert page.status_code == 200
    assert page.context["form"].initial["next"] == PAGE
