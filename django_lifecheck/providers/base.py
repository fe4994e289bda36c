"""The provider interface and the small results it returns.

A provider is a service that speaks the lifecheck protocol: the cloud vendor
(:mod:`.jumdata`), the self-hosted service in this app (:mod:`.local`), or the offline
developer page (:mod:`.sandbox`). The integrator code only ever sees these dataclasses,
never a vendor's JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from ..protocol import FINAL_RESULT_CODES, Code


@dataclass(frozen=True)
class InitResult:
    """What ``init`` gave back: the token to send the browser with."""

    token: str
    task_no: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Portrait:
    """A portrait image fetched from the provider, ready to be saved in storage."""

    content: bytes
    content_type: str


@dataclass(frozen=True)
class CheckResult:
    """What ``result`` gave back.

    ``code`` is the protocol's result code (200, 201, 202, 203, 301). ``raw`` is the
    provider's answer with secrets removed, fit to be stored and shown in the admin.
    """

    code: int
    message: str = ""
    task_no: str = ""
    face_image_url: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_final(self) -> bool:
        return self.code in FINAL_RESULT_CODES

    @property
    def passed(self) -> bool:
        return self.code == Code.OK

    @property
    def pending(self) -> bool:
        return self.code == Code.PENDING


class BaseProvider:
    """Base class for providers; subclasses implement :meth:`init` and :meth:`result`.

    Providers are built once per alias from ``LIFECHECK["PROVIDERS"]`` and shared between
    threads, so they must not keep per-request state.
    """

    #: Options a subclass requires; a missing one is a system check error naming it.
    required_options: Sequence[str] = ()

    def __init__(self, alias: str, options: Mapping[str, Any] | None = None) -> None:
        self.alias = alias
        self.options: dict[str, Any] = dict(options or {})

    # -- the protocol -------------------------------------------------------------
    def init(
        self, return_url: str, *, colors: Sequence[str] = (), actions: Sequence[str] = ()
    ) -> InitResult:
        raise NotImplementedError

    def result(self, token: str) -> CheckResult:
        raise NotImplementedError

    def h5_base(self) -> str:
        """The H5 base URL (absolute for a remote service, a path for in-process ones)."""
        raise NotImplementedError

    def h5_url(self, token: str) -> str:
        """Where the browser goes to run the check: ``{h5_base}/check/index?token=``."""
        return f"{self.h5_base().rstrip('/')}/check/index?{urlencode({'token': token})}"

    def fetch_portrait(self, result: CheckResult) -> Portrait | None:
        """Fetch the portrait of a passed check, or ``None`` when there is none."""
        return None

    # -- configuration ------------------------------------------------------------
    def check_configuration(self) -> list[str]:
        """Problems with this provider's options, as messages (empty when fine)."""
        return [
            f"LIFECHECK['PROVIDERS'][{self.alias!r}]['OPTIONS'][{name!r}] is required."
            for name in self.required_options
            if not self.options.get(name)
        ]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.alias!r}>"
