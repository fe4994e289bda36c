"""Per-key rate limit (code 609) and daily quota (code 606), counted in Django's cache.

Fixed windows with ``cache.add`` + ``cache.incr`` are atomic on Redis and Memcached and
good enough on the local-memory cache; a shared cache is needed when several processes
serve the API. Settings: ``SERVICE_RATE_LIMIT`` (``"60/m"``; ``None`` for no limit) and
``SERVICE_DAILY_QUOTA`` (init calls per UTC day; ``None`` for no quota), overridden per
key by :attr:`ApiKey.rate_limit` and :attr:`ApiKey.daily_quota`.

When the cache cannot be reached (Redis down) the limits fail *closed*: counting raises
:class:`LimitsUnavailable` and the API answers code 500 ("try again later") instead of
serving without limits or crashing with an HTTP 500 page. Exempt keys (the in-process
``local`` provider) never touch the cache and keep working.
"""

from __future__ import annotations

import logging
import re
import time

from django.core.cache import cache
from django.utils import timezone

from .. import conf
from ..exceptions import ConfigurationError
from ..models import ApiKey

logger = logging.getLogger(__name__)

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\w*\s*$", re.IGNORECASE)


def parse_rate(value: str | None) -> tuple[int, int] | None:
    """``"60/m"`` -> ``(60, 60)`` (requests, seconds); ``"10/5s"`` works too.

    ``None``, ``""`` and ``"none"`` mean no limit.
    """
    if value is None or not str(value).strip() or str(value).strip().lower() == "none":
        return None
    match = _RATE_RE.match(str(value))
    if not match:
        raise ConfigurationError(
            f"Rate limit {value!r} is not like '60/m' (requests per s, m, h or d)."
        )
    count, multiplier, unit = match.groups()
    return int(count), int(multiplier or 1) * _PERIODS[unit.lower()]


class LimitsUnavailable(Exception):
    """The cache holding the counters cannot be reached; the limits cannot be checked."""


def _count(key: str, timeout: int) -> int:
    try:
        cache.add(key, 0, timeout)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout)
            return 1
    except Exception as exc:  # each cache backend raises its own client's errors
        logger.error("lifecheck: rate-limit cache unavailable (%s); refusing", type(exc).__name__)
        raise LimitsUnavailable(str(exc)) from exc


def hit_rate_limit(api_key: ApiKey) -> bool:
    """Count one request; True when it goes over the key's rate limit."""
    if api_key.limits_exempt:
        return False
    rate = parse_rate(api_key.rate_limit or conf.get("SERVICE_RATE_LIMIT"))
    if rate is None:
        return False
    count, seconds = rate
    window = int(time.time() // seconds)
    return _count(f"lifecheck:rate:{api_key.pk}:{seconds}:{window}", seconds + 1) > count


def hit_daily_quota(api_key: ApiKey) -> bool:
    """Count one check started today; True when it goes over the key's quota."""
    if api_key.limits_exempt:
        return False
    quota = api_key.daily_quota
    if quota is None:
        quota = conf.get("SERVICE_DAILY_QUOTA")
    if quota is None:
        return False
    day = timezone.now().date().isoformat()
    return _count(f"lifecheck:quota:{api_key.pk}:{day}", 2 * 86400) > quota


def throttle(name: str, count: int, seconds: int) -> bool:
    """A generic fixed-window throttle (the page's probe endpoint); True when over."""
    window = int(time.time() // seconds)
    return _count(f"lifecheck:throttle:{name}:{seconds}:{window}", seconds + 1) > count
