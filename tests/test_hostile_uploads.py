"""Hostile uploads to the H5 page's ``v2/check/frames``: refused early, cleanly, harmlessly.

Each attack must get a clear 4xx JSON answer (``{"ok": false, "error": ...}``) before
any heavy work: the engine is never loaded or called, no frame row is written, no
analysis is queued and the token can still be used. The engine door
(``page_api.load_engine``) and the engine's entry points are wrapped with counters, so
"not called" is observed, not assumed; a control test shows the counters do count.
"""

from __future__ import annotations

import io
import json
import os
import struct
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse
from PIL import Image

import django_lifecheck.engine as engine_package
from django_lifecheck.models import ServiceFrame, ServiceToken, TokenState
from django_lifecheck.service import page_api, tasks
from django_lifecheck.service.api import init as api_init
from django_lifecheck.service.upload import (
    MAX_FRAME_PIXELS,
    MAX_FRAME_SIDE,
    MAX_TIME_MS,
    UPLOAD_OVERHEAD_BYTES,
)
from tests.service.helpers import frame_files, jpeg_bytes, make_key, meta_for

pytestmark = pytest.mark.django_db

FRAMES_URL = "/lifecheck/v2/check/frames"
SMALL_JPEG = jpeg_bytes(size=(32, 24))


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def engine_calls(monkeypatch) -> Counter[str]:
    """Counts every entry into the engine: the page's and the task's door, analyze, probe."""
    calls: Counter[str] = Counter()

    def counted(name: str, function):
        def wrapper(*args: Any, **kwargs: Any):
            calls[name] += 1
            return function(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(page_api, "load_engine", counted("load_engine", page_api.load_engine))
    monkeypatch.setattr(tasks, "load_engine", counted("load_engine", tasks.load_engine))
    for name in ("analyze", "probe"):
        monkeypatch.setattr(engine_package, name, counted(name, getattr(engine_package, name)))
    return calls


@pytest.fixture
def decodes(monkeypatch) -> Counter[str]:
    """Counts full JPEG decodes (Pillow's ``ImageFile.load``), the costly part of a check."""
    from PIL import ImageFile

    calls: Counter[str] = Counter()
    real = ImageFile.ImageFile.load

    def load(self, *args: Any, **kwargs: Any):
        calls["load"] += 1
        return real(self, *args, **kwargs)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return calls


@pytest.fixture
def token() -> ServiceToken:
    """A fresh token with an action + flash challenge (so colours and prompts matter)."""
    api_key = make_key("hostile", limits_exempt=True)[0]
    answer = api_init(
        api_key,
        {
            "returnUrl": "https://example.com/back",
            "colors": "#FFFFFF,#000000",
            "actions": "LookFront,BlinkEye",
        },
    )
    assert answer.code == 200
    return ServiceToken.objects.get(token=answer.data["token"])


def lifecheck(**overrides: Any):
    return override_settings(LIFECHECK={**settings.LIFECHECK, **overrides})


# -- helpers --------------------------------------------------------------------------------


def post(client, token: ServiceToken, frames: list[bytes], meta: Any = None, **extra):
    """POST ``frames`` with ``meta`` (a dict, raw text, or None for a matching one)."""
    if meta is None:
        meta = meta_for(token, len(frames))
    meta_text = meta if isinstance(meta, str) else json.dumps(meta)
    data = {"token": token.token, "meta": meta_text, "frame": frame_files(frames)}
    return client.post(reverse("lifecheck:check-frames"), data, **extra)


def assert_refused(response, *words: str, status: int = 400) -> str:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["ok"] is False and isinstance(body["error"], str)
    for word in words:
        assert word in body["error"], body["error"]
    return body["error"]


def assert_nothing_happened(
    token: ServiceToken, engine_calls: Counter[str], queued: list | None = None
) -> None:
    """The token is untouched and usable, nothing stored, the engine never entered."""
    token.refresh_from_db()
    assert token.state == TokenState.ISSUED and token.result_code is None
    assert token.capture == {} and token.submitted_at is None
    assert not ServiceFrame.objects.filter(token=token).exists()
    assert sum(engine_calls.values()) == 0, engine_calls
    if queued is not None:
        assert queued == []


def patch_dimensions(jpeg: bytes, width: int, height: int) -> bytes:
    """``jpeg`` with the frame header (SOF0/SOF2) claiming ``width`` x ``height``.

    The scan data stays that of the small image, so the file is tiny while a decoder
    that trusted the header would allocate width * height * 3 bytes.
    """
    for marker in (b"\xff\xc0", b"\xff\xc2"):
        at = jpeg.find(marker)
        if at != -1:
            # marker(2) length(2) precision(1) height(2) width(2)
            return jpeg[: at + 5] + struct.pack(">HH", height, width) + jpeg[at + 9 :]
    raise AssertionError("no SOF0/SOF2 marker in the JPEG")


def sof_dimensions(jpeg: bytes) -> tuple[int, int]:
    """(width, height) as the frame header says, read without any decoder."""
    for marker in (b"\xff\xc0", b"\xff\xc2"):
        at = jpeg.find(marker)
        if at != -1:
            height, width = struct.unpack(">HH", jpeg[at + 5 : at + 9])
            return width, height
    raise AssertionError("no SOF0/SOF2 marker in the JPEG")


def image_bytes(fmt: str, **save: Any) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 24), (200, 120, 90)).save(buffer, fmt, **save)
    return buffer.getvalue()


