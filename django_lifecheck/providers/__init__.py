"""The provider registry, built lazily from ``LIFECHECK["PROVIDERS"]``.

Providers are cached per alias and the cache is dropped on ``setting_changed`` (see
:mod:`django_lifecheck.apps`), so ``override_settings`` in tests always takes effect.
"""

from __future__ import annotations

import threading

from django.utils.module_loading import import_string

from .. import conf
from ..exceptions import ConfigurationError
from .base import BaseProvider, CheckResult, InitResult, Portrait

__all__ = [
    "BaseProvider",
    "CheckResult",
    "InitResult",
    "Portrait",
    "get_provider",
    "reset_providers",
]

_lock = threading.Lock()
_cache: dict[str, BaseProvider] = {}


def get_provider(alias: str | None = None) -> BaseProvider:
    """Return the provider configured under ``alias`` (default: ``DEFAULT_PROVIDER``)."""
    alias = alias or conf.get("DEFAULT_PROVIDER")
    with _lock:
        provider = _cache.get(alias)
        if provider is None:
            provider = _cache[alias] = build_provider(alias)
        return provider


def build_provider(alias: str) -> BaseProvider:
    """Build a new provider for ``alias``; errors name the exact setting at fault."""
    providers = conf.get("PROVIDERS")
    if alias not in providers:
        raise ConfigurationError(
            f"LIFECHECK['PROVIDERS'] has no provider {alias!r} "
            f"(configured: {', '.join(sorted(providers)) or 'none'})."
        )
    entry = providers[alias]
    backend_path = entry.get("BACKEND")
    if not backend_path:
        raise ConfigurationError(f"LIFECHECK['PROVIDERS'][{alias!r}]['BACKEND'] is required.")
    try:
        backend = import_string(backend_path)
    except ImportError as exc:
        raise ConfigurationError(
            f"LIFECHECK['PROVIDERS'][{alias!r}]['BACKEND'] = {backend_path!r} "
            f"cannot be imported: {exc}"
        ) from exc
    if not (isinstance(backend, type) and issubclass(backend, BaseProvider)):
        raise ConfigurationError(
            f"LIFECHECK['PROVIDERS'][{alias!r}]['BACKEND'] = {backend_path!r} "
            "is not a BaseProvider subclass."
        )
    return backend(alias, entry.get("OPTIONS") or {})


def reset_providers(**kwargs: object) -> None:
    """Forget every built provider (connected to ``setting_changed``)."""
    if kwargs.get("setting") not in (None, "LIFECHECK", "DEBUG"):
        return
    with _lock:
        _cache.clear()
