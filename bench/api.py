"""The service API on the production stack: throughput and latency, as ratios.

    python bench/api.py [--requests 600] [--concurrency 8] [--checks 12] [--no-engine]

Starts the same throwaway stack as the load tests (PostgreSQL, Redis, gunicorn with 3
threaded workers, ``db_worker``; see ``tests/load/conftest.py``; needs Debian's
``postgresql`` and ``redis-server`` and ``example_project/requirements-production.txt``)
and measures, in one run:

1. ``init`` and ``result`` (``Authorization: APPCODE``, rate limit and quota counted in
   Redis, rows in PostgreSQL) against ``POST /bench/bare``, a bare Django JSON view on
   the same workers (``bench/api_urls.py``): requests per second and p50/p95/p99
   latency, and the ratio to the bare view;
2. analysis throughput: ``--checks`` uploads analysed by one ``db_worker`` process, then
   by two (seconds from upload to verdict, read from the token rows);
3. unless ``--no-engine``: ``bench/engine.py`` alone and as two processes at once (what
   two worker processes on the same cores get).

The load generator runs on the same machine (threads, keep-alive sessions), so it
takes CPU from the server; figures are for comparison within one run. Nothing is
asserted.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from tests.load.client import api, upload, wait_done  # noqa: E402
from tests.load.conftest import (  # noqa: E402
    GUNICORN_WORKERS,
    Stack,
    missing_requirements,
    render_frames,
    running_stack,
    stop_process,
)

RETURN_URL = "https://integrator.example/back"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


class Run:
    def __init__(self, name: str, latencies: list[float], wall: float, errors: int) -> None:
        self.name, self.latencies, self.wall, self.errors = name, latencies, wall, errors

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.wall

    def p(self, q: float) -> float:
        return 1000 * percentile(self.latencies, q)

    def line(self, base: Run | None = None) -> str:
        text = (
            f"{self.name:<8} {self.rps:7.0f} req/s   p50 {self.p(50):6.1f} ms   "
            f"p95 {self.p(95):6.1f} ms   p99 {self.p(99):6.1f} ms   errors {self.errors}"
        )
        if base is not None:
            text += (
                f"   | vs bare: throughput {self.rps / base.rps:.2f}x, "
                f"p50 {self.p(50) / base.p(50):.1f}x, p99 {self.p(99) / base.p(99):.1f}x"
            )
        return text


def hammer(
    name: str, call: Callable[[requests.Session], bool], total: int, concurrency: int
) -> Run:
    """``total`` calls from ``concurrency`` threads (one keep-alive session each)."""
    remaining = iter(range(total))
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]

    def worker() -> None:
        session = requests.Session()
        while True:
            with lock:
                if next(remaining, None) is None:
                    return
            t0 = time.perf_counter()
            try:
                ok = call(session)
            except requests.RequestException:
                ok = False
            elapsed = time.perf_counter() - t0
            with lock:
                latencies.append(elapsed)
                errors[0] += not ok

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    return Run(name, latencies, time.perf_counter() - start, errors[0])


def api_figures(stack: Stack, key: str, done_token: str, total: int, concurrency: int) -> None:
    base = stack.base
    auth = {"Authorization": f"APPCODE {key}"}

    def bare(s: requests.Session) -> bool:
        r = s.post(f"{base}/bench/bare", data={"x": "1"}, timeout=(5, 30))
        return r.status_code == 200

    def init(s: requests.Session) -> bool:
        r = s.post(f"{base}/lifecheck/api/init", data={"returnUrl": RETURN_URL},
                   headers=auth, timeout=(5, 30))  # fmt: skip
        return r.status_code == 200 and r.json()["code"] == 200

    def result(s: requests.Session) -> bool:
        r = s.post(f"{base}/lifecheck/api/result", data={"token": done_token},
                   headers=auth, timeout=(5, 30))  # fmt: skip
        return r.status_code == 200 and r.json()["code"] in (200, 202, 203)

    for call in (bare, init, result):  # warm every worker (imports, connections)
        hammer("warm-up", call, 60, concurrency)
    runs = [hammer(name, call, total, concurrency)
            for name, call in (("bare", bare), ("init", init), ("result", result),
                               ("bare", bare))]  # fmt: skip
    bare_runs = [runs[0], runs[3]]
    baseline = Run(
        "bare",
        runs[0].latencies + runs[3].latencies,
        runs[0].wall + runs[3].wall,
        runs[0].errors + runs[3].errors,
    )
    print(f"\n1. API, {total} requests per endpoint, {concurrency} client threads, "
          f"gunicorn {GUNICORN_WORKERS} workers x 4 threads")  # fmt: skip
    for run in bare_runs:
        print("   " + run.line())
    for run in runs[1:3]:
        print("   " + run.line(baseline))


def analysis_figures(stack: Stack, frames: dict, checks: int) -> None:
    print(f"\n2. Analysis: {checks} uploads of {len(frames['live'][0])} frames "
          "(BlinkEye, 640x480), upload -> verdict")  # fmt: skip
    extra = None
    try:
        for workers in (1, 2):
            if workers == 2:
                extra = stack.popen(
                    [sys.executable, "manage.py", "db_worker", "--interval", "0.2",
                     "--no-startup-delay", "--no-reload", "--worker-id", "bench-2"],
                    "worker.log", cwd=ROOT / "example_project", env=stack.env,
                )  # fmt: skip
                time.sleep(3)  # let it boot before the burst
            tokens = []
            for _ in range(checks):
                answer = api(stack.base, stack.keys["integrator"], "init",
                             returnUrl=RETURN_URL, actions="BlinkEye").json()  # fmt: skip
                tokens.append(answer["data"]["token"])
            material = [frames["live"][i % len(frames["live"])] for i in range(checks)]
            start = time.perf_counter()
            with ThreadPoolExecutor(max_workers=checks) as pool:
                codes = list(pool.map(lambda a: upload(stack.base, *a).status_code,
                                      zip(tokens, material, strict=True)))  # fmt: skip
            with ThreadPoolExecutor(max_workers=4) as pool:
                list(pool.map(lambda t: wait_done(stack.base, t, 600), tokens))
            wall = time.perf_counter() - start
            rows = stack.sql(
                "SELECT EXTRACT(EPOCH FROM finished_at - submitted_at), result_code "
                "FROM django_lifecheck_servicetoken WHERE token = ANY(%s)",
                (tokens,),
            )
            waits = [float(seconds) for seconds, _ in rows]
            verdicts = sorted({code for _, code in rows})
            print(f"   {workers} worker process{'es' if workers > 1 else ''}: {checks} checks "
                  f"in {wall:.1f} s = {60 * checks / wall:.0f} checks/min; upload->verdict "
                  f"p50 {statistics.median(waits):.1f} s, max {max(waits):.1f} s; "
                  f"uploads HTTP {sorted(set(codes))}, verdicts {verdicts}")  # fmt: skip
    finally:
        stop_process(extra)


def engine_figures(repeat: int) -> None:
    print(f"\n3. bench/engine.py (--repeat {repeat}): one process alone, then two at once")
    argv = [sys.executable, str(ROOT / "bench" / "engine.py"), "--repeat", str(repeat)]
    pattern = re.compile(r"full analyze.*?: (\d+) / (\d+) ms")

    def launch() -> subprocess.Popen:
        return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                text=True)  # fmt: skip

    for label, count in (("alone", 1), ("two at once", 2)):
        procs = [launch() for _ in range(count)]
        outs = []
        for proc in procs:
            try:
                outs.append(proc.communicate(timeout=600)[0])
            except subprocess.TimeoutExpired:
                proc.kill()
                outs.append("")
        figures = [pattern.search(out) for out in outs]
        shown = ", ".join(f"CPU {m[1]} ms / wall {m[2]} ms" if m else "no figure" for m in figures)
        print(f"   {label:<12} analyze per check: {shown}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=600, help="requests per endpoint")
    ap.add_argument("--concurrency", type=int, default=8, help="client threads")
    ap.add_argument("--checks", type=int, default=12, help="uploads per analysis run")
    ap.add_argument("--engine-repeat", type=int, default=3)
    ap.add_argument("--no-engine", action="store_true", help="skip bench/engine.py")
    args = ap.parse_args(argv)
    missing = missing_requirements()
    if missing:
        print(f"cannot run: missing {', '.join(missing)}", file=sys.stderr)
        return 2
    print("django-lifecheck API benchmark on the production stack "
          f"({os.cpu_count()} CPUs, client on the same machine)")  # fmt: skip
    frames = render_frames()
    with running_stack("bench.api_settings") as stack:
        key = stack.manage("lifecheck_apikey", "create", "bench", "--rate-limit",
                           "100000000/m", "--daily-quota", "100000000").stdout.strip()  # fmt: skip
        token = api(stack.base, key, "init", returnUrl=RETURN_URL, actions="BlinkEye")
        token = token.json()["data"]["token"]
        upload(stack.base, token, frames["photo"][0])
        wait_done(stack.base, token, 120)
        api_figures(stack, key.splitlines()[-1], token, args.requests, args.concurrency)
        analysis_figures(stack, frames, args.checks)
    if not args.no_engine:
        engine_figures(args.engine_repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