# -- control: the counters count, and a good upload is accepted ------------------------------


def test_control_a_good_upload_enters_the_engine(
    client, token, engine_calls, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = post(client, token, [SMALL_JPEG, SMALL_JPEG])
    assert response.status_code == 202, response.content
    assert len(queued) == 1
    assert engine_calls["load_engine"] >= 2  # the page's check, then the analysis task
    assert engine_calls["analyze"] == 1
    token.refresh_from_db()
    assert token.is_final  # a solid-colour frame has no face: a 203, but analysed


# -- the body is too big: refused from Content-Length, before reading it ---------------------


class CountingInput:
    """A ``wsgi.input`` that records how many bytes the application read."""

    def __init__(self, data: bytes) -> None:
        self._stream = io.BytesIO(data)
        self.bytes_read = 0

    def read(self, size: int = -1, /) -> bytes:
        chunk = self._stream.read(size)
        self.bytes_read += len(chunk)
        return chunk

    def readline(self, size: int = -1, /) -> bytes:
        line = self._stream.readline(size)
        self.bytes_read += len(line)
        return line


def post_counted(client, body: bytes, content_length: int | None = None):
    stream = CountingInput(body)
    extra = {
        "wsgi.input": stream,
        "CONTENT_TYPE": MULTIPART_CONTENT,
        "CONTENT_LENGTH": str(len(body) if content_length is None else content_length),
    }
    return client.generic("POST", FRAMES_URL, **extra), stream


def test_oversized_body_is_refused_before_a_byte_is_read(client, token, engine_calls):
    limit = 100_000
    frames = [os.urandom(200_000), os.urandom(200_000)]  # more than limit + overhead
    body = encode_multipart(
        BOUNDARY,
        {"token": token.token, "meta": "{}", "frame": frame_files(frames)},
    )
    assert len(body) > limit + UPLOAD_OVERHEAD_BYTES
    with lifecheck(SERVICE_MAX_UPLOAD_BYTES=limit):
        response, stream = post_counted(client, body)
    assert_refused(response, f"at most {limit + UPLOAD_OVERHEAD_BYTES}")
    assert stream.bytes_read == 0
    assert_nothing_happened(token, engine_calls)


def test_declared_huge_body_is_refused_without_waiting_for_it(client, token, engine_calls):
    """A client that announces 10 GB and sends a few bytes gets its answer at once."""
    response, stream = post_counted(client, b"--x\r\n", content_length=10 * 1024**3)
    assert_refused(response, "bytes")
    assert stream.bytes_read == 0
    assert_nothing_happened(token, engine_calls)


def test_body_of_exactly_the_limit_is_read(client, token, engine_calls):
    """The other side of the boundary: a body of exactly the limit is read (then judged
    by the frame caps, which allow less than the body: the multipart overhead)."""
    frames = [os.urandom(150_000), os.urandom(150_000)]
    body = encode_multipart(
        BOUNDARY,
        {
            "token": token.token,
            "meta": json.dumps(meta_for(token, 2)),
            "frame": frame_files(frames),
        },
    )
    limit = len(body) - UPLOAD_OVERHEAD_BYTES
    with lifecheck(SERVICE_MAX_UPLOAD_BYTES=limit):
        response, stream = post_counted(client, body)
    assert stream.bytes_read == len(body)
    assert_refused(response, f"more than {limit} bytes")
    assert_nothing_happened(token, engine_calls)


@pytest.mark.parametrize("content_length", ["abc", "-5"])
def test_bad_content_length_is_a_json_400(client, token, engine_calls, content_length):
    body = encode_multipart(BOUNDARY, {"token": token.token, "frame": frame_files([SMALL_JPEG])})
    response = client.generic(
        "POST",
        FRAMES_URL,
        **{
            "wsgi.input": CountingInput(body),
            "CONTENT_TYPE": MULTIPART_CONTENT,
            "CONTENT_LENGTH": content_length,
        },
    )
    assert_refused(response)
    assert_nothing_happened(token, engine_calls)


@pytest.mark.parametrize("endpoint", ["check-frames", "check-probe", "check-fail"])
@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data",  # no boundary
        "multipart/form-data; boundary=",  # empty boundary
        "multipart/form-data; boundary=\u00e9",  # non-ASCII
        "application/x-www-form-urlencoded; charset=latin-1",  # forms must be UTF-8
    ],
)
def test_unreadable_body_is_a_json_400(client, token, engine_calls, endpoint, content_type):
    """Django refuses these bodies itself, with its HTML 400 page; the page's script
    needs JSON like every other answer of these endpoints."""
    body = encode_multipart(BOUNDARY, {"token": token.token, "frame": frame_files([SMALL_JPEG])})
    response = client.generic(
        "POST", reverse(f"lifecheck:{endpoint}"), body, content_type=content_type
    )
    # Django 4.2 still decodes latin-1 forms (5.x refuses them): then the garbled fields
    # are refused by the endpoint's own validation, still as a JSON 400.
    readable = content_type.endswith("latin-1") and django_reads_latin1_forms()
    assert_refused(response, *(() if readable else ("could not be read",)))
    assert_nothing_happened(token, engine_calls)


