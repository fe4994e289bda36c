"""A simulated front camera for the browser tests, made from a real face photo.

Chromium's own fake device can only loop a file, so it cannot turn its head when the
page asks or light up when the screen turns white. Instead an init script replaces
``getUserMedia`` with a ``canvas.captureStream()`` whose canvas shows frames
pre-rendered here, chosen from what the page shows *right now*: the page mirrors its
prompt and flash colour in ``<body data-prompt data-flash-color>``.

The frames come from ``skimage.data.astronaut()`` (a real photo) through the engine
evaluation's 3D head renderer (``django_lifecheck.engine.eval.render``): known head
poses, blinks and an open mouth, lit by the screen colour. Three behaviours:

* ``live``: follows every prompt and reacts to every colour (a person);
* ``replay``: follows the prompts but ignores the screen (a recorded video);
* ``photo``: one still picture that never changes (a printed photo).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote, urlsplit

import numpy as np

#: Frame rate of the pre-rendered clips (the canvas itself is redrawn at 30 fps).
CLIP_FPS = 12
#: Every action clip covers the page's whole prompt window (2.8 s) and a little more.
ACTION_CLIP_SECONDS = 3.2
#: Where the page fetches the clip frames (same origin, answered by a Playwright route).
ROUTE_PREFIX = "/__fakecam/"
#: What the simulated camera calls itself, like an Android phone's front camera.
CAMERA_LABEL = "camera2 1, facing front"

PoseAt = Callable[[float], dict]  # seconds since the clip started -> Pose fields


def _ease(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return 0.5 - 0.5 * math.cos(math.pi * x)


def _sway(t: float) -> dict:
    """A person holding still is never quite still: a slow, small wander."""
    return {
        "yaw": 3.0 * math.sin(2 * math.pi * t / 2.1),
        "pitch": 1.5 * math.sin(2 * math.pi * t / 1.4),
        "dx": 2.0 * math.sin(2 * math.pi * t / 2.9),
    }


def _turn(field: str, degrees: float) -> PoseAt:
    def at(t: float) -> dict:
        pose = _sway(t)
        pose[field] = pose[field] * 0.3 + degrees * _ease(t / 0.7)
        return pose

    return at


def _blink(t: float) -> dict:
    """Two deliberate blinks, as people blink when asked: quick to close, eyes shut
    for about a third of a second, a little slower to open."""
    pose = _sway(t)
    closing, shut, opening = 0.08, 0.35, 0.12
    closed = 0.0
    for start in (0.3, 1.4):
        x = t - start
        if 0 <= x < closing:
            closed = max(closed, _ease(x / closing))
        elif closing <= x < closing + shut:
            closed = 1.0
        elif closing + shut <= x < closing + shut + opening:
            closed = max(closed, _ease((closing + shut + opening - x) / opening))
    pose["blink"] = closed
    return pose


def _mouth(t: float) -> dict:
    pose = _sway(t)
    pose["mouth"] = _ease((t - 0.2) / 0.4) if t < 1.4 else _ease((1.9 - t) / 0.4)
    return pose


def _oscillate(field: str, degrees: float) -> PoseAt:
    def at(t: float) -> dict:
        pose = _sway(t)
        pose[field] = degrees * math.sin(2 * math.pi * min(t, 2.4) / 1.2)
        return pose

    return at


#: For each prompt: how the head moves, and for how long (seconds) before it holds.
ACTION_MOTIONS: dict[str, tuple[PoseAt, float]] = {
    "LookFront": (_sway, 2.0),
    # Renderer convention: yaw > 0 turns the subject to *their* left.
    "LookLeft": (_turn("yaw", 28.0), 1.2),
    "LookRight": (_turn("yaw", -28.0), 1.2),
    "LookUp": (_turn("pitch", 20.0), 1.2),
    "LookDown": (_turn("pitch", -20.0), 1.2),
    "OpenMouth": (_mouth, 2.4),
    "BlinkEye": (_blink, 2.4),
    "ShakeHead": (_oscillate("yaw", 24.0), 2.6),
    "NodHead": (_oscillate("pitch", 16.0), 2.6),
}


@dataclass(frozen=True)
class Clip:
    """Frames of one state; ``loop`` clips repeat, the others hold their last frame."""

    frames: tuple[bytes, ...]
    loop: bool


@lru_cache(maxsize=1)
def _renderer():
    """The astronaut photo on its own 468-point mesh, ready to pose (built once)."""
    from skimage import data

    from django_lifecheck.engine.detector import FaceDetector
    from django_lifecheck.engine.eval.render import FaceSource, HeadRenderer
    from django_lifecheck.engine.mesh import FaceMesh, roi_from_detection

    rgb = data.astronaut()
    detections = FaceDetector().detect(rgb)
    assert len(detections) == 1, "the astronaut photo should show exactly one face"
    points = FaceMesh().landmarks(rgb, roi_from_detection(detections[0])).points
    return HeadRenderer(FaceSource.from_photo(rgb, points))


def _shoot(poses: Iterable[dict], screen: str | None, seed: int) -> tuple[bytes, ...]:
    from django_lifecheck.engine.eval.render import Camera, Pose

    renderer = _renderer()
    camera = Camera(np.random.default_rng(seed), quality=82)
    return tuple(camera.shoot(renderer.render(Pose(**p), screen)) for p in poses)


@lru_cache(maxsize=64)
def action_clip(action: str, screen: str | None = None) -> Clip:
    motion, seconds = ACTION_MOTIONS[action]
    # After the movement the pose holds (with the usual sway) to the end of the window.
    seconds = max(seconds, ACTION_CLIP_SECONDS)
    times = [i / CLIP_FPS for i in range(int(seconds * CLIP_FPS) + 1)]
    frames = _shoot((motion(t) for t in times), screen, seed=len(action))
    return Clip(frames, loop=action == "LookFront")


@lru_cache(maxsize=64)
def idle_clip(screen: str | None = None) -> Clip:
    times = [i / CLIP_FPS for i in range(int(2.1 * CLIP_FPS))]
    return Clip(_shoot((_sway(t) for t in times), screen, seed=7), loop=True)


@lru_cache(maxsize=1)
def photo_clip() -> Clip:
    """A still photo: one pose, fresh sensor noise per frame, no reaction to anything."""
    return Clip(_shoot([{}] * 24, None, seed=3), loop=True)


def clips_for(behaviour: str, actions: Iterable[str], colors: Iterable[str]) -> dict[str, Clip]:
    """The clips the fake camera needs for one check: keys ``idle``, ``prompt:<action>``
    and ``color:<#RRGGBB>`` (a key that is missing falls back to ``idle``)."""
    if behaviour == "photo":
        return {"idle": photo_clip()}
    clips = {"idle": idle_clip()}
    for action in actions:
        clips[f"prompt:{action}"] = action_clip(action)
    if behaviour == "live":
        for color in colors:
            clips[f"color:{color.upper()}"] = idle_clip(color.upper())
    elif behaviour != "replay":
        raise ValueError(f"unknown camera behaviour {behaviour!r}")
    return clips


