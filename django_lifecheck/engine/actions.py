"""Requested actions as events in the per-frame features, in order, within windows.

Every action is judged against the user's own baseline (median pose, eye and mouth
openness while looking front), never against absolute numbers, because faces,
cameras and MediaPipe's tilted template all shift the absolute values.

Direction convention: yaw follows :mod:`.geometry` (positive = the user turns to
their own left in an unmirrored frame), so ``LookLeft`` is a yaw INCREASE; with
``EngineConfig.frames_mirrored`` the sign is flipped back first.

Segmentation: each frame carries the prompt on screen. The k-th requested action is
searched in the next run of frames showing that prompt, from that prompt's onset; it
must start under its prompt (``action_onset_grace_ms`` of slack) and may finish up to
``action_lag_ms`` after it. So performing the actions in another order fails even when
every movement is present. The lag only lets a started event finish: it never moves
the next action's search past the next prompt's onset, because a user answering the
next prompt quickly (a blink ~0.3 s after it appears) overlaps the previous event's
slow return. LookFront is a state, not an event: it is satisfied by frontal frames
under its own prompt only. Frames with no prompt information fall back to a plain
ordered search over the whole capture, each action after the previous one's event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .config import EngineConfig
from .features import FrameFeatures
from .passive import parallax
from .types import ActionEvidence

HEAD_MOVES = frozenset({"LookLeft", "LookRight", "LookUp", "LookDown", "ShakeHead", "NodHead"})
#: ``ActionEvidence.detail`` of a head move rejected as the motion of a flat picture.
FLAT_DETAIL = "moved like a flat picture"


@dataclass(frozen=True)
class Baseline:
    yaw: float
    pitch: float
    ear: float
    mouth: float
    frame: int  # index (into the features list) of a representative baseline frame


@dataclass(frozen=True)
class Segment:
    prompt: str
    start: int  # first position (into the features list)
    end: int  # last position, inclusive


def segments(feats: Sequence[FrameFeatures]) -> list[Segment]:
    """Runs of consecutive frames showing the same (non-empty) prompt."""
    out: list[Segment] = []
    for i, f in enumerate(feats):
        if f.prompt and out and out[-1].prompt == f.prompt and out[-1].end == i - 1:
            out[-1] = Segment(f.prompt, out[-1].start, i)
        elif f.prompt:
            out.append(Segment(f.prompt, i, i))
    return out


def baseline(
    feats: Sequence[FrameFeatures], segs: Sequence[Segment], cfg: EngineConfig
) -> Baseline | None:
    """The user's neutral state: LookFront frames if asked, else the frames before the
    first prompt, else the first usable frames."""
    usable = [i for i, f in enumerate(feats) if f.usable]
    if not usable:
        return None
    pool: list[int] = []
    front = next((s for s in segs if s.prompt == "LookFront"), None)
    if front is not None:
        pool = [i for i in usable if front.start <= i <= front.end]
    if len(pool) < 2 and segs:
        pool = [i for i in usable if i < segs[0].start]
    if len(pool) < 2:
        pool = usable[: cfg.baseline_frames]
    pool = pool[-cfg.baseline_frames * 2 :]
    yaw = float(np.median([feats[i].yaw for i in pool]))
    pitch = float(np.median([feats[i].pitch for i in pool]))
    rep = min(pool, key=lambda i: abs(feats[i].yaw - yaw) + abs(feats[i].pitch - pitch))
    return Baseline(
        yaw=yaw,
        pitch=pitch,
        ear=float(np.median([feats[i].ear for i in pool])),
        mouth=float(np.median([feats[i].mouth for i in pool])),
        frame=rep,
    )


def _runs(mask: Sequence[bool]) -> list[tuple[int, int]]:
    """(start, end inclusive) of each run of True values."""
    out, start = [], None
    for i, m in enumerate([*list(mask), False]):
        if m and start is None:
            start = i
        elif not m and start is not None:
            out.append((start, i - 1))
            start = None
    return out


class _Finder:
    """Event search over one window of usable frames (positions into ``feats``)."""

    def __init__(
        self,
        feats: Sequence[FrameFeatures],
        base: Baseline,
        cfg: EngineConfig,
    ) -> None:
        self.feats, self.base, self.cfg = feats, base, cfg
        self.sign = -1.0 if cfg.frames_mirrored else 1.0
        # All usable positions in order: a blink's "open before" frame may lie before
        # the window (the eyes start closing as the prompt appears).
        self.usable = [i for i, x in enumerate(feats) if x.usable]
        self.pos = {i: k for k, i in enumerate(self.usable)}

    def dyaw(self, i: int) -> float:
        return self.sign * (self.feats[i].yaw - self.base.yaw)

    def dpitch(self, i: int) -> float:
        return self.feats[i].pitch - self.base.pitch

    def sustained(self, window: list[int], values: list[float], threshold: float, min_n: int):
        """First run of >= min_n frames with value >= threshold -> (frames, peak)."""
        for a, b in _runs([v >= threshold for v in values]):
            if b - a + 1 >= min_n:
                return window[a : b + 1], max(values[a : b + 1])
        return None

    def find(self, action: str, window: list[int]) -> tuple[list[int], float] | None:
        cfg, f = self.cfg, self.feats
        if not window:
            return None
        if action == "LookFront":
            ok = [
                abs(f[i].yaw) <= cfg.front_max_yaw
                and abs(f[i].pitch - cfg.front_pitch) <= cfg.front_max_pitch
                for i in window
            ]
            for a, b in _runs(ok):
                if b - a + 1 >= cfg.front_min_frames:
                    frames = window[a : b + 1]
                    return frames, float(np.median([f[i].yaw for i in frames]))
            return None
        if action in ("LookLeft", "LookRight", "LookUp", "LookDown"):
            sign = 1.0 if action in ("LookLeft", "LookUp") else -1.0
            delta = self.dyaw if action in ("LookLeft", "LookRight") else self.dpitch
            thr = cfg.turn_deg if action in ("LookLeft", "LookRight") else cfg.pitch_deg
            hit = self.sustained(window, [sign * delta(i) for i in window], thr, 2)
            return (hit[0], sign * hit[1]) if hit else None
        if action == "OpenMouth":
            vals = [f[i].mouth - self.base.mouth for i in window]
            hit = self.sustained(window, vals, cfg.mouth_open_delta, 2)
            return (hit[0], hit[1] + self.base.mouth) if hit else None
        if action == "BlinkEye":
            return self._blink(window)
        if action == "ShakeHead":
            return self._both_ways(window, self.dyaw, cfg.shake_deg)
        if action == "NodHead":
            return self._nod(window)
        return None  # pragma: no cover - actions are validated before

    def _blink(self, window: list[int]) -> tuple[list[int], float] | None:
        """Eyes open, then closed (<= ``blink_close_ratio`` of the baseline EAR) for at
        most ``blink_max_ms``, then open again, with a still head.

        The closed run must begin inside the window (eyes already closed at its first
        frame and before it: a blink that began earlier, not an answer). The "open
        before" frame is the last frame at or above ``blink_open_ratio`` before the
        closed run, searched back through ALL usable frames, not just the window: at
        ~9 fps the frame before the closed run is often half-closed, and when that
        half-closed frame is the window's first one the open frame lies before the
        window; rejecting it would throw out a genuine blink at the prompt's onset.
        """
        cfg, f, base = self.cfg, self.feats, self.base.ear
        closed_thr, open_thr = base * cfg.blink_close_ratio, base * cfg.blink_open_ratio
        pos = self.pos
        closed = [f[i].ear <= closed_thr for i in window]
        for a, b in _runs(closed):
            t_close = f[window[a]].t_ms
            u = pos[window[a]]
            if a == 0 and u > 0 and f[self.usable[u - 1]].ear <= closed_thr:
                continue  # closed already before the window: not this window's blink
            # Open before: walk back over closing (half-closed) frames to the last open
            # one, across the window's start, for at most blink_max_ms.
            before = None
            for k in range(u - 1, -1, -1):
                g = f[self.usable[k]]
                if t_close - g.t_ms > cfg.blink_max_ms:
                    break
                if g.ear >= open_thr:
                    before = g
                    break
            if before is None:
                if u > 0:
                    continue  # never open shortly before: not a blink's start
                before = f[self.base.frame]  # the capture starts with the eyes closing
            moved = max(
                max(abs(f[i].yaw - before.yaw), abs(f[i].pitch - before.pitch))
                for i in window[a : b + 1]
            )
            if moved > cfg.blink_max_pose_change:
                continue  # the eyes narrowed because the head moved
            for j in range(b + 1, len(window)):
                if f[window[j]].t_ms - t_close > cfg.blink_max_ms:
                    break
                if f[window[j]].ear >= open_thr:
                    frames = window[a : j + 1]
                    return frames, min(f[i].ear for i in frames)
        return None

    def _both_ways(self, window: list[int], delta, thr: float):
        vals = [delta(i) for i in window]
        hi = [k for k, v in enumerate(vals) if v >= thr]
        lo = [k for k, v in enumerate(vals) if v <= -thr]
        if not hi or not lo:
            return None
        a, b = min(hi[0], lo[0]), max(hi[0], lo[0])
        return window[a : b + 1], max(abs(v) for v in vals[a : b + 1])

    def _nod(self, window: list[int]):
        thr = self.cfg.nod_deg
        vals = [self.dpitch(i) for i in window]
        for k, v in enumerate(vals):
            if v <= -thr:
                low = k
                for j in range(k + 1, len(vals)):
                    if vals[j] < vals[low]:
                        low = j
                    if vals[j] >= vals[low] + thr:
                        return window[k : j + 1], vals[low]
                return None
        return None


def _peak_frame(feats, frames: list[int], base: Baseline) -> int:
    return max(
        frames,
        key=lambda i: abs(feats[i].yaw - base.yaw) + abs(feats[i].pitch - base.pitch),
    )


def match_actions(
    actions: Sequence[str], feats: Sequence[FrameFeatures], cfg: EngineConfig
) -> tuple[list[ActionEvidence], dict[str, float]]:
    """Evidence per requested action (``matched`` False from the first miss on).

    ``ActionEvidence.peak`` is, per action: LookLeft/Right/Up/Down the yaw or pitch
    change from the baseline at the peak (degrees, signed as in :mod:`.geometry`);
    ShakeHead the largest |yaw change|; NodHead the lowest pitch change; LookFront the
    median yaw of the frontal frames; OpenMouth the largest mouth openness; BlinkEye the
    lowest eye aspect ratio. ``frames`` are the frame indexes of the event.
    """
    segs = segments(feats)
    base = baseline(feats, segs, cfg)
    scores: dict[str, float] = {}
    if base is None:
        return [ActionEvidence(a, False, detail="no usable frames") for a in actions], scores
    scores.update(baseline_yaw=base.yaw, baseline_pitch=base.pitch, baseline_ear=base.ear)
    finder = _Finder(feats, base, cfg)
    usable = finder.usable
    evidence: list[ActionEvidence] = []
    after = -1  # events must come after this position
    seg_pos = 0
    failed = False
    for action in actions:
        if failed:
            evidence.append(ActionEvidence(action, False, detail="not reached"))
            continue
        seg = None
        for k in range(seg_pos, len(segs)):
            if segs[k].prompt == action:
                seg, seg_pos = segs[k], k + 1
                break
        if seg is not None:
            # LookFront (a held state) only under its own prompt; an event may finish
            # up to action_lag_ms after its prompt.
            lag = 0 if action == "LookFront" else cfg.action_lag_ms
            end_t = feats[seg.end].t_ms + lag
            window = [i for i in usable if i > after and i >= seg.start and feats[i].t_ms <= end_t]
        else:
            window = [i for i in usable if i > after]
        hit = finder.find(action, window)
        if hit is not None and seg is not None:
            onset_limit = feats[seg.end].t_ms + cfg.action_onset_grace_ms
            if feats[hit[0][0]].t_ms > onset_limit:
                hit = None  # it started under a later prompt
        if hit is None:
            evidence.append(ActionEvidence(action, False, detail="not found in its window"))
            failed = True
            continue
        frames, peak = hit
        detail = ""
        if action in HEAD_MOVES:
            p_frame = _peak_frame(feats, frames, base)
            ref, pk = feats[base.frame].points, feats[p_frame].points
            par = parallax(ref, pk) if ref is not None and pk is not None else 0.0
            scores[f"parallax_{len(evidence)}"] = par
            if par < cfg.action_min_parallax:
                evidence.append(
                    ActionEvidence(
                        action,
                        False,
                        frames,
                        round(peak, 3),
                        f"{FLAT_DETAIL} (parallax {par:.3f})",
                    )
                )
                failed = True
                continue
            detail = f"parallax {par:.3f}"
        evidence.append(
            ActionEvidence(
                action, True, [feats[i].index for i in frames], round(float(peak), 3), detail
            )
        )
        # The next action is searched after this event, but never later than the
        # next prompt's onset: the lag that let this event finish must not hide an
        # action the user starts as soon as the next prompt appears.
        after = frames[-1] if seg is None else min(frames[-1], seg.end)
    return evidence, scores
