"""The Jumdata provider: against the fake vendor over real HTTP, and with ``responses``
for faults a real server cannot easily produce on cue."""

from __future__ import annotations

import hashlib
import io
import logging
import time

import pytest
import requests
import responses

from django_lifecheck.exceptions import (
    ConfigurationError,
    GatewayError,
    InvalidParameter,
    ProviderAPIError,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
)
from django_lifecheck.providers import get_provider
from django_lifecheck.providers import jumdata as jumdata_module
from django_lifecheck.providers.base import CheckResult
from django_lifecheck.providers.jumdata import JumdataProvider
from tests.fakevendor import APP_ID, APP_SECRET, APPCODE

RETURN_URL = "https://shop.example.com/kyc/return"
SECRETS = (APPCODE, APP_SECRET, APP_ID)


def assert_no_secrets(*texts: object) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in str(text), f"secret leaked into {text!r}"


def provider_for(vendor, mode="appcode", **overrides) -> JumdataProvider:
    return JumdataProvider(f"jumdata-{mode}", vendor.settings_for(mode, **overrides))


# -- the happy path, both auth modes ------------------------------------------------------


def test_init_issues_token_and_server_sees_normalised_params(jumdata_provider, fake_vendor):
    init = jumdata_provider.init(
        RETURN_URL, colors=["#ffffff", "#000000"], actions=["LookFront", "BlinkEye"]
    )
    state = fake_vendor.tokens[init.token]
    assert state.colors == ("#FFFFFF", "#000000")
    assert state.actions == ("LookFront", "BlinkEye")
    assert state.return_url == RETURN_URL
    assert state.auth_mode == jumdata_provider.alias.removeprefix("jumdata-")
    assert len(init.task_no) == 24 and init.raw["data"]["token"] == init.token
    assert_no_secrets(init.raw)


def test_appcode_mode_sends_header_only(fake_vendor):
    provider_for(fake_vendor, "appcode").init(RETURN_URL)
    _, headers, form = fake_vendor.requests[-1]
    assert headers["Authorization"] == f"APPCODE {APPCODE}"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert form == {"returnUrl": RETURN_URL}


def test_direct_mode_signs_the_form(fake_vendor):
    before = int(time.time() * 1000)
    provider_for(fake_vendor, "direct").init(RETURN_URL, actions=["NodHead"])
    _, headers, form = fake_vendor.requests[-1]
    assert "Authorization" not in headers
    assert form["appId"] == APP_ID and form["productCode"] == "life_check_v2"
    assert before <= int(form["timestamp"]) <= int(time.time() * 1000)
    expected = hashlib.sha256(f"{APP_ID}{APP_SECRET}{form['timestamp']}".encode()).hexdigest()
    assert form["sign"] == expected
    assert "appSecret" not in form and APP_SECRET not in str(form)


@pytest.mark.parametrize("code", [200, 202, 203])
def test_final_result_codes(jumdata_provider, fake_vendor, code):
    token = jumdata_provider.init(RETURN_URL).token
    assert jumdata_provider.result(token).pending
    fake_vendor.set_outcome(token, code)
    result = jumdata_provider.result(token)
    assert (result.code, result.is_final, result.passed) == (code, True, code == 200)
    assert result.raw["code"] == code and len(result.task_no) == 24
    if code == 200:
        assert result.message == "活体检测通过"
        assert result.face_image_url == fake_vendor.portrait_url(token)
    else:
        assert result.face_image_url is None
    assert_no_secrets(result.raw)


def test_pending_expired_and_unknown(jumdata_provider, fake_vendor):
    token = jumdata_provider.init(RETURN_URL).token
    pending = jumdata_provider.result(token)
    assert (pending.code, pending.is_final, pending.message) == (201, False, "未查询到检测结果")
    fake_vendor.expire(token)
    expired = jumdata_provider.result(token)
    assert (expired.code, expired.is_final) == (301, True)
    assert jumdata_provider.result("never-issued").code == 201


def test_h5_url_points_at_the_vendor_page(jumdata_provider, fake_vendor):
    token = jumdata_provider.init(RETURN_URL).token
    url = jumdata_provider.h5_url(token)
    assert url == f"{fake_vendor.h5_base}/check/index?token={token}"
    page = requests.get(url, timeout=5)
    assert page.status_code == 200 and "fake check" in page.text.lower()


