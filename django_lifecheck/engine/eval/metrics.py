"""ISO/IEC 30107-3 error rates of a run, and their table and JSON forms.

* APCER (per attack type): attack presentations *accepted* (verdict code 200) /
  attack presentations of that type.
* BPCER: bona fide presentations *rejected* (any code but 200) / bona fide ones.

A verdict with another code than the expected one still counts as a correct
rejection of an attack (it was not accepted); the table shows those separately.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field

from .scenarios import BONA_FIDE, LABELS


@dataclass
class Outcome:
    """The engine's answer on one scenario."""

    name: str
    label: str
    code: int
    reason: str
    expected_code: int
    expected_reason: str
    seconds: float
    frames: int
    notes: dict = field(default_factory=dict)
    scores: dict = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        return self.code == 200

    @property
    def error(self) -> bool:
        """A classification error: an attack accepted or a bona fide rejected."""
        return self.accepted != (self.label == BONA_FIDE)


@dataclass
class Rate:
    label: str
    errors: int
    total: int
    expected_code: int = 0  # verdicts with exactly the expected code
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.errors / self.total if self.total else 0.0


def rates(outcomes: list[Outcome]) -> dict[str, Rate]:
    """APCER per attack type and BPCER (key ``bona_fide``), in :data:`LABELS` order."""
    out: dict[str, Rate] = {}
    for label in LABELS:
        group = [o for o in outcomes if o.label == label]
        if not group:
            continue
        out[label] = Rate(
            label,
            sum(o.error for o in group),
            len(group),
            sum(o.code == o.expected_code for o in group),
            dict(Counter(f"{o.code} {o.reason}".strip() for o in group)),
        )
    return out


def table(outcomes: list[Outcome]) -> str:
    """A plain-text table: one row per attack type (APCER) and one for BPCER."""
    rs = rates(outcomes)
    lines = [
        f"{'metric':<8} {'presentation':<20} {'rate':>7} {'errors':>8}  "
        f"{'code ok':>7}  verdicts (code reason: count)",
    ]
    for label, r in rs.items():
        metric = "BPCER" if label == BONA_FIDE else "APCER"
        verdicts = ", ".join(f"{k}: {v}" for k, v in sorted(r.reasons.items()))
        lines.append(
            f"{metric:<8} {label:<20} {100 * r.rate:6.1f}% {r.errors:>3}/{r.total:<4}  "
            f"{r.expected_code:>3}/{r.total:<3}  {verdicts}"
        )
    attacks = [r for k, r in rs.items() if k != BONA_FIDE]
    if attacks:
        worst = max(attacks, key=lambda r: r.rate)
        lines.append(f"{'max':<8} {'APCER':<20} {100 * worst.rate:6.1f}%  ({worst.label})")
    secs = [o.seconds for o in outcomes]
    frames = sum(o.frames for o in outcomes)
    if secs:
        lines.append(
            f"analysed {len(outcomes)} scenarios, {frames} frames in {sum(secs):.1f} s "
            f"({1000 * sum(secs) / max(frames, 1):.1f} ms/frame)"
        )
    return "\n".join(lines)


def to_json(outcomes: list[Outcome], **meta) -> str:
    rs = rates(outcomes)
    return json.dumps(
        {
            "meta": meta,
            "rates": {
                k: {
                    "metric": "BPCER" if k == BONA_FIDE else "APCER",
                    "rate": r.rate,
                    "errors": r.errors,
                    "total": r.total,
                    "expected_code": r.expected_code,
                    "verdicts": r.reasons,
                }
                for k, r in rs.items()
            },
            "outcomes": [asdict(o) for o in outcomes],
        },
        indent=2,
        default=str,
    )
