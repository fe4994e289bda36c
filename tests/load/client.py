"""HTTP helpers of the load tests: what a browser and an API client send to gunicorn.

Every call has a timeout and every loop a bound; nothing here retries silently.
"""

from __future__ import annotations

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


class Browser(requests.Session):
    """A browser session on plain HTTP that still sends the profile's ``Secure`` cookies.

    Behind the TLS proxy the browser would send them; on loopback there is no TLS, and
    requests (rightly) withholds Secure cookies from http URLs, so the jar's cookies are
    sent explicitly.
    """

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        jar = "; ".join(f"{c.name}={c.value}" for c in self.cookies)
        if jar:
            kwargs["headers"] = {**(kwargs.get("headers") or {}), "Cookie": jar}
        return super().request(method, url, **kwargs)


def browser(base: str, username: str, password: str) -> Browser:
    """A browser session logged in through the site's real login form (CSRF included)."""
    session = Browser()
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
    assert "sessionid" in session.cookies
    return session
