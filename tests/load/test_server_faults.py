"""Server faults on the production stack: a worker killed, PostgreSQL restarted, Redis down.

What must hold each time: nothing hangs (every request answers within a bound), nothing
is half written, no check waits for ever, and the stack recovers by itself once the
part is back (the task worker is restarted by its supervisor, like systemd would).
"""

from __future__ import annotations

import time

import pytest

from .client import api, page_status, upload, wait_done
from .conftest import ANALYSIS_TIMEOUT, Stack, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.load]

RETURN_URL = "https://integrator.example/back"


def _task_status(stack: Stack, token: str) -> str | None:
    rows = stack.sql(
        "SELECT r.status FROM django_tasks_database_dbtaskresult r "
        "JOIN django_lifecheck_servicetoken t ON r.args_kwargs->'args'->>0 = t.id::text "
        "WHERE t.token = %s",
        (token,),
    )
    return rows[0][0] if rows else None


def _no_half_written_state(stack: Stack) -> None:
    """Every service token is in a coherent state, whatever was interrupted."""
    incoherent = stack.sql(
        "SELECT t.token, t.state, t.result_code, count(f.id) "
        "FROM django_lifecheck_servicetoken t "
        "LEFT JOIN django_lifecheck_serviceframe f ON f.token_id = t.id GROUP BY t.id "
        "HAVING (t.state = 'done') <> (t.result_code IS NOT NULL) "
        "    OR (t.state = 'issued' AND count(f.id) > 0) "
        "    OR (t.state = 'submitted' AND count(f.id) = 0) "
        "    OR (t.state = 'done' AND count(f.id) > 0)"
    )
    assert not incoherent, incoherent
    dangling = stack.sql(
        "SELECT id, status FROM django_lifecheck_livenesscheck "
        "WHERE (status = 'pending' AND token = '') "
        "   OR (status IN ('passed', 'failed', 'error', 'expired') AND completed_at IS NULL)"
    )
    assert not dangling, dangling


def _one_final_signal(stack: Stack, pk: int) -> None:
    rows = stack.sql(
        "SELECT signal FROM load_signal WHERE check_id = %s AND signal <> 'check_started'", (pk,)
    )
    assert len(rows) == 1, rows


def test_worker_killed_during_analysis(stack: Stack, frames) -> None:
    """SIGKILL the worker while it analyses: the queue never re-runs the task (it stays
    RUNNING), so the service's analysis timeout ends the check as 203
    ``analysis_timeout``; the restarted worker serves new checks."""
    live = frames["live"]
    # A long capture (two renders back to back) keeps the worker busy a little longer.
    capture = live[0] + [(jpeg, t + live[0][-1][1] + 50, p) for jpeg, t, p in live[1]]
    caught = None
    for attempt in range(3):
        [check] = stack.start_checks(f"kill{attempt}", 1)
        stack.kill_worker()  # the new worker has not loaded the engine: a wider window
        assert upload(stack.base, check["token"], capture).status_code == 202
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = _task_status(stack, check["token"])
            if status in ("RUNNING", "SUCCESSFUL", "FAILED"):
                break
            time.sleep(0.02)
        if status == "RUNNING":
            stack.kill_worker()
            caught = check
            break
    assert caught is not None, "the analysis never ran long enough to be killed mid-way"
    killed_at = time.monotonic()
    token = caught["token"]
    assert _task_status(stack, token) == "RUNNING"  # nothing in the queue recovers it
    assert page_status(stack.base, token)["state"] == "analysing"

    key = stack.keys["integrator"]
    answer: dict = {}
    while time.monotonic() < killed_at + ANALYSIS_TIMEOUT + 30:
        answer = api(stack.base, key, "result", token=token).json()
        if answer["code"] != 201:
            break
        time.sleep(1)
    assert answer["code"] == 203, answer
    assert answer["data"]["reason"] == "analysis_timeout"
    assert _task_status(stack, token) == "RUNNING"  # ended by the service, not the queue

    [refreshed] = stack.driver("refresh", {"ids": [caught["id"]], "attempts": 1, "interval": 0})
    assert (refreshed["status"], refreshed["code"]) == ("error", 203)
    _one_final_signal(stack, caught["id"])
    assert page_status(stack.base, token)["state"] == "done"

    # The supervisor restarted the worker; it serves the next check normally.
    [fresh] = stack.start_checks("after-kill", 1)
    assert upload(stack.base, fresh["token"], live[2]).status_code == 202
    assert wait_done(stack.base, fresh["token"], timeout=120)["state"] == "done"
    [(reason,)] = stack.sql(
        "SELECT reason FROM django_lifecheck_servicetoken WHERE token = %s", (fresh["token"],)
    )
    assert reason != "analysis_timeout"
    _no_half_written_state(stack)


