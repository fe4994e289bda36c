from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LifecheckConfig(AppConfig):
    name = "django_lifecheck"
    label = "django_lifecheck"
    verbose_name = _("Liveness checks")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core.signals import setting_changed

        from . import checks  # noqa: F401  (registers the system checks)
        from .providers import reset_providers

        setting_changed.connect(reset_providers, dispatch_uid="lifecheck-reset-providers")
