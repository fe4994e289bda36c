"""The production stack, started once per session: PostgreSQL, Redis, gunicorn, a worker.

Everything is a throwaway instance in a temporary folder on free 127.0.0.1 ports:

* PostgreSQL from Debian's ``postgresql`` package (``initdb`` + ``pg_ctl``; run as the
  ``postgres`` user when the tests run as root, since PostgreSQL refuses root);
* ``redis-server`` with no persistence;
* gunicorn with ``example_project/gunicorn.conf.py`` (3 threaded workers);
* one ``manage.py db_worker`` under a small supervisor thread that restarts it when it
  exits, as systemd's ``Restart=always`` would (bounded number of restarts).

The settings are the production profile (:mod:`tests.load.stack_settings`). The whole
folder is skipped, with the reason, when a binary or a Python package is missing. All
processes are stopped and the folder removed at the end of the session.
"""

from __future__ import annotations

import contextlib
import glob
import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "example_project"
HERE = Path(__file__).resolve().parent
GUNICORN_WORKERS = 3
MAX_WORKER_RESTARTS = 100
#: Seconds an upload may wait for a verdict before the service ends it (fault test).
ANALYSIS_TIMEOUT = 15
PASSWORD = "load-test-password"


def pg_binary(name: str) -> str | None:
    """A PostgreSQL server binary: on PATH, else Debian's versioned folder (newest)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return candidates[-1] if candidates else None


def missing_requirements() -> list[str]:
    missing = [b for b in ("initdb", "pg_ctl") if pg_binary(b) is None]
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        missing.append("runuser")
    if shutil.which("redis-server") is None:
        missing.append("redis-server")
    for module in ("psycopg", "redis", "gunicorn", "django_tasks_db", "requests", "skimage"):
        if importlib.util.find_spec(module) is None:
            missing.append(f"python package {module}")
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            missing.append("a 'postgres' system user (PostgreSQL refuses to run as root)")
    return missing


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = missing_requirements()
    if not missing:
        return
    reason = (
        "production stack unavailable (apt-get install postgresql redis-server; "
        f"pip install -r example_project/requirements-production.txt): missing {', '.join(missing)}"
    )
    for item in items:
        if Path(str(item.fspath)).resolve().is_relative_to(HERE):
            item.add_marker(pytest.mark.skip(reason=reason))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float, interval: float = 0.2, what: str = "") -> None:
    """Poll ``predicate`` until true; bounded by ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what or predicate}")


