"""Lazy access to the ``LIFECHECK`` setting.

Settings are read on every access, never at import time, so ``override_settings`` in
tests and settings changed at start-up are always seen. Objects built from settings (the
provider registry) are reset on ``setting_changed`` by :mod:`django_lifecheck.apps`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

#: Documented defaults; README.rst lists each key.
DEFAULTS: dict[str, Any] = {
    # Integrator side.
    "DEFAULT_PROVIDER": "local",
    "PROVIDERS": {
        "local": {"BACKEND": "django_lifecheck.providers.local.LocalProvider", "OPTIONS": {}},
    },
    "SUCCESS_URL": "/",
    "FAILURE_URL": "/",
    "ALLOWED_MODES": ("silent", "action", "flash", "action+flash"),
    "DEFAULT_ACTIONS": ("LookFront", "BlinkEye", "ShakeHead"),
    "DEFAULT_COLORS": ("#FFFFFF", "#000000"),
    "RETURN_POLL_ATTEMPTS": 5,
    "RETURN_POLL_INTERVAL": 1.0,
    "TOKEN_LIFETIME": 600,
    "PORTRAIT_STORAGE": None,  # alias in STORAGES, or None for the default storage
    "PORTRAIT_UPLOAD_TO": "lifecheck/portraits/%Y/%m/",
    "PORTRAIT_MAX_BYTES": 2 * 1024 * 1024,
    "PORTRAIT_CONTENT_TYPES": ("image/jpeg", "image/png"),
    "SANDBOX_ALLOW_WITHOUT_DEBUG": False,
    # Self-hosted service side.
    "SERVICE_ENABLED": True,
    "SERVICE_MAINTENANCE": False,
    "SERVICE_RATE_LIMIT": "60/m",
    "SERVICE_DAILY_QUOTA": 10000,
    "SERVICE_MAX_FRAMES": 90,
    "SERVICE_MAX_FRAME_BYTES": 300 * 1024,
    "SERVICE_MAX_UPLOAD_BYTES": 12 * 1024 * 1024,
    "SERVICE_PORTRAIT_URL_MAX_AGE": 600,
    "SERVICE_TASK_BACKEND": "default",
    # Seconds an upload may wait for its verdict before it ends as 203 analysis_timeout
    # (a task worker killed mid-analysis leaves its task "running" forever).
    "SERVICE_ANALYSIS_TIMEOUT": 180,
    "ENGINE": {},  # thresholds, see django_lifecheck.engine.config.EngineConfig
}


def get(name: str) -> Any:
    """Return ``LIFECHECK[name]`` or its documented default."""
    user = getattr(settings, "LIFECHECK", None) or {}
    if name in user:
        return user[name]
    try:
        return DEFAULTS[name]
    except KeyError:
        raise KeyError(f"Unknown LIFECHECK setting {name!r}") from None
