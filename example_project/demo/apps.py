from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    name = "demo"
    verbose_name = _("Demo (KYC)")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connected here, not at import, so the receivers exist exactly once per process.
        from django_lifecheck.signals import check_failed, check_passed

        from . import receivers

        check_passed.connect(receivers.mark_verified, dispatch_uid="demo-mark-verified")
        check_failed.connect(receivers.log_failure, dispatch_uid="demo-log-failure")
