"""HTTP helpers of the load tests: what a browser and an API client send to gunicorn.

Every call has a timeout and every loop a bound; nothing here retries silently.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import time
from typing import Any

import requests

TIMEOUT = (5, 30)
Frames = list[tuple[bytes, int, str | None]]


def api(base: str, key: str, endpoint: str, **form: str) -> requests.Response:
    """``POST /lifecheck/api/<endpoint>`` with ``Authorization: APPCODE``."""
    return requests.post(
        f"{base}/lifecheck/api/{endpoint}",
        data=form,
        headers={"Authorization": f"APPCODE {key}"},
        timeout=TIMEOUT,
    )


def upload(base: str, token: str, frames: Frames) -> requests.Response:
    """The H5 page's one upload of a check: frames plus the meta that describes them."""
    meta = {
        "frames": [{"t": t, "color": None, "prompt": prompt} for _, t, prompt in frames],
        "flash": [],
        "client": {"camera_label": "Integrated Camera", "user_agent": "load-test",
                   "width": 640, "height": 480},
    }  # fmt: skip
    files = [("frame", (f"f{i}.jpg", jpeg, "image/jpeg")) for i, (jpeg, _, _) in enumerate(frames)]
    return requests.post(
        f"{base}/lifecheck/v2/check/frames",
        data={"token": token, "meta": json.dumps(meta)},
        files=files,
        timeout=TIMEOUT,
    )


def page_status(base: str, token: str) -> dict[str, Any]:
    response = requests.get(
        f"{base}/lifecheck/v2/check/status", params={"token": token}, timeout=TIMEOUT
    )
    response.raise_for_status()
    return response.json()


def wait_done(base: str, token: str, timeout: float) -> dict[str, Any]:
    """Poll the page's status until the check is done (bounded by ``timeout`` s)."""
    deadline = time.monotonic() + timeout
    status: dict[str, Any] = {}
    while time.monotonic() < deadline:
        status = page_status(base, token)
        if status["state"] in ("done", "expired"):
            return status
        time.sleep(0.5)
    raise TimeoutError(f"token still {status.get('state')} after {timeout}s")


def browser(base: str, username: str, password: str) -> requests.Session:
    """A logged-in browser session (the profile's cookies are ``Secure``: over plain
    HTTP on loopback the session is told to send them anyway, as a TLS proxy would)."""
    session = requests.Session()
    session.cookies.set_policy(
        http.cookiejar.DefaultCookiePolicy(secure_protocols=("https", "wss", "http"))
    )
    page = session.get(f"{base}/accounts/login/", timeout=TIMEOUT)
    page.raise_for_status()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match, "no CSRF token on the login page"
    done = session.post(
        f"{base}/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": match[1]},
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=TIMEOUT,
        allow_redirects=False,
    )
    assert done.status_code == 302, f"login failed: HTTP {done.status_code}"
    return session
