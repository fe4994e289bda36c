"""``Authorization: APPCODE <key>`` for the service's machine API.

A key is ``<prefix>.<secret>``. The prefix finds the row; the secret is checked by its
SHA-256 with a constant-time compare. A missing or unknown key is answered the way the
cloud API market's gateway does it (HTTP 401 with ``X-Ca-Error-Code`` /
``X-Ca-Error-Message`` headers), so a client written for the vendor reports it as a
gateway error; a disabled (revoked) key is the protocol's own code 604.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from ..models import ApiKey

#: The gateway's error code for a bad AppCode (what the vendor's clients expect).
GATEWAY_BAD_APPCODE = "A401AC"
#: How often ``last_used_at`` is written at most (saves a write per request).
LAST_USED_RESOLUTION = timedelta(minutes=1)


class AuthError(Exception):
    """The request has no usable key; ``disabled`` tells 604 from 401."""

    def __init__(self, message: str, *, disabled: bool = False) -> None:
        super().__init__(message)
        self.disabled = disabled


def parse_appcode(header: str | None) -> str | None:
    """The key in an ``Authorization: APPCODE <key>`` header (scheme case-insensitive)."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.upper() != "APPCODE":
        return None
    return value.strip() or None


def authenticate(header: str | None) -> ApiKey:
    """The active :class:`ApiKey` named by the header, or :class:`AuthError`."""
    plain = parse_appcode(header)
    if plain is None:
        raise AuthError("Missing 'Authorization: APPCODE <key>' header.")
    prefix, dot, secret = plain.partition(".")
    api_key = ApiKey.objects.filter(prefix=prefix).first() if dot else None
    if api_key is None or not api_key.matches(secret):
        raise AuthError("Unknown API key.")
    if not api_key.is_active:
        raise AuthError("This API key is disabled.", disabled=True)
    touch(api_key)
    return api_key


def touch(api_key: ApiKey) -> None:
    """Record that the key was used (at most once a minute)."""
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