def django_reads_latin1_forms() -> bool:
    """Whether this Django version parses a form body declared as latin-1."""
    from django.test import RequestFactory

    request = RequestFactory().generic(
        "POST", "/", b"a=1", content_type="application/x-www-form-urlencoded; charset=latin-1"
    )
    try:
        request.POST
    except Exception:
        return False
    return True


# -- decompression bombs: refused from the header, never decoded ------------------------------


@pytest.mark.parametrize(
    ("width", "height"),
    [(60000, 60000), (65535, 1), (1, 65535), (4096, 4096), (0, 100)],
    ids=["60000x60000", "wide", "tall", "area", "zero"],
)
@pytest.mark.parametrize("progressive", [False, True], ids=["baseline", "progressive"])
def test_decompression_bomb_is_refused_without_decoding(
    client, token, engine_calls, decodes, width, height, progressive
):
    small = image_bytes("JPEG", quality=80, progressive=progressive)
    bomb = patch_dimensions(small, width, height)
    assert len(bomb) < 2000
    assert sof_dimensions(bomb) == (width, height)  # the header really claims it
    assert (
        max(width, height) > MAX_FRAME_SIDE
        or width * height > MAX_FRAME_PIXELS
        or min(width, height) == 0
    )
    started = time.monotonic()
    response = post(client, token, [SMALL_JPEG, bomb])
    elapsed = time.monotonic() - started
    assert_refused(response, "frame 1")
    assert decodes["load"] <= 1  # at most frame 0 (the good one) was decoded
    assert elapsed < 5, f"took {elapsed:.1f} s: the bomb was probably decoded"
    assert_nothing_happened(token, engine_calls)


# -- not JPEGs, whatever their name says ----------------------------------------------------