def stop_process(proc: subprocess.Popen | None, timeout: float = 10) -> None:
    """SIGTERM the process group we started, then SIGKILL if it lingers."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
    except ProcessLookupError:
        pass


@dataclass
class Stack:
    tmp: Path
    pg_port: int
    redis_port: int
    http_port: int
    env: dict[str, str] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    gunicorn: subprocess.Popen | None = None
    redis: subprocess.Popen | None = None
    worker: subprocess.Popen | None = None
    worker_starts: int = 0
    worker_enabled: bool = True
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- addresses and logs ----------------------------------------------------------
    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def pgdata(self) -> Path:
        return self.tmp / "pg" / "data"

    @property
    def access_log(self) -> Path:
        return self.tmp / "logs" / "access.log"

    def popen(self, argv: list[str], log: str, **kwargs: Any) -> subprocess.Popen:
        """Start a child in its own process group, output appended to ``logs/<log>``."""
        with open(self.tmp / "logs" / log, "ab") as out:
            return subprocess.Popen(
                argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **kwargs
            )

    # -- PostgreSQL -------------------------------------------------------------------
    def _as_pg(self, *argv: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else list(argv)

    def pg_init(self) -> None:
        pg = self.tmp / "pg"
        pg.mkdir()
        if os.geteuid() == 0:
            shutil.chown(pg, "postgres", "postgres")
        subprocess.run(
            self._as_pg(pg_binary("initdb"), "-D", str(self.pgdata), "-U", "postgres",
                        "-A", "trust", "-E", "UTF8", "--no-sync"),
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip

    def pg_start(self) -> None:
        options = (
            f"-p {self.pg_port} -k {self.tmp / 'pg'} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=120"
        )
        subprocess.run(
            self._as_pg(pg_binary("pg_ctl"), "-D", str(self.pgdata), "-o", options,
                        "-l", str(self.tmp / "pg" / "server.log"), "-w", "-t", "60", "start"),
            check=True, capture_output=True, timeout=90,
        )  # fmt: skip

    def pg_stop(self, mode: str = "fast") -> None:
        subprocess.run(
            self._as_pg(pg_binary("pg_ctl"), "-D", str(self.pgdata), "-m", mode, "-w",
                        "-t", "60", "stop"),
            check=False, capture_output=True, timeout=90,
        )  # fmt: skip

    def sql(self, query: str, params: tuple | list = ()) -> list[tuple]:
        """Run one statement on the stack's database (a fresh connection each time)."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.pg_port, user="postgres", dbname="lifecheck",
            connect_timeout=5, autocommit=True,
        ) as conn:  # fmt: skip
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else []

    # -- Redis ------------------------------------------------------------------------
    def redis_start(self) -> None:
        self.redis = self.popen(
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.tmp)],
            "redis.log",
        )  # fmt: skip
        wait_until(self.redis_ping, 20, what="redis-server")

    def redis_stop(self) -> None:
        stop_process(self.redis)
        self.redis = None

    def redis_ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.redis_port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    # -- Django processes ------------------------------------------------------------
    def manage(self, *args: str, timeout: float = 120, check: bool = True, **env: str):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=EXAMPLE, env={**self.env, **env}, capture_output=True, text=True,
            timeout=timeout, check=check,
        )  # fmt: skip

    def driver(self, command: str, payload: dict[str, Any], timeout: float = 180) -> Any:
        """Run the integrator driver (:mod:`tests.load.driver`) and return its JSON."""
        done = subprocess.run(
            [sys.executable, "-m", "tests.load.driver", command, json.dumps(payload)],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"driver {command} failed:\n{done.stderr[-4000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def start_checks(self, prefix: str, n: int) -> list[dict]:
        """``n`` new users ``prefix-0``... each with a started BlinkEye check, pending."""
        names = [f"{prefix}-{i}" for i in range(n)]
        self.driver("users", {"names": names, "password": PASSWORD})
        started = self.driver("start", {"users": names, "actions": ["BlinkEye"], "base": self.base})
        assert all(s.get("status") == "pending" for s in started), started
        return started

    def gunicorn_start(self) -> None:
        env = {
            **self.env,
            "GUNICORN_BIND": f"127.0.0.1:{self.http_port}",
            "GUNICORN_WORKERS": str(GUNICORN_WORKERS),
            "GUNICORN_THREADS": "4",
            "GUNICORN_ACCESSLOG": str(self.access_log),
            "GUNICORN_LOGLEVEL": "warning",
        }
        self.gunicorn = self.popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
            "gunicorn.log", cwd=EXAMPLE, env=env,
        )  # fmt: skip
        wait_until(self.http_ready, 60, 0.3, what="gunicorn")

    def http_ready(self) -> bool:
        import requests

        if self.gunicorn is not None and self.gunicorn.poll() is not None:
            raise RuntimeError("gunicorn exited; see its log")
        try:
            return requests.get(f"{self.base}/lifecheck/api/openapi.yaml", timeout=2).ok
        except requests.RequestException:
            return False

    def _spawn_worker(self) -> subprocess.Popen:
        self.worker_starts += 1
        return self.popen(
            [sys.executable, "manage.py", "db_worker", "--interval", "0.2",
             "--no-startup-delay", "--no-reload", "--worker-id", f"load-{self.worker_starts}"],
            "worker.log", cwd=EXAMPLE, env=self.env,
        )  # fmt: skip

    def supervise(self) -> None:
        """Keep one db_worker running (restart on exit), like systemd's Restart=always."""
        while not self._stop.wait(0.3):
            with self._lock:
                if not self.worker_enabled or self.worker_starts >= MAX_WORKER_RESTARTS:
                    continue
                if self.worker is None or self.worker.poll() is not None:
                    self.worker = self._spawn_worker()
                    started = True
                else:
                    started = False
            if started:
                self._stop.wait(1.0)  # back off: it exits at once while the database is down

    def kill_worker(self) -> int:
        """SIGKILL the running worker (the supervisor starts a new one); its pid."""
        wait_until(
            lambda: self.worker is not None and self.worker.poll() is None, 30, what="a worker"
        )
        with self._lock:
            assert self.worker is not None and self.worker.poll() is None
            pid = self.worker.pid
            os.killpg(pid, signal.SIGKILL)
            self.worker.wait(10)
            return pid

    def pause_worker(self, paused: bool) -> None:
        with self._lock:
            self.worker_enabled = not paused
            if paused:
                stop_process(self.worker)
                self.worker = None

    def access_entries(self) -> list[tuple[str, int, str]]:
        """``(request line, status, worker pid)`` for each line gunicorn logged (the
        format of ``gunicorn.conf.py``: status after the quoted request, pid last)."""
        entries = []
        if self.access_log.exists():
            for line in self.access_log.read_text(errors="replace").splitlines():
                match = re.search(r'"([^"]*)" (\d{3}) .* pid=<?(\d+)>?$', line)
                if match:
                    entries.append((match[1], int(match[2]), match[3]))
        return entries

    def server_errors(self, since: int = 0) -> list[tuple[str, int, str]]:
        """5xx answers among the access-log entries from index ``since`` on."""
        return [entry for entry in self.access_entries()[since:] if entry[1] >= 500]

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            self.worker_enabled = False
            stop_process(self.worker)
        stop_process(self.gunicorn)
        self.redis_stop()
        if self.pgdata.exists():
            self.pg_stop("immediate")