def test_through_the_registry(settings, fake_vendor):
    settings.LIFECHECK = {"PROVIDERS": {"jd": fake_vendor.provider_entry("direct")}}
    provider = get_provider("jd")
    assert isinstance(provider, JumdataProvider)
    assert provider.check_configuration() == []
    assert provider.result(provider.init("/pages/result/index").token).code == 201


# -- parameter and auth errors -------------------------------------------------------------


def test_invalid_params_rejected_before_any_call(jumdata_provider, fake_vendor):
    with pytest.raises(InvalidParameter) as info:
        jumdata_provider.init(RETURN_URL, colors=["#FFFFFF", "#000000"], actions=["BlinkEye"])
    assert info.value.param == "actions"
    assert fake_vendor.hits["init"] == 0


def test_server_side_validation_answers_400(fake_vendor):
    answer = requests.post(
        fake_vendor.init_url,
        data={"returnUrl": RETURN_URL, "colors": "#FFFFFF,#123456"},
        headers={"Authorization": f"APPCODE {APPCODE}"},
        timeout=5,
    ).json()
    assert answer["code"] == 400 and "#123456" in answer["msg"]


def test_wrong_appcode_is_a_gateway_error(fake_vendor):
    provider = provider_for(fake_vendor, "appcode", appcode="wrong-code")
    with pytest.raises(GatewayError) as info:
        provider.init(RETURN_URL)
    error = info.value
    assert (error.status, error.error_code, error.retryable) == (403, "A403IK", False)
    assert "A403IK" in str(error) and "Invalid AppCode" in str(error)
    assert "wrong-code" not in str(error)
    assert error.response.request.headers["Authorization"] == "APPCODE ***"


def test_wrong_secret_fails_the_servers_sign_check(fake_vendor):
    provider = provider_for(fake_vendor, "direct", app_secret="not-the-secret")
    with pytest.raises(ProviderAPIError) as info:
        provider.init(RETURN_URL)
    assert info.value.code == 604 and "签名错误" in str(info.value)
    assert not info.value.retryable


@pytest.mark.parametrize(
    ("code", "cls", "retryable"),
    [
        (400, ProviderAPIError, False),
        (500, ProviderUnavailable, True),
        (604, ProviderAPIError, False),
        (606, ProviderAPIError, True),
        (609, ProviderAPIError, True),
        (610, ProviderUnavailable, True),
        (999, ProviderAPIError, False),
    ],
)
def test_public_codes(fake_vendor, code, cls, retryable):
    provider = provider_for(fake_vendor)
    fake_vendor.inject("init", "code", code=code)
    with pytest.raises(cls) as info:
        provider.init(RETURN_URL)
    assert (info.value.code, info.value.retryable) == (code, retryable)
    assert str(code) in str(info.value)
    assert fake_vendor.hits["init"] == 1  # init is never retried
    fake_vendor.inject("result", "code", code=code, times=10)
    with pytest.raises(cls):
        provider.result("t")
    # Only transient failures are retried at once; "try again later" is left to the
    # refresher (retryable, but one call).
    assert fake_vendor.hits["result"] == (3 if cls is ProviderUnavailable else 1)


def test_result_retries_a_maintenance_answer_then_succeeds(fake_vendor):
    provider = provider_for(fake_vendor)
    token = provider.init(RETURN_URL).token
    fake_vendor.set_outcome(token, 202)
    fake_vendor.inject("result", "code", code=500, times=2)
    assert provider.result(token).code == 202
    assert fake_vendor.hits["result"] == 3


# -- faults over real HTTP -----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["reset", "http_error", "half_json", "truncated"])
def test_result_fault_once_is_retried(fake_vendor, kind):
    provider = provider_for(fake_vendor)
    token = provider.init(RETURN_URL).token
    fake_vendor.set_outcome(token, 203)
    fake_vendor.inject("result", kind)
    assert provider.result(token).code == 203
    assert fake_vendor.hits["result"] == 2


