"""The protocol's ``init`` and ``result``, transport-free.

The HTTP views (:mod:`.views`) and the in-process ``local`` provider both call these
functions, so both answer exactly the same way: maintenance, disabled key, rate limit,
quota, parameter validation, single-use tokens, expiry and idempotent results.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import conf
from ..exceptions import InvalidParameter
from ..models import ApiKey, ServiceToken
from ..protocol import RESULT_PASSED_MESSAGE, WIRE_MESSAGES, Code, envelope, new_task_no, parse_init
from . import limits, state
from .challenge import draw_flash
from .portrait import portrait_path


@dataclass(frozen=True)
class Answer:
    """One protocol answer; :meth:`body` is the wire JSON."""

    code: int
    msg: str | None = None
    data: dict[str, Any] | None = None
    task_no: str = field(default_factory=new_task_no)

    def body(self) -> dict[str, Any]:
        return envelope(self.code, self.msg, task_no=self.task_no, data=self.data)


def parameter_error(exc: InvalidParameter) -> Answer:
    """Code 400 with the vendor's message followed by what exactly is wrong."""
    return Answer(Code.PARAMETER_ERROR, f"{WIRE_MESSAGES[Code.PARAMETER_ERROR]}: {exc}")


def maintenance() -> Answer | None:
    """Code 500 while ``SERVICE_MAINTENANCE`` is on (checked before anything else)."""
    if conf.get("SERVICE_MAINTENANCE"):
        return Answer(Code.MAINTENANCE)
    return None


def gate(api_key: ApiKey, *, counts_for_quota: bool) -> Answer | None:
    """Maintenance, disabled key, rate limit and quota, in that order."""
    answer = maintenance()
    if answer is not None:
        return answer
    if not api_key.is_active:
        return Answer(Code.DISABLED)
    try:
        if limits.hit_rate_limit(api_key):
            return Answer(Code.TOO_MANY_REQUESTS)
        if counts_for_quota and limits.hit_daily_quota(api_key):
            return Answer(Code.QUOTA_EXCEEDED)
    except limits.LimitsUnavailable:
        # Fail closed: no unlimited service while the counters are down (README,
        # "Production"); code 500 tells clients to try again later.
        return Answer(Code.MAINTENANCE)
    return None


def init(api_key: ApiKey, params: Mapping[str, Any]) -> Answer:
    """Issue a token with its challenge (``returnUrl``, ``colors``, ``actions``)."""
    refused = gate(api_key, counts_for_quota=True)
    if refused is not None:
        return refused
    try:
        parsed = parse_init(params.get("returnUrl"), params.get("colors"), params.get("actions"))
    except InvalidParameter as exc:
        return parameter_error(exc)
    task_no = new_task_no()
    token = ServiceToken.objects.create(
        api_key=api_key,
        task_no=task_no,
        return_url=parsed.return_url,
        colors=list(parsed.colors),
        actions=list(parsed.actions),
        flash=draw_flash(parsed.colors),
    )
    return Answer(Code.OK, data={"token": token.token}, task_no=task_no)


def result(api_key: ApiKey, params: Mapping[str, Any]) -> Answer:
    """The token's result: 201 before it (or for a token this key never got), 301
    after expiry, else the final 200/202/203, the same every time."""
    refused = gate(api_key, counts_for_quota=False)
    if refused is not None:
        return refused
    value = (params.get("token") or "").strip()
    if not value:
        return parameter_error(InvalidParameter("token", "is required."))
    token = ServiceToken.objects.filter(token=value, api_key=api_key).first()
    if token is None:
        return Answer(Code.PENDING)
    if token.is_expired:
        return Answer(Code.EXPIRED)
    token = state.end_stale_analysis(token)
    if not token.is_final:
        return Answer(Code.PENDING)
    if token.result_code == Code.OK:
        url = portrait_path(token) if token.portrait else ""
        return Answer(Code.OK, RESULT_PASSED_MESSAGE, data={"faceImageUrl": url})
    return Answer(token.result_code, data={"reason": token.reason})
