"""Evaluation harness of the liveness engine: labelled scenarios in, APCER/BPCER out.

``python -m django_lifecheck.engine.eval [--seed S] [--n N] [--quick] [--json PATH]``
renders bona fide and attack scenarios (see :mod:`.scenarios`, :mod:`.render`), runs
:func:`django_lifecheck.engine.analyze` on each, and prints APCER per attack type and
BPCER (ISO/IEC 30107-3) with counts (:mod:`.metrics`).

Needs scikit-image (its sample photos are the faces) and scipy: the ``test`` extra.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from .metrics import Outcome, Rate, rates, table, to_json
from .scenarios import ATTACK_TYPES, BONA_FIDE, LABELS, Scenario, generate, iter_scenarios

__all__ = [
    "ATTACK_TYPES",
    "BONA_FIDE",
    "LABELS",
    "Outcome",
    "Rate",
    "Scenario",
    "evaluate",
    "generate",
    "iter_scenarios",
    "rates",
    "run",
    "table",
    "to_json",
]


def evaluate(scenario: Scenario, config=None) -> Outcome:
    """Run the engine on one scenario."""
    from .. import EngineError, analyze

    t0 = time.perf_counter()
    try:
        verdict = analyze(
            scenario.challenge, scenario.frames, client=scenario.client, config=config
        )
        code, reason, scores = int(verdict.code), verdict.reason or "", dict(verdict.scores)
        notes = dict(scenario.notes)
    except EngineError as exc:  # the service answers 203 bad_input: not accepted
        code, reason, scores = 203, "bad_input", {}
        notes = {**scenario.notes, "error": str(exc)}
    secs = time.perf_counter() - t0
    return Outcome(
        scenario.name,
        scenario.label,
        code,
        reason,
        scenario.expected_code,
        scenario.expected_reason,
        secs,
        len(scenario.frames),
        notes,
        scores,
    )


def run(
    scenarios: Iterable[Scenario],
    config=None,
    progress: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Evaluate every scenario (generated lazily: one capture in memory at a time)."""
    out = []
    for sc in scenarios:
        o = evaluate(sc, config)
        out.append(o)
        if progress:
            progress(o)
    return out