NOT_JPEG = {
    "png": lambda: image_bytes("PNG"),
    "gif": lambda: image_bytes("GIF"),
    "webp": lambda: image_bytes("WEBP"),
    "bmp": lambda: image_bytes("BMP"),
    "random": lambda: os.urandom(2048),
    "empty": lambda: b"",
    "html": lambda: b"<html><script>alert(1)</script></html>",
    "jpeg magic + garbage": lambda: b"\xff\xd8\xff\xe0" + os.urandom(1024),
    "truncated jpeg": lambda: SMALL_JPEG[: len(SMALL_JPEG) // 2],
    "jpeg header only": lambda: SMALL_JPEG[:200],
}


@pytest.mark.parametrize("kind", sorted(NOT_JPEG))
def test_non_jpeg_named_jpg_is_refused(client, token, engine_calls, kind):
    response = post(client, token, [SMALL_JPEG, NOT_JPEG[kind]()])
    error = assert_refused(response, "frame 1")
    assert "JPEG" in error or "bytes" in error
    assert_nothing_happened(token, engine_calls)


# -- too many frames ----------------------------------------------------------------------------


def test_thousands_of_frames_are_refused(client, token, engine_calls):
    """Django's own file-count limit trips first; the answer is still the page's JSON."""
    response = post(client, token, [SMALL_JPEG] * 3000)
    assert_refused(response, "too many files")
    assert_nothing_happened(token, engine_calls)


@override_settings(DATA_UPLOAD_MAX_NUMBER_FILES=None)
def test_thousands_of_frames_are_refused_by_the_service_cap_too(client, token, engine_calls):
    response = post(client, token, [SMALL_JPEG] * 3000)
    assert_refused(response, "3000 frames", "at most 90")
    assert_nothing_happened(token, engine_calls)


def test_one_frame_over_the_cap_is_refused(client, token, engine_calls):
    with lifecheck(SERVICE_MAX_FRAMES=5):
        response = post(client, token, [SMALL_JPEG] * 6)
    assert_refused(response, "6 frames", "at most 5")
    assert_nothing_happened(token, engine_calls)


# -- timestamps -------------------------------------------------------------------------------

BAD_TIMES = {
    "decreasing": ([0, 200, 100], "back in time"),
    "negative": ([-1, 0, 80], "negative"),
    "NaN": (["NaN", 80, 160], "number of milliseconds"),
    "Infinity": ([0, 80, "Infinity"], "number of milliseconds"),
    "-Infinity": (["-Infinity", 0, 80], "number of milliseconds"),
    "string": (["100", 180, 260], "number of milliseconds"),
    "boolean": ([True, 80, 160], "number of milliseconds"),
    "null": ([None, 80, 160], "number of milliseconds"),
    "list": ([[0], 80, 160], "number of milliseconds"),
    "beyond an hour": ([0, 80, MAX_TIME_MS + 1], "at most"),
    "1e20": ([0, 80, "1e20"], "at most"),  # overflowed the integer column (HTTP 500)
    "2**63": ([0, 80, str(2**63)], "at most"),
}


def meta_with_times(token: ServiceToken, times: list[Any]) -> str:
    """The meta as JSON text, the times written raw (NaN and Infinity as browsers can't)."""
    meta = meta_for(token, len(times))
    for frame, t in zip(meta["frames"], times):
        frame["t"] = f"@@{t}@@" if isinstance(t, str) and t != "100" else t
    text = json.dumps(meta)
    for t in times:
        if isinstance(t, str) and t != "100":
            text = text.replace(f'"@@{t}@@"', t)
    return text


@pytest.mark.parametrize("case", sorted(BAD_TIMES))
def test_bad_timestamps_are_refused(client, token, engine_calls, case):
    times, words = BAD_TIMES[case]
    response = post(client, token, [SMALL_JPEG] * len(times), meta_with_times(token, times))
    assert_refused(response, "meta.frames[", words)
    assert_nothing_happened(token, engine_calls)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"start": -5}, "negative"),
        ({"start": "NaN"}, "number of milliseconds"),
        ({"end": "start - 1"}, "out of order"),
        ({"start": "previous end - 1"}, "out of order"),
    ],
)
def test_bad_flash_times_are_refused(client, token, engine_calls, change, words):
    meta = meta_for(token, 2)
    step = meta["flash"][1]
    relative = {"start - 1": step["start"] - 1, "previous end - 1": meta["flash"][0]["end"] - 1}
    step.update({key: relative.get(value, value) for key, value in change.items()})
    text = json.dumps(meta).replace('"NaN"', "NaN")
    response = post(client, token, [SMALL_JPEG] * 2, text)
    assert_refused(response, "meta.flash[1]", words)
    assert_nothing_happened(token, engine_calls)


# -- meta and frames disagree -------------------------------------------------------------------


@pytest.mark.parametrize(("described", "sent"), [(3, 2), (1, 4), (0, 1)])
def test_meta_frame_count_mismatch_is_refused(client, token, engine_calls, described, sent):
    meta = meta_for(token, max(described, 1))
    meta["frames"] = meta["frames"][:described]
    response = post(client, token, [SMALL_JPEG] * sent, meta)
    assert_refused(response, f"describes {described} frames but {sent}")
    assert_nothing_happened(token, engine_calls)


# -- the challenge: colours and prompts that were never asked for ------------------------------


def other_colour(token: ServiceToken, *, palette: bool) -> str:
    drawn = {step["color"] for step in token.flash}
    if not palette:
        return "#123456"
    return next(c for c in ("#D8FFCD", "#3C0636", "#FFF4CB") if c not in drawn)