@pytest.mark.parametrize("kind", ["reset", "http_error", "half_json", "truncated"])
def test_result_fault_persisting_gives_up_retryable(fake_vendor, kind):
    provider = provider_for(fake_vendor, result_retries=1)
    fake_vendor.inject("result", kind, times=5)
    with pytest.raises(ProviderUnavailable) as info:
        provider.result("t")
    assert info.value.retryable
    assert fake_vendor.hits["result"] == 2


@pytest.mark.parametrize(
    ("kind", "cls", "retryable"),
    [
        ("reset", ProviderUnavailable, True),
        ("http_error", ProviderUnavailable, True),
        ("half_json", ProviderError, False),
        ("truncated", ProviderUnavailable, True),
    ],
)
def test_init_faults_are_not_retried(fake_vendor, kind, cls, retryable):
    fake_vendor.inject("init", kind)
    with pytest.raises(cls) as info:
        provider_for(fake_vendor).init(RETURN_URL)
    assert info.value.retryable is retryable
    assert fake_vendor.hits["init"] == 1


def test_slow_init_times_out_and_is_not_retried(fake_vendor):
    provider = provider_for(fake_vendor, timeout=(2, 0.3))
    fake_vendor.inject("init", "slow", delay=1.5)
    with pytest.raises(ProviderTimeout) as info:
        provider.init(RETURN_URL)
    assert "may or may not" in str(info.value)
    deadline = time.monotonic() + 5  # the server finishes: a token the caller never saw
    while not fake_vendor.tokens and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fake_vendor.hits["init"] == 1 and len(fake_vendor.tokens) == 1


def test_slow_result_times_out(fake_vendor):
    provider = provider_for(fake_vendor, timeout=0.3)
    fake_vendor.inject("result", "slow", delay=1.0)
    with pytest.raises(ProviderTimeout):
        provider.result("t")
    assert fake_vendor.hits["result"] == 1


def test_slow_but_in_time_is_fine(fake_vendor):
    fake_vendor.inject("result", "slow", delay=0.2)
    assert provider_for(fake_vendor, timeout=2).result("t").code == 201


@pytest.mark.parametrize(
    ("status", "code", "message", "hint"),
    [
        (403, "A403QE", "Quota Exhausted", "quota"),
        (403, "A403PR", "Throttled by APP Flow Control", "throttled"),
        (429, "", "Too Many Requests", "throttled"),
    ],
)
def test_gateway_errors_over_http(fake_vendor, status, code, message, hint):
    fake_vendor.inject("init", "gateway", status=status, error_code=code, error_message=message)
    with pytest.raises(GatewayError) as info:
        provider_for(fake_vendor).init(RETURN_URL)
    assert info.value.status == status and info.value.error_code == code
    assert message in str(info.value) and hint in str(info.value)
    # Throttling is "try again later" (the refresher keeps the check pending); a used-up
    # quota needs a person, so it is final at once.
    assert info.value.retryable is (hint == "throttled")


def test_gateway_5xx_on_result_is_retried(fake_vendor):
    fake_vendor.inject("result", "gateway", status=502, error_message="Backend service error")
    assert provider_for(fake_vendor).result("t").code == 201
    assert fake_vendor.hits["result"] == 2


def test_gateway_4xx_on_result_is_not_retried(fake_vendor):
    fake_vendor.inject("result", "gateway", times=3)
    with pytest.raises(GatewayError):
        provider_for(fake_vendor).result("t")
    assert fake_vendor.hits["result"] == 1


def test_connection_refused_is_unavailable(fake_vendor):
    provider = provider_for(fake_vendor, result_retries=0)
    fake_vendor.stop()
    with pytest.raises(ProviderUnavailable):
        provider.result("t")


# -- portrait ------------------------------------------------------------------------------


def passed(provider, vendor) -> CheckResult:
    token = provider.init(RETURN_URL).token
    vendor.set_outcome(token, 200)
    return provider.result(token)


def test_portrait_is_the_real_jpeg(jumdata_provider, fake_vendor):
    portrait = jumdata_provider.fetch_portrait(passed(jumdata_provider, fake_vendor))
    assert portrait.content == fake_vendor.portrait_bytes
    assert portrait.content_type == "image/jpeg"
    from PIL import Image

    assert Image.open(io.BytesIO(portrait.content)).format == "JPEG"
    assert fake_vendor.hits["portrait"] == 1


