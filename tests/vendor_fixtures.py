"""Pytest fixtures for the fake Jumdata vendor (a plugin module).

Use it with ``pytest_plugins = ["tests.vendor_fixtures"]`` (tests/conftest.py or a test
module). Fixtures:

* ``fake_vendor``: a started :class:`tests.fakevendor.FakeVendor`, fresh per test and
  stopped afterwards. ``fake_vendor.settings_for("appcode" | "direct")`` gives provider
  OPTIONS, ``fake_vendor.provider_entry(...)`` a whole ``LIFECHECK["PROVIDERS"]`` entry.
* ``jumdata_provider``: a JumdataProvider against ``fake_vendor``, parametrised over both
  auth modes (so each test using it runs twice).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakevendor import AUTH_MODES, FakeVendor


@pytest.fixture
def fake_vendor() -> Iterator[FakeVendor]:
    vendor = FakeVendor().start()
    try:
        yield vendor
    finally:
        vendor.stop()


@pytest.fixture(params=AUTH_MODES)
def jumdata_provider(request: pytest.FixtureRequest, fake_vendor: FakeVendor):
    from django_lifecheck.providers.jumdata import JumdataProvider

    provider = JumdataProvider(f"jumdata-{request.param}", fake_vendor.settings_for(request.param))
    yield provider
    provider.session.close()
