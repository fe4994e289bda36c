"""The Jumdata cloud vendor, over HTTP with ``requests``.

Modelled on django-anymail's requests-based backends: one :class:`requests.Session` per
provider instance (connection reuse), a timeout on every call, errors that carry the
response, and nothing secret in logs or in what callers store.

Thread safety: providers are shared between threads. ``requests.Session`` is safe for
this use as long as nothing mutates it per request: its urllib3 connection pool is
thread-safe, auth goes in each request's own headers/form (never on the session), and
cookies are refused so the shared cookie jar never changes.

Retries: ``result`` is idempotent and is retried on connection errors (including a
connect timeout), HTTP 5xx, unreadable JSON and the protocol's 500/610, with a short
backoff; a read timeout is not retried (it already cost the whole read timeout) and
raises ProviderTimeout. ``init`` is never retried here: after a read timeout the vendor
may or may not have issued (and billed) a token, so the caller decides. A connect
timeout means nothing was sent: ProviderUnavailable, for both calls.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping, Sequence
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests

from .. import conf
from ..exceptions import (
    ConfigurationError,
    GatewayError,
    ProviderAPIError,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
)
from ..protocol import (
    RESULT_PASSED_MESSAGE,
    TRANSIENT_CODES,
    TRY_LATER_CODES,
    WIRE_MESSAGES,
    Code,
    parse_init,
)
from .base import BaseProvider, CheckResult, InitResult, Portrait

logger = logging.getLogger("django_lifecheck.providers.jumdata")

PRODUCT_CODE = "life_check_v2"
DEFAULT_TIMEOUT: tuple[float, float] = (3.05, 10.0)
DEFAULT_RESULT_RETRIES = 2
DEFAULT_RETRY_BACKOFF = 0.25
DEFAULT_PORTRAIT_DEADLINE = 30.0

URL_OPTIONS = ("init_url", "result_url", "h5_base")
KNOWN_OPTIONS = frozenset(
    {
        *URL_OPTIONS,
        "appcode",
        "app_id",
        "app_secret",
        "product_code",
        "timeout",
        "result_retries",
        "retry_backoff",
        "portrait_max_bytes",
        "portrait_deadline",
    }
)
RESULT_CODES = frozenset({Code.OK, Code.PENDING, Code.NOT_PASSED, Code.CHECK_FAILED, Code.EXPIRED})
#: Keys never kept in stored payloads, whatever the vendor echoes back.
SECRET_KEYS = frozenset(
    {"appcode", "appid", "app_id", "appsecret", "app_secret", "sign", "authorization"}
)
REDACTED = "***"


def sign(app_id: str, app_secret: str, timestamp: str) -> str:
    """The direct contract's signature: ``sha256(appId + appSecret + timestamp)``, hex."""
    return hashlib.sha256(f"{app_id}{app_secret}{timestamp}".encode()).hexdigest()


def redact(value: Any, secrets: Sequence[str] = ()) -> Any:
    """A copy of ``value`` without secret keys, and with secret strings masked.

    Masking the values too covers a vendor that echoes a key inside a message.
    """
    if isinstance(value, Mapping):
        return {
            k: redact(v, secrets)
            for k, v in value.items()
            if str(k).lower().replace("-", "_") not in SECRET_KEYS
            and str(k).lower() not in SECRET_KEYS
        }
    if isinstance(value, list | tuple):
        return [redact(v, secrets) for v in value]
    if isinstance(value, str):
        for secret in secrets:
            if secret:
                value = value.replace(secret, REDACTED)
        return value
    return value


class _NoCookies(DefaultCookiePolicy):
    """Refuse every cookie: the shared session must hold no per-request state."""

    def set_ok(self, cookie: Any, request: Any) -> bool:
        return False


