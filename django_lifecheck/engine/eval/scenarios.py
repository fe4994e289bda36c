"""Labelled scenarios: a challenge, the frames a page would upload, and the truth.

Every scenario is scripted the way the H5 page runs a check: each requested action has
a prompt window (the frames carry that ``prompt``), a flash schedule alternates bright
and dark palette colours (frames carry the ``color`` on screen), timestamps follow a
15-30 fps camera with jitter. Bona fide subjects react after a human delay and do the
action in its window, with natural sway; attacks change exactly one thing.

Faces: ``skimage.data.astronaut()`` (a real 512x512 portrait) and its mirror image,
under random exposure and screen-light strength. ``skimage.data.lfw_subset()`` faces are
25x25 grey: upscaled 8x the detector finds 96 of its 100 faces, but eyes and lips are
a few blurred pixels, so they serve only as the *second* person of ``two_faces``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from PIL import Image

from ... import protocol
from ..types import Challenge, ClientInfo, FlashStep, Frame
from .render import (
    FRAME_H,
    FRAME_W,
    Camera,
    FaceSource,
    HeadRenderer,
    Lighting,
    Pose,
    hex_rgb,
    plane_homography,
    warp_plane,
)

BONA_FIDE = "bona_fide"
ATTACK_TYPES: tuple[str, ...] = (
    "static_photo",
    "planar_photo",
    "replay_out_of_sync",
    "wrong_order",
    "missing_action",
    "no_face",
    "two_faces",
    "virtual_camera",
)
LABELS: tuple[str, ...] = (BONA_FIDE, *ATTACK_TYPES)

#: What the engine should answer (code, reason) for each label.
EXPECTED: dict[str, tuple[int, str]] = {
    BONA_FIDE: (200, ""),
    "static_photo": (202, "not_live"),
    "planar_photo": (202, "not_live"),
    "replay_out_of_sync": (202, "not_live"),
    "wrong_order": (202, "actions_not_matched"),
    "missing_action": (202, "actions_not_matched"),
    "no_face": (203, "no_face"),
    "two_faces": (203, "multiple_faces"),
    "virtual_camera": (202, "injection_suspected"),
}

HEAD_TURNS = ("LookLeft", "LookRight", "LookUp", "LookDown", "ShakeHead", "NodHead")
OTHER_ACTIONS = ("OpenMouth", "BlinkEye")
#: Pairs where one action contains the other (a shake includes a look left): a
#: challenge with both cannot tell a wrong order from a right one, so none is drawn.
_OVERLAPS = (
    {"ShakeHead", "LookLeft"},
    {"ShakeHead", "LookRight"},
    {"NodHead", "LookUp"},
    {"NodHead", "LookDown"},
)
REAL_CAMERAS = (
    "FaceTime HD Camera",
    "Integrated Camera (04f2:b6d9)",
    "HD Pro Webcam C920 (046d:082d)",
    "USB2.0 HD UVC WebCam",
    "",
)
VIRTUAL_CAMERAS = (
    "OBS Virtual Camera",
    "ManyCam Virtual Webcam",
    "XSplit VCam",
    "Snap Camera",
    "e2eSoft VCam",
)
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"


@dataclass
class Scenario:
    """One labelled check: what the engine gets, and what it should answer."""

    name: str
    label: str  # BONA_FIDE or one of ATTACK_TYPES
    challenge: Challenge
    frames: list[Frame]
    client: ClientInfo
    expected_code: int
    expected_reason: str
    notes: dict[str, object] = field(default_factory=dict)


# -- faces ---------------------------------------------------------------------------


def photo_landmarks(rgb: np.ndarray) -> np.ndarray:
    """(468, 3) landmarks of the largest face in ``rgb`` from the engine's own models
    (detector ROI, then two tracking refinements as the engine does)."""
    from ..detector import FaceDetector
    from ..mesh import FaceMesh, roi_from_detection, roi_from_landmarks

    dets = FaceDetector().detect(rgb)
    if not dets:
        raise ValueError("no face found in the source photo")
    det = max(dets, key=lambda d: d.width)
    mesh = FaceMesh()
    res = mesh.landmarks(rgb, roi_from_detection(det))
    for _ in range(2):
        res = mesh.landmarks(rgb, roi_from_landmarks(res.points))
    return res.points


@lru_cache(maxsize=4)
def face_source(identity: str = "astronaut") -> FaceSource:
    """A prepared face ("astronaut" or "astronaut_mirrored"), cached per process."""
    from skimage import data

    rgb = np.ascontiguousarray(data.astronaut())
    if identity == "astronaut_mirrored":
        rgb = np.ascontiguousarray(rgb[:, ::-1])
    elif identity != "astronaut":
        raise ValueError(f"unknown identity {identity!r}")
    return FaceSource.from_photo(rgb, photo_landmarks(rgb), name=identity)


IDENTITIES = ("astronaut", "astronaut_mirrored")


@lru_cache(maxsize=1)
def _lfw_faces() -> np.ndarray:
    from skimage import data

    return data.lfw_subset()[:100]  # the first 100 are faces, the rest are not


def second_face(rng: np.random.Generator, width: int) -> np.ndarray:
    """Another person's face (an LFW face upscaled to ``width``), RGB float32.

    Only faces the detector finds on their own are used: a blurred 25-pixel crop that
    no detector sees is not a second face in the picture, and would test nothing.
    """
    from ..detector import FaceDetector

    faces = _lfw_faces()
    for _ in range(20):
        g = np.clip(faces[int(rng.integers(len(faces)))], 0, 1) * 255
        im = Image.fromarray(g.astype(np.uint8)).resize((width, width), Image.BICUBIC)
        face = np.repeat(np.asarray(im, dtype=np.float32)[..., None], 3, axis=2)
        canvas = np.full((FRAME_H, FRAME_W, 3), 128, np.uint8)
        canvas[:width, :width] = face.astype(np.uint8)
        if FaceDetector().detect(canvas):
            return face
    raise RuntimeError("no detectable LFW face drawn")


@lru_cache(maxsize=8)
def _scene(name: str) -> np.ndarray:
    """A 640x480 RGB float32 scene from scikit-image's sample images (no face)."""
    from skimage import data

    img = getattr(data, name)()
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    im = Image.fromarray(np.ascontiguousarray(img[..., :3]))
    return np.asarray(im.resize((FRAME_W, FRAME_H), Image.BILINEAR), dtype=np.float32)


