"""Steps shared by the browser tests: walk the page, wait for its screens, read results."""

from __future__ import annotations

from django_lifecheck.models.service import ServiceToken

#: The analysis runs inline (ImmediateBackend) on two shared cores: be patient.
RESULT_TIMEOUT_MS = 180_000


def screen(page, name: str, timeout: float = 30_000) -> None:
    """Wait until the page shows screen ``name`` (``<body data-screen>``)."""
    page.wait_for_selector(f"body[data-screen='{name}']", timeout=timeout)


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


def finish(page, service, token: str, expected_code: int) -> dict:
    """Wait for the redirect back to returnUrl and check the result the service gives.

    The ``success`` query parameter must agree with the result code (it is only a hint
    for the integrator's UI, but a wrong hint would still be a bug).
    """
    page.wait_for_url(service.returned(token), timeout=RESULT_TIMEOUT_MS)
    answer = service.result(token)
    detail = verdict_of(token)
    assert answer["code"] == expected_code, f"result {answer}; service stored {detail}"
    success = "success=true" in page.url
    assert success == (expected_code == 200), page.url
    return answer
