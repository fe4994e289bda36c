"""``python -m django_lifecheck.engine.eval``: APCER per attack type and BPCER."""

from __future__ import annotations

import argparse
import sys
import time

from . import LABELS, iter_scenarios, run, table, to_json


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m django_lifecheck.engine.eval",
        description="Render labelled bona fide and attack scenarios, run the liveness "
        "engine on each, print APCER per attack type and BPCER (ISO/IEC 30107-3).",
    )
    ap.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    ap.add_argument("--n", type=int, default=10, help="scenarios per type (default 10)")
    ap.add_argument("--quick", action="store_true", help="3 scenarios per type")
    ap.add_argument("--types", default="", help="comma-separated subset of: " + ", ".join(LABELS))
    ap.add_argument("--json", metavar="PATH", help="also write the outcomes as JSON ('-': stdout)")
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per scenario")
    args = ap.parse_args(argv)

    n = 3 if args.quick else args.n
    labels = tuple(t.strip() for t in args.types.split(",") if t.strip()) or LABELS
    unknown = [t for t in labels if t not in LABELS]
    if unknown:
        ap.error(f"unknown types: {', '.join(unknown)}")

    def progress(o) -> None:
        if args.verbose:
            mark = "ERROR" if o.error else "ok"
            print(
                f"{o.name:<24} {o.code} {o.reason:<22} expected {o.expected_code} "
                f"{o.expected_reason:<20} {mark:<5} {o.frames} frames {o.seconds:.2f}s "
                f"{o.notes}",
                file=sys.stderr,
            )

    t0 = time.perf_counter()
    outcomes = run(iter_scenarios(args.seed, n, labels), progress=progress)
    wall = time.perf_counter() - t0
    print(
        f"django-lifecheck engine evaluation: seed {args.seed}, {n} scenarios per type, "
        f"{wall:.0f} s including rendering"
    )
    print(table(outcomes))
    if args.json:
        text = to_json(outcomes, seed=args.seed, n=n, labels=list(labels))
        if args.json == "-":
            print(text)
        else:
            with open(args.json, "w", encoding="utf-8") as fh:
                fh.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
