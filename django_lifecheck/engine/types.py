"""The engine's input and output types: the contract with the service and the eval.

Pure Python (no Django, no numpy): the service builds these from an upload, the
evaluation harness builds them from synthetic scenarios, and :func:`analyze` turns them
into a :class:`Verdict` whose :meth:`Verdict.to_dict` is stored as JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

ActionName = Literal[
    "LookFront",
    "LookLeft",
    "LookRight",
    "LookUp",
    "LookDown",
    "OpenMouth",
    "BlinkEye",
    "ShakeHead",
    "NodHead",
]


@dataclass(frozen=True)
class FlashStep:
    """One colour of the flash schedule, shown from ``start_ms`` to ``end_ms``.

    Times are relative to the start of capture (the same clock as ``Frame.t_ms``).
    """

    color: str  # "#RRGGBB", from the protocol palette
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class Challenge:
    """What the user was asked to do: ordered actions and/or a flash schedule."""

    actions: tuple[str, ...] = ()
    flash: tuple[FlashStep, ...] = ()

    @property
    def mode(self) -> str:
        if self.actions and self.flash:
            return "action+flash"
        if self.actions:
            return "action"
        if self.flash:
            return "flash"
        return "silent"


@dataclass(frozen=True)
class Frame:
    """One captured camera frame.

    ``color`` is the flash colour on screen when the frame was captured (``None`` when
    no flash was showing); ``prompt`` is the action prompt on screen (``None`` outside
    the action phase).
    """

    jpeg: bytes
    t_ms: int
    color: str | None = None
    prompt: str | None = None


@dataclass(frozen=True)
class ClientInfo:
    """Facts the page reported about the capture device."""

    camera_label: str = ""
    user_agent: str = ""
    width: int = 0
    height: int = 0


Status = Literal["passed", "failed", "error"]


@dataclass
class ActionEvidence:
    """How one requested action was (or was not) found in the frames."""

    action: str
    matched: bool
    frames: list[int] = field(default_factory=list)  # indexes into the frame list
    peak: float | None = None  # the angle (degrees) or openness at the event's peak
    detail: str = ""


@dataclass
class Verdict:
    """The engine's decision.

    ``code`` is the protocol's result code: 200 passed, 202 not passed (``reason`` is
    one of ``injection_suspected``, ``actions_not_matched``, ``not_live``), 203 check
    failed (``no_usable_frames``, ``no_face``, ``multiple_faces``, ``bad_input``).
    """

    status: Status
    code: int
    reason: str = ""
    message: str = ""
    scores: dict[str, float] = field(default_factory=dict)
    actions: list[ActionEvidence] = field(default_factory=list)
    frames_used: int = 0
    portrait_jpeg: bytes | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form for storage and the admin (portrait left out)."""
        data = asdict(self)
        data.pop("portrait_jpeg")
        data["has_portrait"] = self.portrait_jpeg is not None
        return data