_SCRIPT = r"""
(() => {
  const setup = __SETUP__;
  const canvas = document.createElement("canvas");
  canvas.width = 640;
  canvas.height = 480;
  const context = canvas.getContext("2d");
  const clips = {};
  for (const [key, clip] of Object.entries(setup.clips)) {
    const images = [];
    for (let i = 0; i < clip.count; i++) {
      const img = new Image();
      img.src = setup.prefix + encodeURIComponent(key) + "/" + i + ".jpg";
      images.push(img);
    }
    clips[key] = { loop: clip.loop, images: images };
  }
  let current = null;
  let since = 0;
  window.__fakeCamera = { states: [] };

  function stateKey() {
    const body = document.body;
    if (!body) return "idle";
    const color = (body.getAttribute("data-flash-color") || "").toUpperCase();
    if (color && clips["color:" + color]) return "color:" + color;
    const prompt = body.getAttribute("data-prompt") || "";
    if (prompt && clips["prompt:" + prompt]) return "prompt:" + prompt;
    return "idle";
  }

  function draw() {
    const key = stateKey();
    if (key !== current) {
      current = key;
      since = performance.now();
      window.__fakeCamera.states.push(key);
    }
    const clip = clips[key];
    const n = Math.floor((performance.now() - since) / 1000 * setup.fps);
    const index = clip.loop ? n % clip.images.length : Math.min(n, clip.images.length - 1);
    const img = clip.images[index];
    if (img.complete && img.naturalWidth) context.drawImage(img, 0, 0, 640, 480);
    // Sensor noise: no two camera frames are ever identical, even of a still scene.
    const r = Math.floor(Math.random() * 256), g = Math.floor(Math.random() * 256);
    context.fillStyle = "rgba(" + r + "," + g + ",128,0.012)";
    context.fillRect(0, 0, 640, 480);
  }
  setInterval(draw, 1000 / 30);

  async function getUserMedia(constraints) {
    if (!constraints || !constraints.video) {
      throw new DOMException("video only", "NotSupportedError");
    }
    draw();
    const stream = canvas.captureStream(30);
    const track = stream.getVideoTracks()[0];
    Object.defineProperty(track, "label", { value: setup.label });
    return stream;
  }
  navigator.mediaDevices.getUserMedia = getUserMedia;
})();
"""


