"""The integrator's views: start a check, receive the user back, report status.

The ``success`` query parameter the service appends to the return URL is never read:
it is a string any user can edit. The decision always comes from the provider's
``result`` call made by this server (see :mod:`.services`).
"""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from .. import conf
from ..exceptions import InvalidParameter, LifecheckError
from ..models import LivenessCheck, Status
from ..providers import get_provider
from . import services
from .forms import StartCheckForm

logger = logging.getLogger("django_lifecheck.integrator")


#: ``LivenessCheck.next_url``'s length; a longer ``next`` is dropped, not truncated.
NEXT_URL_MAX_LENGTH = 2048


def safe_next(request: HttpRequest, url: str) -> str:
    """``url`` if it points to this site (or an allowed host), else an empty string."""
    if (
        url
        and len(url) <= NEXT_URL_MAX_LENGTH
        and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return url
    return ""


@login_required
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """Show the start form (GET) or start a check and send the browser to the service."""
    if request.method == "GET":
        form = StartCheckForm(initial={"next": safe_next(request, request.GET.get("next", ""))})
        return render(request, "django_lifecheck/start.html", {"form": form})
    form = StartCheckForm(request.POST)
    if not form.is_valid():
        return render(request, "django_lifecheck/start.html", {"form": form}, status=400)
    return_url = request.build_absolute_uri(reverse("lifecheck:return"))
    try:
        check = services.start_check(
            request.user,
            return_url=return_url,
            mode=form.cleaned_data["mode"],
            actions=form.cleaned_data["actions"],
            colors=form.cleaned_data["colors"],
            next_url=safe_next(request, form.cleaned_data.get("next") or ""),
        )
    except InvalidParameter as exc:
        form.add_error(exc.param if exc.param in form.fields else None, str(exc))
        return render(request, "django_lifecheck/start.html", {"form": form}, status=400)
    except LifecheckError:
        logger.exception("Starting a liveness check failed")
        form.add_error(None, _("The liveness service is unavailable. Please try again later."))
        return render(request, "django_lifecheck/start.html", {"form": form}, status=502)
    return HttpResponseRedirect(get_provider(check.provider).h5_url(check.token))


def _check_for_token(request: HttpRequest, token: str) -> LivenessCheck:
    """The requesting user's check with ``token``; 404 for anyone else's or none."""
    check = (
        LivenessCheck.objects.filter(user=request.user, token=token).order_by("-created_at").first()
        if token
        else None
    )
    if check is None:
        raise Http404("No such check.")
    return check


def _destination(request: HttpRequest, check: LivenessCheck) -> str:
    if check.status == Status.PASSED:
        return safe_next(request, check.next_url) or conf.get("SUCCESS_URL")
    return conf.get("FAILURE_URL")


@login_required
@require_GET
def return_view(request: HttpRequest) -> HttpResponse:
    """Where the service sends the browser back: decide from the server's own result."""
    check = _check_for_token(request, request.GET.get("token", ""))
    check = services.refresh_until_final(
        check, conf.get("RETURN_POLL_ATTEMPTS"), conf.get("RETURN_POLL_INTERVAL")
    )
    if not check.is_final:
        return render(
            request,
            "django_lifecheck/waiting.html",
            {
                "check": check,
                "status_url": reverse("lifecheck:status", args=[check.public_id]),
            },
            status=202,
        )
    return HttpResponseRedirect(_destination(request, check))


@login_required
@require_GET
def status(request: HttpRequest, public_id) -> JsonResponse:
    """JSON for pages that poll: the check's status, refreshed if not final yet."""
    check = get_object_or_404(LivenessCheck, public_id=public_id, user=request.user)
    check = services.refresh(check)
    return JsonResponse(
        {
            "id": str(check.public_id),
            "status": check.status,
            "final": check.is_final,
            "code": check.result_code,
            "redirect": _destination(request, check) if check.is_final else None,
        }
    )
