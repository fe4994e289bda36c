"""N checks at once, end to end, on the production stack.

Integrator (driver process, ``jumdata`` provider over HTTP with an APPCODE key) ->
service ``init`` on gunicorn -> N concurrent frame uploads (real JPEGs) -> analysis on
the ``db_worker`` process -> integrator ``result`` -> one final status per check. Half
the uploads are bona fide renders (the engine passes them: 200), half a still photo
(202), so both the portrait path and the failure path run under concurrency.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from .client import api, upload, wait_done
from .conftest import PASSWORD, Stack

pytestmark = [pytest.mark.slow, pytest.mark.load]

N = 16


def test_concurrent_checks_end_to_end(stack: Stack, frames) -> None:
    log_mark = len(stack.access_entries())
    names = [f"conc-{i}" for i in range(N)]
    stack.driver("users", {"names": names, "password": PASSWORD})
    started = stack.driver("start", {"users": names, "actions": ["BlinkEye"], "base": stack.base})
    assert all("error" not in s for s in started), started
    assert [s["status"] for s in started] == ["pending"] * N
    tokens = [s["token"] for s in started]
    assert len(set(tokens)) == N

    # Even checks get a live capture, odd ones the still photo.
    material = [
        frames["live"][i // 2 % len(frames["live"])] if i % 2 == 0 else frames["photo"][0]
        for i in range(N)
    ]
    with ThreadPoolExecutor(max_workers=N) as pool:
        uploads = list(pool.map(lambda a: upload(stack.base, *a), zip(tokens, material)))
    assert [r.status_code for r in uploads] == [202] * N, [r.text[:200] for r in uploads]

    with ThreadPoolExecutor(max_workers=8) as pool:
        page = list(pool.map(lambda t: wait_done(stack.base, t, timeout=240), tokens))
    assert all(p["state"] == "done" for p in page), page

    ids = [s["id"] for s in started]
    refreshed = stack.driver("refresh", {"ids": ids, "attempts": 3, "interval": 1.0})
    assert all("error" not in r for r in refreshed), refreshed

    rows = dict(
        (pk, (status, code, portrait))
        for pk, status, code, portrait in stack.sql(
            "SELECT id, status, result_code, portrait FROM django_lifecheck_livenesscheck "
            "WHERE id = ANY(%s)",
            (ids,),
        )
    )
    service = dict(
        stack.sql(
            "SELECT token, result_code FROM django_lifecheck_servicetoken WHERE token = ANY(%s)",
            (tokens,),
        )
    )
    statuses = {200: "passed", 202: "failed", 203: "error"}
    for i, s in enumerate(started):
        status, code, portrait = rows[s["id"]]
        # The integrator recorded exactly what the service decided for that token.
        assert code == service[s["token"]], (i, code, service[s["token"]])
        assert status == statuses[code]
        if status == "passed":
            assert portrait, f"check {s['id']} passed without a stored portrait"
            assert (stack.tmp / "media" / portrait).stat().st_size > 1000
    outcome = [rows[s["id"]][0] for s in started]
    # Both paths ran (so the portrait check above was not vacuous): renders of a
    # blinking head pass, the still photo does not.
    assert "passed" in outcome[0::2], outcome
    assert "passed" not in outcome[1::2], outcome

    # Exactly one started and one final signal per check, across every process.
    signals = stack.sql(
        "SELECT check_id, signal, count(*) FROM load_signal WHERE check_id = ANY(%s) "
        "GROUP BY check_id, signal",
        (ids,),
    )
    per_check: dict[int, dict[str, int]] = {}
    for pk, name, count in signals:
        per_check.setdefault(pk, {})[name] = count
    final = {"passed": "check_passed", "failed": "check_failed", "error": "check_failed"}
    for pk in ids:
        assert per_check[pk] == {"check_started": 1, final[rows[pk][0]]: 1}, per_check[pk]

    # The result stays the same answer for repeated calls (idempotent), and no 5xx at all.
    again = api(stack.base, stack.keys["integrator"], "result", token=tokens[0]).json()
    assert again["code"] == service[tokens[0]]
    assert not stack.server_errors(log_mark)


def test_rate_limit_holds_across_gunicorn_workers(stack: Stack) -> None:
    """The "limited" key allows 20 calls a minute; 45 calls spread over the gunicorn
    workers get exactly 20 answers and 25 code-609 refusals, because every worker counts
    in the same Redis (a process-local cache would allow 20 per worker)."""
    import time

    limit, sent = 20, 45
    # Fixed one-minute windows: start early in a window so the burst stays inside it.
    if time.time() % 60 > 45:
        time.sleep(61 - time.time() % 60)
    log_mark = len(stack.access_entries())
    key = stack.keys["limited"]
    with ThreadPoolExecutor(max_workers=9) as pool:
        answers = list(
            pool.map(lambda i: api(stack.base, key, "result", token=f"nope-{i}"), range(sent))
        )
    assert [a.status_code for a in answers] == [200] * sent
    codes = [a.json()["code"] for a in answers]
    assert codes.count(609) == sent - limit, codes
    assert codes.count(201) == limit, codes  # unknown tokens: "no result yet"
    served_by = {pid for line, _, pid in stack.access_entries()[log_mark:] if "api/result" in line}
    assert len(served_by) >= 2, f"all calls hit one worker ({served_by}); nothing proven"
