"""The service's one door to the engine, which is an optional extra (``[engine]``).

Importing it lazily here lets the integrator side run without numpy or LiteRT, and
turns a missing extra into :class:`~django_lifecheck.exceptions.EngineUnavailable`
(HTTP 503 for the page) instead of an import error deep in a request.
"""

from __future__ import annotations

from types import ModuleType

from ..exceptions import EngineUnavailable

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
            f"The liveness engine cannot be imported ({exc}); "
            "install django-lifecheck[engine]."
        ) from exc
    if missing:
        raise EngineUnavailable(
            f"django_lifecheck.engine lacks {', '.join(missing)}; the engine is incomplete."
        )
    return engine
