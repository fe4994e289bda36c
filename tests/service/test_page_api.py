"""The H5 page's endpoints: frames upload (every cap), probe, fail, status, portrait."""

from __future__ import annotations

import io
import json
import sys
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from django_lifecheck.models import ServiceFrame, ServiceToken, TokenState
from django_lifecheck.service import portrait, state
from django_lifecheck.service.api import init as api_init_call
from django_lifecheck.service.challenge import page_state

from .helpers import api_result, frame_files, jpeg_bytes, meta_for, upload

pytestmark = pytest.mark.django_db


def new_token(api_key, **form) -> ServiceToken:
    form.setdefault("returnUrl", "https://example.com/back?x=1")
    answer = api_init_call(api_key, form)
    assert answer.code == 200
    return ServiceToken.objects.get(token=answer.data["token"])


def lifecheck(**overrides):
    return override_settings(LIFECHECK={**settings.LIFECHECK, **overrides})


def assert_unchanged(token: ServiceToken) -> None:
    token.refresh_from_db()
    assert token.state == TokenState.ISSUED
    assert token.result_code is None
    assert token.capture == {}
    assert not ServiceFrame.objects.filter(token=token).exists()


def engine_missing(monkeypatch) -> None:
    """Make the engine's heavy module unimportable, as without the [engine] extra."""
    monkeypatch.setitem(sys.modules, "django_lifecheck.engine.analyze", None)
    monkeypatch.setitem(sys.modules, "django_lifecheck.engine.config", None)


# -- upload: refusals ----------------------------------------------------------------------


def noise_jpeg(size=(320, 240)) -> bytes:
    import os

    image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


#: case -> (settings overrides, frames, meta change, words the error must contain)
BAD_UPLOADS = {
    "no frames": ({}, [], None, "No 'frame'"),
    "too many frames": ({"SERVICE_MAX_FRAMES": 2}, [jpeg_bytes()] * 3, None, "at most 2"),
    "frame too large": ({"SERVICE_MAX_FRAME_BYTES": 500}, "noise", None, "at most 500"),
    "total too large": ({}, "three", None, "add up"),
    "not a jpeg": ({}, "png", None, "not a JPEG"),
    "fake jpeg": ({}, [b"\xff\xd8\xff\xe0" + b"garbage" * 50], None, "not a valid JPEG"),
    "bomb dimensions": ({}, [jpeg_bytes(size=(5000, 8))], None, "pixels"),
    "meta missing": ({}, [jpeg_bytes()], "absent", "'meta' field is required"),
    "meta not json": ({}, [jpeg_bytes()], "{nope", "not valid JSON"),
    "meta not object": ({}, [jpeg_bytes()], "[]", "JSON object"),
    "count mismatch": ({}, [jpeg_bytes()] * 2, {"frames": [{"t": 0}]}, "describes 1 frames"),
    "time goes back": (
        {},
        [jpeg_bytes()] * 2,
        {"frames": [{"t": 100}, {"t": 50}]},
        "back in time",
    ),
    "bad timestamp": ({}, [jpeg_bytes()], {"frames": [{"t": "soon"}]}, "number of milliseconds"),
    "colour not flashed": (
        {},
        [jpeg_bytes()],
        {"frames": [{"t": 0, "color": "#D8FFCD"}]},
        "not a flash colour",
    ),
    "prompt not asked": (
        {},
        [jpeg_bytes()],
        {"frames": [{"t": 0, "prompt": "NodHead"}]},
        "not an action",
    ),
    "flash not as drawn": ({}, [jpeg_bytes()], {"flash": []}, "flash sequence"),
    "bad client": ({}, [jpeg_bytes()], {"client": {"width": "wide"}}, "meta.client.width"),
}


