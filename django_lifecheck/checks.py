"""System checks for the ``LIFECHECK`` setting.

Errors (``lifecheck.E0xx``) stop ``manage.py`` commands; warnings (``lifecheck.W0xx``)
point at settings that work but are unsafe or surprising. Each message names the exact
setting key, in the way django-anymail's errors do.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from . import conf
from .exceptions import ConfigurationError
from .models import Mode

_PROCESS_LOCAL_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


@register(Tags.compatibility)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list:
    """Validate ``LIFECHECK``: providers, default provider, modes, sandbox, caches."""
    from .providers import build_provider
    from .providers.local import LocalProvider
    from .providers.sandbox import SandboxProvider

    problems: list = []
    user = getattr(settings, "LIFECHECK", None)
    if user is not None and not isinstance(user, dict):
        return [Error("LIFECHECK must be a dict.", id="lifecheck.E001")]
    unknown = sorted(set(user or {}) - set(conf.DEFAULTS))
    if unknown:
        problems.append(
            Warning(
                f"LIFECHECK has unknown keys: {', '.join(unknown)}.",
                hint="Check for typos; README.rst lists every setting.",
                id="lifecheck.W001",
            )
        )

    providers = conf.get("PROVIDERS")
    default = conf.get("DEFAULT_PROVIDER")
    if default not in providers:
        problems.append(
            Error(
                f"LIFECHECK['DEFAULT_PROVIDER'] = {default!r} is not a key of "
                f"LIFECHECK['PROVIDERS'] ({', '.join(sorted(providers)) or 'empty'}).",
                id="lifecheck.E002",
            )
        )

    local_aliases = []
    for alias in providers:
        try:
            provider = build_provider(alias)
        except ConfigurationError as exc:
            problems.append(Error(str(exc), id="lifecheck.E003"))
            continue
        if isinstance(provider, LocalProvider):
            local_aliases.append(alias)
        problems.extend(
            Error(message, id="lifecheck.E004") for message in provider.check_configuration()
        )
        warnings = getattr(provider, "configuration_warnings", None)
        if warnings is not None:
            problems.extend(
                Warning(message, hint="Use https:// URLs for the vendor.", id="lifecheck.W002")
                for message in warnings()
            )
        if (
            isinstance(provider, SandboxProvider)
            and not settings.DEBUG
            and not conf.get("SANDBOX_ALLOW_WITHOUT_DEBUG")
        ):
            problems.append(
                Error(
                    f"LIFECHECK['PROVIDERS'][{alias!r}] is the sandbox provider, which "
                    "refuses to run with DEBUG off.",
                    hint="Use a real provider in production, or set "
                    "LIFECHECK['SANDBOX_ALLOW_WITHOUT_DEBUG'] = True on a test site only.",
                    id="lifecheck.E005",
                )
            )

    bad_modes = [m for m in conf.get("ALLOWED_MODES") if m not in Mode.values]
    if bad_modes:
        problems.append(
            Error(
                f"LIFECHECK['ALLOWED_MODES'] has unknown modes: {', '.join(map(str, bad_modes))}.",
                hint=f"Choose from {', '.join(Mode.values)}.",
                id="lifecheck.E006",
            )
        )

    if local_aliases and not conf.get("SERVICE_ENABLED"):
        problems.append(
            Error(
                f"LIFECHECK['PROVIDERS'] uses the local provider ({', '.join(local_aliases)}) "
                "but LIFECHECK['SERVICE_ENABLED'] is False, so its check page answers 404.",
                hint="Enable the service or remove the local provider.",
                id="lifecheck.E007",
            )
        )

    if conf.get("SERVICE_ENABLED"):
        max_files = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        if max_files is not None and max_files < conf.get("SERVICE_MAX_FRAMES"):
            problems.append(
                Error(
                    f"DATA_UPLOAD_MAX_NUMBER_FILES ({max_files}) is below "
                    f"LIFECHECK['SERVICE_MAX_FRAMES'] ({conf.get('SERVICE_MAX_FRAMES')}): "
                    "Django would refuse uploads the service accepts.",
                    hint="Raise DATA_UPLOAD_MAX_NUMBER_FILES or lower SERVICE_MAX_FRAMES.",
                    id="lifecheck.E008",
                )
            )
        missing = [
            name
            for name in ("numpy", "PIL", "ai_edge_litert")
            if importlib.util.find_spec(name) is None
        ]
        if missing:
            problems.append(
                Warning(
                    "The self-hosted service is enabled but the engine's packages are "
                    f"missing ({', '.join(missing)}): uploads will be refused.",
                    hint="pip install 'django-lifecheck[engine]', or set "
                    "LIFECHECK['SERVICE_ENABLED'] = False.",
                    id="lifecheck.W003",
                )
            )
        cache_backend = settings.CACHES.get("default", {}).get("BACKEND", "")
        if not settings.DEBUG and cache_backend in _PROCESS_LOCAL_CACHES:
            problems.append(
                Warning(
                    "The self-hosted service's rate limits and quotas use Django's cache, "
                    f"and CACHES['default'] is process-local ({cache_backend}): each "
                    "worker process counts on its own.",
                    hint="Use a shared cache such as Redis in production.",
                    id="lifecheck.W004",
                )
            )
    return problems
