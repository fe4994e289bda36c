"""The provider registry: built from LIFECHECK["PROVIDERS"], reset when settings change."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_lifecheck.exceptions import ConfigurationError
from django_lifecheck.providers import get_provider, reset_providers
from django_lifecheck.providers.sandbox import SandboxProvider
from tests.conftest import FAULTY_BACKEND, SANDBOX_BACKEND, FaultySandbox, lifecheck_settings


@pytest.fixture(autouse=True)
def _fresh_registry():
    reset_providers()
    yield
    reset_providers()


def providers(**entries):
    return {"sandbox": {"BACKEND": SANDBOX_BACKEND, "OPTIONS": {}}, **entries}


def test_default_provider_is_built_once():
    provider = get_provider()
    assert type(provider) is SandboxProvider and provider.alias == "sandbox"
    assert get_provider() is provider
    assert get_provider("sandbox") is provider


def test_override_settings_swaps_the_provider_and_restores_it(settings):
    before = get_provider()
    patched = {
        **settings.LIFECHECK,
        "PROVIDERS": {"sandbox": {"BACKEND": FAULTY_BACKEND, "OPTIONS": {"init_error": "timeout"}}},
    }
    with override_settings(LIFECHECK=patched):
        inside = get_provider()
        assert type(inside) is FaultySandbox
        assert inside.options == {"init_error": "timeout"}
    after = get_provider()
    assert type(after) is SandboxProvider and after is not inside
    assert after is not before  # the cache was dropped on the way out too


def test_pytest_settings_fixture_swaps_the_default(settings):
    assert type(get_provider()) is SandboxProvider
    lifecheck_settings(
        settings,
        DEFAULT_PROVIDER="other",
        PROVIDERS=providers(other={"BACKEND": FAULTY_BACKEND, "OPTIONS": {"x": 1}}),
    )
    provider = get_provider()
    assert type(provider) is FaultySandbox and provider.alias == "other"
    assert provider.options == {"x": 1}
    assert type(get_provider("sandbox")) is SandboxProvider


def test_options_are_copied_and_optional(settings):
    options = {"a": 1}
    lifecheck_settings(settings, PROVIDERS=providers(bare={"BACKEND": SANDBOX_BACKEND}))
    assert get_provider("bare").options == {}
    lifecheck_settings(
        settings, PROVIDERS=providers(opt={"BACKEND": SANDBOX_BACKEND, "OPTIONS": options})
    )
    provider = get_provider("opt")
    provider.options["a"] = 2
    assert options == {"a": 1}


def test_debug_change_resets_but_unrelated_settings_do_not(settings):
    provider = get_provider()
    settings.SOME_UNRELATED_SETTING = 1
    assert get_provider() is provider
    settings.DEBUG = not settings.DEBUG
    assert get_provider() is not provider


def test_unknown_alias_names_the_setting(settings):
    with pytest.raises(ConfigurationError) as info:
        get_provider("nope")
    message = str(info.value)
    assert "LIFECHECK['PROVIDERS']" in message and "'nope'" in message
    assert "sandbox" in message  # what is configured
    assert isinstance(info.value, ImproperlyConfigured)


def test_unknown_default_provider(settings):
    lifecheck_settings(settings, DEFAULT_PROVIDER="missing")
    with pytest.raises(ConfigurationError, match=r"LIFECHECK\['PROVIDERS'\] has no .*'missing'"):
        get_provider()


def test_empty_providers(settings):
    lifecheck_settings(settings, PROVIDERS={})
    with pytest.raises(ConfigurationError, match="configured: none"):
        get_provider()


def test_missing_backend(settings):
    lifecheck_settings(settings, PROVIDERS=providers(broken={"OPTIONS": {}}))
    with pytest.raises(ConfigurationError, match=r"\['PROVIDERS'\]\['broken'\]\['BACKEND'\]"):
        get_provider("broken")


@pytest.mark.parametrize(
    "path",
    [
        "django_lifecheck.providers.nonexistent.Provider",
        "django_lifecheck.providers.sandbox.NoSuchClass",
        "notadottedpath",
    ],
)
def test_unimportable_backend(settings, path):
    lifecheck_settings(settings, PROVIDERS=providers(broken={"BACKEND": path}))
    with pytest.raises(ConfigurationError) as info:
        get_provider("broken")
    message = str(info.value)
    assert "LIFECHECK['PROVIDERS']['broken']['BACKEND']" in message
    assert path in message and "cannot be imported" in message


@pytest.mark.parametrize("path", ["django.http.HttpResponse", "os.path.join"])
def test_backend_that_is_not_a_provider(settings, path):
    lifecheck_settings(settings, PROVIDERS=providers(broken={"BACKEND": path}))
    with pytest.raises(ConfigurationError, match="is not a BaseProvider subclass"):
        get_provider("broken")


def test_failed_build_is_not_cached(settings):
    lifecheck_settings(settings, PROVIDERS=providers(later={"BACKEND": "nowhere.Nothing"}))
    with pytest.raises(ConfigurationError):
        get_provider("later")
    # Fixing the setting is enough, even without a reset in between.
    settings.LIFECHECK["PROVIDERS"]["later"] = {"BACKEND": FAULTY_BACKEND}
    assert type(get_provider("later")) is FaultySandbox


def test_threads_share_one_instance():
    barrier = threading.Barrier(8)
    seen = []

    def build():
        barrier.wait(timeout=10)
        seen.append(get_provider())

    threads = [threading.Thread(target=build) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(seen) == 8 and len({id(p) for p in seen}) == 1


# -- the sandbox's production guard ------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("debug", "allow", "enabled"),
    [(False, False, False), (True, False, True), (False, True, True), (True, True, True)],
)
def test_sandbox_guard(settings, client, debug, allow, enabled):
    settings.DEBUG = debug
    lifecheck_settings(settings, SANDBOX_ALLOW_WITHOUT_DEBUG=allow)
    provider = get_provider()
    if not enabled:
        with pytest.raises(ConfigurationError, match="SANDBOX_ALLOW_WITHOUT_DEBUG"):
            provider.init("https://example.com/back")
        with pytest.raises(ConfigurationError):
            provider.result("whatever")
        assert client.get("/lifecheck/sandbox/check/index?token=x").status_code == 404
        return
    token = provider.init("https://example.com/back").token
    assert provider.result(token).code == 201
    page = client.get(provider.h5_url(token))
    assert page.status_code == 200 and token in page.content.decode()
