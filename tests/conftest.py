"""Shared fixtures: users, logged-in clients, a fresh portrait storage, a signal log,
and a sandbox provider that fails on demand."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import connection

from django_lifecheck.exceptions import ProviderAPIError, ProviderTimeout, ProviderUnavailable
from django_lifecheck.providers.sandbox import SandboxProvider

pytest_plugins = ["tests.vendor_fixtures"]


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("alice", "alice@example.com")


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user("mallory", "mallory@example.com")


@pytest.fixture
def user_client(client, user):
    """The test client, logged in as ``user``."""
    client.force_login(user)
    return client


@pytest.fixture
def other_client(user, other_user):
    from django.test import Client

    other = Client()
    other.force_login(other_user)
    return other


@pytest.fixture
def portrait_storage(settings):
    """A fresh, empty in-memory default storage for this test (portraits go there)."""
    from django.core.files.storage import default_storage

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    return default_storage


def storage_files(storage, path: str = "") -> list[str]:
    """Every file in ``storage`` below ``path``, recursively."""
    dirs, files = storage.listdir(path)
    found = [f"{path}{name}" for name in files]
    for sub in dirs:
        found += storage_files(storage, f"{path}{sub}/")
    return found


SIGNAL_NAMES = ("check_started", "check_passed", "check_failed", "check_expired")


@dataclass
class SignalEvent:
    name: str
    kwargs: dict[str, Any]
    #: Whether the receiver ran inside a transaction (it must not: signals follow commit).
    in_atomic_block: bool
    #: The check's status as stored in the database when the signal arrived.
    stored_status: str | None

    @property
    def check(self):
        return self.kwargs["check"]


@dataclass
class SignalLog:
    events: list[SignalEvent] = field(default_factory=list)

    def names(self) -> list[str]:
        return [event.name for event in self.events]

    def of(self, name: str) -> list[SignalEvent]:
        return [event for event in self.events if event.name == name]

    def only(self, name: str) -> SignalEvent:
        found = self.of(name)
        assert len(found) == 1, f"{name} sent {len(found)} times: {self.names()}"
        return found[0]


@pytest.fixture
def signal_log() -> Iterator[SignalLog]:
    """Records every ``check_*`` signal with its kwargs and the moment it was sent."""
    import threading

    from django_lifecheck import signals
    from django_lifecheck.models import LivenessCheck

    log = SignalLog()
    lock = threading.Lock()
    receivers = []
    for name in SIGNAL_NAMES:

        def receiver(sender, signal, _name=name, **kwargs):
            assert sender is LivenessCheck
            check = kwargs.get("check")
            stored = (
                LivenessCheck.objects.filter(pk=check.pk).values_list("status", flat=True).first()
                if check is not None
                else None
            )
            with lock:
                log.events.append(SignalEvent(_name, kwargs, connection.in_atomic_block, stored))

        getattr(signals, name).connect(receiver, weak=False, dispatch_uid=f"test-log-{name}")
        receivers.append((name, receiver))
    yield log
    for name, _receiver in receivers:
        getattr(signals, name).disconnect(dispatch_uid=f"test-log-{name}")


# -- a sandbox that fails on demand (configured through OPTIONS, so no state) ---------

PROVIDER_ERRORS = {
    "unavailable": lambda: ProviderUnavailable("vendor is down (503)", code=500),
    "timeout": lambda: ProviderTimeout("vendor did not answer within 10 s"),
    "disabled": lambda: ProviderAPIError("接口停用 (API disabled)", code=604),
}


class FaultySandbox(SandboxProvider):
    """The sandbox, but ``init``/``result`` raise the errors named in OPTIONS."""

    def init(self, return_url, *, colors=(), actions=()):
        if self.options.get("init_error"):
            raise PROVIDER_ERRORS[self.options["init_error"]]()
        return super().init(return_url, colors=colors, actions=actions)

    def result(self, token):
        if self.options.get("result_error"):
            raise PROVIDER_ERRORS[self.options["result_error"]]()
        return super().result(token)


FAULTY_BACKEND = "tests.conftest.FaultySandbox"
SANDBOX_BACKEND = "django_lifecheck.providers.sandbox.SandboxProvider"


def lifecheck_settings(settings, **overrides: Any) -> dict[str, Any]:
    """Set ``settings.LIFECHECK`` to the test settings updated with ``overrides``."""
    value = {**settings.LIFECHECK, **overrides}
    settings.LIFECHECK = value
    return value
