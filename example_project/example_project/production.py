"""Production profile of the example project: PostgreSQL, Redis, analysis on workers.

Use it with ``DJANGO_SETTINGS_MODULE=example_project.production``. It imports the base
settings (which read the environment with django-environ) and then *refuses* what is
fine on a laptop but wrong for several processes serving real users:

* ``DATABASE_URL`` must be PostgreSQL: the status writers rely on row locks
  (``select_for_update``) that SQLite does not have, and web workers, task workers and
  cron all write the same rows.
* ``CACHE_URL`` must be Redis: the per-key rate limit (609) and daily quota (606) are
  counters that every gunicorn worker must share; a process-local cache multiplies the
  limits by the number of processes.
* ``TASKS`` uses the database backend of ``django-tasks-db``: an upload returns at once
  and the analysis runs on ``manage.py db_worker`` processes, so a slow engine never
  holds a web worker.
* ``DEBUG`` is off and ``SECRET_KEY`` must be set; cookies are ``Secure`` and the site
  expects TLS to end at a reverse proxy that sets ``X-Forwarded-Proto``.

Each refusal is an :class:`~django.core.exceptions.ImproperlyConfigured` naming the
variable, at start-up, instead of a surprise under load.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

# Before the base settings are read: they derive cookie flags and the provider list
# from DEBUG, so it must already be off when they run.
os.environ.setdefault("DEBUG", "false")

from .settings import *  # noqa: F403
from .settings import (
    _DEV_SECRET_KEY,
    CACHES,
    DATABASES,
    DEBUG,
    INSTALLED_APPS,
    LIFECHECK,
    env,
)

if DEBUG:
    raise ImproperlyConfigured("example_project.production runs with DEBUG off; unset DEBUG.")
if not SECRET_KEY or SECRET_KEY == _DEV_SECRET_KEY:  # noqa: F405
    raise ImproperlyConfigured(
        "Set SECRET_KEY in the environment: the example project's default key is public."
    )

# --- database: PostgreSQL -----------------------------------------------------------
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        "DATABASE_URL must be a PostgreSQL URL (postgres://user:pass@host:5432/name) "
        f"in production; it names {DATABASES['default']['ENGINE']}."
    )
# Persistent connections, checked before reuse: after a database restart the first
# request of each worker reconnects instead of failing on a dead socket.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
    "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
)

# --- cache: Redis, shared by every process --------------------------------------------
_cache_url = env.str("CACHE_URL", default="")
if not _cache_url.startswith(("redis://", "rediss://")):
    raise ImproperlyConfigured(
        "CACHE_URL must be a Redis URL (redis://host:6379/0) in production: the API's rate "
        "limits and quotas must be shared by every worker process."
    )
# Django's own Redis backend (django-environ would pick django-redis if installed).
CACHES["default"]["BACKEND"] = "django.core.cache.backends.redis.RedisCache"
# Bounded waits: with Redis down the API answers at once (code 500, see README) rather
# than hanging a worker.
CACHES["default"].setdefault("OPTIONS", {}).update(
    {"socket_connect_timeout": 1, "socket_timeout": 1}
)

# --- tasks: analysis on db_worker processes -------------------------------------------
if "django_tasks_db" not in INSTALLED_APPS:
    INSTALLED_APPS = [*INSTALLED_APPS, "django_tasks_db"]
TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# --- HTTPS behind a reverse proxy ----------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The proxy normally redirects http -> https itself; turn this off when the service's
# API is also called over plain HTTP on a private network.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- django-lifecheck service knobs from the environment ----------------------------
LIFECHECK = {
    **LIFECHECK,
    "SERVICE_RATE_LIMIT": env.str("LIFECHECK_SERVICE_RATE_LIMIT", default="60/m"),
    "SERVICE_ANALYSIS_TIMEOUT": env.int("LIFECHECK_SERVICE_ANALYSIS_TIMEOUT", default=180),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(process)d %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "django_lifecheck": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "demo": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