@pytest.mark.parametrize(
    "colour",
    ["palette colour not drawn", "not a palette colour", "number", "object"],
)
def test_colour_not_in_the_challenge_is_refused(client, token, engine_calls, colour):
    value: Any = {
        "palette colour not drawn": other_colour(token, palette=True),
        "not a palette colour": other_colour(token, palette=False),
        "number": 16777215,
        "object": {"r": 255},
    }[colour]
    meta = meta_for(token, 2)
    meta["frames"][1]["color"] = value
    response = post(client, token, [SMALL_JPEG] * 2, meta)
    assert_refused(response, "meta.frames[1].color", "not a flash colour of this token")
    assert_nothing_happened(token, engine_calls)


@pytest.mark.parametrize(
    "flash_change", ["reordered", "step dropped", "step added", "colour swapped"]
)
def test_flash_sequence_not_as_drawn_is_refused(client, token, engine_calls, flash_change):
    meta = meta_for(token, 2)
    flash = meta["flash"]
    if flash_change == "reordered":
        flash.reverse()
        if [s["color"] for s in flash] == [s["color"] for s in token.flash]:
            flash.append(dict(flash[0]))  # a palindrome: change it another way
    elif flash_change == "step dropped":
        flash.pop()
    elif flash_change == "step added":
        last = flash[-1]
        flash.append({"color": last["color"], "start": last["end"], "end": last["end"] + 500})
    else:
        flash[0]["color"] = other_colour(token, palette=True)
    response = post(client, token, [SMALL_JPEG] * 2, meta)
    assert_refused(response, "meta.flash does not match")
    assert_nothing_happened(token, engine_calls)


@pytest.mark.parametrize(
    "prompt", ["NodHead", "lookfront", "Smile", "", 7, ["LookFront"], {"a": "LookFront"}]
)
def test_prompt_not_in_the_challenge_is_refused(client, token, engine_calls, prompt):
    meta = meta_for(token, 2)
    meta["frames"][0]["prompt"] = prompt
    response = post(client, token, [SMALL_JPEG] * 2, meta)
    assert_refused(response, "meta.frames[0].prompt", "not an action of this token")
    assert_nothing_happened(token, engine_calls)


# -- after all that, the token still works ------------------------------------------------------


def test_token_survives_a_barrage_of_refusals(
    client, token, engine_calls, django_capture_on_commit_callbacks
):
    """Refusals are free: the user's real upload afterwards is accepted as usual."""
    attacks = [
        [patch_dimensions(SMALL_JPEG, 60000, 60000)],
        [image_bytes("PNG")],
        [SMALL_JPEG] * 3000,
    ]
    with django_capture_on_commit_callbacks() as queued:
        for frames in attacks:
            assert post(client, token, frames).status_code == 400
        assert post(client, token, [SMALL_JPEG], meta_with_times(token, ["NaN"])).status_code == 400
        assert_nothing_happened(token, engine_calls, queued)
        response = post(client, token, [SMALL_JPEG, SMALL_JPEG])
    assert response.status_code == 202, response.content
    assert len(queued) == 1
    assert ServiceFrame.objects.filter(token=token).count() == 2


# -- the probe endpoint takes a JPEG too: same early refusals ---------------------------------


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("bomb", "frame is not a valid JPEG"),  # Pillow's own bomb guard trips first
        ("wide", "pixels"),
        ("png", "not a JPEG"),
        ("truncated", "not a valid JPEG"),
        ("too big", "at most 102400"),
    ],
)
def test_probe_refuses_hostile_frames_before_the_engine(
    client, token, engine_calls, decodes, kind, words
):
    data = {
        "bomb": lambda: patch_dimensions(SMALL_JPEG, 60000, 60000),
        "wide": lambda: patch_dimensions(SMALL_JPEG, 65535, 1),
        "png": lambda: image_bytes("PNG"),
        "truncated": lambda: SMALL_JPEG[: len(SMALL_JPEG) // 2],
        "too big": lambda: b"\xff\xd8\xff" + os.urandom(200_000),
    }[kind]()
    response = client.post(
        reverse("lifecheck:check-probe"),
        {"token": token.token, "frame": frame_files([data])[0]},
    )
    assert_refused(response, words)
    assert decodes["load"] == 0 or kind == "truncated"  # a truncated file fails in load
    assert_nothing_happened(token, engine_calls)
