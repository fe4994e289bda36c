"""Steps shared by the browser tests: walk the page, wait for its screens, read results."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Error as PlaywrightError

from django_lifecheck.models.service import ServiceToken

#: The analysis runs inline (ImmediateBackend) on two shared cores: be patient.
RESULT_TIMEOUT_MS = 180_000


def screen(page, name: str, timeout: float = 30_000) -> None:
    """Wait until the page shows screen ``name`` (``<body data-screen>``)."""
    page.wait_for_selector(f"body[data-screen='{name}']", timeout=timeout)


def processing_or_left(page, timeout: float = 60_000) -> bool:
    """Wait until the page shows "processing" or has already left the check page.

    A quick verdict (a still photo in a silent check) can end "processing" before a
    busy test sees it; the redirect that follows is what :func:`finish` checks.
    Returns whether the processing screen was caught.
    """
    page.wait_for_function(
        "() => !location.pathname.endsWith('/check/index')"
        " || (document.body && document.body.dataset.screen === 'processing')",
        timeout=timeout,
    )
    try:
        return page.evaluate("document.body && document.body.dataset.screen") == "processing"
    except PlaywrightError:
        return False  # navigating away: the check page is gone


def start(page) -> None:
    """Tap "Start" on the intro screen."""
    page.get_by_role("button", name="Start").click()


def verdict_of(token: str) -> dict:
    """What the service stored for ``token``: state, code, reason, engine verdict."""
    row = ServiceToken.objects.get(token=token)
    return {
        "state": row.state,
        "result_code": row.result_code,
        "reason": row.reason,
        "verdict": row.verdict,
        "frames_meta": {k: v for k, v in (row.capture or {}).items() if k != "client"},
    }


def wait_for_return(page, returned: re.Pattern) -> None:
    """Wait for the redirect to returnUrl; fail at once if the page shows its error
    screen instead (an upload the service refused), with the page's message."""
    deadline = time.monotonic() + RESULT_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        if returned.fullmatch(page.url):
            page.wait_for_load_state()
            return
        try:
            shown = page.evaluate("document.body && document.body.dataset.screen")
            if shown == "error":
                message = page.locator("#lc-error-text").inner_text()
                raise AssertionError(f"the page shows its error screen: {message!r}")
        except PlaywrightError:
            pass  # navigating: the next round sees the new page
        page.wait_for_timeout(250)
    raise AssertionError(f"no redirect to returnUrl within {RESULT_TIMEOUT_MS} ms; at {page.url}")


def finish(
    page, service, token: str, expected_code: int, reason: str = "", message: str = ""
) -> dict:
    """Wait for the redirect back to returnUrl and check the result the service gives.

    The ``success`` query parameter must agree with the result code (it is only a hint
    for the integrator's UI, but a wrong hint would still be a bug). ``reason`` and
    ``message`` (a fragment), when given, pin down *why* the check failed: an attack
    must be caught by the cue meant for it, not by accident.
    """
    wait_for_return(page, service.returned(token))
    answer = service.result(token)
    detail = verdict_of(token)
    print(f"\n{token[:8]}: result {answer['code']} {detail['reason']!r}: {detail['verdict']}")
    assert answer["code"] == expected_code, f"result {answer}; service stored {detail}"
    if reason:
        assert detail["reason"] == reason, detail
    if message:
        assert message in detail["verdict"].get("message", ""), detail
    success = "success=true" in page.url
    assert success == (expected_code == 200), page.url
    return answer
