"""The site's own KYC state, kept apart from the library's audit rows."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from django_lifecheck.models import LivenessCheck


class KycProfile(models.Model):
    """Whether a user has proven to be a live person, and by which check.

    The site keeps its own flag rather than querying checks everywhere: the library's
    rows are an audit trail (they can be purged), while this is business state.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="kyc_profile",
        verbose_name=_("user"),
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    # Not named ``check``: that would shadow Model.check(), which system checks call.
    liveness_check = models.ForeignKey(
        LivenessCheck,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("liveness check"),
    )

    class Meta:
        verbose_name = _("KYC profile")
        verbose_name_plural = _("KYC profiles")

    def __str__(self) -> str:
        return f"{self.user} ({'verified' if self.is_verified else 'not verified'})"

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None
