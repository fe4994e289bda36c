"""The ``local`` provider end to end, and the full upload -> analysis -> result flow."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings

from django_lifecheck.exceptions import (
    ConfigurationError,
    EngineUnavailable,
    ProviderAPIError,
    ProviderUnavailable,
)
from django_lifecheck.models import ApiKey, ServiceFrame, ServiceToken
from django_lifecheck.providers import get_provider
from django_lifecheck.providers.local import LocalProvider
from django_lifecheck.service import state
from django_lifecheck.service.engine_bridge import load_engine

from .helpers import api_result, face_jpeg, jpeg_bytes, make_key, upload

pytestmark = pytest.mark.django_db

LOCAL = {"BACKEND": "django_lifecheck.providers.local.LocalProvider", "OPTIONS": {}}


def engine_ready() -> bool:
    try:
        load_engine()
    except EngineUnavailable:
        return False
    return True


needs_engine = pytest.mark.skipif(not engine_ready(), reason="engine.analyze not available yet")


@pytest.fixture(autouse=True)
def _settings():
    cache.clear()
    with override_settings(
        LIFECHECK={
            **settings.LIFECHECK,
            "PROVIDERS": {**settings.LIFECHECK["PROVIDERS"], "local": LOCAL},
        }
    ):
        yield
    cache.clear()


def local(**options) -> LocalProvider:
    return LocalProvider("local", options)


def test_registry_builds_the_local_provider():
    provider = get_provider("local")
    assert isinstance(provider, LocalProvider)
    assert provider.h5_base() == "/lifecheck/v2"


def test_init_creates_an_internal_exempt_key_once():
    provider = local()
    first = provider.init("https://example.com/back", actions=["LookFront", "BlinkEye"])
    second = provider.init("https://example.com/back")
    assert ApiKey.objects.filter(name="local").count() == 1
    key = ApiKey.objects.get(name="local")
    assert key.limits_exempt
    token = ServiceToken.objects.get(token=first.token)
    assert token.api_key == key and token.actions == ["LookFront", "BlinkEye"]
    assert first.task_no == token.task_no and first.raw["code"] == 200
    assert second.token != first.token
    assert provider.h5_url(first.token) == f"/lifecheck/v2/check/index?token={first.token}"


def test_local_provider_flow_through_the_page_fail_endpoint(client):
    provider = local()
    init = provider.init("https://example.com/back", colors=["#FFFFFF", "#000000"])
    page = client.get(provider.h5_url(init.token))
    assert page.status_code == 200
    assert provider.result(init.token).code == 201
    response = client.post(
        "/lifecheck/v2/check/fail", {"token": init.token, "reason": "permission_denied"}
    )
    assert response.status_code == 200
    result = provider.result(init.token)
    assert result.code == 203 and result.is_final and not result.passed
    assert result.raw["data"] == {"reason": "permission_denied"}
    assert provider.fetch_portrait(result) is None


def test_local_provider_result_of_a_passed_check_and_its_portrait():
    provider = local()
    init = provider.init("https://example.com/back")
    token = ServiceToken.objects.get(token=init.token)
    picture = jpeg_bytes(size=(40, 40))
    state.finish(token.pk, 200, "", portrait_jpeg=picture)
    result = provider.result(init.token)
    assert result.passed and result.message == "活体检测通过"
    assert result.face_image_url.startswith("/lifecheck/v2/portrait/")
    portrait = provider.fetch_portrait(result)
    assert portrait is not None and portrait.content == picture
    assert portrait.content_type == "image/jpeg"


def test_local_provider_refusals():
    with pytest.raises(ProviderAPIError) as info:
        local().init("not a url")
    assert info.value.code == 400 and "returnUrl" in str(info.value)
    with pytest.raises(ConfigurationError, match="'missing': no API key has that name"):
        local(api_key="missing").init("https://example.com/")
    api_key, _ = make_key("site")
    api_key.revoke()
    with pytest.raises(ProviderAPIError) as info:
        local(api_key="site").result("anything")
    assert info.value.code == 604 and not info.value.retryable
    maintenance = override_settings(LIFECHECK={**settings.LIFECHECK, "SERVICE_MAINTENANCE": True})
    with maintenance, pytest.raises(ProviderUnavailable) as info:
        local().init("https://example.com/")
    assert info.value.retryable


def test_named_key_shares_tokens_with_http_clients(client):
    _, plain = make_key("site")
    init = local(api_key="site").init("https://example.com/")
    assert api_result(client, plain, init.token)["code"] == 201
    _, other = make_key("other")
    token = ServiceToken.objects.get(token=init.token)
    state.finish(token.pk, 202, "not_live")
    assert api_result(client, plain, init.token)["code"] == 202
    assert api_result(client, other, init.token)["code"] == 201


def test_analysis_without_engine_ends_203_never_stuck(key_frames, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "django_lifecheck.engine.analyze", None)
    monkeypatch.setitem(sys.modules, "django_lifecheck.engine.config", None)
    from django_lifecheck.service.tasks import run_analysis

    token = run_analysis(key_frames.pk)
    assert token.result_code == 203 and token.reason == "engine_unavailable"
    assert not ServiceFrame.objects.filter(token=token).exists()


@pytest.fixture
def key_frames():
    """A token with one stored frame, submitted (as after an upload)."""
    provider = local()
    init = provider.init("https://example.com/back")
    token = ServiceToken.objects.get(token=init.token)
    frames = [{"t_ms": 0, "color": None, "prompt": None, "jpeg": jpeg_bytes()}]
    return state.submit(token.pk, frames, {"client": {}, "flash": []})


# -- the full flow with the real engine -----------------------------------------------------


def static_face_upload(client, token: ServiceToken, count: int = 24):
    frames = [face_jpeg()] * count
    meta = {
        "frames": [{"t": i * 83, "color": None, "prompt": None} for i in range(count)],
        "flash": [],
        "client": {
            "camera_label": "Integrated Camera",
            "user_agent": "pytest",
            "width": 480,
            "height": 480,
        },
    }
    return upload(client, token.token, frames, meta)


@needs_engine
def test_full_flow_static_photo_is_not_live(client, django_capture_on_commit_callbacks):
    provider = local()
    init = provider.init("https://example.com/back")
    token = ServiceToken.objects.get(token=init.token)
    with django_capture_on_commit_callbacks(execute=True):
        response = static_face_upload(client, token)
    assert response.status_code == 202, response.content
    status = client.get(response.json()["status_url"]).json()
    assert status["state"] == "done" and status["success"] is False
    assert parse_qs(urlsplit(status["redirect"]).query)["success"] == ["false"]
    result = provider.result(init.token)
    assert result.code == 202, result.raw
    token.refresh_from_db()
    assert token.verdict["code"] == 202 and token.verdict["status"] == "failed"
    assert not ServiceFrame.objects.filter(token=token).exists()
    assert not token.portrait
    # One upload per token.
    again = static_face_upload(client, token, count=2)
    assert again.status_code == 409


@needs_engine
def test_probe_counts_the_face(client):
    provider = local()
    init = provider.init("https://example.com/back")
    from io import BytesIO

    from PIL import Image

    small = BytesIO()
    Image.open(BytesIO(face_jpeg())).resize((240, 240)).save(small, "JPEG", quality=70)
    blank = jpeg_bytes(size=(240, 240), color=(20, 20, 20))
    faces = []
    for data in (small.getvalue(), blank):
        handle = BytesIO(data)
        handle.name = "probe.jpg"
        response = client.post("/lifecheck/v2/check/probe", {"token": init.token, "frame": handle})
        assert response.status_code == 200, response.content
        faces.append(response.json()["faces"])
    assert faces == [1, 0]


def submitted_token(jpegs: list[bytes]) -> ServiceToken:
    init = local().init("https://example.com/back")
    token = ServiceToken.objects.get(token=init.token)
    frames = [
        {"t_ms": i * 100, "color": None, "prompt": None, "jpeg": data}
        for i, data in enumerate(jpegs)
    ]
    return state.submit(token.pk, frames, {"client": {}, "flash": []})


@needs_engine
def test_engine_refusing_the_input_is_203_bad_input():
    from django_lifecheck.service.tasks import run_analysis

    token = submitted_token([b"\xff\xd8\xff\xe0 not really a jpeg"] * 3)
    token = run_analysis(token.pk)
    assert token.result_code == 203 and token.reason == "bad_input"
    assert token.verdict["error"]
    assert not ServiceFrame.objects.filter(token=token).exists()


@needs_engine
def test_wrong_engine_settings_are_203_internal_error(caplog):
    from django_lifecheck.service.tasks import run_analysis

    token = submitted_token([face_jpeg()] * 3)
    with override_settings(LIFECHECK={**settings.LIFECHECK, "ENGINE": {"no_such_knob": 1}}):
        token = run_analysis(token.pk)
    assert token.result_code == 203 and token.reason == "internal_error"
    assert "no_such_knob" in caplog.text


@needs_engine
def test_queue_backend_leaves_the_check_analysing(client, django_capture_on_commit_callbacks):
    tasks = {
        "default": settings.TASKS["default"],
        "queue": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"},
    }
    init = local().init("https://example.com/back")
    token = ServiceToken.objects.get(token=init.token)
    with (
        override_settings(TASKS=tasks),
        override_settings(LIFECHECK={**settings.LIFECHECK, "SERVICE_TASK_BACKEND": "queue"}),
    ):
        from django_tasks import task_backends

        with django_capture_on_commit_callbacks(execute=True):
            response = static_face_upload(client, token)
        assert response.status_code == 202
        queued = task_backends["queue"].results
        assert [r.args for r in queued] == [[token.pk]]
    token.refresh_from_db()
    assert token.state == "submitted" and token.result_code is None
    assert client.get(response.json()["status_url"]).json()["state"] == "analysing"
    assert local().result(init.token).code == 201
    # A worker then runs it.
    from django_lifecheck.service.tasks import run_analysis

    assert run_analysis(token.pk).result_code == 202
    assert local().result(init.token).code == 202


@needs_engine
def test_full_flow_action_and_flash_with_a_photo(client, django_capture_on_commit_callbacks):
    provider = local()
    init = provider.init(
        "https://example.com/back?next=/kyc",
        colors=["#FFFFFF", "#000000"],
        actions=["LookFront", "BlinkEye"],
    )
    token = ServiceToken.objects.get(token=init.token)
    flash, t = [], 300
    for step in token.flash:
        flash.append({"color": step["color"], "start": t, "end": t + step["duration_ms"]})
        t += step["duration_ms"]
    frames, meta_frames = [], []
    for i in range(40):
        ms = i * 110
        on = next((s["color"] for s in flash if s["start"] <= ms < s["end"]), None)
        meta_frames.append({"t": ms, "color": on, "prompt": "LookFront" if ms < t else "BlinkEye"})
        frames.append(face_jpeg())
    meta = {"frames": meta_frames, "flash": flash, "client": {"camera_label": "cam"}}
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, init.token, frames, meta)
    assert response.status_code == 202, response.content
    result = provider.result(init.token)
    assert result.code == 202
    assert result.raw["data"]["reason"] in {
        "not_live",
        "actions_not_matched",
        "injection_suspected",
    }
    status = client.get(response.json()["status_url"]).json()
    assert status["redirect"].startswith("https://example.com/back?next=/kyc&token=")


@needs_engine
def test_unknown_task_backend_ends_the_check_instead_of_hanging(
    client, django_capture_on_commit_callbacks, caplog
):
    init = local().init("https://example.com/back")
    token = ServiceToken.objects.get(token=init.token)
    with (
        override_settings(LIFECHECK={**settings.LIFECHECK, "SERVICE_TASK_BACKEND": "nope"}),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = static_face_upload(client, token, count=3)
    assert response.status_code == 202
    result = local().result(init.token)
    assert result.code == 203 and result.raw["data"]["reason"] == "internal_error"
    assert "TASKS['nope']" in caplog.text
