"""Prepare the example project for a local demo; safe to run on every ``make run``.

It makes sure the demo accounts and the demo service API key exist. API keys are stored
hashed, so a key can never be shown twice: each run gives the ``demo`` key a fresh value
(the old one stops working) and prints it in a ready-to-paste ``curl`` line.
"""

from __future__ import annotations

import shlex
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from django_lifecheck.models import ApiKey

DEMO_USER = ("demo", "demo")
DEMO_ADMIN = ("admin", "admin")
DEMO_KEY_NAME = "demo"


class Command(BaseCommand):
    help = (
        "Create the local demo accounts (demo/demo, admin/admin) and a demo service API key, "
        "and print a curl line calling the self-hosted service with it. Local demo only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Where the site runs, for the printed curl line (default: %(default)s).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (creates accounts with well-known passwords!).",
        )

    def handle(self, *args: Any, base_url: str, force: bool, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off: refusing to create accounts with well-known passwords. "
                "This command is for local demos; pass --force if you really mean it."
            )
        with transaction.atomic():
            self._ensure_user(*DEMO_USER, superuser=False)
            self._ensure_user(*DEMO_ADMIN, superuser=True)
            plain_key, rotated = self._rotate_demo_key()
        base_url = base_url.rstrip("/")
        self.stdout.write(
            self.style.WARNING(
                "These accounts and this key are for a LOCAL DEMO ONLY: never run this "
                "command on a site others can reach."
            )
        )
        self.stdout.write(f"  Log in:  {base_url}/  as demo / demo")
        self.stdout.write(f"  Admin:   {base_url}/admin/  as admin / admin")
        if rotated:
            self.stdout.write(
                f"Service API key {DEMO_KEY_NAME!r} got a new value (keys are stored hashed, "
                "so an old value cannot be shown again; it no longer works)."
            )
        self.stdout.write("Call the self-hosted service's init API with the demo key:")
        self.stdout.write(self._curl_line(base_url, plain_key))
        self.stdout.write(
            "Then open the returned token's H5 page: "
            f"{base_url}/lifecheck/v2/check/index?token=<token>"
        )

    def _ensure_user(self, username: str, password: str, *, superuser: bool) -> None:
        """Create the account if missing; an existing one (maybe changed) is left alone."""
        user_model = get_user_model()
        lookup = {user_model.USERNAME_FIELD: username}
        if user_model._default_manager.filter(**lookup).exists():
            self.stdout.write(f"User {username!r} already exists (left unchanged).")
            return
        manager = user_model._default_manager
        if superuser:
            manager.create_superuser(**lookup, password=password)
        else:
            manager.create_user(**lookup, password=password)
        kind = "superuser" if superuser else "user"
        self.stdout.write(self.style.SUCCESS(f"Created {kind} {username!r}."))

    def _rotate_demo_key(self) -> tuple[str, bool]:
        """The ``demo`` key's new plain value, and whether an existing key was re-keyed."""
        api_key = ApiKey.objects.filter(name=DEMO_KEY_NAME).first()
        if api_key is None:
            api_key, plain = ApiKey.create_key(DEMO_KEY_NAME)
            self.stdout.write(self.style.SUCCESS(f"Created service API key {DEMO_KEY_NAME!r}."))
            return plain, False
        plain = api_key.set_new_key()
        api_key.is_active = True
        api_key.revoked_at = None
        api_key.save()
        return plain, True

    @staticmethod
    def _curl_line(base_url: str, plain_key: str) -> str:
        parts = [
            "curl",
            "-sS",
            "-X",
            "POST",
            f"{base_url}/lifecheck/api/init",
            "-H",
            f"Authorization: APPCODE {plain_key}",
            "--data-urlencode",
            f"returnUrl={base_url}/",
            "--data-urlencode",
            "actions=LookFront,BlinkEye",
        ]
        return shlex.join(parts)
