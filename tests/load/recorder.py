"""A test-only app: every django-lifecheck signal becomes a row in ``load_signal``.

The table is created by the load tests' stack fixture (plain SQL, no migration), so the
receivers work in every process of the stack and the tests count deliveries with one
``SELECT``: "exactly one signal per check" across processes.
"""

from __future__ import annotations

import os
from typing import Any

from django.apps import AppConfig
from django.db import connection

TABLE = "load_signal"


def _record(name: str):
    def receiver(sender: Any, *, check: Any, **kwargs: Any) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {TABLE} (check_id, signal, status, pid) VALUES (%s, %s, %s, %s)",
                [check.pk, name, check.status, os.getpid()],
            )

    receiver.__name__ = f"record_{name}"
    return receiver


class RecorderConfig(AppConfig):
    name = "tests.load"
    label = "load_recorder"
    verbose_name = "Load-test signal recorder"

    def ready(self) -> None:
        from django_lifecheck import signals

        for name in ("check_started", "check_passed", "check_failed", "check_expired"):
            getattr(signals, name).connect(
                _record(name), weak=False, dispatch_uid=f"load_recorder_{name}"
            )