def test_no_portrait_without_url(fake_vendor):
    assert provider_for(fake_vendor).fetch_portrait(CheckResult(code=202)) is None
    assert fake_vendor.hits["portrait"] == 0


@pytest.mark.parametrize("chunked", [False, True])
def test_portrait_size_cap_option(fake_vendor, chunked):
    fake_vendor.portrait_chunked = chunked
    size = len(fake_vendor.portrait_bytes)
    at_limit = provider_for(fake_vendor, portrait_max_bytes=size)
    assert at_limit.fetch_portrait(passed(at_limit, fake_vendor)).content
    below = provider_for(fake_vendor, portrait_max_bytes=size - 1)
    with pytest.raises(ProviderError, match="too big"):
        below.fetch_portrait(passed(below, fake_vendor))


def test_portrait_size_cap_setting(settings, fake_vendor):
    settings.LIFECHECK = {**settings.LIFECHECK, "PORTRAIT_MAX_BYTES": 100}
    provider = provider_for(fake_vendor)
    with pytest.raises(ProviderError, match=r"too big.*100"):
        provider.fetch_portrait(passed(provider, fake_vendor))


def test_portrait_content_type(settings, fake_vendor):
    provider = provider_for(fake_vendor)
    fake_vendor.portrait_content_type = "text/html"
    with pytest.raises(ProviderError, match="'text/html'"):
        provider.fetch_portrait(passed(provider, fake_vendor))
    fake_vendor.portrait_content_type = "IMAGE/JPEG; charset=binary"
    assert provider.fetch_portrait(passed(provider, fake_vendor)).content_type == "image/jpeg"
    settings.LIFECHECK = {**settings.LIFECHECK, "PORTRAIT_CONTENT_TYPES": ("image/png",)}
    with pytest.raises(ProviderError, match="image/png"):
        provider.fetch_portrait(passed(provider, fake_vendor))


def test_portrait_missing_or_failing(fake_vendor):
    provider = provider_for(fake_vendor)
    gone = CheckResult(code=200, face_image_url=f"{fake_vendor.base_url}/portrait/nope.jpg")
    with pytest.raises(ProviderError, match="404") as info:
        provider.fetch_portrait(gone)
    assert not info.value.retryable
    result = passed(provider, fake_vendor)
    fake_vendor.inject("portrait", "http_error")
    with pytest.raises(ProviderError, match="503") as info:
        provider.fetch_portrait(result)
    assert info.value.retryable
    fake_vendor.inject("portrait", "slow", delay=1)
    with pytest.raises(ProviderTimeout):
        provider_for(fake_vendor, timeout=0.3).fetch_portrait(result)


def test_portrait_sends_no_auth(fake_vendor):
    provider = provider_for(fake_vendor)
    result = passed(provider, fake_vendor)
    with responses.RequestsMock() as mock:
        mock.get(result.face_image_url, body=b"\xff\xd8jpeg", content_type="image/jpeg")
        provider.fetch_portrait(result)
        sent = mock.calls[0].request
    assert "Authorization" not in sent.headers
    assert sent.req_kwargs["timeout"] == provider.timeout


# -- configuration ---------------------------------------------------------------------------


def test_configuration_ok_for_both_modes(fake_vendor):
    for mode in ("appcode", "direct"):
        provider = provider_for(fake_vendor, mode)
        assert provider.check_configuration() == []
        assert len(provider.configuration_warnings()) == 3  # the fake is plain http


def test_configuration_problems():
    provider = JumdataProvider("jd", {"app_id": "x", "timeout": -1, "result_retries": "a"})
    problems = "\n".join(provider.check_configuration())
    for text in (
        "'init_url'",
        "'result_url'",
        "'h5_base'",
        "'app_secret'",
        "'timeout'",
        "'result_retries'",
    ):
        assert text in problems
    assert "['jd']" in problems
    both = JumdataProvider("jd", {"appcode": "a", "app_secret": "s"})
    assert any("not both" in p for p in both.check_configuration())
    neither = JumdataProvider("jd", {"init_url": "https://x.cn/i"})
    assert any("'appcode'" in p for p in neither.check_configuration())
    relative = JumdataProvider("jd", {"init_url": "/api/init", "appcode": "a"})
    assert any("absolute" in p for p in relative.check_configuration())