@pytest.mark.parametrize("case", sorted(BAD_UPLOADS))
def test_bad_uploads_are_refused_and_change_nothing(client, key, case):
    overrides, frames, meta_change, words = BAD_UPLOADS[case]
    token = new_token(key[0], colors="#FFFFFF,#000000", actions="LookFront,BlinkEye")
    if frames == "noise":
        frames = [noise_jpeg()]
    elif frames == "three":
        frames = [jpeg_bytes()] * 3
        overrides = {"SERVICE_MAX_UPLOAD_BYTES": 2 * len(frames[0]) + 10}
    elif frames == "png":
        buffer = io.BytesIO()
        Image.new("RGB", (20, 20)).save(buffer, "PNG")
        frames = [buffer.getvalue()]
    meta = meta_for(token, len(frames))
    if isinstance(meta_change, dict):
        meta.update(meta_change)
    with lifecheck(**overrides):
        if meta_change == "absent":
            response = upload_raw(client, token.token, frames, None)
        elif isinstance(meta_change, str):
            response = upload_raw(client, token.token, frames, meta_change)
        else:
            response = upload(client, token.token, frames, meta)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["ok"] is False
    assert words in body["error"]
    assert_unchanged(token)


def upload_raw(client, token, frames, meta_text):
    data = {"token": token, "frame": frame_files(frames)}
    if meta_text is not None:
        data["meta"] = meta_text
    return client.post(reverse("lifecheck:check-frames"), data)


def test_content_length_is_checked_before_reading(client, key):
    token = new_token(key[0])
    with lifecheck(SERVICE_MAX_UPLOAD_BYTES=1000):
        response = upload(client, token.token, [jpeg_bytes()], CONTENT_LENGTH="999999999")
    assert response.status_code == 400
    assert "Content-Length" in response.json()["error"] or "bytes" in response.json()["error"]
    assert_unchanged(token)


def test_upload_token_errors(client, key):
    response = upload(client, "", [jpeg_bytes()])
    assert response.status_code == 400 and "token" in response.json()["error"]
    assert upload(client, "never-issued", [jpeg_bytes()]).status_code == 404
    token = new_token(key[0])
    ServiceToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    assert upload(client, token.token, [jpeg_bytes()]).status_code == 410
    assert_unchanged(token)


def test_second_upload_is_409_and_changes_nothing(client, key):
    token = new_token(key[0])
    frames = [{"t_ms": 0, "color": None, "prompt": None, "jpeg": jpeg_bytes()}]
    state.submit(token.pk, frames, {"client": {}, "flash": []})
    response = upload(client, token.token, [jpeg_bytes(), jpeg_bytes()])
    assert response.status_code == 409
    assert ServiceFrame.objects.filter(token=token).count() == 1
    token.refresh_from_db()
    assert token.state == TokenState.SUBMITTED


def test_upload_after_fail_is_409(client, key):
    token = new_token(key[0])
    state.finish(token.pk, 203, "timeout", require_issued=True)
    assert upload(client, token.token, [jpeg_bytes()]).status_code == 409


def test_upload_without_engine_is_503_and_changes_nothing(client, key, monkeypatch):
    engine_missing(monkeypatch)
    token = new_token(key[0])
    response = upload(client, token.token, [jpeg_bytes()])
    assert response.status_code == 503
    assert "engine" in response.json()["error"]
    assert_unchanged(token)


def test_submit_is_refused_under_the_lock_after_expiry(key):
    token = new_token(key[0])
    ServiceToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    with pytest.raises(state.StateConflict) as info:
        state.submit(token.pk, [], {})
    assert info.value.reason == "expired"


# -- fail ----------------------------------------------------------------------------------


def test_fail_records_203_once(client, key):
    api_key, plain = key
    token = new_token(api_key)
    url = reverse("lifecheck:check-fail")
    response = client.post(url, {"token": token.token, "reason": "sneeze"})
    assert response.status_code == 400 and "reason" in response.json()["error"]
    response = client.post(url, {"token": token.token, "reason": "permission_denied"})
    assert response.status_code == 200
    assert response.json() == {
        "ok": True,
        "redirect": f"https://example.com/back?x=1&token={token.token}&success=false",
    }
    body = api_result(client, plain, token.token)
    assert body["code"] == 203 and body["data"] == {"reason": "permission_denied"}
    again = client.post(url, {"token": token.token, "reason": "timeout"})
    assert again.status_code == 409
    token.refresh_from_db()
    assert token.reason == "permission_denied"


