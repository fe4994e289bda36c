"""Settings for the example project, read from the environment with django-environ.

Every variable is documented in ``.env.example``; copy it to ``.env`` to change one. The
defaults are for a laptop demo (DEBUG on, SQLite, the self-hosted ``local`` provider), so
a fresh clone runs with no configuration at all.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent  # the directory holding manage.py

env = environ.Env()
# ENV_FILE lets tests and deployments point elsewhere (or at nothing) instead of ./.env.
_env_file = Path(os.environ.get("ENV_FILE", BASE_DIR / ".env"))
if _env_file.is_file():
    environ.Env.read_env(_env_file)

DEBUG = env.bool("DEBUG", default=True)

_DEV_SECRET_KEY = "django-insecure-lifecheck-example-project-dev-key-do-not-deploy"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == _DEV_SECRET_KEY:
    warnings.warn(
        "SECRET_KEY is the example project's public development key while DEBUG is off: "
        "set SECRET_KEY in the environment or .env before exposing this site.",
        RuntimeWarning,
        stacklevel=1,
    )

if not DEBUG:
    # Off a laptop the site must be served over HTTPS anyway: browsers allow the camera
    # only in a secure context (localhost excepted).
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    # Before django_lifecheck, so that its templates override the library's layout.
    "demo",
    "django_lifecheck",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # "sqlite:///db.sqlite3" means next to manage.py, whatever the working directory.
    _name = str(DATABASES["default"]["NAME"])
    if _name != ":memory:" and not Path(_name).is_absolute():
        DATABASES["default"]["NAME"] = str(BASE_DIR / _name)
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The analysis of a check runs as a Django task; "immediate" runs it inside the request.
TASKS = {
    "default": {
        "BACKEND": env.str(
            "TASKS_BACKEND", default="django_tasks.backends.immediate.ImmediateBackend"
        )
    }
}

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / env.str("STATIC_ROOT", default="staticfiles")  # relative to BASE_DIR
MEDIA_URL = "media/"
MEDIA_ROOT = BASE_DIR / env.str("MEDIA_ROOT", default="media")

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "demo:home"
LOGOUT_REDIRECT_URL = "login"

# --- django-lifecheck ----------------------------------------------------------------
# The library reads only the LIFECHECK dict; this block fills it from the environment.
LIFECHECK_PROVIDER = env.str("LIFECHECK_PROVIDER", default="local")

_providers: dict[str, dict] = {
    "local": {"BACKEND": "django_lifecheck.providers.local.LocalProvider", "OPTIONS": {}},
}
if DEBUG or LIFECHECK_PROVIDER == "sandbox":
    # The sandbox (pass/fail buttons, no camera) refuses to run with DEBUG off.
    _providers["sandbox"] = {
        "BACKEND": "django_lifecheck.providers.sandbox.SandboxProvider",
        "OPTIONS": {},
    }
if LIFECHECK_PROVIDER == "jumdata" or env.str("JUMDATA_APPCODE", default=""):
    # Only configured when asked for: its URLs come from your contract, with no default.
    _providers["jumdata"] = {
        "BACKEND": "django_lifecheck.providers.jumdata.JumdataProvider",
        "OPTIONS": {
            "appcode": env.str("JUMDATA_APPCODE", default=""),
            "app_id": env.str("JUMDATA_APP_ID", default=""),
            "app_secret": env.str("JUMDATA_APP_SECRET", default=""),
            "init_url": env.str("JUMDATA_INIT_URL", default=""),
            "result_url": env.str("JUMDATA_RESULT_URL", default=""),
            "h5_base": env.str("JUMDATA_H5_BASE", default=""),
        },
    }

LIFECHECK = {
    "DEFAULT_PROVIDER": LIFECHECK_PROVIDER,
    "PROVIDERS": _providers,
    "SUCCESS_URL": "/",
    "FAILURE_URL": "/",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django_lifecheck": {"handlers": ["console"], "level": "INFO"},
        "demo": {"handlers": ["console"], "level": "INFO"},
    },
}
