"""JPEG frames to RGB arrays, with the limits an upload needs."""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image

from .errors import EngineError


def decode_jpeg(data: bytes, max_pixels: int, index: int | None = None) -> np.ndarray:
    """Decode one JPEG to an (H, W, 3) uint8 RGB array (read-only) or raise
    :class:`EngineError`; see :func:`decode_jpeg_image`."""
    return np.asarray(decode_jpeg_image(data, max_pixels, index))


def decode_jpeg_image(data: bytes, max_pixels: int, index: int | None = None) -> Image.Image:
    """Decode one JPEG to an RGB Pillow image or raise :class:`EngineError`.

    The models' crops are taken from the Pillow image directly: converting the frame
    to numpy and back would copy it twice per frame for nothing.

    Only JPEG is accepted (the page encodes JPEG; anything else is not our upload), and
    the pixel count is checked from the header before decoding, so a tiny file that
    claims a huge image cannot exhaust memory.
    """
    where = f"frame {index}" if index is not None else "frame"
    if not isinstance(data, bytes | bytearray | memoryview) or len(data) < 4:
        raise EngineError(f"{where}: not JPEG bytes")
    if bytes(data[:2]) != b"\xff\xd8":
        raise EngineError(f"{where}: not a JPEG (bad magic bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=["JPEG"])
            w, h = img.size
            if w * h > max_pixels:
                raise EngineError(f"{where}: {w}x{h} exceeds the {max_pixels}-pixel limit")
            img.load()
    except EngineError:
        raise
    except Exception as exc:  # Pillow raises many types for broken data
        raise EngineError(f"{where}: cannot decode JPEG ({exc})") from exc
    if w < 32 or h < 32:
        raise EngineError(f"{where}: {w}x{h} is too small")
    # convert() copies even when the mode is already RGB: only convert other modes
    # (greyscale or CMYK JPEGs).
    return img if img.mode == "RGB" else img.convert("RGB")
