"""KYC gating: let a view through only for users with a recent passed check."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from ..models import LivenessCheck


def has_recent_check(user, max_age: timedelta | None = None) -> bool:
    """Whether ``user`` passed a check, completed within ``max_age`` if given."""
    if not getattr(user, "is_authenticated", False):
        return False
    return LivenessCheck.objects.latest_passed(user, max_age) is not None


def _start_url(request: HttpRequest) -> str:
    return f"{reverse('lifecheck:start')}?{urlencode({'next': request.get_full_path()})}"


def liveness_required(
    view: Callable | None = None, *, max_age: timedelta | None = None
) -> Callable:
    """Decorator: anonymous users go to the login page, unverified ones to the start page.

    Use bare (``@liveness_required``) or with an age limit
    (``@liveness_required(max_age=timedelta(days=365))``) so that old checks do not
    count forever.
    """

    def decorator(func: Callable) -> Callable:
        @wraps(func)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_recent_check(request.user, max_age):
                return HttpResponseRedirect(_start_url(request))
            return func(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view is not None else decorator


class LivenessRequiredMixin:
    """Class-based views: the same rule as :func:`liveness_required`."""

    liveness_max_age: timedelta | None = None

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not has_recent_check(request.user, self.liveness_max_age):
            return HttpResponseRedirect(_start_url(request))
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
