"""The service's one door to the engine, which is an optional extra (``[engine]``).

Importing it lazily here lets the integrator side run without numpy or LiteRT, and
turns a missing extra into :class:`~django_lifecheck.exceptions.EngineUnavailable`
(HTTP 503 for the page) instead of an import error deep in a request.
"""

from __future__ import annotations

from types import ModuleType

from .. import conf
from ..exceptions import ConfigurationError, EngineUnavailable

_REQUIRED = ("analyze", "probe", "EngineConfig", "EngineError")


def load_engine() -> ModuleType:
    """The :mod:`django_lifecheck.engine` module, or :class:`EngineUnavailable`.

    The engine package loads its heavy modules on first attribute access, so the
    attributes are touched here too: that is where a missing numpy or LiteRT shows.
    """
    try:
        from .. import engine

        missing = [name for name in _REQUIRED if getattr(engine, name, None) is None]
    except ImportError as exc:
        raise EngineUnavailable(
            f"The liveness engine cannot be imported ({exc}); install django-lifecheck[engine]."
        ) from exc
    if missing:
        raise EngineUnavailable(
            f"django_lifecheck.engine lacks {', '.join(missing)}; the engine is incomplete."
        )
    return engine


def engine_config(engine: ModuleType):
    """``EngineConfig`` from ``LIFECHECK["ENGINE"]``.

    A bad setting is a configuration error of the site, not bad input from the user,
    so it is raised as :class:`ConfigurationError` (the task logs it as an internal
    error) rather than as the engine's ``EngineError``.
    """
    try:
        return engine.EngineConfig.from_mapping(conf.get("ENGINE") or {})
    except engine.EngineError as exc:
        raise ConfigurationError(f"LIFECHECK['ENGINE']: {exc}") from exc
