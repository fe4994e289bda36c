"""Parsing and checking one frame upload from the H5 page, before anything is stored.

Everything is validated here, up front, so that a refused upload changes nothing. The
caps (frame count, bytes per frame, total bytes, image dimensions) keep one request
from costing the server more than a check is worth.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile

from .. import conf
from ..exceptions import EngineUnavailable
from ..models import ServiceToken

JPEG_MAGIC = b"\xff\xd8\xff"
#: Largest accepted side and area of one frame (refuses decompression bombs).
MAX_FRAME_SIDE = 4096
MAX_FRAME_PIXELS = 4096 * 2304
#: Room for the multipart framing and the meta field on top of the frames themselves.
UPLOAD_OVERHEAD_BYTES = 256 * 1024
MAX_META_STRING = 512
MAX_CLIENT_SIDE = 100_000
#: Largest accepted time (ms since capture start). A capture lasts seconds and a token
#: minutes; the cap keeps absurd values out of the integer columns (1e20 overflowed
#: SQLite's INTEGER, and anything above 2**31 - 1 PostgreSQL's).
MAX_TIME_MS = 60 * 60 * 1000


class UploadError(ValueError):
    """The upload breaks a rule; the message says which (shown to the page as is)."""


@dataclass(frozen=True)
class ParsedUpload:
    frames: list[dict[str, Any]]  # t_ms, color, prompt, jpeg
    capture: dict[str, Any]  # {"client": {...}, "flash": [{"color", "start", "end"}]}


def check_content_length(meta: Mapping[str, str]) -> None:
    """Refuse an oversized body from its ``Content-Length``, before reading it."""
    try:
        length = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise UploadError("Invalid Content-Length header.") from None
    limit = conf.get("SERVICE_MAX_UPLOAD_BYTES") + UPLOAD_OVERHEAD_BYTES
    if length > limit:
        raise UploadError(f"The upload is {length} bytes; at most {limit} are accepted.")


def check_jpeg(data: bytes, label: str) -> tuple[int, int]:
    """Check that ``data`` is one decodable JPEG of a sane size; return its size."""
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError as exc:
        raise EngineUnavailable(
            "Pillow is not installed; install django-lifecheck[engine]."
        ) from exc

    if not data.startswith(JPEG_MAGIC):
        raise UploadError(f"{label} is not a JPEG image.")
    try:
        with Image.open(io.BytesIO(data), formats=["JPEG"]) as image:
            width, height = image.size
            if (
                max(width, height) > MAX_FRAME_SIDE
                or width * height > MAX_FRAME_PIXELS
                or min(width, height) < 1
            ):
                raise UploadError(
                    f"{label} is {width}x{height} pixels; at most {MAX_FRAME_SIDE} per side "
                    f"and {MAX_FRAME_PIXELS} in all are accepted."
                )
            image.verify()
        with Image.open(io.BytesIO(data), formats=["JPEG"]) as image:
            image.load()
    except UploadError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise UploadError(f"{label} is not a valid JPEG image.") from None
    return width, height


def read_file(upload: UploadedFile, max_bytes: int, label: str) -> bytes:
    if upload.size is not None and upload.size > max_bytes:
        raise UploadError(f"{label} is {upload.size} bytes; at most {max_bytes} are accepted.")
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UploadError(f"{label} is larger than {max_bytes} bytes.")
    return data


def _number(value: Any, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise UploadError(f"{label} must be a number of milliseconds.")
    if value < 0:
        raise UploadError(f"{label} must not be negative.")
    if value > MAX_TIME_MS:
        raise UploadError(f"{label} must be at most {MAX_TIME_MS} milliseconds.")
    return round(value)


def _text(value: Any, label: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_META_STRING:
        raise UploadError(f"{label} must be a string of at most {MAX_META_STRING} characters.")
    return value


def parse_client(raw: Any) -> dict[str, Any]:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise UploadError("meta.client must be an object.")
    client = {
        "camera_label": _text(raw.get("camera_label"), "meta.client.camera_label"),
        "user_agent": _text(raw.get("user_agent"), "meta.client.user_agent"),
    }
    for side in ("width", "height"):
        value = raw.get(side, 0)
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not 0 <= value <= MAX_CLIENT_SIDE
        ):
            raise UploadError(f"meta.client.{side} must be a whole number of pixels.")
        client[side] = value
    return client


def parse_flash(raw: Any, token: ServiceToken) -> list[dict[str, Any]]:
    """The flash steps as shown; their colours must be exactly the token's schedule."""
    raw = raw or []
    if not isinstance(raw, list) or not all(isinstance(step, dict) for step in raw):
        raise UploadError("meta.flash must be a list of {color, start, end} objects.")
    expected = [step["color"] for step in token.flash]
    shown = [str(step.get("color") or "").upper() for step in raw]
    if shown != expected:
        raise UploadError(
            "meta.flash does not match the flash sequence of this token "
            f"(expected {len(expected)} steps: {', '.join(expected) or 'none'})."
        )
    steps: list[dict[str, Any]] = []
    previous_end = 0
    for i, step in enumerate(raw):
        start = _number(step.get("start"), f"meta.flash[{i}].start")
        end = _number(step.get("end"), f"meta.flash[{i}].end")
        if end < start or start < previous_end:
            raise UploadError(f"meta.flash[{i}] has times out of order.")
        previous_end = end
        steps.append({"color": shown[i], "start": start, "end": end})
    return steps


