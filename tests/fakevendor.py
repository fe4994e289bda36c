"""A fake Jumdata vendor served over real HTTP, for provider and end-to-end tests.

It speaks the protocol of ``spec/protocol.md`` on 127.0.0.1 (a free port): ``init``,
``result``, the H5 page and a portrait endpoint, with both auth modes (API market
``APPCODE`` behind a gateway, and the direct contract's signed form). Init parameters
are validated with :func:`django_lifecheck.protocol.parse_init`, so the fake is exactly
as strict as the protocol module.

A test scripts each token's outcome (:meth:`FakeVendor.set_outcome`, :meth:`expire`)
and injects faults per endpoint (:meth:`FakeVendor.inject`): slow answers, HTTP 5xx,
connection resets, half-written JSON, truncated bodies, gateway errors and public codes.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import secrets
import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from django_lifecheck.exceptions import InvalidParameter
from django_lifecheck.protocol import (
    RESULT_PASSED_MESSAGE,
    TOKEN_LIFETIME_SECONDS,
    WIRE_MESSAGES,
    Code,
    envelope,
    parse_init,
    return_redirect_url,
)

APPCODE = "fake-appcode-5f1c9e0b7a2d4c38"
APP_ID = "fake-app-id-20481"
APP_SECRET = "fake-app-secret-9d8e7f6a5b4c"
PRODUCT_CODE = "life_check_v2"
SIGN_MAX_SKEW_MS = 5 * 60 * 1000
AUTH_MODES = ("appcode", "direct")
PROVIDER_BACKEND = "django_lifecheck.providers.jumdata.JumdataProvider"


def make_jpeg(size: int = 64) -> bytes:
    """A small real JPEG (a gradient with a face-coloured disc), made with Pillow."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(image)
    for y in range(size):
        draw.line([(0, y), (size, y)], fill=(40 + y, 60 + y, 90 + y))
    draw.ellipse([size // 4, size // 5, 3 * size // 4, 4 * size // 5], fill=(224, 172, 140))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


@dataclass
class Fault:
    """One injected misbehaviour for the next request(s) to an endpoint.

    kind: ``slow`` (sleep ``delay`` then answer normally), ``http_error`` (``status``
    with an HTML body), ``reset`` (TCP reset, no answer), ``half_json`` (a complete
    HTTP answer whose JSON is cut in half), ``truncated`` (Content-Length promises more
    than is sent), ``gateway`` (``status`` with ``X-Ca-Error-*`` headers), ``code``
    (a protocol envelope with public ``code``).
    """

    kind: str
    times: int = 1
    status: int | None = None  # default: 503 for http_error, 403 for gateway
    delay: float = 0.0
    code: int = 999
    error_code: str | None = None  # default "A403QE"; "" sends no X-Ca-Error-Code
    error_message: str | None = None  # default "Quota Exhausted"


@dataclass
class TokenState:
    """What the fake remembers about an issued token."""

    token: str
    return_url: str
    colors: tuple[str, ...]
    actions: tuple[str, ...]
    auth_mode: str
    issued_at: float = field(default_factory=time.time)
    outcome: int = Code.PENDING
    portrait_id: str = ""


class FakeVendor:
    """The fake service; start with :meth:`start`, stop with :meth:`stop` (idempotent)."""

    appcode = APPCODE
    app_id = APP_ID
    app_secret = APP_SECRET

    def __init__(self) -> None:
        self.tokens: dict[str, TokenState] = {}
        self.portraits: dict[str, str] = {}  # portrait id -> token
        self.hits: Counter[str] = Counter()
        #: Every request: (endpoint, headers, form) for assertions about what was sent.
        self.requests: list[tuple[str, dict[str, str], dict[str, str]]] = []
        self.portrait_bytes: bytes = make_jpeg()
        self.portrait_content_type = "image/jpeg"
        #: Send the portrait without Content-Length (streamed until close).
        self.portrait_chunked = False
        self.token_lifetime = TOKEN_LIFETIME_SECONDS
        self._faults: dict[str, list[Fault]] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------
    def start(self) -> FakeVendor:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.vendor = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping in a "slow" fault
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeVendor:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses and settings -------------------------------------------------------
    @property
    def base_url(self) -> str:
        assert self._server is not None, "FakeVendor is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def init_url(self) -> str:
        return f"{self.base_url}/api/init"

    @property
    def result_url(self) -> str:
        return f"{self.base_url}/api/result"

    @property
    def h5_base(self) -> str:
        return f"{self.base_url}/h5"

    def settings_for(self, alias: str = "appcode", **overrides: Any) -> dict[str, Any]:
        """Provider OPTIONS for auth mode ``alias`` (``appcode`` or ``direct``).

        Short timeouts and no retry pause keep fault tests fast; ``overrides`` win.
        """
        options: dict[str, Any] = {
            "init_url": self.init_url,
            "result_url": self.result_url,
            "h5_base": self.h5_base,
            "timeout": (2.0, 2.0),
            "retry_backoff": 0,
        }
        if alias == "appcode":
            options["appcode"] = self.appcode
        elif alias == "direct":
            options.update(app_id=self.app_id, app_secret=self.app_secret)
        else:
            raise ValueError(f"unknown auth mode {alias!r}; use one of {AUTH_MODES}")
        options.update(overrides)
        return options

    def provider_entry(self, alias: str = "appcode", **overrides: Any) -> dict[str, Any]:
        """A whole ``LIFECHECK["PROVIDERS"]`` entry (BACKEND + OPTIONS)."""
        return {"BACKEND": PROVIDER_BACKEND, "OPTIONS": self.settings_for(alias, **overrides)}

    # -- scripting ---------------------------------------------------------------------
    def set_outcome(self, token: str, code: int) -> None:
        """Decide what ``result`` answers for ``token``: 200, 201, 202, 203 (or 301 =
        expire it now)."""
        with self._lock:
            state = self.tokens[token]
            if code == Code.EXPIRED:
                state.issued_at -= self.token_lifetime + 1
                return
            if code not in (Code.OK, Code.PENDING, Code.NOT_PASSED, Code.CHECK_FAILED):
                raise ValueError(f"not a scriptable result code: {code}")
            state.outcome = int(code)
            if code == Code.OK and not state.portrait_id:
                state.portrait_id = secrets.token_urlsafe(24)
                self.portraits[state.portrait_id] = token

    def expire(self, token: str) -> None:
        """Age ``token`` past its lifetime: ``result`` then answers 301."""
        self.set_outcome(token, Code.EXPIRED)

    def inject(self, endpoint: str, kind: str, **kwargs: Any) -> Fault:
        """Make the next ``times`` requests to ``endpoint`` (``init``, ``result``,
        ``portrait``, ``h5``) misbehave as :class:`Fault` ``kind`` says."""
        fault = Fault(kind=kind, **kwargs)
        with self._lock:
            self._faults.setdefault(endpoint, []).append(fault)
        return fault

    def _take_fault(self, endpoint: str) -> Fault | None:
        with self._lock:
            queue = self._faults.get(endpoint) or []
            if not queue:
                return None
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.pop(0)
            return fault

    def portrait_url(self, token: str) -> str:
        return f"{self.base_url}/portrait/{self.tokens[token].portrait_id}.jpg"

    # -- protocol logic (called by the handler) ---------------------------------------------
    def authenticate(self, headers: Any, form: dict[str, str]) -> tuple[str | None, Any]:
        """Return (auth mode, None) or (None, an error answer)."""
        authorization = headers.get("Authorization")
        if authorization is not None:
            expected = f"APPCODE {self.appcode}"
            if hmac.compare_digest(authorization.encode(), expected.encode()):
                return "appcode", None
            return None, _GatewayAnswer(403, "A403IK", "Invalid AppCode")
        if "appId" in form:
            timestamp = form.get("timestamp", "")
            if (
                form["appId"] != self.app_id
                or form.get("productCode") != PRODUCT_CODE
                or not timestamp.isdigit()
                or abs(int(timestamp) - time.time() * 1000) > SIGN_MAX_SKEW_MS
            ):
                return None, envelope(Code.DISABLED, "appId、productCode 或 timestamp 无效")
            expected = hashlib.sha256(f"{self.app_id}{self.app_secret}{timestamp}".encode())
            if not hmac.compare_digest(form.get("sign", ""), expected.hexdigest()):
                return None, envelope(Code.DISABLED, "签名错误")
            return "direct", None
        return None, _GatewayAnswer(401, "A401AC", "Unauthorized: missing AppCode")

    def do_init(self, form: dict[str, str], auth_mode: str) -> dict[str, Any]:
        try:
            params = parse_init(form.get("returnUrl"), form.get("colors"), form.get("actions"))
        except InvalidParameter as exc:
            return envelope(Code.PARAMETER_ERROR, f"{WIRE_MESSAGES[Code.PARAMETER_ERROR]}: {exc}")
        token = secrets.token_hex(16)
        with self._lock:
            self.tokens[token] = TokenState(
                token=token,
                return_url=params.return_url,
                colors=params.colors,
                actions=params.actions,
                auth_mode=auth_mode,
            )
        return envelope(Code.OK, data={"token": token})

    def do_result(self, form: dict[str, str]) -> dict[str, Any]:
        token = form.get("token", "")
        if not token:
            return envelope(Code.PARAMETER_ERROR, "参数错误: token 为空")
        with self._lock:
            state = self.tokens.get(token)
        if state is None:
            return envelope(Code.PENDING)
        if time.time() - state.issued_at > self.token_lifetime:
            return envelope(Code.EXPIRED)
        if state.outcome == Code.OK:
            return envelope(
                Code.OK,
                RESULT_PASSED_MESSAGE,
                data={"faceImageUrl": self.portrait_url(token)},
            )
        return envelope(state.outcome)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timeout tests) is expected; anything else is shown."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@dataclass
class _GatewayAnswer:
    status: int
    error_code: str
    error_message: str


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeJumdata/1.0"

    @property
    def vendor(self) -> FakeVendor:
        return self.server.vendor  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: pytest shows failures, not access logs."""

    # -- routing ---------------------------------------------------------------------
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8", "replace")
        form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        path = urlsplit(self.path).path
        endpoint = {"/api/init": "init", "/api/result": "result"}.get(path)
        if endpoint is None:
            self._send(404, b"not found", "text/plain")
            return
        self.vendor.hits[endpoint] += 1
        self.vendor.requests.append((endpoint, dict(self.headers.items()), form))
        if self._apply_fault(endpoint):
            return
        mode, error = self.vendor.authenticate(self.headers, form)
        if error is not None:
            if isinstance(error, _GatewayAnswer):
                self._gateway(error.status, error.error_code, error.error_message)
            else:
                self._json(error)
            return
        assert mode is not None
        if endpoint == "init":
            self._json(self.vendor.do_init(form, mode))
        else:
            self._json(self.vendor.do_result(form))

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path.startswith("/portrait/"):
            self.vendor.hits["portrait"] += 1
            if not self._apply_fault("portrait"):
                self._portrait(parts.path.removeprefix("/portrait/").removesuffix(".jpg"))
        elif parts.path == "/h5/check/index":
            self.vendor.hits["h5"] += 1
            if not self._apply_fault("h5"):
                self._h5(parse_qs(parts.query))
        elif parts.path == "/h5/check/finish":
            self._finish(parse_qs(parts.query))
        else:
            self._send(404, b"not found", "text/plain")

    # -- pages ---------------------------------------------------------------------------
    def _portrait(self, portrait_id: str) -> None:
        if portrait_id not in self.vendor.portraits:
            self._send(404, b"no such portrait", "text/plain")
            return
        body = self.vendor.portrait_bytes
        if self.vendor.portrait_chunked:
            self.send_response(200)
            self.send_header("Content-Type", self.vendor.portrait_content_type)
            self.end_headers()
            for start in range(0, len(body), 8192):
                self.wfile.write(body[start : start + 8192])
            self.close_connection = True
            return
        self._send(200, body, self.vendor.portrait_content_type)

    def _h5(self, query: dict[str, list[str]]) -> None:
        token = (query.get("token") or [""])[0]
        state = self.vendor.tokens.get(token)
        if state is None:
            self._send(404, "未知 token".encode(), "text/plain; charset=utf-8")
            return
        links = "".join(
            f'<a id="{name}" href="/h5/check/finish?{urlencode({"token": token, "code": code})}">'
            f"{name}</a> "
            for name, code in (("pass", 200), ("fail", 202), ("error", 203))
        )
        html = (
            "<!doctype html><html><head><meta charset='utf-8'><title>Fake check</title>"
            f"</head><body><p>actions: {','.join(state.actions) or '-'}; "
            f"colors: {','.join(state.colors) or '-'}</p>{links}</body></html>"
        )
        self._send(200, html.encode(), "text/html; charset=utf-8")

    def _finish(self, query: dict[str, list[str]]) -> None:
        """What the real page does at the end: record the outcome, go back."""
        token = (query.get("token") or [""])[0]
        code = int((query.get("code") or ["203"])[0])
        state = self.vendor.tokens.get(token)
        if state is None:
            self._send(404, b"unknown token", "text/plain")
            return
        self.vendor.set_outcome(token, code)
        self.send_response(302)
        self.send_header("Location", return_redirect_url(state.return_url, token, code == 200))
        self.send_header("Content-Length", "0")
        self.end_headers()

    # -- faults ---------------------------------------------------------------------------
    def _apply_fault(self, endpoint: str) -> bool:
        """Apply the next injected fault; True when it replaced the normal answer."""
        fault = self.vendor._take_fault(endpoint)
        if fault is None:
            return False
        if fault.kind == "slow":
            self.vendor._stopping.wait(fault.delay)
            return False
        if fault.kind == "http_error":
            self._send(fault.status or 503, b"<html><body>Bad Gateway</body></html>", "text/html")
        elif fault.kind == "gateway":
            self._gateway(
                fault.status or 403,
                "A403QE" if fault.error_code is None else fault.error_code,
                "Quota Exhausted" if fault.error_message is None else fault.error_message,
            )
        elif fault.kind == "code":
            self._json(envelope(fault.code))
        elif fault.kind == "half_json":
            body = json.dumps(envelope(Code.OK, data={"token": "x" * 32})).encode()
            self._send(200, body[: len(body) // 2], "application/json")
        elif fault.kind == "truncated":
            body = json.dumps(envelope(Code.PENDING)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
        elif fault.kind == "reset":
            self._reset()
        else:
            raise ValueError(f"unknown fault kind {fault.kind!r}")
        return True

    def _reset(self) -> None:
        """Close with a TCP RST (SO_LINGER 0) and no answer at all."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True
        self.wfile = io.BytesIO()  # finish() flushes wfile; the socket is gone

    # -- writing ----------------------------------------------------------------------------
    def _gateway(self, status: int, code: str, message: str) -> None:
        self.send_response(status)
        if code:
            self.send_header("X-Ca-Error-Code", code)
        if message:
            self.send_header("X-Ca-Error-Message", message)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _json(self, body: dict[str, Any]) -> None:
        self._send(200, json.dumps(body, ensure_ascii=False).encode(), "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
