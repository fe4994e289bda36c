"""Browser fixtures: Debian's Chromium driven by Playwright against ``live_server``.

``live_server`` listens on 127.0.0.1, which browsers treat as a secure context, so
``getUserMedia`` is available exactly as on an HTTPS site. Playwright's sync API runs an
event loop in the test thread, which trips Django's async-unsafe guard for ORM calls
made by the test itself; the usual pytest-playwright + live_server setting lifts it.

Fixtures for any browser test: ``browser`` (Chromium), ``phone`` (a phone-sized
context), ``service`` (an API key and the protocol's init/result over HTTP against the
live server), ``screenshots`` (saved to ``artifacts/screenshots/``). The simulated
camera is in :mod:`.fake_camera`, the page steps in :mod:`.flow`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from .chromium import ARGS, CHROMIUM, PHONE

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "artifacts" / "screenshots"


@pytest.fixture(scope="package", autouse=True)
def _allow_orm_in_playwright_tests():
    """Set for this package's tests only (from before its first database fixture until
    after its last test), so the variable cannot leak into the subprocesses other tests
    start: a deployment check rejects it as async.E001."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def playwright_instance(_allow_orm_in_playwright_tests):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture
def browser(playwright_instance):
    """A fresh Chromium per test (launch arguments are per browser, not per page)."""
    instance = playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=ARGS
    )
    yield instance
    instance.close()


@pytest.fixture
def phone(browser):
    """A phone-sized browser context, closed after the test."""
    context = browser.new_context(**PHONE, locale="en-US")
    context.set_default_timeout(30_000)
    yield context
    context.close()


class Screenshots:
    """Saves screenshots under ``artifacts/screenshots/`` (the README points there)."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder

    def take(self, page, name: str) -> Path:
        path = self.folder / f"{name}.png"
        page.screenshot(path=str(path))
        return path


@pytest.fixture(scope="session")
def screenshots() -> Screenshots:
    return Screenshots(SCREENSHOTS)


@dataclass
class ServiceClient:
    """The integrator's side of the protocol, spoken over HTTP to the live server."""

    base_url: str
    appcode: str

    @property
    def return_url(self) -> str:
        # Any page that exists on the live server will do as the integrator's page.
        return f"{self.base_url}/admin/login/"

    def _post(self, path: str, data: dict) -> dict:
        response = requests.post(
            f"{self.base_url}/lifecheck/api/{path}",
            data=data,
            headers={"Authorization": f"APPCODE {self.appcode}"},
            timeout=60,
        )
        response.raise_for_status()
        return response.json()

    def init(self, actions: str = "", colors: str = "") -> str:
        data = {"returnUrl": self.return_url}
        if actions:
            data["actions"] = actions
        if colors:
            data["colors"] = colors
        answer = self._post("init", data)
        assert answer["code"] == 200, answer
        return answer["data"]["token"]

    def result(self, token: str) -> dict:
        return self._post("result", {"token": token})

    def h5_url(self, token: str) -> str:
        return f"{self.base_url}/lifecheck/v2/check/index?token={token}"

    def returned(self, token: str) -> re.Pattern:
        """The URL the page should end on: returnUrl with this token appended."""
        return re.compile(re.escape(f"{self.return_url}?token={token}&success=") + "(true|false)")


@pytest.fixture
def service(live_server, transactional_db) -> Iterator[ServiceClient]:
    from django_lifecheck.models.service import ApiKey

    _key, plain = ApiKey.create_key("e2e", limits_exempt=True)
    yield ServiceClient(live_server.url, plain)
