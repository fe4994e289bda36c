"""``manage.py lifecheck_apikey create NAME | list | revoke NAME``.

Keys for the self-hosted service's ``Authorization: APPCODE <key>``. The key is printed
once, on creation; only its hash is stored.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError, transaction

from ...exceptions import ConfigurationError
from ...models import ApiKey
from ...service.limits import parse_rate


class Command(BaseCommand):
    help = "Create, list and revoke API keys of the self-hosted liveness service."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a key and print it (once).")
        create.add_argument("name")
        create.add_argument("--rate-limit", default="", help='e.g. "60/m" (default: the site\'s)')
        create.add_argument("--daily-quota", type=int, default=None, help="init calls per day")
        create.add_argument(
            "--exempt", action="store_true", help="no rate limit and no quota for this key"
        )
        sub.add_parser("list", help="List keys (never their secrets).")
        revoke = sub.add_parser("revoke", help="Disable a key (its calls then answer 604).")
        revoke.add_argument("name")

    def handle(self, *args, action: str, **options) -> None:
        getattr(self, f"_{action}")(**options)

    def _create(self, name: str, rate_limit: str, daily_quota: int | None, exempt: bool, **_):
        try:
            parse_rate(rate_limit)
        except ConfigurationError as exc:
            raise CommandError(str(exc)) from exc
        if daily_quota is not None and daily_quota < 0:
            raise CommandError("--daily-quota must not be negative.")
        try:
            with transaction.atomic():
                _, plain = ApiKey.create_key(
                    name, rate_limit=rate_limit, daily_quota=daily_quota, limits_exempt=exempt
                )
        except IntegrityError:
            raise CommandError(f"An API key named {name!r} already exists.") from None
        self.stderr.write(f"Created API key {name!r}. It is shown only this once:")
        self.stdout.write(plain)

    def _list(self, **_):
        keys = ApiKey.objects.all()
        if not keys:
            self.stdout.write("No API keys.")
            return
        for key in keys:
            status = "active" if key.is_active else f"revoked {key.revoked_at:%Y-%m-%d %H:%M}"
            used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never"
            quota = "default" if key.daily_quota is None else key.daily_quota
            limits = (
                "exempt"
                if key.limits_exempt
                else f"rate={key.rate_limit or 'default'} quota={quota}"
            )
            self.stdout.write(f"{key.name}\t{key.prefix}.…\t{status}\tlast used {used}\t{limits}")

    def _revoke(self, name: str, **_):
        key = ApiKey.objects.filter(name=name).first()
        if key is None:
            raise CommandError(f"No API key named {name!r}.")
        if not key.is_active:
            self.stdout.write(f"API key {name!r} was already revoked.")
            return
        key.revoke()
        self.stdout.write(f"Revoked API key {name!r}.")
