"""The liveness engine: frames of a challenge in, a :class:`~.types.Verdict` out.

Pure Python on numpy, Pillow and the LiteRT interpreter, CPU only, no Django. The
service calls :func:`analyze` on an upload and :func:`probe` for the page's live
"no face / more than one face" hint; the evaluation harness (``engine.eval``) calls
the same functions on synthetic scenarios.

Heavy modules load on first use, so importing the package stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import EngineError

if TYPE_CHECKING:
    from .config import EngineConfig
    from .pipeline import ProbeResult, analyze, probe

__all__ = ["EngineConfig", "EngineError", "ProbeResult", "analyze", "probe"]

_LAZY = {
    "analyze": ".pipeline",
    "probe": ".pipeline",
    "ProbeResult": ".pipeline",
    "EngineConfig": ".config",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(module, __name__), name)
