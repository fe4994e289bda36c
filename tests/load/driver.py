"""The integrator's server side of the load tests, as its own process.

``python -m tests.load.driver COMMAND JSON`` runs with the stack's settings (the
production profile against the stack's PostgreSQL), so the integrator code under test is
the real one: ``start_check`` calls the service's ``init`` over HTTP through the
``jumdata`` provider with an APPCODE key, and ``refresh`` calls its ``result``. It
prints one JSON document. The pytest process itself keeps the suite's SQLite settings
and only reads the stack's database with plain SQL.

Commands:

* ``users {"names": [...], "password": "..."}``: create login users;
* ``start {"users": [...], "actions": [...], "base": URL}``: one check per user,
  concurrently (threads), prints ``[{"id", "public_id", "token", "user", "status"}]``;
* ``refresh {"ids": [...], "attempts": n, "interval": s}``: ``refresh_until_final``
  for each, concurrently, prints ``[{"id", "status", "code"}]``.
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

MAX_THREADS = 24


def _in_thread(fn, items: list[Any]) -> list[Any]:
    """Run ``fn`` over ``items`` concurrently; each thread closes its DB connection."""
    from django.db import connection

    def wrapped(item: Any) -> Any:
        try:
            return fn(item)
        except Exception as exc:  # reported, not raised: the test asserts on it
            return {"error": f"{type(exc).__name__}: {exc}"}
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=min(MAX_THREADS, max(len(items), 1))) as pool:
        return list(pool.map(wrapped, items))


def users(args: dict[str, Any]) -> list[str]:
    from django.contrib.auth import get_user_model

    model = get_user_model()
    for name in args["names"]:
        user, _ = model.objects.get_or_create(username=name)
        user.set_password(args["password"])
        user.save()
    return args["names"]


def start(args: dict[str, Any]) -> list[dict[str, Any]]:
    from django.contrib.auth import get_user_model

    from django_lifecheck.integrator.services import start_check

    model = get_user_model()
    return_url = args["base"].rstrip("/") + "/lifecheck/return/"

    def one(name: str) -> dict[str, Any]:
        check = start_check(
            model.objects.get(username=name),
            return_url=return_url,
            mode="action",
            actions=args["actions"],
            provider="jumdata",
        )
        return {
            "id": check.pk,
            "public_id": str(check.public_id),
            "token": check.token,
            "user": name,
            "status": check.status,
        }

    return _in_thread(one, list(args["users"]))


def refresh(args: dict[str, Any]) -> list[dict[str, Any]]:
    from django_lifecheck.integrator.services import refresh_until_final
    from django_lifecheck.models import LivenessCheck

    def one(pk: int) -> dict[str, Any]:
        check = refresh_until_final(
            LivenessCheck.objects.get(pk=pk), int(args["attempts"]), float(args["interval"])
        )
        return {"id": pk, "status": check.status, "code": check.result_code}

    return _in_thread(one, list(args["ids"]))


COMMANDS = {"users": users, "start": start, "refresh": refresh}


def main(argv: list[str]) -> int:
    import django

    django.setup()
    command, payload = argv[1], json.loads(argv[2])
    print(json.dumps(COMMANDS[command](payload)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
