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
    "ATTACK_TYPES", "BONA_FIDE", "LABELS", "Outcome", "Rate", "Scenario", "evaluate",
    "generate", "iter_scenarios", "rates", "run", "table", "to_json",
]


def evaluate(scenario: Scenario, config=None) -> Outcome:
    """Run the engine on one scenario."""
    from .. import analyze

    t0 = time.perf_counter()
    verdict = analyze(scenario.challenge, scenario.frames, client=scenario.client, config=config)
    secs = time.perf_counter() - t0
    return Outcome(
        scenario.name, scenario.label, int(verdict.code), verdict.reason or "",
        scenario.expected_code, scenario.expected_reason, secs, len(scenario.frames),
        dict(scenario.notes), dict(verdict.scores),
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
