"""Engine cost per check against the bare model time, on one core.

    python bench/engine.py [--repeat 5] [--seed 0]

A bona fide action+flash capture of 60 frames at 640x480 is rendered by the evaluation
harness, then ``engine.analyze`` runs on it ``--repeat`` times. In the same run the two
LiteRT models are invoked bare (input already in the tensor, ``invoke()`` only) on
crops of those frames; the bare model time of the check is the number of detector and
mesh invokes the engine actually made times the median bare invoke. The overhead ratio
is the full analysis time over that: everything the engine adds (JPEG decode, crops,
features, pose fits, decisions) on top of the neural networks.

One core: the interpreter runs with one thread (the engine's own setting) and numpy's
BLAS pools are limited to one thread before numpy is imported.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from django_lifecheck.engine import analyze, runtime  # noqa: E402
from django_lifecheck.engine.decode import decode_jpeg_image  # noqa: E402
from django_lifecheck.engine.detector import MODEL as DETECTOR_MODEL  # noqa: E402
from django_lifecheck.engine.detector import FaceDetector  # noqa: E402
from django_lifecheck.engine.mesh import MODEL as MESH_MODEL  # noqa: E402
from django_lifecheck.engine.mesh import FaceMesh  # noqa: E402
from django_lifecheck.engine.types import Challenge, ClientInfo  # noqa: E402

TARGET_RATIO = 1.5
N_FRAMES = 60


def make_check(seed: int):
    """A 60-frame bona fide action+flash capture (LookFront under the flash, then one
    head turn), 640x480 JPEG frames."""
    from django_lifecheck.engine.eval import scenarios as sc

    rng = np.random.default_rng(seed)
    cap = sc._capture_setup(rng, "astronaut")
    challenge, windows = sc.make_challenge(rng, "action+flash", 1, pool=("LookLeft",))
    duration = windows[-1][2] - windows[0][1]
    cap.fps = N_FRAMES / (duration / 1000.0) * 1.02
    frames = sc.render_bona_fide(rng, cap, challenge, windows)[:N_FRAMES]
    client = ClientInfo("FaceTime HD Camera", sc.USER_AGENT, 640, 480)
    return challenge, frames, client


class _Counter:
    """Counts the engine's model calls (wrapping the public methods, no timing)."""

    def __init__(self) -> None:
        self.detect = 0
        self.mesh = 0
        self._orig = (FaceDetector.detect, FaceMesh.landmarks)

    def __enter__(self):
        det, mesh = self._orig
        counter = self

        def detect(self_, rgb):
            counter.detect += 1
            return det(self_, rgb)

        def landmarks(self_, rgb, roi):
            counter.mesh += 1
            return mesh(self_, rgb, roi)

        FaceDetector.detect, FaceMesh.landmarks = detect, landmarks
        return self

    def __exit__(self, *exc) -> None:
        FaceDetector.detect, FaceMesh.landmarks = self._orig


def bare_invoke_ms(model: str, x: np.ndarray, n: int, clock=time.process_time) -> float:
    """Median time of ``invoke()`` alone, input already set."""
    it = runtime.interpreter(model)
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()  # warm-up
    times = []
    for _ in range(n):
        t0 = clock()
        it.invoke()
        times.append(clock() - t0)
    return 1000 * statistics.median(times)


