"""Races on the production stack: requests that may both try to win, really at once.

* the same token uploaded twice at the same moment: one 202, one 409;
* the browser's return view racing ``manage.py lifecheck_refresh`` (cron);
* two browser tabs returning together.

Each time: one final status, one final signal (counted in PostgreSQL across processes),
and every party sees the same answer.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from .client import browser, page_status, upload, wait_done
from .conftest import PASSWORD, Stack

pytestmark = [pytest.mark.slow, pytest.mark.load]

#: Seconds between the checks whose tabs return (spreads them over the command's run).
STAGGER = 0.4


def _at_once(*calls):
    """Run the calls in threads released together by a barrier; their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(10)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _final_signals(stack: Stack, pk: int) -> list[str]:
    rows = stack.sql(
        "SELECT signal FROM load_signal WHERE check_id = %s AND signal <> 'check_started'",
        (pk,),
    )
    return [name for (name,) in rows]


def _status(stack: Stack, pk: int) -> tuple[str, int | None]:
    [(status, code)] = stack.sql(
        "SELECT status, result_code FROM django_lifecheck_livenesscheck WHERE id = %s", (pk,)
    )
    return status, code


def test_same_token_uploaded_twice_at_once(stack: Stack, frames) -> None:
    started = stack.start_checks("dup", 4)
    live = frames["live"][0]
    for s in started:
        first, second = _at_once(
            lambda t=s["token"]: upload(stack.base, t, live),
            lambda t=s["token"]: upload(stack.base, t, live),
        )
        assert sorted([first.status_code, second.status_code]) == [202, 409], (
            first.text,
            second.text,
        )
        # One upload's frames only, whichever won.
        [(count,)] = stack.sql(
            "SELECT count(*) FROM django_lifecheck_serviceframe f "
            "JOIN django_lifecheck_servicetoken t ON t.id = f.token_id WHERE t.token = %s",
            (s["token"],),
        )
        [(state,)] = stack.sql(
            "SELECT state FROM django_lifecheck_servicetoken WHERE token = %s", (s["token"],)
        )
        assert count in (0, len(live))  # 0 once the analysis has finished and dropped them
        assert state in ("submitted", "done")
    for s in started:
        assert wait_done(stack.base, s["token"], timeout=120)["state"] == "done"


def test_return_view_races_refresh_command_and_two_tabs(stack: Stack, frames) -> None:
    started = stack.start_checks("ret", 6)
    for s in started:
        assert upload(stack.base, s["token"], frames["live"][1]).status_code == 202
    for s in started:
        wait_done(stack.base, s["token"], timeout=120)  # the service has its verdict
    tabs = {s["user"]: (browser(stack.base, s["user"], PASSWORD),
                        browser(stack.base, s["user"], PASSWORD)) for s in started}  # fmt: skip

    def return_view(session, token):
        return session.get(
            f"{stack.base}/lifecheck/return/",
            params={"token": token, "success": "true"},
            allow_redirects=False,
            timeout=(5, 30),
        )

    # Both tabs of each check return together; the cron command starts at the same time
    # and needs a second or two to boot, so the checks' tabs are staggered over that
    # window: some checks are finished by the command, some by a tab, some by both.
    def later(delay, call):
        def run():
            time.sleep(delay)
            return call()

        return run

    calls = []
    for i, s in enumerate(started):
        one, two = tabs[s["user"]]
        delay = STAGGER * i
        calls += [later(delay, lambda o=one, t=s["token"]: return_view(o, t)),
                  later(delay, lambda o=two, t=s["token"]: return_view(o, t))]  # fmt: skip
    calls.append(lambda: stack.manage("lifecheck_refresh", timeout=120))
    results = _at_once(*calls)
    responses, command = results[:-1], results[-1]
    assert command.returncode == 0, command.stderr
    print("lifecheck_refresh during the race:", command.stdout.strip())

    for i, s in enumerate(started):
        first, second = responses[2 * i], responses[2 * i + 1]
        assert first.status_code == second.status_code == 302, (first.text, second.text)
        assert first.headers["Location"] == second.headers["Location"]
        status, code = _status(stack, s["id"])
        assert status in ("passed", "failed", "error"), status
        assert _final_signals(stack, s["id"]) == [
            "check_passed" if status == "passed" else "check_failed"
        ]
        # Every later reader gets the same answer: both tabs' status JSON, the service.
        for session in tabs[s["user"]]:
            seen = session.get(
                f"{stack.base}/lifecheck/status/{s['public_id']}/", timeout=(5, 30)
            ).json()
            assert (seen["status"], seen["code"], seen["final"]) == (status, code, True)
        assert page_status(stack.base, s["token"])["success"] == (status == "passed")