NO_FACE_SCENES = ("coffee", "chelsea", "rocket", "brick")


# -- challenge and timeline ------------------------------------------------------------


def _draw_actions(rng: np.random.Generator, n: int, pool: tuple[str, ...]) -> list[str]:
    for _ in range(100):
        acts = [str(a) for a in rng.choice(pool, size=n, replace=False)]
        if not any(pair <= set(acts) for pair in _OVERLAPS):
            return acts
    raise RuntimeError("cannot draw a non-overlapping action set")


#: The service's flash shape (service/challenge.py, not imported: it needs Django).
FLASH_STEPS = (6, 8)
FLASH_STEP_MS = (400, 600)


def flash_schedule(
    rng: np.random.Generator, start_ms: int, n: int | None = None
) -> list[FlashStep]:
    """A schedule as the service draws it: 6-8 steps of 400-600 ms, strictly alternating
    bright and dark (random which comes first), a random colour of each class."""
    n = n or int(rng.integers(FLASH_STEPS[0], FLASH_STEPS[1] + 1))
    bright_first = bool(rng.integers(2))
    steps, t = [], start_ms
    for i in range(n):
        pool = protocol.BRIGHT_COLORS if (i % 2 == 0) == bright_first else protocol.DARK_COLORS
        color = str(pool[0] if rng.random() < 0.5 else rng.choice(pool))
        dur = int(rng.integers(FLASH_STEP_MS[0], FLASH_STEP_MS[1] + 1))
        steps.append(FlashStep(color, t, t + dur))
        t += dur
    return steps


