"""Purging frames and portraits the service no longer needs."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from django_lifecheck.models import ServiceFrame, ServiceToken
from django_lifecheck.service import api, state

from .helpers import jpeg_bytes, make_key

pytestmark = pytest.mark.django_db


def token_with(api_key, *, frames: bool = False, portrait: bool = False) -> ServiceToken:
    answer = api.init(api_key, {"returnUrl": "https://example.com/"})
    token = ServiceToken.objects.get(token=answer.data["token"])
    if frames:
        frame = {"t_ms": 0, "color": None, "prompt": None, "jpeg": jpeg_bytes()}
        state.submit(token.pk, [frame], {"client": {}, "flash": []})
    if portrait:
        state.finish(token.pk, 200, "", portrait_jpeg=jpeg_bytes())
    return ServiceToken.objects.get(pk=token.pk)


def age(token: ServiceToken, seconds: int) -> None:
    ServiceToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=seconds)
    )


def test_purge_drops_only_what_no_one_can_still_use():
    api_key, _ = make_key()
    live_frames = token_with(api_key, frames=True)
    stale_frames = token_with(api_key, frames=True)
    age(stale_frames, 1)
    fresh_portrait = token_with(api_key, portrait=True)
    just_expired_portrait = token_with(api_key, portrait=True)
    age(just_expired_portrait, 60)  # a URL handed out at expiry still works
    old_portrait = token_with(api_key, portrait=True)
    age(old_portrait, 3600)
    storage = old_portrait.portrait.storage
    old_name = old_portrait.portrait.name
    assert storage.exists(old_name)

    out = StringIO()
    call_command("lifecheck_service_purge", stdout=out)
    assert "1 frame(s) and 1 portrait(s)" in out.getvalue()

    assert ServiceFrame.objects.filter(token=live_frames).count() == 1
    assert not ServiceFrame.objects.filter(token=stale_frames).exists()
    assert not storage.exists(old_name)
    old_portrait.refresh_from_db()
    assert not old_portrait.portrait and old_portrait.result_code == 200
    for kept in (fresh_portrait, just_expired_portrait):
        kept.refresh_from_db()
        assert kept.portrait and storage.exists(kept.portrait.name)
