"""The demo's pages: a home page to start a check, and a page gated by a recent check."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from django_lifecheck.integrator.decorators import liveness_required
from django_lifecheck.models import LivenessCheck

from .forms import VerifyForm
from .models import KycProfile

#: How long a passed check unlocks the gated page; a bank might ask every few minutes
#: for a payment and once a year for account opening.
KYC_MAX_AGE = timedelta(days=30)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The user's KYC state, their latest checks, and the "Verify me" form."""
    profile = KycProfile.objects.filter(user=request.user).select_related("liveness_check").first()
    checks = LivenessCheck.objects.for_user(request.user).order_by("-created_at")[:10]
    form = VerifyForm(initial={"next": request.GET.get("next") or reverse("demo:home")})
    return render(
        request,
        "demo/home.html",
        {"profile": profile, "checks": checks, "form": form},
    )


@login_required
@liveness_required(max_age=KYC_MAX_AGE)
def gated(request: HttpRequest) -> HttpResponse:
    """Only reachable with a check passed within :data:`KYC_MAX_AGE`."""
    latest = LivenessCheck.objects.latest_passed(request.user, KYC_MAX_AGE)
    return render(request, "demo/gated.html", {"latest": latest, "max_age": KYC_MAX_AGE})
