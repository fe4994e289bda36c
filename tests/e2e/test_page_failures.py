"""The check page when the check cannot run: each ends as the protocol says (203 or a
clear page), with a screenshot of what the person sees."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from django_lifecheck.models.service import ServiceToken

from .chromium import needs_chromium
from .fake_camera import DENY_CAMERA_SCRIPT, NO_CAMERA_API_SCRIPT
from .flow import finish, screen, start

pytestmark = [pytest.mark.slow, pytest.mark.e2e, needs_chromium]


def test_camera_permission_denied_offers_retry_then_ends_as_203(phone, service, screenshots):
    phone.add_init_script(DENY_CAMERA_SCRIPT)
    token = service.init()
    page = phone.new_page()
    page.goto(service.h5_url(token))
    screen(page, "intro")
    start(page)
    screen(page, "camera")
    screenshots.take(page, "03a-camera-permission")
    screen(page, "denied")
    screenshots.take(page, "03-permission-denied")

    page.get_by_role("button", name="Try again").click()
    page.wait_for_function("window.__cameraRequests === 2")
    screen(page, "denied")
    page.get_by_role("button", name="Cancel the check").click()

    finish(page, service, token, 203)
    assert ServiceToken.objects.get(token=token).reason == "permission_denied"

    # The link is single-use: opening it again just sends the person back.
    page.goto(service.h5_url(token))
    page.wait_for_url(service.returned(token))


def test_browser_without_camera_api_ends_as_203(phone, service, screenshots):
    phone.add_init_script(NO_CAMERA_API_SCRIPT)
    token = service.init(actions="LookFront,BlinkEye")
    page = phone.new_page()
    page.goto(service.h5_url(token))
    start(page)
    screen(page, "no-camera")
    screenshots.take(page, "08-no-camera-api")
    page.get_by_role("button", name="Return to the site").click()

    finish(page, service, token, 203)
    assert ServiceToken.objects.get(token=token).reason == "no_camera_api"


def test_declining_the_flash_warning_ends_as_203(phone, service, screenshots):
    token = service.init(colors="#FFFFFF,#000000")
    page = phone.new_page()
    page.goto(service.h5_url(token))
    screen(page, "intro")
    screenshots.take(page, "01b-intro-flash")
    start(page)
    screen(page, "warning")
    screenshots.take(page, "02-flash-warning")
    page.get_by_role("button", name="Don't continue").click()

    finish(page, service, token, 203)
    assert ServiceToken.objects.get(token=token).reason == "photosensitivity_declined"


def test_expired_and_unknown_links_show_a_clear_page(phone, service, screenshots):
    token = service.init()
    ServiceToken.objects.filter(token=token).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    page = phone.new_page()

    response = page.goto(service.h5_url(token))
    assert response.status == 410
    assert page.get_by_role("heading", name="This check link has expired").is_visible()
    assert page.get_by_text("start again").is_visible()
    screenshots.take(page, "09-expired")

    response = page.goto(service.h5_url("no-such-token"))
    assert response.status == 404
    assert page.get_by_role("heading", name="This check link is not valid").is_visible()
    screenshots.take(page, "10-unknown-link")
