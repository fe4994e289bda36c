"""Several requests finishing the same check at once: one final status, one signal.

These run with real commits (``transaction=True``) and one database connection per
thread. SQLite ignores ``select_for_update``, so the guarantee cannot come from the row
lock there: the tests force the worst interleaving the database allows (every racer has
read the check before any of them writes, see :func:`hold_at_save`) and then check that
exactly one racer wins, nobody crashes, and the losers leave no trace (no second
portrait file, no second signal).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import pytest
from django.db import close_old_connections, connection
from django.db.models.signals import pre_save
from django.test import Client
from django.urls import reverse

from django_lifecheck.integrator import services
from django_lifecheck.models import LivenessCheck, Status
from django_lifecheck.providers import CheckResult
from tests.conftest import storage_files

pytestmark = pytest.mark.django_db(transaction=True)

RACERS = 6


def race(n: int, target: Callable[[int], Any]) -> list[Any]:
    """Run ``target(i)`` in ``n`` threads released together; results or exceptions."""
    start = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            start.wait(timeout=10)
            results[i] = target(i)
        except BaseException as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a racer hung"
    return results


@contextmanager
def hold_at_save(n: int, wait: float = 1.0) -> Iterator[None]:
    """Hold every save of a LivenessCheck until ``n`` racers are saving (or ``wait`` s).

    A racer reaches ``save`` after reading the row in its transaction, so this lets all
    racers read the pending check before any of them writes: the interleaving a lock
    (or an atomic claim) must make harmless. When the code under test serialises the
    racers properly, only one reaches ``save`` and the barrier simply times out.
    """
    barrier = threading.Barrier(n)

    def hold(sender, instance, **kwargs) -> None:
        if threading.current_thread() is threading.main_thread():
            return
        with suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=wait)

    pre_save.connect(hold, sender=LivenessCheck, weak=False, dispatch_uid="test-hold-at-save")
    try:
        yield
    finally:
        pre_save.disconnect(sender=LivenessCheck, dispatch_uid="test-hold-at-save")


@pytest.fixture
def passed_check(user, user_client) -> LivenessCheck:
    """A pending check whose sandbox button 'pass' has been pressed."""
    response = user_client.post("/lifecheck/start/", {"mode": "silent"})
    sandbox_url = response["Location"]
    assert user_client.post(sandbox_url, {"outcome": "pass"}).status_code == 302
    check = LivenessCheck.objects.get()
    assert check.status == Status.PENDING
    return check


def assert_one_winner(check: LivenessCheck, results: list[Any], signal_log, storage) -> None:
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == [], f"racers crashed: {errors!r}"
    check.refresh_from_db()
    assert check.status == Status.PASSED
    assert signal_log.names().count("check_passed") == 1, signal_log.names()
    assert [n for n in signal_log.names() if n != "check_started"] == ["check_passed"]
    event = signal_log.only("check_passed")
    assert event.check.pk == check.pk
    assert event.in_atomic_block is False and event.stored_status == Status.PASSED
    assert storage_files(storage) == [check.portrait.name]


def test_refresh_racers_hold_at_save(passed_check, signal_log, portrait_storage):
    def refresh(_i: int) -> str:
        return services.refresh(LivenessCheck.objects.get(pk=passed_check.pk)).status

    with hold_at_save(RACERS):
        results = race(RACERS, refresh)
    assert_one_winner(passed_check, results, signal_log, portrait_storage)
    assert results == [Status.PASSED] * RACERS


@pytest.mark.parametrize("round_", range(3))
def test_refresh_racers_free_running(passed_check, signal_log, portrait_storage, round_):
    def refresh(_i: int) -> str:
        return services.refresh(LivenessCheck.objects.get(pk=passed_check.pk)).status

    results = race(RACERS, refresh)
    assert_one_winner(passed_check, results, signal_log, portrait_storage)
    assert results == [Status.PASSED] * RACERS


def test_return_view_status_view_and_refresh_race(user, passed_check, signal_log, portrait_storage):
    return_url = f"/lifecheck/return/?token={passed_check.token}&success=true"
    status_url = reverse("lifecheck:status", args=[passed_check.public_id])

    def racer(i: int) -> Any:
        close_old_connections()
        if i % 3 == 0:
            return services.refresh(LivenessCheck.objects.get(pk=passed_check.pk)).status
        client = Client()
        client.force_login(user)
        if i % 3 == 1:
            response = client.get(return_url)
            assert response.status_code == 302, response.status_code
            return response["Location"]
        response = client.get(status_url)
        assert response.status_code == 200, response.status_code
        return response.json()["status"]

    with hold_at_save(RACERS):
        results = race(RACERS, racer)
    assert_one_winner(passed_check, results, signal_log, portrait_storage)
    assert results == ["passed", "/", "passed"] * (RACERS // 3)


def test_conflicting_results_race_first_final_status_wins(
    user, user_client, signal_log, portrait_storage
):
    check = services.start_check(user, return_url="https://example.com/r")
    outcomes = [
        CheckResult(code=200, message="passed"),
        CheckResult(code=202, message="not live"),
        CheckResult(code=301, message="expired"),
        CheckResult(code=203, message="detection failed"),
    ]

    def finish(i: int) -> str:
        fresh = LivenessCheck.objects.get(pk=check.pk)
        return services.record_result(fresh, outcomes[i]).status

    with hold_at_save(len(outcomes)):
        results = race(len(outcomes), finish)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == [], f"racers crashed: {errors!r}"
    check.refresh_from_db()
    assert check.is_final
    # Every racer reports the one stored status, whoever won.
    assert results == [check.status] * len(outcomes)
    finals = [n for n in signal_log.names() if n != "check_started"]
    assert len(finals) == 1, finals
    expected = {
        Status.PASSED: "check_passed",
        Status.FAILED: "check_failed",
        Status.ERROR: "check_failed",
        Status.EXPIRED: "check_expired",
    }[check.status]
    assert finals == [expected]
    assert signal_log.only(expected).stored_status == check.status
    assert len(storage_files(portrait_storage)) == (1 if check.status == Status.PASSED else 0)
