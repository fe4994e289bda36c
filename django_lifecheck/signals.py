"""Signals sent for each :class:`~django_lifecheck.models.LivenessCheck`.

Each fires exactly once per check, after the transaction that changed the status has
committed, through ``send_robust``: a failing receiver is logged and cannot undo or
repeat the status change. Keyword arguments: ``check``, ``user``, ``result`` (the
provider's :class:`~django_lifecheck.providers.base.CheckResult`, or ``None``);
``check_failed`` also gets ``code`` and ``reason``.
"""

from __future__ import annotations

from django.dispatch import Signal

check_started = Signal()
check_passed = Signal()
check_failed = Signal()
check_expired = Signal()
