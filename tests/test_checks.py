"""System checks report bad LIFECHECK settings with their ids."""

from __future__ import annotations

import pytest
from django.test import override_settings

from django_lifecheck.checks import check_settings

SANDBOX = {"BACKEND": "django_lifecheck.providers.sandbox.SandboxProvider", "OPTIONS": {}}


def ids(**lifecheck) -> set[str]:
    with override_settings(LIFECHECK=lifecheck):
        return {p.id for p in check_settings()}


def test_test_settings_have_no_errors():
    assert not [p for p in check_settings() if p.level >= 40]


def test_unknown_default_provider():
    assert "lifecheck.E002" in ids(
        DEFAULT_PROVIDER="nope", PROVIDERS={"sandbox": SANDBOX}, SANDBOX_ALLOW_WITHOUT_DEBUG=True
    )


def test_unimportable_backend():
    found = ids(DEFAULT_PROVIDER="x", PROVIDERS={"x": {"BACKEND": "no.such.Backend"}})
    assert "lifecheck.E003" in found


def test_backend_that_is_not_a_provider():
    found = ids(DEFAULT_PROVIDER="x", PROVIDERS={"x": {"BACKEND": "django.http.HttpResponse"}})
    assert "lifecheck.E003" in found


def test_missing_options_of_jumdata():
    found = ids(
        DEFAULT_PROVIDER="j",
        PROVIDERS={"j": {"BACKEND": "django_lifecheck.providers.jumdata.JumdataProvider"}},
    )
    assert "lifecheck.E004" in found


def test_plain_http_vendor_urls_warn():
    options = {
        "appcode": "secret",
        "init_url": "http://vendor.example.com/init",
        "result_url": "https://vendor.example.com/result",
        "h5_base": "https://vendor.example.com/v2",
    }
    found = ids(
        DEFAULT_PROVIDER="j",
        PROVIDERS={
            "j": {
                "BACKEND": "django_lifecheck.providers.jumdata.JumdataProvider",
                "OPTIONS": options,
            }
        },
    )
    assert "lifecheck.W002" in found
    assert "lifecheck.E004" not in found


@override_settings(DEBUG=False)
def test_sandbox_with_debug_off():
    assert "lifecheck.E005" in ids(DEFAULT_PROVIDER="s", PROVIDERS={"s": SANDBOX})
    assert "lifecheck.E005" not in ids(
        DEFAULT_PROVIDER="s", PROVIDERS={"s": SANDBOX}, SANDBOX_ALLOW_WITHOUT_DEBUG=True
    )


def test_unknown_keys_and_modes():
    found = ids(
        DEFAULT_PROVIDER="s",
        PROVIDERS={"s": SANDBOX},
        SANDBOX_ALLOW_WITHOUT_DEBUG=True,
        SUCESS_URL="/typo",
        ALLOWED_MODES=("silent", "dance"),
    )
    assert {"lifecheck.W001", "lifecheck.E006"} <= found


@pytest.mark.parametrize("debug,expected", [(False, True), (True, False)])
def test_process_local_cache_warning(debug, expected):
    with override_settings(DEBUG=debug):
        found = ids(
            DEFAULT_PROVIDER="s", PROVIDERS={"s": SANDBOX}, SANDBOX_ALLOW_WITHOUT_DEBUG=True
        )
    assert ("lifecheck.W004" in found) is expected


def test_local_provider_with_service_disabled():
    local = {"BACKEND": "django_lifecheck.providers.local.LocalProvider", "OPTIONS": {}}
    assert "lifecheck.E007" in ids(
        DEFAULT_PROVIDER="l", PROVIDERS={"l": local}, SERVICE_ENABLED=False
    )
    assert "lifecheck.E007" not in ids(DEFAULT_PROVIDER="l", PROVIDERS={"l": local})


def test_django_upload_file_limit_below_frame_cap():
    with override_settings(DATA_UPLOAD_MAX_NUMBER_FILES=10):
        found = ids(
            DEFAULT_PROVIDER="s", PROVIDERS={"s": SANDBOX}, SANDBOX_ALLOW_WITHOUT_DEBUG=True
        )
    assert "lifecheck.E008" in found