def test_fail_after_upload_is_409(client, key):
    token = new_token(key[0])
    state.submit(token.pk, [], {"client": {}, "flash": []})
    response = client.post(
        reverse("lifecheck:check-fail"), {"token": token.token, "reason": "timeout"}
    )
    assert response.status_code == 409
    token.refresh_from_db()
    assert token.result_code is None


def test_page_endpoints_are_csrf_exempt(key):
    from django.test import Client

    token = new_token(key[0])
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        reverse("lifecheck:check-fail"), {"token": token.token, "reason": "no_camera_api"}
    )
    assert response.status_code == 200


# -- status and page_state -----------------------------------------------------------------


def status(client, token):
    response = client.get(reverse("lifecheck:check-status"), {"token": token})
    return response.status_code, response.json()


def test_status_through_the_life_of_a_token(client, key):
    token = new_token(key[0], returnUrl="https://example.com/back")
    assert status(client, token.token)[1] | {} == {
        "ok": True,
        "state": "waiting",
        "success": None,
        "redirect": None,
    }
    assert page_state(token.token).status == "ready"
    state.submit(token.pk, [], {"client": {}, "flash": []})
    assert status(client, token.token)[1]["state"] == "analysing"
    assert page_state(token.token).status == "submitted"
    state.finish(token.pk, 200, "")
    body = status(client, token.token)[1]
    assert body["state"] == "done" and body["success"] is True
    assert body["redirect"] == f"https://example.com/back?token={token.token}&success=true"
    done = page_state(token.token)
    assert done.status == "done" and done.config["redirect"] == body["redirect"]
    ServiceToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    body = status(client, token.token)[1]
    assert body["state"] == "expired" and body["success"] is None
    assert body["redirect"] == f"https://example.com/back?token={token.token}&success=false"
    assert page_state(token.token).status == "expired"


def test_status_errors(client):
    assert status(client, "")[0] == 400
    assert status(client, "nope")[0] == 404
    assert page_state("nope").status == "unknown"
    assert page_state("").status == "unknown"


def test_page_state_config_is_what_the_page_needs(key):
    token = new_token(key[0], colors="#FFFFFF,#000000", actions="LookFront,ShakeHead")
    config = page_state(token.token).config
    json.dumps(config)  # serialisable
    assert config["token"] == token.token
    assert config["mode"] == "action+flash"
    assert config["actions"] == ["LookFront", "ShakeHead"]
    assert config["flash"] == token.flash
    assert config["urls"] == {
        "frames": "/lifecheck/v2/check/frames",
        "probe": "/lifecheck/v2/check/probe",
        "fail": "/lifecheck/v2/check/fail",
        "status": "/lifecheck/v2/check/status",
    }
    assert set(config["limits"]) == {"max_frames", "max_frame_bytes", "max_upload_bytes"}
    assert config["redirect"] is None


# -- probe ---------------------------------------------------------------------------------


def test_probe_caps_and_throttle(client, key):
    token = new_token(key[0])
    url = reverse("lifecheck:check-probe")
    big = noise_jpeg((400, 300))
    assert len(big) > 100 * 1024
    response = client.post(url, {"token": token.token, "frame": frame_files([big])[0]})
    assert response.status_code == 400 and "102400" in response.json()["error"]
    response = client.post(url, {"token": token.token, "frame": frame_files([b"GIF89a"])[0]})
    assert response.status_code == 400
    assert client.post(url, {"token": token.token}).status_code in (400, 429)
    assert client.post(url, {"token": "nope"}).status_code == 404
    cache.clear()
    codes = []
    while True:  # stay inside one one-second throttle window
        window = int(time.time())
        codes = [
            client.post(
                url, {"token": token.token, "frame": frame_files([jpeg_bytes()])[0]}
            ).status_code
            for _ in range(6)
        ]
        if int(time.time()) == window:
            break
        cache.clear()
    assert 429 not in codes[:5]
    assert codes[5] == 429


