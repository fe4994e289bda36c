"""Receivers for django-lifecheck's signals (connected in :class:`demo.apps.DemoConfig`).

The library sends these once per check, after the status is committed, so a receiver
can write business state without fearing a rollback or a second delivery.
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

from .models import KycProfile

logger = logging.getLogger(__name__)


def mark_verified(sender: Any, *, check: Any, user: Any, **kwargs: Any) -> None:
    """Mark ``user`` KYC-verified by ``check`` (a passed check)."""
    KycProfile.objects.update_or_create(
        user=user,
        defaults={"verified_at": check.completed_at or timezone.now(), "liveness_check": check},
    )
    logger.info("User %s is KYC-verified by liveness check %s", user.pk, check.public_id)


def log_failure(sender: Any, *, check: Any, user: Any, **kwargs: Any) -> None:
    """Log a failed check; a real site might count attempts or alert a reviewer."""
    logger.warning(
        "Liveness check %s of user %s failed: code=%s reason=%s",
        check.public_id,
        user.pk,
        kwargs.get("code"),
        kwargs.get("reason"),
    )