def make_challenge(
    rng: np.random.Generator, mode: str, n_actions: int = 2, pool: tuple[str, ...] | None = None
) -> tuple[Challenge, list[tuple[str | None, int, int]]]:
    """A challenge and its prompt windows [(prompt, start_ms, end_ms)].

    ``mode``: "action", "flash" or "action+flash" (LookFront first, under the flash).
    """
    pool = pool or (*HEAD_TURNS, *OTHER_ACTIONS)
    windows: list[tuple[str | None, int, int]] = []
    t = int(rng.integers(0, 60))
    flash: list[FlashStep] = []
    actions: list[str] = []
    if mode in ("flash", "action+flash"):
        flash = flash_schedule(rng, t + 300)
        end = flash[-1].end_ms + 200
        windows.append(("LookFront" if mode == "action+flash" else None, t, end))
        if mode == "action+flash":
            actions.append("LookFront")
        t = end
    if mode in ("action", "action+flash"):
        for a in _draw_actions(rng, n_actions, pool):
            dur = int(rng.integers(1800, 2301))
            windows.append((a, t, t + dur))
            actions.append(a)
            t += dur
    return Challenge(actions=tuple(actions), flash=tuple(flash)), windows


def frame_times(rng: np.random.Generator, start: int, end: int, fps: float) -> list[int]:
    """Capture timestamps at ``fps`` with +-25 % jitter, strictly increasing."""
    out, t = [], float(start)
    while t < end:
        out.append(round(t))
        t += 1000.0 / fps * (1 + rng.uniform(-0.25, 0.25))
    return out


def color_at(flash: tuple[FlashStep, ...] | list[FlashStep], t: float) -> str | None:
    for s in flash:
        if s.start_ms <= t < s.end_ms:
            return s.color
    return None


def prompt_at(windows, t: float) -> str | None:
    for prompt, a, b in windows:
        if a <= t < b:
            return prompt
    return None


# -- motion scripts --------------------------------------------------------------------


