"""Helpers for the protocol-compatibility tests: a browser acting as the H5 page.

The H5 page is plain HTTP to the service (``v2/check/index``, ``frames``, ``fail``,
``status``). :class:`HttpPage` speaks it with ``requests`` to a real server (the
``jumdata`` provider pointed at ``live_server``); :class:`ClientPage` speaks it through
Django's test client (the in-process ``local`` provider, whose H5 URL is a path on the
integrator's own site). Both return the same small :class:`Reply`, so one test body
drives either provider.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from django.test import Client
from django.urls import reverse

#: The page's configuration, as ``json_script`` writes it into ``check.html``.
CONFIG_RE = re.compile(
    r'<script id="lc-config" type="application/json">(?P<json>.*?)</script>', re.S
)


@dataclass(frozen=True)
class Reply:
    """An HTTP answer, whichever transport produced it."""

    status: int
    text: str
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.text)


def page_config(page_html: str) -> dict[str, Any]:
    """The ``lc-config`` JSON the page's script runs from (fails if it is missing)."""
    match = CONFIG_RE.search(page_html)
    assert match, "the check page has no lc-config script"
    return json.loads(html.unescape(match["json"]))


def upload_meta(frames: Sequence[dict[str, Any]], flash: Sequence[dict[str, Any]] = ()) -> dict:
    """The ``meta`` field the page sends with its frames."""
    return {
        "frames": [
            {"t": f["t"], "color": f.get("color"), "prompt": f.get("prompt")} for f in frames
        ],
        "flash": list(flash),
        "client": {
            "camera_label": "Integrated Camera",
            "user_agent": "Mozilla/5.0 (pytest protocol-compat)",
            "width": 640,
            "height": 480,
        },
    }


class Page:
    """What the H5 page's script does, over some transport."""

    def get(self, url: str, params: dict[str, str] | None = None) -> Reply:
        raise NotImplementedError

    def post(self, url: str, data: dict[str, str], files: Sequence[bytes] = ()) -> Reply:
        raise NotImplementedError

    # -- the page's calls ------------------------------------------------------------
    def open(self, h5_url: str) -> Reply:
        return self.get(h5_url)

    def upload(self, token: str, jpegs: Sequence[bytes], meta: dict[str, Any]) -> Reply:
        return self.post(
            reverse("lifecheck:check-frames"),
            {"token": token, "meta": json.dumps(meta)},
            files=jpegs,
        )

    def fail(self, token: str, reason: str) -> Reply:
        return self.post(reverse("lifecheck:check-fail"), {"token": token, "reason": reason})

    def status(self, token: str) -> Reply:
        return self.get(reverse("lifecheck:check-status"), {"token": token})


class HttpPage(Page):
    """The page in a browser on another origin: real HTTP to ``base_url``."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()

    def _url(self, url: str) -> str:
        return urljoin(self.base_url + "/", url)

    @staticmethod
    def _reply(response: requests.Response) -> Reply:
        return Reply(response.status_code, response.text, dict(response.headers))

    def get(self, url: str, params: dict[str, str] | None = None) -> Reply:
        response = self.session.get(
            self._url(url), params=params, timeout=60, allow_redirects=False
        )
        return self._reply(response)

    def post(self, url: str, data: dict[str, str], files: Sequence[bytes] = ()) -> Reply:
        parts = [("frame", (f"frame{i}.jpg", jpeg, "image/jpeg")) for i, jpeg in enumerate(files)]
        response = self.session.post(
            self._url(url), data=data, files=parts or None, timeout=120, allow_redirects=False
        )
        return self._reply(response)

    def close(self) -> None:
        self.session.close()


class ClientPage(Page):
    """The page on the integrator's own site (the ``local`` provider): the test client."""

    def __init__(self, client: Client) -> None:
        self.client = client

    @staticmethod
    def _reply(response) -> Reply:
        return Reply(response.status_code, response.content.decode(), dict(response.items()))

    def get(self, url: str, params: dict[str, str] | None = None) -> Reply:
        parts = urlsplit(url)
        path = f"{parts.path}?{parts.query}" if parts.query else parts.path
        return self._reply(self.client.get(path, params or {}))

    def post(self, url: str, data: dict[str, str], files: Sequence[bytes] = ()) -> Reply:
        import io

        payload: dict[str, Any] = dict(data)
        if files:
            handles = []
            for i, jpeg in enumerate(files):
                handle = io.BytesIO(jpeg)
                handle.name = f"frame{i}.jpg"
                handles.append(handle)
            payload["frame"] = handles
        return self._reply(self.client.post(url, payload))

    def close(self) -> None:
        pass


# -- frames -----------------------------------------------------------------------------


def static_photo_capture(photo: bytes, count: int = 24) -> tuple[list[bytes], dict[str, Any]]:
    """``count`` copies of one photo at ~12 fps: a photo held up to the camera."""
    frames = [{"t": i * 83} for i in range(count)]
    return [photo] * count, upload_meta(frames)


def bona_fide_capture(config: dict[str, Any], seed: int) -> tuple[list[bytes], dict[str, Any]]:
    """Frames of a simulated live subject doing exactly the challenge in ``config``.

    ``config`` is the page's ``lc-config``: the flash colours and durations the service
    drew for this token, and its actions. The timeline is laid out as the page lays it
    out (flash while looking straight, then one window per further action) and rendered
    with the engine's evaluation renderer (:mod:`django_lifecheck.engine.eval`).
    """
    import numpy as np

    from django_lifecheck.engine.eval import scenarios
    from django_lifecheck.engine.types import Challenge, FlashStep

    window_ms = int(config["timing"]["action_window_ms"])
    actions: list[str] = list(config["actions"])
    windows: list[tuple[str | None, int, int]] = []
    flash: list[FlashStep] = []
    t = 0
    if config["flash"]:
        start = t + 300
        for step in config["flash"]:
            flash.append(FlashStep(step["color"], start, start + int(step["duration_ms"])))
            start += int(step["duration_ms"])
        end = start + 200
        windows.append(("LookFront" if actions else None, t, end))
        t = end
        rest = actions[1:] if actions else []
    else:
        rest = actions
    for action in rest:
        windows.append((action, t, t + window_ms))
        t += window_ms
    if not windows:  # silent
        windows.append((None, 0, int(config["timing"]["silent_ms"])))
    challenge = Challenge(actions=tuple(actions), flash=tuple(flash))
    rng = np.random.default_rng([seed, 4])
    capture = scenarios._capture_setup(rng, "astronaut")
    # Like the page: lower the capture rate so the whole check fits in ``max_frames``.
    max_frames = int(config["limits"]["max_frames"])
    duration_s = (windows[-1][2] - windows[0][1]) / 1000
    capture.fps = min(capture.fps, 0.75 * max_frames / duration_s)
    frames = scenarios.render_bona_fide(rng, capture, challenge, windows)
    assert len(frames) <= max_frames, (len(frames), max_frames)
    meta = upload_meta(
        [{"t": f.t_ms, "color": f.color, "prompt": f.prompt} for f in frames],
        [{"color": s.color, "start": s.start_ms, "end": s.end_ms} for s in flash],
    )
    return [f.jpeg for f in frames], meta
