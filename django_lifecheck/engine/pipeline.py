"""The engine's entry points: :func:`analyze` a whole check, :func:`probe` one frame.

Order of decisions (the first that applies wins):

1. input contract (:mod:`.validate`, JPEG decoding) -> :class:`EngineError`;
2. injection cues (virtual camera label, impossible timing, duplicated frames)
   -> 202 ``injection_suspected``;
3. faces: two or more faces -> 203 ``multiple_faces``; none -> 203 ``no_face``; too
   few usable frames -> 203 ``no_usable_frames``;
4. passive liveness (frozen face, planar motion) -> 202 ``not_live``;
5. actions in order -> 202 ``actions_not_matched`` (a head turn that moved like a
   flat picture -> 202 ``not_live``);
6. flash response -> 202 ``not_live``;
7. otherwise 200 passed, with the portrait of the best frame.

A silent check (no actions, no flash) rests on step 4 alone: it stops a still photo
or a still image fed as video, and a photo tilted enough to show that it is flat, but
a photo moved in the hand without tilting, or a replayed video, passes. Ask for
actions or a flash for real assurance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import passive, portrait, verdict
from .actions import FLAT_DETAIL, match_actions
from .config import EngineConfig
from .decode import decode_jpeg, decode_jpeg_image
from .detector import FaceDetector
from .errors import EngineError
from .features import FrameFeatures, measure
from .flash import check_flash
from .mesh import FaceTracker, confirmed_faces
from .types import Challenge, ClientInfo, Frame, Verdict
from .validate import validate

#: Subsampling of the frame thumbnail (duplicates, background colour).
THUMB_STEP = 4


def _usable(f: FrameFeatures, cfg: EngineConfig) -> bool:
    return (
        f.face
        and f.face_count <= 1
        and cfg.min_face_width <= f.face_width <= cfg.max_face_width
        and f.face_offset <= cfg.max_face_offset
    )


def _rigid(usable: list[FrameFeatures], cfg: EngineConfig) -> list[FrameFeatures]:
    """The frames without a blink, for the planar test.

    The planar test asks whether the landmarks move like one rigid plane; closing
    eyes deform the face in a way no rigid motion explains, flat or not, and read as
    a few degrees of pitch: on a still head, blink frames gave planar ratios of
    0.4-0.6, a flat picture's. They say nothing about flatness and are left out: eyes
    narrower than ``blink_open_ratio`` of the user's median while the head is within
    ``blink_max_pose_change`` of its median pose.

    Only blinks: a photo turned in front of the camera reads a higher "mouth
    openness" (its mouth foreshortens in width, not height), so a mouth rule would
    drop the photo's best evidence. A photo tilted far back reads narrower eyes, but
    mostly with a large change of pose, so it keeps those frames (the mesh reads a
    photo's pose compressed: on the eval, one tilted photo lost one of its seven
    evidence frames, and was still refused at a planar ratio of 0.34).
    """
    ear = float(np.median([f.ear for f in usable]))
    yaw = float(np.median([f.yaw for f in usable]))
    pitch = float(np.median([f.pitch for f in usable]))

    def blinking(f: FrameFeatures) -> bool:
        still = max(abs(f.yaw - yaw), abs(f.pitch - pitch)) <= cfg.blink_max_pose_change
        return still and f.ear < cfg.blink_open_ratio * ear

    return [f for f in usable if not blinking(f)]


def analyze(
    challenge: Challenge,
    frames: Sequence[Frame],
    client: ClientInfo | None = None,
    config: EngineConfig | None = None,
) -> Verdict:
    """Judge one capture. Raises :class:`EngineError` on bad input only."""
    cfg = config or EngineConfig()
    if not isinstance(cfg, EngineConfig):
        raise EngineError(f"config must be an EngineConfig, got {type(cfg).__name__}")
    validate(challenge, frames, client, cfg)
    scores: dict[str, float] = {"frames": float(len(frames))}

    # 2. Injection cues that need no pixels.
    if client is not None:
        hit = passive.virtual_camera(client.camera_label, cfg.virtual_camera_labels)
        if hit:
            return verdict.rejected(
                "injection_suspected", f"virtual camera ({hit}) in the camera label"
            )
    t_ms = [f.t_ms for f in frames]
    if passive.impossible_timing(t_ms, cfg.min_frame_interval_ms):
        return verdict.rejected(
            "injection_suspected",
            f"frames less than {cfg.min_frame_interval_ms} ms apart: not a live camera",
        )

    # One pass over the frames, one decoded frame in memory at a time.
    tracker = FaceTracker(
        min_presence=cfg.min_presence,
        detect_every=cfg.detect_every,
        detector=FaceDetector(min_score=min(cfg.min_detection_score, cfg.second_face_min_score)),
        min_track_score=cfg.min_detection_score,
    )
    dups = passive.DuplicateCounter(cfg.near_duplicate_level)
    feats: list[FrameFeatures] = []
    multi = runs = 0
    for i, frame in enumerate(frames):
        img = decode_jpeg_image(frame.jpeg, cfg.max_frame_pixels, i)
        # The frame's full pixels are never copied out of Pillow: the models crop from
        # the image itself, the face measures come from the mesh crop, and the
        # duplicate test and the background colour need only every 4th pixel.
        thumb = passive.thumbnail(img, THUMB_STEP)
        dups.add(frame.jpeg, passive.grey_thumbnail(thumb, step=1))
        tf = tracker.process(img)
        f = FrameFeatures(index=i, t_ms=frame.t_ms, prompt=frame.prompt, color=frame.color)
        f.face_count = tf.face_count
        multi += tf.face_count >= 2
        runs += tf.detected
        if tf.mesh is not None:
            m = tf.mesh
            measure(thumb, m.points, f, m.crop, m.uv, frame_size=img.size)
        f.usable = _usable(f, cfg)
        feats.append(f)

    same, near = dups.fractions()
    scores.update(duplicate_frames=same, near_duplicate_frames=near)
    if same > cfg.max_duplicate_fraction or near > cfg.max_duplicate_fraction:
        what = "byte-identical" if same > cfg.max_duplicate_fraction else "near-identical"
        return verdict.rejected(
            "injection_suspected", f"too many {what} consecutive frames", scores
        )

    # 3. Faces.
    usable = [f for f in feats if f.usable]
    scores.update(
        face_frames=float(sum(f.face for f in feats)),
        usable_frames=float(len(usable)),
        multiple_face_frames=float(multi),
    )
    if multi >= max(cfg.multiple_faces_min_frames, cfg.multiple_faces_min_fraction * runs):
        return verdict.rejected("multiple_faces", scores=scores)
    if not any(f.face for f in feats):
        return verdict.rejected("no_face", scores=scores)
    if len(usable) < max(cfg.min_usable_frames, cfg.min_usable_fraction * len(frames)):
        return verdict.rejected("no_usable_frames", scores=scores, frames_used=len(usable))
    n_used = len(usable)

    # 4. Passive liveness.
    motion = passive.micro_motion([f.points for f in usable])
    rigid = _rigid(usable, cfg)
    poses = np.array([[f.yaw, f.pitch] for f in rigid])
    med = np.median(poses, axis=0)
    ref = int(np.argmin(np.abs(poses - med).sum(axis=1)))
    ratio, change, evid = passive.planar_evidence(
        [f.points for f in rigid], ref, cfg.planar_min_change
    )
    scores.update(
        motion=motion, planar_ratio=ratio, planar_change=change, planar_frames=float(evid)
    )
    if motion < cfg.min_motion:
        return verdict.rejected(
            "not_live", "the face is frozen: no natural motion", scores, frames_used=n_used
        )
    if evid and ratio <= cfg.planar_max_ratio:
        return verdict.rejected(
            "not_live", "the face moves like a flat picture", scores, frames_used=n_used
        )

    # 5. Actions.
    evidence = []
    if challenge.actions:
        evidence, act_scores = match_actions(challenge.actions, feats, cfg)
        scores.update(act_scores)
        scores["actions_matched"] = float(sum(e.matched for e in evidence))
        if not all(e.matched for e in evidence):
            flat = any(e.detail.startswith(FLAT_DETAIL) for e in evidence)
            return verdict.rejected(
                "not_live" if flat else "actions_not_matched",
                next(f"{e.action}: {e.detail}" for e in evidence if not e.matched),
                scores,
                evidence,
                n_used,
            )

    # 6. Flash.
    if challenge.flash:
        fl = check_flash(challenge.flash, feats, cfg)
        scores.update(fl.scores())
        if not fl.passed:
            # judged: the skin ignored the flash; not judged: too few frames to tell
            reason = "not_live" if fl.judged else "no_usable_frames"
            return verdict.rejected(reason, fl.detail, scores, evidence, n_used)

    # 7. Passed.
    best = portrait.best_frame(feats, cfg)
    jpeg = None
    if best is not None:
        rgb = decode_jpeg(frames[best.index].jpeg, cfg.max_frame_pixels, best.index)
        jpeg = portrait.portrait_jpeg(rgb, best, cfg)
        scores["portrait_frame"] = float(best.index)
    return verdict.passed(scores, evidence, n_used, jpeg)


@dataclass(frozen=True)
class ProbeResult:
    """A quick look at one frame for the page's live hint.

    ``hint`` is one of ``ok``, ``no_face``, ``multiple_faces``, ``too_small``,
    ``too_large``, ``off_center``.
    """

    faces: int
    hint: str
    face_width: float = 0.0  # of the largest face, fraction of the frame width

    def to_dict(self) -> dict[str, object]:
        return {"faces": self.faces, "hint": self.hint, "face_width": round(self.face_width, 3)}


def probe(jpeg: bytes, config: EngineConfig | None = None) -> ProbeResult:
    """Count faces on one (small) JPEG frame: the detector (~4-8 ms) plus decoding; the
    mesh model confirms each face only when there is more than one or a weak one."""
    cfg = config or EngineConfig()
    img = decode_jpeg_image(jpeg, cfg.max_frame_pixels)
    w, h = img.size
    dets = FaceDetector(min_score=min(cfg.min_detection_score, cfg.second_face_min_score)).detect(
        img
    )
    if len(dets) > 1 or (dets and dets[0].score < cfg.min_detection_score):
        dets = confirmed_faces(img, dets, cfg.min_presence)  # drop false positives
    if not dets:
        return ProbeResult(0, "no_face")
    d = max(dets, key=lambda d: d.width)
    width = d.width / w
    if len(dets) > 1:
        return ProbeResult(len(dets), "multiple_faces", width)
    cx, cy = d.center
    if width < cfg.min_face_width:
        return ProbeResult(1, "too_small", width)
    if width > cfg.max_face_width:
        return ProbeResult(1, "too_large", width)
    if max(abs(cx / w - 0.5), abs(cy / h - 0.5)) > cfg.max_face_offset:
        return ProbeResult(1, "off_center", width)
    return ProbeResult(1, "ok", width)