def timed(clock, fn, repeat: int) -> float:
    out = []
    for _ in range(repeat):
        t = clock()
        fn()
        out.append(clock() - t)
    return statistics.median(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5, help="analyses to time (median)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--profile", action="store_true", help="also print a cProfile summary")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    challenge, frames, client = make_check(args.seed)
    render_s = time.perf_counter() - t0
    assert isinstance(challenge, Challenge)
    jpeg_kb = sum(len(f.jpeg) for f in frames) / 1024

    # Warm-up: load and verify the models, build the interpreters.
    verdict = analyze(challenge, frames, client=client)

    with _Counter() as calls:
        analyze(challenge, frames, client=client)
    n_det, n_mesh = calls.detect, calls.mesh

    def run() -> None:
        analyze(challenge, frames, client=client)

    # CPU time is the figure: the machine may be shared; wall time is printed beside it.
    analyze_s = timed(time.process_time, run, args.repeat)
    analyze_wall = timed(time.perf_counter, run, args.repeat)

    # JPEG decoding alone: every engine that reads the frames pays it, so bare models
    # plus decoding is the floor of the ratio on this machine.
    def decode_all() -> None:
        for i, f in enumerate(frames):
            decode_jpeg_image(f.jpeg, 10**8, i)

    decode_s = timed(time.process_time, decode_all, args.repeat)

    # Bare invokes on inputs of the right shapes (values do not change the cost).
    rng = np.random.default_rng(1)
    det_x = rng.uniform(-1, 1, (1, 128, 128, 3)).astype(np.float32)
    mesh_x = rng.uniform(0, 1, (1, 192, 192, 3)).astype(np.float32)
    det_ms = bare_invoke_ms(DETECTOR_MODEL, det_x, 200)
    mesh_ms = bare_invoke_ms(MESH_MODEL, mesh_x, 200)
    det_wall = bare_invoke_ms(DETECTOR_MODEL, det_x, 200, time.perf_counter)
    mesh_wall = bare_invoke_ms(MESH_MODEL, mesh_x, 200, time.perf_counter)
    bare_s = (n_det * det_ms + n_mesh * mesh_ms) / 1000
    bare_wall = (n_det * det_wall + n_mesh * mesh_wall) / 1000
    ratio = analyze_s / bare_s if bare_s else float("nan")

    tracemalloc.start()
    analyze(challenge, frames, client=client)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    maxrss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux

    n = len(frames)
    print("django-lifecheck engine benchmark (one core: 1 LiteRT thread, BLAS threads 1)")
    print(
        f"check: {n} frames 640x480 JPEG ({jpeg_kb:.0f} KiB), challenge "
        f"{'+'.join(challenge.actions)} with {len(challenge.flash)} flash colours; "
        f"verdict {verdict.code} {verdict.reason or ''} (rendered in {render_s:.1f} s)"
    )
    print(f"model calls by the engine: detector {n_det}, mesh {n_mesh}")
    print(
        f"bare invoke, median of 200 (CPU / wall): detector {det_ms:.2f} / {det_wall:.2f} ms,"
        f" mesh {mesh_ms:.2f} / {mesh_wall:.2f} ms"
    )
    print(
        f"bare model time for this check (CPU / wall): {1000 * bare_s:.0f} / "
        f"{1000 * bare_wall:.0f} ms ({1000 * bare_s / n:.1f} ms/frame)"
    )
    print(
        f"full analyze, median of {args.repeat} (CPU / wall): {1000 * analyze_s:.0f} / "
        f"{1000 * analyze_wall:.0f} ms ({1000 * analyze_s / n:.1f} ms/frame, "
        f"{n / analyze_s:.0f} frames/s on one core)"
    )
    floor = (bare_s + decode_s) / bare_s if bare_s else float("nan")
    print(
        f"JPEG decode alone (Pillow): {1000 * decode_s:.0f} ms "
        f"({1000 * decode_s / n:.2f} ms/frame); bare models + decode = {floor:.2f}x, "
        "the floor of the ratio for an engine that decodes the frames it analyses"
    )
    verdict_ok = "met" if ratio < TARGET_RATIO else "NOT met"
    print(
        f"overhead ratio analyze / bare models: {ratio:.2f}x "
        f"(target < {TARGET_RATIO}x: {verdict_ok})"
    )
    print(
        f"peak memory: tracemalloc {peak / 2**20:.1f} MiB during analyze; "
        f"process max RSS {maxrss_kb / 1024:.0f} MiB"
    )
    if args.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.runcall(run)
        print("\nwhere the analysis time goes (cumulative, top 25):")
        pstats.Stats(prof, stream=sys.stdout).sort_stats("cumulative").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
