"""Shared helpers for the service tests: keys, API calls, JPEG frames and uploads."""

from __future__ import annotations

import io
import json
from functools import cache

from django.test import Client
from django.urls import reverse
from PIL import Image

from django_lifecheck.models import ApiKey, ServiceToken


def make_key(name: str = "acme", **fields) -> tuple[ApiKey, str]:
    return ApiKey.create_key(name, **fields)


def auth(plain: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"APPCODE {plain}"}


def api_init(client: Client, plain: str, **form) -> dict:
    form.setdefault("returnUrl", "https://example.com/back")
    response = client.post(reverse("lifecheck:api-init"), form, **auth(plain))
    assert response.status_code == 200, response.content
    return response.json()


def api_result(client: Client, plain: str, token: str | None) -> dict:
    form = {} if token is None else {"token": token}
    response = client.post(reverse("lifecheck:api-result"), form, **auth(plain))
    assert response.status_code == 200, response.content
    return response.json()


def jpeg_bytes(size: tuple[int, int] = (64, 48), color=(200, 120, 90), quality: int = 80) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


@cache
def face_jpeg(quality: int = 85) -> bytes:
    """A real face photo (scikit-image's astronaut), scaled to a webcam-like size."""
    from skimage import data

    image = Image.fromarray(data.astronaut()).resize((480, 480))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def meta_for(token: ServiceToken, count: int, **changes) -> dict:
    """A meta that matches ``token``'s challenge: flash steps as drawn, prompts valid."""
    flash, start = [], 0
    for step in token.flash:
        flash.append({"color": step["color"], "start": start, "end": start + step["duration_ms"]})
        start += step["duration_ms"]
    frames = []
    for i in range(count):
        color = token.flash[i % len(token.flash)]["color"] if token.flash else None
        prompt = token.actions[i % len(token.actions)] if token.actions else None
        frames.append({"t": i * 80, "color": color, "prompt": prompt})
    meta = {
        "frames": frames,
        "flash": flash,
        "client": {"camera_label": "cam", "user_agent": "pytest", "width": 640, "height": 480},
    }
    meta.update(changes)
    return meta


def frame_files(frames: list[bytes]) -> list[io.BytesIO]:
    files = []
    for i, data in enumerate(frames):
        handle = io.BytesIO(data)
        handle.name = f"frame{i}.jpg"
        files.append(handle)
    return files


def upload(client: Client, token: str, frames: list[bytes], meta: dict | None = None, **extra):
    """POST the frames to ``v2/check/frames`` with a meta that matches them by default."""
    if meta is None:
        meta = {
            "frames": [{"t": i * 100, "color": None, "prompt": None} for i in range(len(frames))],
            "flash": [],
            "client": {
                "camera_label": "Test cam",
                "user_agent": "pytest",
                "width": 640,
                "height": 480,
            },
        }
    data = {"token": token, "meta": json.dumps(meta), "frame": frame_files(frames)}
    return client.post(reverse("lifecheck:check-frames"), data, **extra)