def _smooth(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return x * x * (3 - 2 * x)


def _envelope(t: float, rise: float, hold: float, fall: float) -> float:
    if t < 0:
        return 0.0
    if t < rise:
        return _smooth(t / rise)
    if t < rise + hold:
        return 1.0
    return 1.0 - _smooth((t - rise - hold) / fall)


def action_motion(rng: np.random.Generator, action: str | None) -> Callable[[float], dict]:
    """A function of the time since the prompt (ms) -> pose offsets for ``action``."""
    delay = float(rng.uniform(250, 500))
    if action in ("LookLeft", "LookRight", "LookUp", "LookDown"):
        yaw_like = action in ("LookLeft", "LookRight")
        amp = float(rng.uniform(28, 38) if yaw_like else rng.uniform(18, 25))
        sign = 1.0 if action in ("LookLeft", "LookUp") else -1.0
        rise, hold, fall = rng.uniform(300, 420), rng.uniform(350, 600), rng.uniform(300, 420)
        key = "yaw" if yaw_like else "pitch"
        return lambda t: {key: sign * amp * _envelope(t - delay, rise, hold, fall)}
    if action in ("ShakeHead", "NodHead"):
        amp = float(rng.uniform(22, 30) if action == "ShakeHead" else rng.uniform(14, 20))
        period = float(rng.uniform(650, 850))
        first = 1.0 if rng.random() < 0.5 else -1.0
        if action == "NodHead":
            first = -1.0  # a nod starts downward
        key = "yaw" if action == "ShakeHead" else "pitch"
        cycles = 1.5

        def osc(t: float) -> dict:
            u = t - delay
            if u < 0 or u > cycles * period:
                return {key: 0.0}
            env = min(1.0, u / 150.0, (cycles * period - u) / 150.0)
            return {key: first * amp * env * math.sin(2 * math.pi * u / period)}

        return osc
    if action == "OpenMouth":
        rise, hold, fall = rng.uniform(200, 300), rng.uniform(450, 700), rng.uniform(200, 300)
        amp = float(rng.uniform(0.8, 1.0))
        return lambda t: {"mouth": amp * _envelope(t - delay, rise, hold, fall)}
    if action == "BlinkEye":
        blinks = int(rng.integers(1, 3))
        starts = [delay + i * float(rng.uniform(500, 700)) for i in range(blinks)]
        close, hold, opn = rng.uniform(80, 120), rng.uniform(150, 250), rng.uniform(100, 150)
        return lambda t: {"blink": max(_envelope(t - s, close, hold, opn) for s in starts)}
    return lambda t: {}


def sway(rng: np.random.Generator) -> Callable[[float], dict]:
    """Natural micro-motion: a few slow sinusoids per axis plus a tiny tremor."""
    axes = {"yaw": 1.5, "pitch": 1.2, "roll": 1.0, "dx": 3.0, "dy": 2.5}
    parts = {
        k: [
            (a * rng.uniform(0.3, 0.7), rng.uniform(900, 4000), rng.uniform(0, 2 * math.pi))
            for _ in range(3)
        ]
        for k, a in axes.items()
    }

    def f(t: float) -> dict:
        return {
            k: sum(amp * math.sin(2 * math.pi * t / per + ph) for amp, per, ph in comps)
            + float(rng.normal(0, 0.1))
            for k, comps in parts.items()
        }

    return f


def script(
    rng: np.random.Generator, windows, performed: list[str | None] | None = None
) -> Callable[[float], Pose]:
    """Pose as a function of time: in window k the subject does ``performed[k]``
    (default: the window's own prompt), plus sway and maybe one spontaneous blink."""
    performed = performed if performed is not None else [w[0] for w in windows]
    motions = [
        (a, b, action_motion(rng, act)) for (_, a, b), act in zip(windows, performed, strict=True)
    ]
    micro = sway(rng)
    spont = None
    candidates = [w for w, act in zip(windows, performed, strict=False) if act != "BlinkEye"]
    if candidates and rng.random() < 0.3:
        _, a, b = candidates[int(rng.integers(len(candidates)))]
        spont = float(rng.uniform(a, max(a + 1, b - 300)))

    def pose(t: float) -> Pose:
        values = micro(t)
        for a, b, motion in motions:
            if a <= t < b + 1200:  # a slow return may run into the next window
                for k, v in motion(t - a).items():
                    values[k] = values.get(k, 0.0) + v
        if spont is not None:
            values["blink"] = max(values.get("blink", 0.0), _envelope(t - spont, 60, 60, 80))
        values["mouth"] = min(values.get("mouth", 0.0), 1.0)
        values["blink"] = min(values.get("blink", 0.0), 1.0)
        return Pose(**values)

    return pose


# -- rendering a capture ---------------------------------------------------------------


@dataclass
class Capture:
    """Per-scenario rendering set-up (random camera, light, exposure)."""

    renderer: HeadRenderer
    camera: Camera
    exposure: float
    lag_ms: float
    fps: float


def _capture_setup(rng: np.random.Generator, identity: str | None = None) -> Capture:
    src = face_source(identity or str(rng.choice(IDENTITIES)))
    # Screen light: strong on the face (~30 cm away), 0.7 of it on the hair and neck,
    # 1/25 on the wall behind (~5 times farther: inverse square).
    ambient, k_face = float(rng.uniform(0.7, 0.9)), float(rng.uniform(0.25, 0.45))
    light = Lighting(ambient, k_face, k_head=0.7 * k_face, k_background=k_face / 25)
    cam = Camera(rng, noise=float(rng.uniform(1.5, 3.5)), quality=int(rng.integers(75, 93)))
    return Capture(
        HeadRenderer(src, light),
        cam,
        float(rng.uniform(0.75, 1.1)),
        float(rng.uniform(20, 80)),
        float(rng.uniform(15, 20)),
    )


def render_bona_fide(
    rng: np.random.Generator,
    cap: Capture,
    challenge: Challenge,
    windows,
    performed: list[str | None] | None = None,
    light_flash: tuple[FlashStep, ...] | None = None,
    overlay: Callable[[np.ndarray, float], np.ndarray] | None = None,
) -> list[Frame]:
    """Frames of a live subject doing ``performed`` in ``windows``.

    ``light_flash``: the colours that actually light the face (default: the challenge's
    own flash; a replay passes another sequence). Frames report the challenge's colour.
    """
    pose_at = script(rng, windows, performed)
    light_flash = challenge.flash if light_flash is None else light_flash
    start, end = windows[0][1], windows[-1][2]
    frames = []
    for t in frame_times(rng, start, end, cap.fps):
        lit = color_at(light_flash, t - cap.lag_ms)
        img = cap.renderer.render(pose_at(t), lit) * cap.exposure
        if overlay is not None:
            img = overlay(img, t)
        frames.append(
            Frame(cap.camera.shoot(img), t, color_at(challenge.flash, t), prompt_at(windows, t))
        )
    return frames


def _client(rng: np.random.Generator, label: str | None = None) -> ClientInfo:
    name = label if label is not None else str(rng.choice(REAL_CAMERAS))
    return ClientInfo(camera_label=name, user_agent=USER_AGENT, width=FRAME_W, height=FRAME_H)


def _mode(rng: np.random.Generator, modes=("action", "action+flash", "flash")) -> str:
    return str(rng.choice(modes))


# -- the scenario generators -------------------------------------------------------------


def bona_fide(
    rng: np.random.Generator, mode: str | None = None, pool: tuple[str, ...] | None = None
) -> Scenario:
    """A live subject doing what is asked. ``mode`` and the action ``pool`` force a
    kind of challenge (tests); by default both are random."""
    cap = _capture_setup(rng)
    mode = mode or _mode(rng)
    challenge, windows = make_challenge(
        rng, mode, n_actions=2 if mode == "action" else 1, pool=pool
    )
    frames = render_bona_fide(rng, cap, challenge, windows)
    return _scenario(BONA_FIDE, challenge, frames, _client(rng), mode=mode, cap=cap)


def static_photo(rng: np.random.Generator) -> Scenario:
    """The same photo held perfectly still: only camera noise changes."""
    cap = _capture_setup(rng)
    mode = _mode(rng)
    challenge, windows = make_challenge(rng, mode, n_actions=2 if mode == "action" else 1)
    img = cap.renderer.render(Pose()) * cap.exposure
    frames = [
        Frame(cap.camera.shoot(img), t, color_at(challenge.flash, t), prompt_at(windows, t))
        for t in frame_times(rng, windows[0][1], windows[-1][2], cap.fps)
    ]
    return _scenario("static_photo", challenge, frames, _client(rng), mode=mode, cap=cap)


def planar_photo(rng: np.random.Generator) -> Scenario:
    """A printed photo tilted and turned in 3D to mimic the head turns (a homography),
    in front of a room; the paper reflects the flash like any surface near the screen."""
    cap = _capture_setup(rng)
    mode = _mode(rng, ("action", "action+flash"))
    challenge, windows = make_challenge(
        rng, mode, n_actions=2 if mode == "action" else 1, pool=HEAD_TURNS
    )
    picture = cap.renderer.render(Pose())  # the photo as printed
    room = _scene("brick") * 0.6 + 60
    pose_at = script(rng, windows)
    scale = float(rng.uniform(0.8, 0.95))
    light = cap.renderer.light
    frames = []
    for t in frame_times(rng, windows[0][1], windows[-1][2], cap.fps):
        p = pose_at(t)
        hm = plane_homography(p.yaw, p.pitch, p.roll, scale, p.dx, p.dy)
        rgb, alpha = warp_plane(picture, hm)
        col = hex_rgb(color_at(challenge.flash, t - cap.lag_ms))
        cos = math.cos(math.radians(p.yaw)) * math.cos(math.radians(p.pitch))
        sheet = rgb * light.gain(light.k_face, col, cos)
        back = room * light.gain(light.k_background, col, 1.0)
        img = (back * (1 - alpha[..., None]) + sheet * alpha[..., None]) * cap.exposure
        frames.append(
            Frame(cap.camera.shoot(img), t, color_at(challenge.flash, t), prompt_at(windows, t))
        )
    return _scenario("planar_photo", challenge, frames, _client(rng), mode=mode, cap=cap)


def replay_out_of_sync(
    rng: np.random.Generator, variant: str | None = None, same_parity: bool | None = None
) -> Scenario:
    """A recording of a live subject, lit by another colour sequence than asked.

    Variants: ``inverted`` (bright where dark was asked and the reverse, other hues)
    and ``other_check`` (the flash of another check: an independent schedule with its
    own colours and durations, which may even start with the same brightness: half of
    them do, since the service strictly alternates). ``variant`` and ``same_parity``
    force a case (tests); by default both are random.
    """
    cap = _capture_setup(rng)
    mode = _mode(rng, ("flash", "action+flash"))
    challenge, windows = make_challenge(rng, mode, n_actions=1)
    shown = list(challenge.flash)
    variant = variant or str(rng.choice(("inverted", "other_check")))
    if variant == "inverted":
        recorded = []
        for s in shown:
            bright = s.color in protocol.BRIGHT_COLORS
            pool = protocol.DARK_COLORS if bright else protocol.BRIGHT_COLORS
            recorded.append(FlashStep(str(rng.choice(pool)), s.start_ms, s.end_ms))
    else:

        def bright(steps) -> list[bool]:
            return [x.color in protocol.BRIGHT_COLORS for x in steps]

        while True:
            recorded = flash_schedule(rng, shown[0].start_ms, len(shown))
            if [x.color for x in recorded] == [x.color for x in shown]:
                continue
            if same_parity is None or (bright(recorded) == bright(shown)) == same_parity:
                break
    frames = render_bona_fide(rng, cap, challenge, windows, light_flash=tuple(recorded))
    return _scenario(
        "replay_out_of_sync",
        challenge,
        frames,
        _client(rng),
        mode=mode,
        cap=cap,
        variant=variant,
        recorded=[s.color for s in recorded],
    )


def wrong_order(rng: np.random.Generator) -> Scenario:
    """Every requested action is done, in another order (each in another's window)."""
    cap = _capture_setup(rng)
    mode = _mode(rng, ("action", "action+flash"))
    challenge, windows = make_challenge(rng, mode, n_actions=2)
    acts = [w[0] for w in windows]
    idx = [i for i, a in enumerate(acts) if a not in (None, "LookFront")]
    performed = list(acts)
    for i, j in zip(idx, idx[1:] + idx[:1], strict=False):
        performed[i] = acts[j]  # a rotation: nothing stays in place
    frames = render_bona_fide(rng, cap, challenge, windows, performed=performed)
    return _scenario(
        "wrong_order", challenge, frames, _client(rng), mode=mode, cap=cap, performed=performed
    )


def missing_action(rng: np.random.Generator) -> Scenario:
    """One requested action is never done (the subject just looks at the screen)."""
    cap = _capture_setup(rng)
    mode = _mode(rng, ("action", "action+flash"))
    challenge, windows = make_challenge(rng, mode, n_actions=2)
    performed = [w[0] for w in windows]
    idx = [i for i, a in enumerate(performed) if a not in (None, "LookFront")]
    performed[idx[int(rng.integers(len(idx)))]] = None
    frames = render_bona_fide(rng, cap, challenge, windows, performed=performed)
    return _scenario(
        "missing_action", challenge, frames, _client(rng), mode=mode, cap=cap, performed=performed
    )


def no_face(rng: np.random.Generator) -> Scenario:
    """The camera sees a scene without a face (a cat, a cup, a wall, the empty room)."""
    cap = _capture_setup(rng)
    mode = _mode(rng)
    challenge, windows = make_challenge(rng, mode, n_actions=2 if mode == "action" else 1)
    scene_name = str(rng.choice((*NO_FACE_SCENES, "room")))
    scene = cap.renderer.src.background if scene_name == "room" else _scene(scene_name)
    light = cap.renderer.light
    frames = []
    for t in frame_times(rng, windows[0][1], windows[-1][2], cap.fps):
        col = hex_rgb(color_at(challenge.flash, t - cap.lag_ms))
        img = np.roll(scene, (int(rng.integers(-2, 3)), int(rng.integers(-2, 3))), (0, 1))
        img = img * light.gain(light.k_background, col, 1.0) * cap.exposure
        frames.append(
            Frame(cap.camera.shoot(img), t, color_at(challenge.flash, t), prompt_at(windows, t))
        )
    return _scenario(
        "no_face", challenge, frames, _client(rng), mode=mode, cap=cap, scene=scene_name
    )


def two_faces(rng: np.random.Generator) -> Scenario:
    """A live subject with a second person's face beside them for the whole check."""
    cap = _capture_setup(rng)
    mode = _mode(rng)
    challenge, windows = make_challenge(rng, mode, n_actions=2 if mode == "action" else 1)
    from ..detector import FaceDetector

    # A second face that the detector clearly sees in this picture (see second_face).
    still = cap.renderer.render(Pose()) * cap.exposure
    for _ in range(20):
        side = int(rng.integers(2))
        size = int(rng.integers(190, 221))  # LFW crops are ~ 1.4x the face width
        other = second_face(rng, size)
        x0 = 4 if side == 0 else FRAME_W - size - 4
        y0 = int(rng.integers(110, FRAME_H - size - 10))
        yy, xx = np.mgrid[0:size, 0:size]
        r = np.hypot(xx - size / 2, (yy - size / 2) * 0.85) / (size / 2)
        alpha = np.clip((1.0 - r) / 0.15, 0, 1)[..., None].astype(np.float32)
        test = still.copy()
        region = test[y0 : y0 + size, x0 : x0 + size]
        region[:] = region * (1 - alpha) + other * alpha * cap.exposure
        dets = FaceDetector().detect(np.clip(test, 0, 255).astype(np.uint8))
        # Clearly a second face (a marginal blur the detector sees now and then tests
        # the detector's threshold, not the multiple-faces rule).
        if len(dets) >= 2 and min(d.score for d in dets[:2]) >= 0.75:
            break

    def overlay(img: np.ndarray, t: float) -> np.ndarray:
        dy = round(2 * math.sin(t / 700.0))
        ys = slice(y0 + dy, y0 + dy + size)
        xs = slice(x0, x0 + size)
        img[ys, xs] = img[ys, xs] * (1 - alpha) + other * alpha * cap.exposure
        return img

    frames = render_bona_fide(rng, cap, challenge, windows, overlay=overlay)
    return _scenario("two_faces", challenge, frames, _client(rng), mode=mode, cap=cap)


def virtual_camera(rng: np.random.Generator) -> Scenario:
    """A live-looking stream injected through a virtual camera: its label gives it away,
    and/or it repeats frames (a virtual camera fed slower than the page captures)."""
    cap = _capture_setup(rng)
    mode = _mode(rng)
    challenge, windows = make_challenge(rng, mode, n_actions=2 if mode == "action" else 1)
    variant = str(rng.choice(("label", "duplicates", "both")))
    frames = render_bona_fide(rng, cap, challenge, windows)
    if variant in ("duplicates", "both"):
        # The source runs at a third of the capture rate: each picture sent 3 times.
        frames = [
            Frame(frames[i - i % 3].jpeg, f.t_ms, f.color, f.prompt) for i, f in enumerate(frames)
        ]
    label = str(rng.choice(VIRTUAL_CAMERAS)) if variant in ("label", "both") else None
    return _scenario(
        "virtual_camera",
        challenge,
        frames,
        _client(rng, label),
        mode=mode,
        cap=cap,
        variant=variant,
    )


GENERATORS: dict[str, Callable[[np.random.Generator], Scenario]] = {
    BONA_FIDE: bona_fide,
    "static_photo": static_photo,
    "planar_photo": planar_photo,
    "replay_out_of_sync": replay_out_of_sync,
    "wrong_order": wrong_order,
    "missing_action": missing_action,
    "no_face": no_face,
    "two_faces": two_faces,
    "virtual_camera": virtual_camera,
}


def _scenario(label, challenge, frames, client, *, mode, cap, **notes) -> Scenario:
    code, reason = EXPECTED[label]
    notes = {
        "mode": mode,
        "actions": list(challenge.actions),
        "identity": cap.renderer.src.name,
        "fps": round(cap.fps, 1),
        "frames": len(frames),
        **notes,
    }
    return Scenario("", label, challenge, frames, client, code, reason, notes)


def iter_scenarios(seed: int = 0, n: int = 10, labels: tuple[str, ...] = LABELS):
    """``n`` scenarios of each label, one at a time, reproducible from ``seed``: each
    scenario has its own RNG stream (seed, label, k), so it does not change when other
    labels or a larger ``n`` are asked for."""
    for label in labels:
        for k in range(n):
            rng = np.random.default_rng([seed, LABELS.index(label), k])
            sc = GENERATORS[label](rng)
            sc.name = f"{label}-{k}"
            yield sc


def generate(seed: int = 0, n: int = 10, labels: tuple[str, ...] = LABELS) -> list[Scenario]:
    """All of :func:`iter_scenarios` as a list."""
    return list(iter_scenarios(seed, n, labels))
