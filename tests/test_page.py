"""The H5 check page view: what it renders for each token state, and in which language.

Fast tests with Django's test client and real ``ServiceToken`` rows; the browser tests
in ``tests/e2e`` run the same page in Chromium.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from django_lifecheck.models.service import ApiKey, ServiceToken, TokenState

pytestmark = pytest.mark.django_db

URL = reverse("lifecheck:check_index")


@pytest.fixture
def api_key() -> ApiKey:
    key, _plain = ApiKey.create_key("page-tests")
    return key


def make_token(api_key: ApiKey, **fields) -> ServiceToken:
    fields.setdefault("return_url", "https://integrator.example/back")
    return ServiceToken.objects.create(api_key=api_key, **fields)


def page_config(response) -> dict:
    """The JSON the view embedded for the script (``json_script`` with id lc-config)."""
    match = re.search(
        r'<script id="lc-config" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, "the page has no lc-config json_script"
    return json.loads(match.group(1))


def test_ready_token_renders_the_check_with_its_config(client, api_key):
    flash = [{"color": "#FFFFFF", "duration_ms": 500}, {"color": "#000000", "duration_ms": 450}]
    token = make_token(api_key, actions=["LookFront", "BlinkEye"], flash=flash)

    response = client.get(URL, {"token": token.token}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "django_lifecheck/service/check.html" in [t.name for t in response.templates]
    config = page_config(response)
    assert config["token"] == token.token
    assert config["mode"] == "action+flash"
    assert config["actions"] == ["LookFront", "BlinkEye"]
    assert config["flash"] == flash
    assert config["initial"] == "intro"
    assert set(config["urls"]) == {"frames", "probe", "fail", "status"}
    assert config["urls"]["frames"] == reverse("lifecheck:check-frames")
    assert config["limits"]["max_frames"] > 0
    # The page reports a timeout before the token dies, by the server's clock.
    assert 590_000 < config["expires_in_ms"] <= 600_000
    assert config["prompts"]["BlinkEye"] == "Blink your eyes"
    assert "hint_no_face" in config["strings"]
    body = response.content.decode()
    assert '<html lang="en">' in body
    assert "check/check.js" in body
    assert "Warning: flashing colours" in body  # the photosensitivity screen is there
    # The token travels in the URL: no Referer leaks, no shared caching.
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_silent_token_explains_the_silent_check(client, api_key):
    token = make_token(api_key)
    response = client.get(URL, {"token": token.token})
    assert response.status_code == 200
    assert page_config(response)["mode"] == "silent"
    assert "hold still for a few seconds" in response.content.decode()


@pytest.mark.parametrize(
    ("header", "language"),
    [("zh-CN,zh;q=0.9,en;q=0.8", "zh-hans"), ("zh-Hans", "zh-hans"), ("en-US,en;q=0.9", "en")],
)
def test_language_follows_accept_language(client, api_key, header, language):
    token = make_token(api_key, actions=["LookLeft"])
    response = client.get(URL, {"token": token.token}, HTTP_ACCEPT_LANGUAGE=header)
    assert response.status_code == 200
    assert response["Content-Language"] == language
    assert f'<html lang="{language}">' in response.content.decode()


def test_language_does_not_need_locale_middleware(client, api_key, settings):
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "django.middleware.locale.LocaleMiddleware"
    ]
    token = make_token(api_key)
    response = client.get(URL, {"token": token.token}, HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response["Content-Language"] == "zh-hans"


@pytest.mark.parametrize("query", [{"token": "never-issued"}, {}, {"token": ""}])
def test_unknown_or_missing_token_is_a_clear_404(client, query):
    response = client.get(URL, query)
    assert response.status_code == 404
    assert "This check link is not valid" in response.content.decode()
    assert "lc-config" not in response.content.decode()


def test_expired_token_is_410_and_says_to_start_again(client, api_key):
    token = make_token(api_key, expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get(URL, {"token": token.token})
    assert response.status_code == 410
    body = response.content.decode()
    assert "This check link has expired" in body
    assert "start again" in body
    assert token.token not in body


def test_submitted_token_shows_processing_and_polls(client, api_key):
    token = make_token(api_key, state=TokenState.SUBMITTED)
    response = client.get(URL, {"token": token.token})
    assert response.status_code == 200
    config = page_config(response)
    assert config["initial"] == "processing"
    assert config["redirect"] is None


def test_finished_token_hands_the_redirect_to_the_page(client, api_key):
    token = make_token(api_key, state=TokenState.DONE, result_code=203, reason="timeout")
    response = client.get(URL, {"token": token.token})
    assert response.status_code == 200
    config = page_config(response)
    assert config["initial"] == "processing"
    assert config["redirect"] == (
        f"https://integrator.example/back?token={token.token}&success=false"
    )


def test_only_get_is_allowed(client, api_key):
    token = make_token(api_key)
    assert client.post(f"{URL}?token={token.token}").status_code == 405


@override_settings(LANGUAGE_CODE="zh-hans")
def test_site_default_language_is_used_without_accept_language(client, api_key):
    token = make_token(api_key)
    response = client.get(URL, {"token": token.token})
    assert response["Content-Language"] == "zh-hans"
