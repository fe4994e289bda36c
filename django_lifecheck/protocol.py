"""The lifecheck H5 protocol: codes, messages, palette, actions and init validation.

Everything here follows ``spec/protocol.md`` (the normative English restatement of the
vendor's document). Both halves of the app use it: the integrator to validate what it
sends, the self-hosted service to validate what it receives.
"""

from __future__ import annotations

from enum import IntEnum


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

#: Result codes after which the check can never change again.
FINAL_RESULT_CODES = frozenset({Code.OK, Code.NOT_PASSED, Code.CHECK_FAILED, Code.EXPIRED})

BRIGHT_COLORS: tuple[str, ...] = (
    "#FFFFFF", "#FFD9E3", "#D8D6FF", "#CFF9FF", "#FFCEFD", "#D8FFCD", "#FFF4CB",
)
DARK_COLORS: tuple[str, ...] = (
    "#000000", "#3B3C04", "#183C03", "#063C28", "#063C3A", "#060D3C", "#3C0636",
)
PALETTE: tuple[str, ...] = BRIGHT_COLORS + DARK_COLORS

ACTIONS: tuple[str, ...] = (
    "LookFront", "LookLeft", "LookRight", "LookUp", "LookDown",
    "OpenMouth", "BlinkEye", "ShakeHead", "NodHead",
)

RETURN_URL_MAX_LENGTH = 128
TOKEN_LIFETIME_SECONDS = 600