# -- portrait ------------------------------------------------------------------------------


def passed_token(api_key) -> ServiceToken:
    token = new_token(api_key)
    return state.finish(token.pk, 200, "", portrait_jpeg=jpeg_bytes(size=(32, 32)))


def test_result_200_gives_an_absolute_signed_portrait_url(client, key):
    api_key, plain = key
    token = passed_token(api_key)
    body = api_result(client, plain, token.token)
    assert body["code"] == 200 and body["msg"] == "活体检测通过"
    url = body["data"]["faceImageUrl"]
    assert url.startswith("http://testserver/lifecheck/v2/portrait/")
    assert str(token.public_id) not in url.rsplit(".", 1)[0] or ":" in url
    response = client.get(url.replace("http://testserver", ""))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response).startswith(b"\xff\xd8\xff")
    assert "no-store" in response["Cache-Control"]


def test_portrait_bad_or_expired_signature_is_404(client, key):
    token = passed_token(key[0])
    path = portrait.portrait_path(token)
    assert client.get(path[:-2] + "xx").status_code == 404
    assert client.get(reverse("lifecheck:portrait", args=[str(token.public_id)])).status_code == 404

    class OldSigner(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - 3600)

    old = OldSigner(salt=portrait.SALT).sign(str(token.public_id))
    assert client.get(reverse("lifecheck:portrait", args=[old])).status_code == 404
    fresh = signing.TimestampSigner(salt=portrait.SALT).sign(str(token.public_id))
    assert client.get(reverse("lifecheck:portrait", args=[fresh])).status_code == 200


def test_no_portrait_for_a_failed_check(client, key):
    token = new_token(key[0])
    token = state.finish(token.pk, 202, "not_live", portrait_jpeg=None)
    fresh = signing.TimestampSigner(salt=portrait.SALT).sign(str(token.public_id))
    assert client.get(reverse("lifecheck:portrait", args=[fresh])).status_code == 404


def test_final_result_drops_the_frames(key):
    token = new_token(key[0])
    frames = [{"t_ms": 0, "color": None, "prompt": None, "jpeg": jpeg_bytes()}]
    state.submit(token.pk, frames, {"client": {}, "flash": []})
    assert ServiceFrame.objects.filter(token=token).count() == 1
    state.finish(token.pk, 203, "bad_input")
    assert not ServiceFrame.objects.filter(token=token).exists()


def test_expired_token_keeps_its_row_but_answers_301(client, key):
    api_key, plain = key
    token = passed_token(api_key)
    ServiceToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(1))
    assert api_result(client, plain, token.token)["code"] == 301


def test_wrong_methods_are_json_405(client):
    for name, method in (
        ("check-frames", client.get),
        ("check-probe", client.get),
        ("check-fail", client.get),
        ("check-status", client.post),
    ):
        response = method(reverse(f"lifecheck:{name}"))
        assert response.status_code == 405
        assert response.json()["ok"] is False


def test_service_disabled_is_404_everywhere(client, key):
    token = new_token(key[0])
    with lifecheck(SERVICE_ENABLED=False):
        for url in (
            reverse("lifecheck:api-init"),
            reverse("lifecheck:check-status") + "?token=" + token.token,
            reverse("lifecheck:check_index") + "?token=" + token.token,
            portrait.portrait_path(passed_token(key[0])),
        ):
            assert client.get(url).status_code == 404, url
    assert client.get(reverse("lifecheck:check-status"), {"token": token.token}).status_code == 200


def test_django_file_count_limit_is_a_json_400(client, key):
    token = new_token(key[0])
    with override_settings(DATA_UPLOAD_MAX_NUMBER_FILES=2):
        response = upload(client, token.token, [jpeg_bytes()] * 3)
    assert response.status_code == 400
    assert "too many files" in response.json()["error"]
    assert_unchanged(token)
