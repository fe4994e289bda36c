"""Finish pending checks and expire those past their lifetime (run it from cron)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from ...integrator.services import refresh_unfinished


class Command(BaseCommand):
    help = (
        "Ask the provider for the result of every unfinished liveness check; checks "
        "past their 10-minute lifetime (plus a short grace) are marked expired."
    )

    def handle(self, *args, **options) -> None:
        counts = refresh_unfinished()
        if not counts:
            self.stdout.write("No unfinished checks.")
            return
        summary = ", ".join(f"{status}: {n}" for status, n in sorted(counts.items()))
        self.stdout.write(f"Refreshed {sum(counts.values())} checks ({summary}).")
        if counts.get("crashed"):
            self.stderr.write(self.style.ERROR(f"{counts['crashed']} refreshes crashed; see logs."))