def parse_frame_meta(raw: Any, token: ServiceToken, count: int) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise UploadError("meta.frames must be a list of {t, color, prompt} objects.")
    if len(raw) != count:
        raise UploadError(
            f"meta.frames describes {len(raw)} frames but {count} 'frame' files were sent."
        )
    colors = {step["color"] for step in token.flash}
    actions = set(token.actions)
    frames: list[dict[str, Any]] = []
    previous = 0
    for i, item in enumerate(raw):
        t_ms = _number(item.get("t"), f"meta.frames[{i}].t")
        if t_ms < previous:
            raise UploadError(
                f"meta.frames[{i}].t goes back in time (timestamps must not decrease)."
            )
        previous = t_ms
        color = item.get("color")
        if color is not None:
            color = str(color).upper()
            if color not in colors:
                raise UploadError(
                    f"meta.frames[{i}].color {color!r} is not a flash colour of this token."
                )
        prompt = item.get("prompt")
        # isinstance first: a list or object is unhashable, and ``in`` a set raises.
        if prompt is not None and (not isinstance(prompt, str) or prompt not in actions):
            raise UploadError(f"meta.frames[{i}].prompt {prompt!r} is not an action of this token.")
        frames.append({"t_ms": t_ms, "color": color, "prompt": prompt})
    return frames


def parse_upload(
    token: ServiceToken, meta_text: str | None, files: Sequence[UploadedFile]
) -> ParsedUpload:
    """Validate an upload completely; raise :class:`UploadError` on the first problem."""
    max_frames = conf.get("SERVICE_MAX_FRAMES")
    max_frame_bytes = conf.get("SERVICE_MAX_FRAME_BYTES")
    max_total = conf.get("SERVICE_MAX_UPLOAD_BYTES")
    if not files:
        raise UploadError("No 'frame' files were sent.")
    if len(files) > max_frames:
        raise UploadError(f"{len(files)} frames were sent; at most {max_frames} are accepted.")
    if not meta_text:
        raise UploadError("The 'meta' field is required.")
    try:
        meta = json.loads(meta_text)
    except (ValueError, RecursionError):
        # RecursionError: deeply nested arrays ("[[[[...") exhaust the decoder's stack.
        raise UploadError("The 'meta' field is not valid JSON.") from None
    if not isinstance(meta, dict):
        raise UploadError("The 'meta' field must be a JSON object.")
    frames = parse_frame_meta(meta.get("frames"), token, len(files))
    capture = {
        "client": parse_client(meta.get("client")),
        "flash": parse_flash(meta.get("flash"), token),
    }
    total = 0
    for i, (frame, upload) in enumerate(zip(frames, files, strict=True)):
        data = read_file(upload, max_frame_bytes, f"frame {i}")
        total += len(data)
        if total > max_total:
            raise UploadError(f"The frames add up to more than {max_total} bytes.")
        check_jpeg(data, f"frame {i}")
        frame["jpeg"] = data
    return ParsedUpload(frames=frames, capture=capture)
