"""The machine API (``api/init``, ``api/result``) over HTTP with the test client."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from django_lifecheck import conf
from django_lifecheck.models import ServiceToken
from django_lifecheck.protocol import BRIGHT_COLORS, DARK_COLORS
from django_lifecheck.service import state

from .helpers import api_init, api_result, auth, make_key

pytestmark = pytest.mark.django_db


def lifecheck(**overrides):
    return override_settings(LIFECHECK={**_base_settings(), **overrides})


def _base_settings():
    from django.conf import settings

    return dict(settings.LIFECHECK)


def test_init_silent_issues_a_token(client, key):
    api_key, plain = key
    body = api_init(client, plain)
    assert body["code"] == 200 and body["msg"] == "成功"
    assert len(body["taskNo"]) == 24
    token = ServiceToken.objects.get(token=body["data"]["token"])
    assert token.api_key == api_key
    assert token.mode == "silent" and token.flash == [] and token.actions == []
    assert token.task_no == body["taskNo"]
    assert len(token.token) >= 40
    # Expires after the configured lifetime.
    lifetime = (token.expires_at - token.created_at).total_seconds()
    assert abs(lifetime - conf.get("TOKEN_LIFETIME")) < 2


def test_init_action_and_flash_draws_alternating_flash(client, key):
    _, plain = key
    body = api_init(client, plain, colors="#FFFFFF，#000000,#FFD9E3", actions="LookFront,BlinkEye")
    token = ServiceToken.objects.get(token=body["data"]["token"])
    assert token.mode == "action+flash"
    assert token.actions == ["LookFront", "BlinkEye"]
    assert 6 <= len(token.flash) <= 8
    for step in token.flash:
        assert step["color"] in {"#FFFFFF", "#000000", "#FFD9E3"}
        assert 400 <= step["duration_ms"] <= 600
    brightness = [step["color"] in BRIGHT_COLORS for step in token.flash]
    assert all(a != b for a, b in pairwise(brightness))


def test_flash_sequences_differ_between_tokens(client, key):
    _, plain = key
    sequences = set()
    for _ in range(6):
        body = api_init(client, plain, colors="#FFFFFF,#000000")
        token = ServiceToken.objects.get(token=body["data"]["token"])
        sequences.add(tuple((s["color"], s["duration_ms"]) for s in token.flash))
    assert len(sequences) > 1


def test_single_dark_colour_alternates_with_white(client, key):
    _, plain = key
    body = api_init(client, plain, colors="#060D3C")
    flash = ServiceToken.objects.get(token=body["data"]["token"]).flash
    assert {s["color"] for s in flash} == {"#060D3C", "#FFFFFF"}
    assert {s["color"] in DARK_COLORS for s in flash} == {True, False}


@pytest.mark.parametrize(
    ("form", "param"),
    [
        ({"returnUrl": ""}, "returnUrl"),
        ({"returnUrl": "https://example.com/" + "a" * 120}, "returnUrl"),
        ({"returnUrl": "ftp://example.com/"}, "returnUrl"),
        ({"returnUrl": "https:///nohost"}, "returnUrl"),
        ({"colors": "#123456"}, "colors"),
        ({"colors": "#FFFFFF,#FFD9E3"}, "colors"),
        ({"colors": "#000000,#3B3C04"}, "colors"),
        ({"colors": "#FFFFFF,,#000000"}, "colors"),
        ({"colors": "#FFFFFF,#FFFFFF,#000000"}, "colors"),
        ({"actions": "Jump"}, "actions"),
        ({"actions": "lookfront"}, "actions"),
        ({"actions": "BlinkEye,BlinkEye"}, "actions"),
        ({"actions": "BlinkEye", "colors": "#FFFFFF,#000000"}, "actions"),
    ],
)
def test_init_parameter_errors_name_the_parameter(client, key, form, param):
    _, plain = key
    body = api_init(client, plain, **form)
    assert body["code"] == 400
    assert body["msg"].startswith("参数错误")
    assert param in body["msg"]
    assert "data" not in body
    assert not ServiceToken.objects.exists()


def test_missing_and_unknown_keys_are_refused_like_the_gateway(client, key):
    api_key, plain = key
    url = reverse("lifecheck:api-init")
    for headers in (
        {},
        {"HTTP_AUTHORIZATION": "Bearer " + plain},
        auth("nope"),
        auth(api_key.prefix + ".wrong-secret"),
        auth("deadbeef." + plain.split(".", 1)[1]),
    ):
        response = client.post(url, {"returnUrl": "https://example.com/"}, **headers)
        assert response.status_code == 401
        assert response["X-Ca-Error-Code"] == "A401AC"
        assert response.json()["code"] == 604
        assert response.json()["data"]["error"]
    assert not ServiceToken.objects.exists()


def test_revoked_key_answers_604(client, key):
    api_key, plain = key
    api_key.revoke()
    assert api_init(client, plain)["code"] == 604
    assert api_result(client, plain, "whatever")["code"] == 604
    assert not ServiceToken.objects.exists()


def test_rate_limit_609_per_key(client, key):
    _, plain = key
    _, other = make_key("other")
    with lifecheck(SERVICE_RATE_LIMIT="3/m"):
        codes = [api_init(client, plain)["code"] for _ in range(4)]
        assert codes == [200, 200, 200, 609]
        assert api_result(client, plain, "x")["code"] == 609
        assert api_init(client, other)["code"] == 200  # counted per key
    assert ServiceToken.objects.count() == 4


def test_rate_limit_override_on_the_key(client):
    _, plain = make_key("tight", rate_limit="1/h")
    assert [api_init(client, plain)["code"] for _ in range(2)] == [200, 609]


def test_daily_quota_606(client):
    _, plain = make_key("small", daily_quota=2)
    codes = [api_init(client, plain)["code"] for _ in range(3)]
    assert codes == [200, 200, 606]
    # result calls do not use the quota
    assert api_result(client, plain, "unknown")["code"] == 201


def test_quota_setting_default(client, key):
    _, plain = key
    with lifecheck(SERVICE_DAILY_QUOTA=1):
        assert [api_init(client, plain)["code"] for _ in range(2)] == [200, 606]


def test_exempt_key_has_no_limits(client):
    _, plain = make_key("internal", limits_exempt=True, daily_quota=0, rate_limit="1/h")
    assert {api_init(client, plain)["code"] for _ in range(3)} == {200}


def test_maintenance_answers_500_even_without_a_key(client, key):
    _, plain = key
    with lifecheck(SERVICE_MAINTENANCE=True):
        assert api_init(client, plain)["code"] == 500
        response = client.post(reverse("lifecheck:api-result"), {"token": "x"})
        assert response.status_code == 200 and response.json()["code"] == 500
    assert not ServiceToken.objects.exists()


def test_get_is_405_json(client, key):
    _, plain = key
    for name in ("lifecheck:api-init", "lifecheck:api-result"):
        response = client.get(reverse(name), **auth(plain))
        assert response.status_code == 405
        assert response["Allow"] == "POST"
        assert response.json()["code"] == 999


def test_api_is_csrf_exempt(key):
    from django.test import Client

    _, plain = key
    strict = Client(enforce_csrf_checks=True)
    assert api_init(strict, plain)["code"] == 200


def test_result_missing_token_is_400(client, key):
    _, plain = key
    body = api_result(client, plain, None)
    assert body["code"] == 400 and "token" in body["msg"]
    assert api_result(client, plain, "  ")["code"] == 400


def test_result_pending_unknown_and_other_keys_token(client, key):
    _, plain = key
    _, other = make_key("other")
    token = api_init(client, plain)["data"]["token"]
    assert api_result(client, plain, token)["code"] == 201
    assert api_result(client, plain, "never-issued")["code"] == 201
    row = ServiceToken.objects.get(token=token)
    state.finish(row.pk, 203, "permission_denied")
    assert api_result(client, plain, token)["code"] == 203
    # Another key's token is as good as unknown.
    assert api_result(client, other, token)["code"] == 201


def test_result_is_idempotent_and_final(client, key):
    _, plain = key
    token = api_init(client, plain)["data"]["token"]
    row = ServiceToken.objects.get(token=token)
    state.finish(row.pk, 202, "not_live", verdict={"status": "failed"})
    answers = [api_result(client, plain, token) for _ in range(3)]
    assert {a["code"] for a in answers} == {202}
    assert {a["msg"] for a in answers} == {"活体检测未通过"}
    assert answers[0]["data"] == {"reason": "not_live"}
    assert len({a["taskNo"] for a in answers}) == 3  # taskNo is per request
    # A later result never overwrites the first.
    state.finish(row.pk, 200, "")
    assert api_result(client, plain, token)["code"] == 202


def test_result_301_after_expiry(client, key):
    _, plain = key
    token = api_init(client, plain)["data"]["token"]
    row = ServiceToken.objects.get(token=token)
    state.finish(row.pk, 203, "timeout")
    ServiceToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api_result(client, plain, token)["code"] == 301
    assert api_result(client, plain, token)["msg"] == "token 已过期"
