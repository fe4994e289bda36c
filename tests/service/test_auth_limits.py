"""Key parsing and hashing, and the rate syntax."""

from __future__ import annotations

import pytest

from django_lifecheck.exceptions import ConfigurationError
from django_lifecheck.models.service import hash_secret
from django_lifecheck.service.auth import AuthError, authenticate, parse_appcode
from django_lifecheck.service.limits import parse_rate

from .helpers import make_key


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("APPCODE abc.def", "abc.def"),
        ("appcode   abc.def  ", "abc.def"),
        ("Bearer abc.def", None),
        ("APPCODE", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_appcode(header, expected):
    assert parse_appcode(header) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("60/m", (60, 60)),
        ("10/5s", (10, 5)),
        (" 100 / h ", (100, 3600)),
        ("5000/day", (5000, 86400)),
        ("1/S", (1, 1)),
        ("", None),
        (None, None),
        ("none", None),
    ],
)
def test_parse_rate(value, expected):
    assert parse_rate(value) == expected


@pytest.mark.parametrize("value", ["60", "/m", "sixty/m", "60/w", "-1/m"])
def test_parse_rate_refuses_nonsense(value):
    with pytest.raises(ConfigurationError, match="60/m"):
        parse_rate(value)


@pytest.mark.django_db
def test_keys_are_stored_hashed_and_checked_whole():
    api_key, plain = make_key()
    prefix, secret = plain.split(".", 1)
    assert api_key.prefix == prefix and len(secret) >= 40
    assert api_key.secret_hash == hash_secret(secret) and secret not in api_key.secret_hash
    assert authenticate(f"APPCODE {plain}") == api_key
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None
    for wrong in (prefix, f"{prefix}.", f"{prefix}.{secret[:-1]}", f"x{plain}"):
        with pytest.raises(AuthError) as info:
            authenticate(f"APPCODE {wrong}")
        assert not info.value.disabled
    other, other_plain = make_key("other")
    assert other.prefix != api_key.prefix and other_plain != plain
