"""Fixtures shared by the service's tests."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from .helpers import make_key


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate-limit and quota counters live in the cache: every test starts from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def key():
    return make_key()