def test_configuration_warnings():
    provider = JumdataProvider(
        "jd",
        {
            "appcode": "a",
            "init_url": "http://api.example.com/init",
            "result_url": "https://api.example.com/result",
            "h5_base": "https://h5.example.com",
            "appCode": "typo",
        },
    )
    assert provider.check_configuration() == []
    warnings = provider.configuration_warnings()
    assert len(warnings) == 2
    assert "'init_url'" in warnings[0] and "plain http" in warnings[0]
    assert "'appCode'" in warnings[1] and "not a known option" in warnings[1]


def test_missing_url_raises_configuration_error_naming_it():
    with pytest.raises(ConfigurationError, match=r"\['jd'\]\['OPTIONS'\]\['init_url'\]"):
        JumdataProvider("jd", {"appcode": "a"}).init(RETURN_URL)


# -- fault injection with responses ------------------------------------------------------------

INIT = "https://api.example.com/lifecheck/init"
RESULT = "https://api.example.com/lifecheck/result"
OK_INIT = {"code": 200, "msg": "成功", "taskNo": "1" * 24, "data": {"token": "tok"}}
PENDING = {"code": 201, "msg": "未查询到检测结果", "taskNo": "2" * 24}


@pytest.fixture
def mocked():
    provider = JumdataProvider(
        "jd",
        {
            "appcode": APPCODE,
            "init_url": INIT,
            "result_url": RESULT,
            "h5_base": "https://h5.example.com",
            "retry_backoff": 0,
        },
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield provider, mock


def test_every_call_has_a_timeout(mocked):
    provider, mock = mocked
    mock.post(INIT, json=OK_INIT)
    mock.post(RESULT, json=PENDING)
    provider.init(RETURN_URL)
    provider.result("tok")
    assert [c.request.req_kwargs["timeout"] for c in mock.calls] == [(3.05, 10.0)] * 2


def test_read_timeout_on_init(mocked):
    provider, mock = mocked
    mock.post(INIT, body=requests.ReadTimeout())
    with pytest.raises(ProviderTimeout):
        provider.init(RETURN_URL)
    assert len(mock.calls) == 1


def test_connect_timeout_on_init_is_unavailable_not_retried(mocked):
    provider, mock = mocked
    mock.post(INIT, body=requests.ConnectTimeout())
    with pytest.raises(ProviderUnavailable, match="could not connect"):
        provider.init(RETURN_URL)
    assert len(mock.calls) == 1


def test_read_timeout_on_result_not_retried(mocked):
    provider, mock = mocked
    mock.post(RESULT, body=requests.ReadTimeout())
    with pytest.raises(ProviderTimeout):
        provider.result("tok")
    assert len(mock.calls) == 1


def test_connection_errors_then_success_on_result(mocked, monkeypatch):
    provider, mock = mocked
    provider.options["retry_backoff"] = 0.5
    pauses = []
    monkeypatch.setattr(jumdata_module, "_sleep", pauses.append)
    mock.post(RESULT, body=requests.ConnectionError("refused"))
    mock.post(RESULT, body=requests.ConnectTimeout())
    mock.post(RESULT, json=PENDING)
    assert provider.result("tok").code == 201
    assert len(mock.calls) == 3
    assert pauses == [0.5, 1.0]


def test_5xx_then_success_on_result(mocked):
    provider, mock = mocked
    mock.post(RESULT, status=502, body="<html>bad gateway</html>")
    mock.post(RESULT, status=500, json={"code": 200})
    mock.post(RESULT, json=PENDING)
    assert provider.result("tok").code == 201
    assert len(mock.calls) == 3


def test_5xx_on_init_not_retried(mocked):
    provider, mock = mocked
    mock.post(INIT, status=503, body="unavailable")
    mock.post(INIT, json=OK_INIT)
    with pytest.raises(ProviderUnavailable, match="503"):
        provider.init(RETURN_URL)
    assert len(mock.calls) == 1


@pytest.mark.parametrize(
    "body", ['{"code": 200, "msg": "成', "<html>", "[]", '{"code": "200"}', '{"msg": "x"}']
)
def test_invalid_json(mocked, body):
    provider, mock = mocked
    mock.post(INIT, body=body, content_type="application/json")
    with pytest.raises(ProviderError) as info:
        provider.init(RETURN_URL)
    assert type(info.value) is ProviderError and not info.value.retryable
    mock.post(RESULT, body=body, content_type="application/json")
    with pytest.raises(ProviderUnavailable):
        provider.result("tok")
    assert len(mock.calls) == 1 + 3


def test_init_200_without_token(mocked):
    provider, mock = mocked
    mock.post(INIT, json={"code": 200, "msg": "成功", "taskNo": "1" * 24, "data": {}})
    with pytest.raises(ProviderError, match="without a token"):
        provider.init(RETURN_URL)


def test_unknown_code(mocked):
    provider, mock = mocked
    mock.post(RESULT, json={"code": 777, "msg": "?", "taskNo": "3"})
    with pytest.raises(ProviderAPIError, match="777"):
        provider.result("tok")


def test_gateway_headers(mocked):
    provider, mock = mocked
    mock.post(
        INIT,
        status=403,
        headers={"X-Ca-Error-Code": "A403QE", "X-Ca-Error-Message": "Quota Exhausted"},
    )
    with pytest.raises(GatewayError, match=r"quota.*A403QE.*Quota Exhausted"):
        provider.init(RETURN_URL)
    mock.post(RESULT, status=400, headers={"X-Ca-Error-Message": "Invalid Url"})
    with pytest.raises(GatewayError, match="Invalid Url") as info:
        provider.result("tok")
    assert info.value.status == 400 and info.value.error_code == ""


def test_echoed_secrets_are_stripped_from_raw(mocked):
    provider, mock = mocked
    mock.post(
        RESULT,
        json={
            "code": 200,
            "msg": f"ok for {APPCODE}",
            "taskNo": "4" * 24,
            "data": {
                "faceImageUrl": "https://img.example.com/p.jpg",
                "appcode": APPCODE,
                "sign": "abc",
                "nested": [{"appId": APP_ID, "keep": 1}],
            },
        },
    )
    result = provider.result("tok")
    assert result.raw["data"] == {
        "faceImageUrl": "https://img.example.com/p.jpg",
        "nested": [{"keep": 1}],
    }
    assert result.raw["msg"] == "ok for ***"
    assert_no_secrets(result.raw, result.message)


# -- secrets never logged ---------------------------------------------------------------------


def test_no_secret_in_logs_or_errors(fake_vendor, caplog):
    caplog.set_level(logging.DEBUG)
    errors = []
    for mode in ("appcode", "direct"):
        provider = provider_for(fake_vendor, mode, result_retries=1)
        init = provider.init(RETURN_URL, colors="#FFFFFF,#000000", actions="LookFront")
        fake_vendor.set_outcome(init.token, 200)
        provider.fetch_portrait(provider.result(init.token))
        for endpoint, kind in (
            ("result", "reset"),
            ("result", "half_json"),
            ("init", "gateway"),
            ("init", "code"),
        ):
            fake_vendor.inject(endpoint, kind, times=2 if endpoint == "result" else 1)
            with pytest.raises(ProviderError) as info:
                getattr(provider, endpoint)(RETURN_URL if endpoint == "init" else init.token)
            errors.append(info.value)
    bad = provider_for(fake_vendor, "direct", app_secret=APP_SECRET + "x")
    with pytest.raises(ProviderError) as info:
        bad.init(RETURN_URL)
    errors.append(info.value)
    assert any(r.name == "django_lifecheck.providers.jumdata" for r in caplog.records)
    assert_no_secrets(*(r.getMessage() for r in caplog.records), caplog.text)
    for error in errors:
        assert_no_secrets(error, error.args)
        if error.response is not None:
            request = error.response.request
            assert_no_secrets(request.headers, request.body)