class JumdataProvider(BaseProvider):
    """The Jumdata liveness check sold through a cloud API market or by direct contract.

    Options (``LIFECHECK["PROVIDERS"][alias]["OPTIONS"]``): ``init_url``, ``result_url``,
    ``h5_base`` (required, from your contract); either ``appcode`` (API market) or
    ``app_id`` + ``app_secret`` (direct contract); ``timeout`` (seconds, or
    ``(connect, read)``, default ``(3.05, 10)``); ``result_retries`` (default 2);
    ``retry_backoff`` (first pause in seconds, doubled each retry, default 0.25);
    ``portrait_max_bytes`` (default ``LIFECHECK["PORTRAIT_MAX_BYTES"]``);
    ``portrait_deadline`` (seconds for the whole download, default 30).
    """

    required_options = URL_OPTIONS

    def __init__(self, alias: str, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(alias, options)
        self.session = requests.Session()
        self.session.cookies.set_policy(_NoCookies())

    # -- options -------------------------------------------------------------------
    def _setting_name(self, name: str) -> str:
        return f"LIFECHECK['PROVIDERS'][{self.alias!r}]['OPTIONS'][{name!r}]"

    def _required(self, name: str) -> str:
        value = self.options.get(name)
        if not value:
            raise ConfigurationError(f"{self._setting_name(name)} is required.")
        return str(value)

    @property
    def timeout(self) -> float | tuple[float, float]:
        value = self.options.get("timeout", DEFAULT_TIMEOUT)
        if isinstance(value, list | tuple):
            return (float(value[0]), float(value[1]))
        return float(value)

    def _read_timeout(self) -> float:
        timeout = self.timeout
        return timeout[1] if isinstance(timeout, tuple) else timeout

    @property
    def result_retries(self) -> int:
        return int(self.options.get("result_retries", DEFAULT_RESULT_RETRIES))

    @property
    def portrait_max_bytes(self) -> int:
        value = self.options.get("portrait_max_bytes")
        return int(value if value is not None else conf.get("PORTRAIT_MAX_BYTES"))

    def _secrets(self) -> tuple[str, ...]:
        return tuple(
            str(self.options[name])
            for name in ("appcode", "app_secret", "app_id")
            if self.options.get(name)
        )

    # -- configuration checks ----------------------------------------------------------
    def check_configuration(self) -> list[str]:
        """Errors: missing URLs, no or both auth modes, half a direct-contract pair,
        malformed URLs and numbers."""
        problems = super().check_configuration()
        has_appcode = bool(self.options.get("appcode"))
        has_id, has_secret = bool(self.options.get("app_id")), bool(self.options.get("app_secret"))
        if has_appcode and (has_id or has_secret):
            problems.append(
                f"{self._setting_name('appcode')} and {self._setting_name('app_id')}/"
                "'app_secret' are both set: use appcode (API market) or app_id + app_secret "
                "(direct contract), not both."
            )
        elif not has_appcode and not (has_id or has_secret):
            problems.append(
                f"{self._setting_name('appcode')} (API market) or "
                f"{self._setting_name('app_id')} + 'app_secret' (direct contract) is required."
            )
        elif has_id != has_secret:
            missing = "app_secret" if has_id else "app_id"
            problems.append(
                f"{self._setting_name(missing)} is required with "
                f"{self._setting_name('app_secret' if has_id else 'app_id')}."
            )
        for name in URL_OPTIONS:
            value = self.options.get(name)
            if value:
                parts = urlsplit(str(value))
                if parts.scheme not in ("http", "https") or not parts.hostname:
                    problems.append(
                        f"{self._setting_name(name)} = {value!r} is not an absolute http(s) URL."
                    )
        problems.extend(self._number_problems())
        return problems

    def _number_problems(self) -> list[str]:
        problems = []
        try:
            timeout = self.timeout
            values = timeout if isinstance(timeout, tuple) else (timeout,)
            if any(v <= 0 for v in values):
                raise ValueError
        except (TypeError, ValueError, IndexError):
            problems.append(
                f"{self._setting_name('timeout')} must be a positive number of seconds or "
                "a (connect, read) pair."
            )
        for name, minimum in (("result_retries", 0), ("portrait_max_bytes", 1)):
            if name in self.options:
                try:
                    ok = int(self.options[name]) >= minimum
                except (TypeError, ValueError):
                    ok = False
                if not ok:
                    problems.append(f"{self._setting_name(name)} must be an integer >= {minimum}.")
        return problems

    def configuration_warnings(self) -> list[str]:
        """Doubts that do not stop the provider: plain-http URLs and unknown options."""
        warnings = [
            f"{self._setting_name(name)} = {self.options[name]!r} uses plain http: tokens "
            "and results travel unencrypted."
            for name in URL_OPTIONS
            if str(self.options.get(name) or "").lower().startswith("http://")
        ]
        warnings.extend(
            f"{self._setting_name(name)} is not a known option "
            f"(known: {', '.join(sorted(KNOWN_OPTIONS))})."
            for name in sorted(set(self.options) - KNOWN_OPTIONS)
        )
        return warnings

    # -- the protocol --------------------------------------------------------------------
    def h5_base(self) -> str:
        return self._required("h5_base")

    def init(
        self, return_url: str, *, colors: Sequence[str] = (), actions: Sequence[str] = ()
    ) -> InitResult:
        params = parse_init(return_url, colors, actions)
        url = self._required("init_url")
        body = self._post(url, params.as_form(), endpoint="init", json_error=ProviderError)
        code = body["code"]
        if code == Code.OK:
            data = body.get("data")
            token = data.get("token") if isinstance(data, Mapping) else None
            if not token or not isinstance(token, str):
                raise ProviderError(
                    f"Jumdata init answered 200 without a token (taskNo {body.get('taskNo')})."
                )
            logger.info("init ok: mode=%s taskNo=%s", params.mode, body.get("taskNo"))
            return InitResult(
                token=token, task_no=str(body.get("taskNo") or ""), raw=self._raw(body)
            )
        raise self._public_code_error(body, endpoint="init")

    def result(self, token: str) -> CheckResult:
        if not token:
            raise ProviderAPIError("result needs a token.", code=Code.PARAMETER_ERROR)
        url = self._required("result_url")
        attempt = 0
        while True:
            try:
                return self._result_once(url, token)
            except (ProviderUnavailable, GatewayError) as exc:
                retry = isinstance(exc, ProviderUnavailable) or exc.status >= 500
                if not retry or attempt >= self.result_retries:
                    raise
                pause = float(self.options.get("retry_backoff", DEFAULT_RETRY_BACKOFF)) * 2**attempt
                attempt += 1
                logger.warning(
                    "result attempt %d failed (%s); retrying in %.2fs", attempt, exc, pause
                )
                _sleep(pause)

    def _result_once(self, url: str, token: str) -> CheckResult:
        body = self._post(url, {"token": token}, endpoint="result", json_error=ProviderUnavailable)
        code = body["code"]
        if code in RESULT_CODES:
            data = body.get("data") if isinstance(body.get("data"), Mapping) else {}
            face = data.get("faceImageUrl") if code == Code.OK else None
            default = RESULT_PASSED_MESSAGE if code == Code.OK else WIRE_MESSAGES[code]
            logger.info("result: code=%s taskNo=%s", code, body.get("taskNo"))
            return CheckResult(
                code=int(code),
                message=redact(str(body.get("msg") or default), self._secrets()),
                task_no=str(body.get("taskNo") or ""),
                face_image_url=str(face) if face else None,
                raw=self._raw(body),
            )
        raise self._public_code_error(body, endpoint="result")

    # -- HTTP ---------------------------------------------------------------------------
    def _auth(self) -> tuple[dict[str, str], dict[str, str]]:
        """Headers and form fields that authenticate a call (never logged nor stored)."""
        appcode = self.options.get("appcode")
        if appcode:
            return {"Authorization": f"APPCODE {appcode}"}, {}
        app_id, app_secret = self._required("app_id"), self._required("app_secret")
        timestamp = str(int(time.time() * 1000))
        return {}, {
            "appId": app_id,
            "timestamp": timestamp,
            "sign": sign(app_id, app_secret, timestamp),
            "productCode": str(self.options.get("product_code") or PRODUCT_CODE),
        }

    def _post(
        self, url: str, form: dict[str, str], *, endpoint: str, json_error: type[ProviderError]
    ) -> dict[str, Any]:
        """POST ``form`` and return the decoded envelope (``code`` known to be an int)."""
        headers, auth_form = self._auth()
        headers["Accept"] = "application/json"
        try:
            response = self.session.post(
                url, data={**form, **auth_form}, headers=headers, timeout=self.timeout
            )
        except requests.ConnectTimeout:
            # Nothing reached the vendor: the outcome is known (no token, no result).
            logger.warning("%s: could not connect to %s in time", endpoint, url)
            raise ProviderUnavailable(
                f"Jumdata {endpoint}: could not connect in time (timeout {self.timeout})."
            ) from None
        except requests.Timeout as exc:
            logger.warning("%s: no answer from %s in time (%s)", endpoint, url, type(exc).__name__)
            raise ProviderTimeout(
                f"Jumdata {endpoint} did not answer in time (timeout {self.timeout}); "
                + (
                    "the token may or may not have been issued."
                    if endpoint == "init"
                    else "try again."
                )
            ) from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            logger.warning("%s: connection to %s failed (%s)", endpoint, url, type(exc).__name__)
            raise ProviderUnavailable(
                f"Jumdata {endpoint}: connection failed ({type(exc).__name__})."
            ) from None
        except requests.RequestException as exc:
            raise ProviderError(f"Jumdata {endpoint}: {type(exc).__name__}.") from None
        self._scrub_request(response)
        self._raise_for_gateway(response, endpoint)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("code"), int):
            logger.warning(
                "%s: HTTP %s with an unreadable body (%d bytes)",
                endpoint,
                response.status_code,
                len(response.content),
            )
            if response.status_code >= 500:
                raise ProviderUnavailable(
                    f"Jumdata {endpoint}: HTTP {response.status_code}.",
                    response=response,
                )
            raise json_error(
                f"Jumdata {endpoint}: HTTP {response.status_code} with a body that is not the "
                "protocol's JSON envelope.",
                response=response,
            )
        if response.status_code >= 400 and body["code"] in RESULT_CODES | {Code.OK}:
            # A verdict or a token on an HTTP error contradicts itself (a 4xx passed
            # the check before): never trusted; asking again later may get a clean one.
            raise ProviderUnavailable(
                f"Jumdata {endpoint}: HTTP {response.status_code} with code {body['code']}.",
                response=response,
            )
        return body

    def _scrub_request(self, response: requests.Response) -> None:
        """Mask the auth in the request kept on ``response``: errors carry the response,
        and callers may log or store it."""
        request = response.request
        if request is None:
            return
        if "Authorization" in request.headers:
            request.headers["Authorization"] = f"APPCODE {REDACTED}"
        if isinstance(request.body, str | bytes):
            raw = request.body.decode() if isinstance(request.body, bytes) else request.body
            pairs = [
                (k, REDACTED if k.lower() in SECRET_KEYS else v)
                for k, v in parse_qsl(raw, keep_blank_values=True)
            ]
            request.body = urlencode(pairs)
            request.headers["Content-Length"] = str(len(request.body))

    def _raise_for_gateway(self, response: requests.Response, endpoint: str) -> None:
        """The API market's gateway answers before the vendor, with ``X-Ca-Error-*``."""
        status = response.status_code
        code = response.headers.get("X-Ca-Error-Code")
        message = response.headers.get("X-Ca-Error-Message")
        if status < 400 or not (code or message):
            return
        message = redact(message or "", self._secrets())
        text = f"{code or ''} {message}".lower()
        # Throttling means "try again later": the check stays pending for the refresher
        # (``retryable``), but is not retried at once (that would hammer it). A used-up
        # market quota needs a person (buy more), so it is a clear error at once.
        later = False
        if status == 403 and "quota" in text:
            hint = "the API market quota is used up (buy more, or wait for the next period)"
        elif status == 429 or "throttl" in text or "flow control" in text:
            hint = "the API market throttled the call (too many requests)"
            later = True
        elif status in (401, 403):
            hint = "the API market refused the APPCODE (wrong, disabled or not subscribed)"
        else:
            hint = "the API market's gateway refused the call"
            later = status >= 500
        logger.warning(
            "%s: gateway HTTP %s X-Ca-Error-Code=%s X-Ca-Error-Message=%s",
            endpoint,
            status,
            code,
            message,
        )
        raise GatewayError(
            f"Jumdata {endpoint}: {hint}: HTTP {status}, X-Ca-Error-Code={code or '-'}, "
            f"X-Ca-Error-Message={message or '-'}.",
            error_code=code or "",
            status=status,
            response=response,
            retryable=later,
        )

    def _public_code_error(self, body: Mapping[str, Any], *, endpoint: str) -> ProviderError:
        code = body["code"]
        msg = redact(str(body.get("msg") or WIRE_MESSAGES.get(code, "")), self._secrets())
        task_no = body.get("taskNo") or "-"
        logger.warning("%s: code=%s msg=%s taskNo=%s", endpoint, code, msg, task_no)
        text = f"Jumdata {endpoint} answered code {code}: {msg} (taskNo {task_no})."
        if code in TRANSIENT_CODES:
            return ProviderUnavailable(text, code=code)
        # 606 / 609 say "try again later": retryable for the refresher, never at once.
        return ProviderAPIError(text, code=code, retryable=code in TRY_LATER_CODES)

    def _raw(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return redact(dict(body), self._secrets())

    # -- portrait ------------------------------------------------------------------------
    def fetch_portrait(self, result: CheckResult) -> Portrait | None:
        """Download the portrait of a passed check, capped in size, type and time.

        No auth is sent: the URL is itself the (time-limited) credential, and it may be
        on another host than the API.
        """
        url = result.face_image_url
        if not url:
            return None
        if urlsplit(url).scheme not in ("http", "https"):
            raise ProviderError(f"Portrait URL has an unsupported scheme: {url[:16]!r}...")
        max_bytes = self.portrait_max_bytes
        allowed = {t.lower() for t in conf.get("PORTRAIT_CONTENT_TYPES")}
        deadline = time.monotonic() + float(
            self.options.get("portrait_deadline", DEFAULT_PORTRAIT_DEADLINE)
        )
        try:
            with self.session.get(url, stream=True, timeout=self.timeout) as response:
                if response.status_code != 200:
                    raise ProviderError(
                        f"Portrait download answered HTTP {response.status_code}.",
                        response=response,
                        retryable=response.status_code >= 500,
                    )
                content_type = (
                    response.headers.get("Content-Type", "").split(";")[0].strip().lower()
                )
                if content_type not in allowed:
                    raise ProviderError(
                        f"Portrait has content type {content_type or 'none'!r}; allowed: "
                        f"{', '.join(sorted(allowed))}.",
                        response=response,
                    )
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise ProviderError(
                        f"Portrait is too big: {declared} bytes, the limit is {max_bytes} "
                        "(LIFECHECK['PORTRAIT_MAX_BYTES'] or the portrait_max_bytes option).",
                        response=response,
                    )
                content = bytearray()
                for chunk in response.iter_content(chunk_size=64 * 1024):
                    content.extend(chunk)
                    if len(content) > max_bytes:
                        raise ProviderError(
                            f"Portrait is too big: more than {max_bytes} bytes "
                            "(LIFECHECK['PORTRAIT_MAX_BYTES'] or the portrait_max_bytes "
                            "option).",
                            response=response,
                        )
                    if time.monotonic() > deadline:
                        raise ProviderTimeout("Portrait download took too long.")
        except requests.Timeout:
            raise ProviderTimeout("Portrait download timed out.") from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise ProviderUnavailable(f"Portrait download failed ({type(exc).__name__}).") from None
        if not content:
            raise ProviderError("Portrait download was empty.")
        logger.info("portrait fetched: %d bytes, %s", len(content), content_type)
        return Portrait(content=bytes(content), content_type=content_type)


def _sleep(seconds: float) -> None:
    """Pause between retries (a module function so tests can observe it)."""
    if seconds > 0:
        time.sleep(seconds)
