"""Delete portraits and raw payloads of old checks: personal data retention."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ...integrator.services import purge
from ...models import LivenessCheck


class Command(BaseCommand):
    help = (
        "Delete the portraits and raw provider payloads of liveness checks created more "
        "than DAYS days ago. The rows stay (status, times, user) as an audit trail."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--older-than", type=int, required=True, metavar="DAYS")
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be purged."
        )

    def handle(self, *args, older_than: int, dry_run: bool, **options) -> None:
        if older_than < 0:
            raise CommandError("--older-than must be 0 or more days.")
        cutoff = timezone.now() - timedelta(days=older_than)
        checks = LivenessCheck.objects.filter(created_at__lt=cutoff, purged_at__isnull=True)
        if dry_run:
            self.stdout.write(f"{checks.count()} checks would be purged.")
            return
        count = purge(checks.iterator())
        self.stdout.write(f"Purged personal data of {count} checks older than {older_than} days.")
