"""gunicorn settings for the production profile (``gunicorn -c gunicorn.conf.py``).

Run from the folder holding ``manage.py``. Every value can be changed from the
environment, so one file serves a laptop rehearsal and a real host:

* ``GUNICORN_BIND`` (default ``127.0.0.1:8000``: a reverse proxy ends TLS in front);
* ``GUNICORN_WORKERS`` (default ``2 * cores + 1``) and ``GUNICORN_THREADS`` (default 4):
  threaded workers, because the views mostly wait on PostgreSQL and Redis; the CPU-heavy
  analysis runs on ``manage.py db_worker`` processes, not here;
* ``GUNICORN_TIMEOUT`` (default 30 s): a request stuck longer is killed and its worker
  replaced; the frame upload only stores frames, so 30 s is generous.
"""

from __future__ import annotations

import multiprocessing
import os

wsgi_app = "example_project.wsgi:application"
# The production profile unless the environment names another settings module; the
# workers are forked from this process and inherit it.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.production")
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 5
# Uploads carry up to SERVICE_MAX_UPLOAD_BYTES of frames; headers stay small.
limit_request_line = 8190
# Recycle workers now and then (memory held by image decoding is given back).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 2000))
max_requests_jitter = 200
# Only the local reverse proxy may set X-Forwarded-Proto.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
# gunicorn's default line plus the worker's pid (which process answered what).
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" pid=%(p)s'

errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
