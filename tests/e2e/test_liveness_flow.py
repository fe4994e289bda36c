"""The whole check in a real browser: service ``init`` -> H5 page -> returnUrl ->
``result``, with a simulated camera (see ``fake_camera``) that is a live person, a
still photo, or a replay that ignores the screen.

The verdict is the engine's, on the frames the page really captured and uploaded: none
of these tests can pass by themselves. When one fails, its message shows what the
service stored (state, code, reason and the engine's scores).
"""

from __future__ import annotations

import pytest

from .chromium import needs_chromium
from .fake_camera import clips_for, install_camera
from .flow import finish, processing_or_left, screen, start

pytestmark = [pytest.mark.slow, pytest.mark.e2e, needs_chromium]

ACTIONS = "LookFront,BlinkEye,ShakeHead"
COLORS = "#FFFFFF,#000000"


def open_check(phone, service, behaviour: str, actions: str = "", colors: str = ""):
    token = service.init(actions=actions, colors=colors)
    clips = clips_for(behaviour, [a for a in actions.split(",") if a], colors.split(","))
    install_camera(phone, clips)
    page = phone.new_page()
    page.goto(service.h5_url(token))
    screen(page, "intro")
    return token, page


def test_live_person_following_prompts_and_flash_passes(phone, service, screenshots):
    token, page = open_check(phone, service, "live", ACTIONS, COLORS)
    screenshots.take(page, "01-intro")
    start(page)
    screen(page, "warning")
    page.get_by_role("button", name="Continue", exact=True).click()
    screen(page, "capture")
    page.wait_for_selector("body.lc-face-ok")
    screenshots.take(page, "04-face-guide")
    page.wait_for_selector("body[data-flash-color]:not([data-flash-color=''])")
    screenshots.take(page, "05-flash")
    page.wait_for_selector("body[data-prompt='BlinkEye']")
    page.wait_for_timeout(300)
    screenshots.take(page, "06-action-prompt")
    if processing_or_left(page):
        screenshots.take(page, "07-processing")
    # The page drove the camera: every prompt and both colours were on screen.
    seen = set(page.evaluate("window.__fakeCamera.states"))
    assert {"color:#FFFFFF", "color:#000000", "prompt:BlinkEye", "prompt:ShakeHead"} <= seen

    answer = finish(page, service, token, 200)
    assert answer["data"]["faceImageUrl"]


@pytest.mark.parametrize(
    ("actions", "colors"),
    [("", ""), ("", COLORS), ("LookLeft,OpenMouth", "")],
    ids=["silent", "flash", "action"],
)
def test_live_person_passes_the_other_modes(phone, service, actions, colors):
    """Silent, flash-only and action-only checks (the page plans each differently)."""
    token, page = open_check(phone, service, "live", actions, colors)
    start(page)
    if colors:
        screen(page, "warning")
        page.get_by_role("button", name="Continue", exact=True).click()
    screen(page, "capture")
    processing_or_left(page)
    answer = finish(page, service, token, 200)
    assert answer["data"]["faceImageUrl"]


def test_still_photo_fails_with_202(phone, service):
    token, page = open_check(phone, service, "photo", ACTIONS)
    start(page)
    screen(page, "capture")
    processing_or_left(page)
    finish(page, service, token, 202, reason="not_live")


def test_still_photo_fails_the_silent_check_with_202(phone, service, screenshots):
    token, page = open_check(phone, service, "photo")
    start(page)
    screen(page, "capture")
    page.wait_for_selector("#lc-countdown:not(:empty)")
    screenshots.take(page, "04a-countdown")
    page.wait_for_selector("body.lc-face-ok")
    page.wait_for_selector("#lc-countdown:empty", state="attached")
    screenshots.take(page, "04b-silent-capture")
    processing_or_left(page)
    finish(page, service, token, 202, reason="not_live")


def test_replay_that_ignores_the_flash_fails_with_202(phone, service):
    token, page = open_check(phone, service, "replay", ACTIONS, COLORS)
    start(page)
    screen(page, "warning")
    page.get_by_role("button", name="Continue", exact=True).click()
    processing_or_left(page)
    # Every prompt was followed: only the flash response gives the replay away.
    finish(page, service, token, 202, reason="not_live", message="flash")
