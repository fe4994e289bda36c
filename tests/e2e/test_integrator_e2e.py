"""The integrator's whole flow in a real browser, on the ``local`` provider.

A user of the site logs in, starts a check on ``lifecheck:start``, takes it on the H5
page with a camera, comes back through ``lifecheck:return`` (which asks the service,
not the ``success`` hint) and lands on the success or failure page; a reviewer then
sees the check, with its portrait, in the admin.

Two cameras: the simulated live person of :mod:`.fake_camera` (a canvas stream that
follows the page's prompts and colours), and Chromium's own fake capture device fed
from an MJPEG file of a still photo, generated here, which goes through the browser's
real camera pipeline.
"""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from django_lifecheck.models import LivenessCheck, Status

from .chromium import ARGS, CHROMIUM, PHONE, needs_chromium
from .fake_camera import clips_for, install_camera
from .flow import RESULT_TIMEOUT_MS, screen, start

pytestmark = [pytest.mark.slow, pytest.mark.e2e, needs_chromium]

SUCCESS_PATH = "/admin/django_lifecheck/livenesscheck/"
FAILURE_PATH = "/lifecheck/start/?failed=1"


@pytest.fixture
def local_site(settings, live_server, transactional_db):
    """The test site switched to the self-hosted service, as the example project runs."""
    settings.LIFECHECK = {
        **settings.LIFECHECK,
        "DEFAULT_PROVIDER": "local",
        "PROVIDERS": {
            "local": {"BACKEND": "django_lifecheck.providers.local.LocalProvider", "OPTIONS": {}}
        },
        "SUCCESS_URL": SUCCESS_PATH,
        "FAILURE_URL": FAILURE_PATH,
    }
    get_user_model().objects.create_superuser("reviewer", "r@example.com", "pw-reviewer")
    return live_server


def log_in(page, base_url: str) -> None:
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", "reviewer")
    page.fill("#id_password", "pw-reviewer")
    page.click("input[type=submit]")
    page.wait_for_url(f"{base_url}/admin/")


def start_check(page, base_url: str, mode: str, actions: str = "", colors: str = "") -> None:
    page.goto(f"{base_url}{reverse('lifecheck:start')}")
    page.select_option("#id_mode", mode)
    if actions:
        page.fill("#id_actions", actions)
    if colors:
        page.fill("#id_colors", colors)
    page.get_by_role("button", name="Start the check").click()
    page.wait_for_url("**/lifecheck/v2/check/index?token=*")


def test_live_person_start_to_admin_with_portrait(phone, local_site, screenshots):
    base = local_site.url
    install_camera(
        phone, clips_for("live", ["LookFront", "BlinkEye", "ShakeHead"], ["#FFFFFF", "#000000"])
    )
    page = phone.new_page()
    log_in(page, base)
    start_check(page, base, "action+flash", "LookFront,BlinkEye,ShakeHead", "#FFFFFF,#000000")
    screen(page, "intro")
    start(page)
    screen(page, "warning")
    page.get_by_role("button", name="Continue", exact=True).click()
    page.wait_for_url(lambda url: url == f"{base}{SUCCESS_PATH}", timeout=RESULT_TIMEOUT_MS)

    check = LivenessCheck.objects.get()
    assert check.status == Status.PASSED, (check.result_code, check.result_payload)
    assert check.result_code == 200
    assert check.portrait and check.portrait.read()[:3] == b"\xff\xd8\xff"

    # The reviewer's list shows the row with its thumbnail, served by the admin.
    page.wait_for_selector(f"text={check.public_id}")
    thumbnail = page.locator("td.field-portrait_thumbnail img")
    assert thumbnail.count() == 1
    assert page.evaluate("img => img.naturalWidth", thumbnail.element_handle()) > 0
    screenshots.take(page, "20-admin-list")
    page.goto(f"{base}{reverse('admin:django_lifecheck_livenesscheck_change', args=[check.pk])}")
    page.wait_for_selector("text=活体检测通过")  # the service's wire message, stored
    screenshots.take(page, "21-admin-detail")


def _still_photo_mjpeg(path, frames: int = 90) -> None:
    """A still photo as an MJPEG file: concatenated JPEG frames, played at 30 fps."""
    from PIL import Image
    from skimage import data

    photo = Image.fromarray(data.astronaut()).resize((480, 480)).crop((0, 0, 480, 480))
    canvas = Image.new("RGB", (640, 480), (90, 90, 90))
    canvas.paste(photo, (80, 0))
    buffer = io.BytesIO()
    canvas.save(buffer, "JPEG", quality=85)
    path.write_bytes(buffer.getvalue() * frames)


def test_still_photo_through_chromium_fake_camera_fails(
    playwright_instance, local_site, tmp_path, screenshots
):
    base = local_site.url
    video = tmp_path / "still-photo.mjpeg"
    _still_photo_mjpeg(video)
    browser = playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=[*ARGS, f"--use-file-for-fake-video-capture={video}"],
    )
    try:
        context = browser.new_context(**PHONE, locale="en-US")
        context.set_default_timeout(30_000)
        page = context.new_page()
        log_in(page, base)
        start_check(page, base, "silent")
        start(page)
        page.wait_for_url(lambda url: url == f"{base}{FAILURE_PATH}", timeout=RESULT_TIMEOUT_MS)
        screenshots.take(page, "22-integrator-failure-page")
    finally:
        browser.close()
    check = LivenessCheck.objects.get()
    assert check.status == Status.FAILED, (check.result_code, check.result_payload)
    assert check.result_code == 202
    assert not check.portrait
