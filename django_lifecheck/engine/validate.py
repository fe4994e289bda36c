"""Checks on what the caller hands to :func:`~.analyze.analyze` (bad input ->
:class:`EngineError`; the service answers 203 ``bad_input``)."""

from __future__ import annotations

import typing
from collections.abc import Sequence

from .config import EngineConfig
from .errors import EngineError
from .types import ActionName, Challenge, ClientInfo, Frame

#: The protocol's actions (``types.ActionName``; protocol.ACTIONS holds the same list,
#: but the engine cannot import protocol.py: it pulls in Django).
ACTIONS: frozenset[str] = frozenset(typing.get_args(ActionName))
#: The protocol's 14 flash colours (protocol.PALETTE; a test keeps the two equal).
PALETTE: frozenset[str] = frozenset(
    {
        "#FFFFFF", "#FFD9E3", "#D8D6FF", "#CFF9FF", "#FFCEFD", "#D8FFCD", "#FFF4CB",
        "#000000", "#3B3C04", "#183C03", "#063C28", "#063C3A", "#060D3C", "#3C0636",
    }
)  # fmt: skip


def _colour_ok(color: object) -> bool:
    return isinstance(color, str) and color.upper() in PALETTE


def validate(
    challenge: Challenge, frames: Sequence[Frame], client: ClientInfo | None, cfg: EngineConfig
) -> None:
    """Raise :class:`EngineError` naming the first problem found."""
    if not isinstance(challenge, Challenge):
        raise EngineError(f"challenge must be a Challenge, got {type(challenge).__name__}")
    if client is not None and not isinstance(client, ClientInfo):
        raise EngineError(f"client must be a ClientInfo, got {type(client).__name__}")
    for a in challenge.actions:
        if a not in ACTIONS:
            raise EngineError(f"unknown action {a!r}; known: {', '.join(sorted(ACTIONS))}")
    prev_end = None
    for k, step in enumerate(challenge.flash):
        if not _colour_ok(step.color):
            raise EngineError(f"flash step {k}: colour {step.color!r} is not in the palette")
        if not (isinstance(step.start_ms, int) and isinstance(step.end_ms, int)):
            raise EngineError(f"flash step {k}: times must be integers")
        if step.end_ms <= step.start_ms:
            raise EngineError(f"flash step {k}: ends before it starts")
        if prev_end is not None and step.start_ms < prev_end:
            raise EngineError(f"flash step {k}: overlaps the previous step")
        prev_end = step.end_ms
    try:
        n = len(frames)
    except TypeError as exc:
        raise EngineError("frames must be a sequence of Frame") from exc
    if n < cfg.min_frames:
        raise EngineError(f"{n} frames: at least {cfg.min_frames} are needed")
    if n > cfg.max_frames:
        raise EngineError(f"{n} frames: at most {cfg.max_frames} are accepted")
    last_t = None
    for i, f in enumerate(frames):
        if not isinstance(f, Frame):
            raise EngineError(f"frame {i}: must be a Frame, got {type(f).__name__}")
        if isinstance(f.t_ms, bool) or not isinstance(f.t_ms, int):
            raise EngineError(f"frame {i}: t_ms must be an integer")
        if last_t is not None and f.t_ms < last_t:
            raise EngineError(f"frame {i}: timestamp {f.t_ms} goes back in time ({last_t})")
        last_t = f.t_ms
        if f.color is not None and not _colour_ok(f.color):
            raise EngineError(f"frame {i}: colour {f.color!r} is not in the palette")
        if f.prompt is not None and f.prompt not in ACTIONS:
            raise EngineError(f"frame {i}: unknown prompt {f.prompt!r}")
        if not isinstance(f.jpeg, bytes | bytearray):
            raise EngineError(f"frame {i}: jpeg must be bytes")