def _boot(stack: Stack, settings_module: str) -> None:
    (stack.tmp / "logs").mkdir()
    (stack.tmp / "media").mkdir()
    stack.pg_init()
    stack.pg_start()
    import psycopg

    with psycopg.connect(
        host="127.0.0.1", port=stack.pg_port, user="postgres", dbname="postgres",
        autocommit=True, connect_timeout=5,
    ) as conn:  # fmt: skip
        conn.execute("CREATE DATABASE lifecheck")
    stack.redis_start()
    http = stack.base
    stack.env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "LIFECHECK"))},
        "DJANGO_SETTINGS_MODULE": settings_module,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(EXAMPLE)]),
        "ENV_FILE": str(stack.tmp / "no.env"),
        "SECRET_KEY": secrets.token_urlsafe(40),
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{stack.pg_port}/lifecheck",
        "CACHE_URL": f"redis://127.0.0.1:{stack.redis_port}/0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "MEDIA_ROOT": str(stack.tmp / "media"),
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback, no proxy in front
        "LIFECHECK_PROVIDER": "jumdata",
        "JUMDATA_APPCODE": "placeholder.until-the-key-exists",
        "JUMDATA_INIT_URL": f"{http}/lifecheck/api/init",
        "JUMDATA_RESULT_URL": f"{http}/lifecheck/api/result",
        "JUMDATA_H5_BASE": f"{http}/lifecheck/v2",
        "LIFECHECK_SERVICE_ANALYSIS_TIMEOUT": str(ANALYSIS_TIMEOUT),
        "PYTHONUNBUFFERED": "1",
    }
    stack.manage("migrate", "--noinput", timeout=300)
    stack.sql(
        "CREATE TABLE load_signal (id serial PRIMARY KEY, check_id bigint NOT NULL, "
        "signal text NOT NULL, status text NOT NULL, pid int NOT NULL, "
        "at timestamptz NOT NULL DEFAULT now())"
    )
    for name, options in {
        "integrator": ["--exempt"],  # the integrator's own traffic: no limits
        "client": ["--rate-limit", "1000/m"],
        "limited": ["--rate-limit", "20/m"],
    }.items():
        done = stack.manage("lifecheck_apikey", "create", name, *options)
        stack.keys[name] = done.stdout.strip().splitlines()[-1]
    stack.env["JUMDATA_APPCODE"] = stack.keys["integrator"]
    stack.gunicorn_start()
    threading.Thread(target=stack.supervise, name="db_worker supervisor", daemon=True).start()
    wait_until(lambda: stack.worker is not None and stack.worker.poll() is None, 30, what="worker")


@contextlib.contextmanager
def running_stack(settings_module: str = "tests.load.stack_settings") -> Iterator[Stack]:
    """Start the whole stack, yield it, and always stop it and remove its folder.

    Shared by the ``stack`` fixture and ``bench/api.py``.
    """
    tmp = Path(tempfile.mkdtemp(prefix="lifecheck-load-"))
    tmp.chmod(0o755)  # the postgres user must reach its data folder inside
    stack = Stack(tmp=tmp, pg_port=free_port(), redis_port=free_port(), http_port=free_port())
    try:
        try:
            _boot(stack, settings_module)
        except Exception as exc:
            logs = "\n".join(
                f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
                for p in sorted((tmp / "logs").glob("*.log"))
            ) if (tmp / "logs").exists() else ""  # fmt: skip
            stderr = getattr(exc, "stderr", "") or ""
            raise RuntimeError(f"could not start the stack: {exc}\n{stderr}\n{logs}") from exc
        yield stack
    finally:
        stack.stop()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    with running_stack() as running:
        yield running


def render_frames() -> dict[str, list[list[tuple[bytes, int, str | None]]]]:
    """Upload material for a ``BlinkEye`` challenge: frames as ``(jpeg, t_ms, prompt)``.

    ``live``: bona fide captures rendered by the engine's evaluation renderer (a head
    that blinks when asked); ``photo``: one still photo (scikit-image's astronaut)
    repeated, which the engine rules a static photo (202).
    """
    import io

    import numpy as np
    from PIL import Image
    from skimage import data

    from django_lifecheck.engine.eval import scenarios

    live = []
    for seed in (11, 12, 13):
        rng = np.random.default_rng(seed)
        cap = scenarios._capture_setup(rng, "astronaut")
        challenge, windows = scenarios.make_challenge(rng, "action", 1, pool=("BlinkEye",))
        rendered = scenarios.render_bona_fide(rng, cap, challenge, windows)
        live.append([(f.jpeg, int(f.t_ms), f.prompt) for f in rendered])
    buffer = io.BytesIO()
    Image.fromarray(data.astronaut()).resize((480, 480)).save(buffer, "JPEG", quality=85)
    photo = [[(buffer.getvalue(), i * 66, "BlinkEye") for i in range(24)]]
    return {"live": live, "photo": photo}


@pytest.fixture(scope="session")
def frames() -> dict[str, list[list[tuple[bytes, int, str | None]]]]:
    return render_frames()
