"""``manage.py lifecheck_service_purge``: drop frames and portraits the service no
longer needs (see :mod:`django_lifecheck.service.cleanup`). Safe to run any time."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from ...service.cleanup import purge


class Command(BaseCommand):
    help = "Delete uploaded frames of expired tokens and portraits whose URLs have expired."

    def handle(self, *args, **options) -> None:
        report = purge()
        self.stdout.write(f"Deleted {report.frames} frame(s) and {report.portraits} portrait(s).")
