"""The lifecheck H5 protocol: codes, messages, palette, actions and init validation.

Everything here follows ``spec/protocol.md`` (the normative English restatement of the
vendor's document). Both halves of the app use it: the integrator to validate what it
sends, the self-hosted service to validate what it receives.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any
from urllib.parse import urlencode, urlsplit

from .exceptions import InvalidParameter


class Code(IntEnum):
    """Every ``code`` the protocol defines (public codes and result codes)."""

    OK = 200
    PENDING = 201  # result: no result yet (or unknown token)
    NOT_PASSED = 202  # result: injection / actions not matched / not live
    CHECK_FAILED = 203  # result: browser, permission, bad parameters, other
    EXPIRED = 301  # result: token expired
    PARAMETER_ERROR = 400
    MAINTENANCE = 500
    DISABLED = 604
    QUOTA_EXCEEDED = 606
    TOO_MANY_REQUESTS = 609
    TIMEOUT = 610
    OTHER = 999


#: The vendor's Chinese messages, kept on the wire for compatibility.
WIRE_MESSAGES: dict[int, str] = {
    Code.OK: "成功",
    Code.PENDING: "未查询到检测结果",
    Code.NOT_PASSED: "活体检测未通过",
    Code.CHECK_FAILED: "检测失败",
    Code.EXPIRED: "token 已过期",
    Code.PARAMETER_ERROR: "参数错误",
    Code.MAINTENANCE: "系统维护，请稍后再试",
    Code.DISABLED: "接口停用",
    Code.QUOTA_EXCEEDED: "调用量已超出限额，请稍后再试",
    Code.TOO_MANY_REQUESTS: "请求过于频繁，请稍后再试",
    Code.TIMEOUT: "请求超时",
    Code.OTHER: "其他错误",
}
#: ``result`` answers 200 with its own message.
RESULT_PASSED_MESSAGE = "活体检测通过"

#: Public codes of a passing fault: the same call may succeed if made again at once.
TRANSIENT_CODES = frozenset({Code.MAINTENANCE, Code.TIMEOUT})
#: Public codes that say "try again later": worth asking again, but not at once.
TRY_LATER_CODES = frozenset({Code.QUOTA_EXCEEDED, Code.TOO_MANY_REQUESTS})

#: Result codes after which the check can never change again.
FINAL_RESULT_CODES = frozenset({Code.OK, Code.NOT_PASSED, Code.CHECK_FAILED, Code.EXPIRED})

BRIGHT_COLORS: tuple[str, ...] = (
    "#FFFFFF",
    "#FFD9E3",
    "#D8D6FF",
    "#CFF9FF",
    "#FFCEFD",
    "#D8FFCD",
    "#FFF4CB",
)
DARK_COLORS: tuple[str, ...] = (
    "#000000",
    "#3B3C04",
    "#183C03",
    "#063C28",
    "#063C3A",
    "#060D3C",
    "#3C0636",
)
PALETTE: tuple[str, ...] = BRIGHT_COLORS + DARK_COLORS

ACTIONS: tuple[str, ...] = (
    "LookFront",
    "LookLeft",
    "LookRight",
    "LookUp",
    "LookDown",
    "OpenMouth",
    "BlinkEye",
    "ShakeHead",
    "NodHead",
)

RETURN_URL_MAX_LENGTH = 128
TOKEN_LIFETIME_SECONDS = 600

# -- init-parameter validation ----------------------------------------------------------
#
# Decisions the vendor's document leaves open (pinned here, tested in
# tests/test_protocol.py):
#
# * An empty or all-whitespace value means "not given" (``returnUrl`` is then missing);
#   whitespace around a value or an item is dropped.
# * Lists split on ``,`` and the full-width ``，``; spaces around items are dropped. An
#   empty item (``a,,b`` or a trailing separator) is an error: it is nearly always a
#   template bug, and the vendor's behaviour for it is undocumented.
# * Colours are case-insensitive and normalised to upper case; actions are exact-case
#   (the vendor compares them as strings). A repeated value is an error.
# * ``returnUrl`` (at most 128 characters, no whitespace or control characters) is
#   either an ``http://``/``https://`` URL with a host, or a mini-program page path:
#   an optional leading ``/``, then one or more segments of ASCII letters, digits, ``_``
#   and ``-`` joined by single ``/``, then optionally ``?`` and a query of URL
#   characters (no ``#``). Dots are not allowed in the path, so ``example.com/return``
#   (a URL missing its scheme) and ``//host/x`` are rejected instead of being taken
#   for a path.

#: The four check modes, named as in ``LIFECHECK["ALLOWED_MODES"]``.
MODE_SILENT = "silent"
MODE_ACTION = "action"
MODE_FLASH = "flash"
MODE_ACTION_FLASH = "action+flash"
MODES: tuple[str, ...] = (MODE_SILENT, MODE_ACTION, MODE_FLASH, MODE_ACTION_FLASH)

#: Separators accepted between list items: ASCII comma and the full-width comma.
LIST_SEPARATORS = (",", "，")
_SEPARATOR_RE = re.compile("[,，]")
_MINI_PROGRAM_PATH_RE = re.compile(
    r"/?[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)*"  # page path segments
    r"(?:\?[A-Za-z0-9\-._~%!$&'()*+,;=:@/?]*)?"  # optional query, RFC 3986 characters
)
_FORBIDDEN_URL_CHARS_RE = re.compile(r"[\s\x00-\x1f\x7f\\]")
_TASK_NO_RANDOM_DIGITS = 10

_BRIGHT = frozenset(BRIGHT_COLORS)
_DARK = frozenset(DARK_COLORS)
_ACTIONS = frozenset(ACTIONS)


def is_bright(color: str) -> bool:
    """Whether ``color`` (any case, spaces tolerated) is a bright palette colour."""
    return color.strip().upper() in _BRIGHT


def is_dark(color: str) -> bool:
    """Whether ``color`` (any case, spaces tolerated) is a dark palette colour."""
    return color.strip().upper() in _DARK


def split_list(value: str | Sequence[str] | None) -> list[str]:
    """Split a wire list (``a,b`` or ``a，b``) into stripped items.

    A sequence is accepted too (what Python callers naturally pass), its items stripped.
    Empty and all-whitespace values give ``[]`` (= not given); empty items inside a
    non-empty list are kept as ``""`` so that validation can name them.
    """
    if value is None:
        return []
    if isinstance(value, str):
        if not value.strip():
            return []
        return [item.strip() for item in _SEPARATOR_RE.split(value)]
    items = [str(item).strip() for item in value]
    return [] if not any(items) else items


def mode_for(colors: Sequence[str], actions: Sequence[str]) -> str:
    """The check mode implied by the (validated) colours and actions."""
    if colors and actions:
        return MODE_ACTION_FLASH
    if colors:
        return MODE_FLASH
    if actions:
        return MODE_ACTION
    return MODE_SILENT


@dataclass(frozen=True)
class InitParams:
    """Validated, normalised ``init`` parameters."""

    return_url: str
    colors: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()

    @property
    def mode(self) -> str:
        return mode_for(self.colors, self.actions)

    def as_form(self) -> dict[str, str]:
        """The wire form fields; lists joined with ASCII commas, absent when empty."""
        form = {"returnUrl": self.return_url}
        if self.colors:
            form["colors"] = ",".join(self.colors)
        if self.actions:
            form["actions"] = ",".join(self.actions)
        return form


def validate_return_url(value: str | None) -> str:
    """Return ``value`` if it is an acceptable ``returnUrl``, else raise InvalidParameter."""
    param = "returnUrl"
    value = (value or "").strip()
    if not value:
        raise InvalidParameter(param, "is required.")
    if len(value) > RETURN_URL_MAX_LENGTH:
        raise InvalidParameter(
            param,
            f"{value[:40]!r}... is {len(value)} characters long; "
            f"at most {RETURN_URL_MAX_LENGTH} are allowed.",
        )
    if _FORBIDDEN_URL_CHARS_RE.search(value):
        raise InvalidParameter(
            param, f"{value!r} contains whitespace, a backslash or a control character."
        )
    scheme = value.split(":", 1)[0].lower() if ":" in value else ""
    if scheme in ("http", "https"):
        try:
            # urlsplit raises ValueError on a bad IPv6 literal ("http://[") or a host
            # that is invalid under NFKC normalisation; .port on a bad port.
            parts = urlsplit(value)
            parts.port  # noqa: B018
        except ValueError:
            raise InvalidParameter(param, f"{value!r} has an invalid host or port.") from None
        if not parts.hostname or not value[len(scheme) :].startswith("://"):
            raise InvalidParameter(param, f"{value!r} is an {scheme} URL without a host.")
        return value
    if _MINI_PROGRAM_PATH_RE.fullmatch(value):
        return value
    raise InvalidParameter(
        param,
        f"{value!r} is neither an http(s) URL with a host nor a mini-program page path "
        "(like '/pages/result/index').",
    )


def _check_items(param: str, items: list[str]) -> None:
    seen: set[str] = set()
    for item in items:
        if not item:
            raise InvalidParameter(
                param, "has an empty item (two separators in a row, or one at an end)."
            )
        if item in seen:
            raise InvalidParameter(param, f"{item!r} is given more than once.")
        seen.add(item)


def validate_colors(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """Validate and normalise ``colors``; ``()`` when not given."""
    param = "colors"
    items = [item.upper() for item in split_list(value)]
    _check_items(param, items)
    for item in items:
        if item not in _BRIGHT and item not in _DARK:
            raise InvalidParameter(
                param, f"{item!r} is not one of the 14 palette colours ({', '.join(PALETTE)})."
            )
    if len(items) >= 2 and not (any(map(is_bright, items)) and any(map(is_dark, items))):
        raise InvalidParameter(
            param,
            f"{','.join(items)!r} must include at least one bright and one dark colour.",
        )
    return tuple(items)


def validate_actions(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """Validate ``actions`` (exact case, order kept); ``()`` when not given."""
    param = "actions"
    items = split_list(value)
    _check_items(param, items)
    by_lower = {action.lower(): action for action in ACTIONS}
    for item in items:
        if item not in _ACTIONS:
            hint = by_lower.get(item.lower())
            suggestion = f" (did you mean {hint!r}? names are case-sensitive)" if hint else ""
            raise InvalidParameter(
                param,
                f"{item!r} is not an action{suggestion}; allowed: {', '.join(ACTIONS)}.",
            )
    return tuple(items)


def parse_init(
    return_url: str | None,
    colors: str | Sequence[str] | None = None,
    actions: str | Sequence[str] | None = None,
) -> InitParams:
    """Validate ``init`` parameters as ``spec/protocol.md`` says; raise InvalidParameter.

    Accepts the wire form (comma-separated strings) or Python sequences, so the service
    (validating a request) and the integrator (validating before it calls out) share it.
    """
    params = InitParams(
        return_url=validate_return_url(return_url),
        colors=validate_colors(colors),
        actions=validate_actions(actions),
    )
    if params.colors and params.actions and "LookFront" not in params.actions:
        raise InvalidParameter(
            "actions",
            f"{','.join(params.actions)!r} must include 'LookFront' when colors are given "
            "(the flash runs while the user looks straight at the camera).",
        )
    return params


# -- service-side helpers -----------------------------------------------------------------


def new_task_no() -> str:
    """A fresh 24-digit ``taskNo``: UTC ``YYYYmmddHHMMSS`` + 10 random digits.

    The time prefix keeps numbers sortable and readable in logs; the 10 digits from
    :mod:`secrets` make two numbers issued in the same second collide with probability
    1e-10 per pair.
    """
    prefix = time.strftime("%Y%m%d%H%M%S", time.gmtime())
    return prefix + f"{secrets.randbelow(10**_TASK_NO_RANDOM_DIGITS):0{_TASK_NO_RANDOM_DIGITS}d}"


def envelope(
    code: int,
    msg: str | None = None,
    *,
    task_no: str | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A response body: ``code``, ``msg`` (the vendor's wording by default), ``taskNo``
    (new unless given) and ``data`` only when there is data."""
    body: dict[str, Any] = {
        "code": int(code),
        "msg": msg if msg is not None else WIRE_MESSAGES.get(int(code), ""),
        "taskNo": task_no or new_task_no(),
    }
    if data is not None:
        body["data"] = data
    return body


def return_redirect_url(return_url: str, token: str, success: bool) -> str:
    """Where the H5 page sends the browser back: ``returnUrl?token=&success=true|false``.

    Literal concatenation, as the vendor does: ``&`` when ``returnUrl`` already has a
    ``?``. A hash-routed page (``https://x/#/done``) thus gets the parameters inside its
    fragment, where its router's query parser finds them.
    """
    query = urlencode({"token": token, "success": "true" if success else "false"})
    if return_url.endswith(("?", "&")):
        return return_url + query
    return f"{return_url}{'&' if '?' in return_url else '?'}{query}"


def join_list(items: Iterable[str]) -> str:
    """The wire form of a list (ASCII commas)."""
    return ",".join(items)