def camera_script(clips: dict[str, Clip], fps: int = CLIP_FPS, label: str = CAMERA_LABEL) -> str:
    """The init script that installs the simulated camera in every page of a context.

    The frames themselves are served by :func:`install_camera`'s route, from the page's
    own origin (an image from another origin would taint the canvas).
    """
    setup = {
        "clips": {k: {"count": len(c.frames), "loop": c.loop} for k, c in clips.items()},
        "fps": fps,
        "label": label,
        "prefix": ROUTE_PREFIX,
    }
    return _SCRIPT.replace("__SETUP__", json.dumps(setup))


def install_camera(context, clips: dict[str, Clip]) -> None:
    """Give a Playwright browser context the simulated camera showing ``clips``."""

    def serve(route) -> None:
        path = unquote(urlsplit(route.request.url).path)
        key, _, name = path[len(ROUTE_PREFIX) :].rpartition("/")
        clip = clips.get(key)
        index = int(name.split(".")[0]) if name.split(".")[0].isdigit() else -1
        if clip is None or not 0 <= index < len(clip.frames):
            route.fulfill(status=404, body="no such frame")
            return
        route.fulfill(status=200, body=clip.frames[index], content_type="image/jpeg")

    context.route(f"**{ROUTE_PREFIX}**", serve)
    context.add_init_script(camera_script(clips))


#: getUserMedia exists but the person refuses the camera (after thinking about it for a
#: second, so that the "allow camera access" screen can be seen).
DENY_CAMERA_SCRIPT = r"""
(() => {
  window.__cameraRequests = 0;
  navigator.mediaDevices.getUserMedia = async () => {
    window.__cameraRequests += 1;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    throw new DOMException("Permission denied", "NotAllowedError");
  };
})();
"""

#: A browser without any camera API (old in-app browsers, insecure WebViews).
NO_CAMERA_API_SCRIPT = r"""
(() => {
  Object.defineProperty(Navigator.prototype, "mediaDevices", { get: () => undefined });
  for (const name of ["getUserMedia", "webkitGetUserMedia", "mozGetUserMedia"]) {
    Object.defineProperty(Navigator.prototype, name, { value: undefined, configurable: true });
  }
})();
"""