def test_postgres_restarted_mid_run(stack: Stack, frames) -> None:
    """Stop PostgreSQL while checks are in flight: requests fail at once with a 503 in
    their own JSON (the protocol's code 500 for the API; none hangs, none half-writes),
    and after the restart everything recovers: pooled connections are replaced, the
    worker is back, every check ends with one status."""
    started = stack.start_checks("pg", 4)
    live = frames["live"]
    for s in started[:2]:
        assert upload(stack.base, s["token"], live[0]).status_code == 202
    client = stack.keys["client"]
    outage: list[tuple[str, int, object, float]] = []
    stack.pg_stop("fast")
    try:
        for name, call in [
            ("init", lambda: api(stack.base, client, "init", returnUrl=RETURN_URL)),
            ("result", lambda: api(stack.base, client, "result", token=started[0]["token"])),
            ("upload", lambda: upload(stack.base, started[2]["token"], live[1])),
            ("page", lambda: page_status_raw(stack, started[0]["token"])),
        ]:
            t0 = time.monotonic()
            response = call()
            seconds = time.monotonic() - t0
            try:
                body = response.json()
            except ValueError:
                body = response.text[:200]
            outage.append((name, response.status_code, body, seconds))
    finally:
        stack.pg_start()
    assert all(seconds < 10 for *_, seconds in outage), outage
    answers = {name: (status, body) for name, status, body, _ in outage}
    for name in ("init", "result"):
        status, body = answers[name]
        assert status == 503 and isinstance(body, dict) and body["code"] == 500, outage
    for name in ("upload", "page"):
        status, body = answers[name]
        assert status == 503 and isinstance(body, dict) and body["ok"] is False, outage

    # Recovery: the first answer may need a reconnect; then every call succeeds.
    wait_until(
        lambda: api(stack.base, client, "result", token="x").status_code == 200, 30, 0.5,
        what="the API after the restart",
    )  # fmt: skip
    again = [api(stack.base, client, "init", returnUrl=RETURN_URL) for _ in range(12)]
    assert [(r.status_code, r.json()["code"]) for r in again] == [(200, 200)] * 12

    # The upload refused during the outage left nothing behind: it can be sent now.
    [(state, count)] = stack.sql(
        "SELECT t.state, count(f.id) FROM django_lifecheck_servicetoken t "
        "LEFT JOIN django_lifecheck_serviceframe f ON f.token_id = t.id "
        "WHERE t.token = %s GROUP BY t.id",
        (started[2]["token"],),
    )
    assert (state, count) == ("issued", 0)
    for s in started[2:]:
        assert upload(stack.base, s["token"], live[1]).status_code == 202
    # Analyses cut by the outage end by the timeout at worst.
    for s in started:
        wait_done(stack.base, s["token"], timeout=ANALYSIS_TIMEOUT + 120)
    ids = [s["id"] for s in started]
    refreshed = stack.driver("refresh", {"ids": ids, "attempts": 3, "interval": 1.0})
    assert all(r.get("status") in ("passed", "failed", "error") for r in refreshed), refreshed
    for pk in ids:
        _one_final_signal(stack, pk)
    _no_half_written_state(stack)
    assert stack.worker is not None and stack.worker.poll() is None


def page_status_raw(stack: Stack, token: str):
    import requests

    return requests.get(
        f"{stack.base}/lifecheck/v2/check/status", params={"token": token}, timeout=(5, 30)
    )


def test_redis_down_limits_fail_closed(stack: Stack, frames) -> None:
    """Redis down: keys with limits get code 500 ("try again later") at once, never an
    unlimited service nor an HTTP 500; exempt keys and the check page keep working."""
    log_mark = len(stack.access_entries())
    client = stack.keys["client"]
    stack.redis_stop()
    try:
        t0 = time.monotonic()
        refused = [
            api(stack.base, client, "init", returnUrl=RETURN_URL),
            api(stack.base, client, "result", token="whatever"),
        ]
        assert time.monotonic() - t0 < 10
        assert [(r.status_code, r.json()["code"]) for r in refused] == [(200, 500)] * 2
        # The integrator's exempt key needs no counter: a whole check still runs.
        [check] = stack.start_checks("redis-down", 1)
        assert upload(stack.base, check["token"], frames["live"][2]).status_code == 202
        assert wait_done(stack.base, check["token"], timeout=120)["state"] == "done"
        [refreshed] = stack.driver("refresh", {"ids": [check["id"]], "attempts": 3, "interval": 1})
        assert refreshed["status"] in ("passed", "failed", "error"), refreshed
    finally:
        stack.redis_start()
    back = api(stack.base, client, "init", returnUrl=RETURN_URL)
    assert (back.status_code, back.json()["code"]) == (200, 200)
    assert not stack.server_errors(log_mark)
