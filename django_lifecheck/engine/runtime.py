"""Loading the vendored LiteRT models: checksum, lazy load, one interpreter per thread.

A LiteRT ``Interpreter`` holds its tensors in place, so two threads invoking the same
instance would overwrite each other's input. Each thread therefore gets its own
interpreter (built once, then reused for every frame that thread analyses); the model
bytes are read and verified once per process.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

from .errors import EngineError

MODELS_DIR = Path(__file__).resolve().parent / "models"

#: sha256 of each vendored model (see NOTICE for where they come from).
MODEL_SHA256: dict[str, str] = {
    "face_detection_short_range.tflite": (
        "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8"
    ),
    "face_landmark.tflite": "1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814",
}

_bytes_lock = threading.Lock()
_model_bytes: dict[str, bytes] = {}
_local = threading.local()


def model_bytes(name: str) -> bytes:
    """The verified contents of a vendored model (read once per process)."""
    with _bytes_lock:
        data = _model_bytes.get(name)
        if data is not None:
            return data
        expected = MODEL_SHA256.get(name)
        if expected is None:
            raise EngineError(f"unknown engine model {name!r}")
        path = MODELS_DIR / name
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise EngineError(
                f"engine model {path} cannot be read ({exc}); reinstall django-lifecheck"
            ) from exc
        digest = hashlib.sha256(data).hexdigest()
        if digest != expected:
            raise EngineError(
                f"engine model {path} has sha256 {digest}, expected {expected}: "
                "the file is damaged or replaced; reinstall django-lifecheck"
            )
        _model_bytes[name] = data
        return data


def interpreter(name: str) -> Any:
    """This thread's LiteRT interpreter for ``name``, tensors allocated, reused."""
    cache: dict[str, Any] | None = getattr(_local, "interpreters", None)
    if cache is None:
        cache = _local.interpreters = {}
    it = cache.get(name)
    if it is None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise EngineError(
                "the liveness engine needs ai-edge-litert: pip install 'django-lifecheck[engine]'"
            ) from exc
        it = Interpreter(model_content=model_bytes(name), num_threads=1)
        it.allocate_tensors()
        cache[name] = it
    return it


def output_by_size(it: Any, size: int) -> int:
    """Index of the output tensor with ``size`` elements (names differ between builds)."""
    for detail in it.get_output_details():
        if int(detail["shape"].prod()) == size:
            return int(detail["index"])
    raise EngineError(f"model has no output of {size} values")


def run(name: str, x: Any, *output_sizes: int) -> list[Any]:
    """Invoke this thread's ``name`` model on ``x``; its outputs of the given sizes.

    The tensor indices are looked up once per interpreter: ``get_*_details`` builds a
    dict per tensor on every call, which cost more than a tenth of the mesh model's
    own invoke time when it was done per frame.
    """
    it = interpreter(name)
    indices: dict[Any, int] | None = getattr(_local, "indices", None)
    if indices is None:
        indices = _local.indices = {}
    key = (name, None)
    if key not in indices:
        indices[key] = int(it.get_input_details()[0]["index"])
    it.set_tensor(indices[key], x)
    it.invoke()
    out = []
    for size in output_sizes:
        idx = indices.get((name, size))
        if idx is None:
            idx = indices[(name, size)] = output_by_size(it, size)
        out.append(it.get_tensor(idx))
    return out
