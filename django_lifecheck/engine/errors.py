"""The engine's one exception type."""

from __future__ import annotations


class EngineError(Exception):
    """Bad input or a broken installation, with a message a developer can act on.

    The service maps it to result code 203 (``bad_input``); it is never raised for a
    face that merely fails the check (that is a :class:`~.types.Verdict`).
    """
